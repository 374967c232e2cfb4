"""`claimwatch watch ...` and `claimwatch run`: the sources side of the command line."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the watch sub-commands and `run` to the main app."""
