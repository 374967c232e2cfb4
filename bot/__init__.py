"""claimwatch core: the platform-neutral pipeline from article to alert."""

import os

# Extraction (spaCy) is single-threaded numpy work; OpenBLAS's helper thread only
# spins against it: about 15% more CPU per article on 2 cores (docs/benchmarks.md).
# Takes effect if bot is imported before numpy; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
