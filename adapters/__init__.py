"""Chat platforms and the terminal: they translate, the core decides."""
