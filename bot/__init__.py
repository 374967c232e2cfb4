"""claimwatch core: the platform-neutral pipeline from article to alert."""
