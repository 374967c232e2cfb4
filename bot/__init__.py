"""claimwatch core: the platform-neutral pipeline from article to alert."""

import os

# Extraction's matrix products go through NumPy's OpenBLAS (bot/claims.py load_nlp)
# on one thread: a second one buys 4% more articles/s for twice the CPU per article
# (docs/benchmarks.md), and the other core stays free for the rest of the process.
# Takes effect if bot is imported before numpy; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
