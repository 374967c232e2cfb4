"""What figures count: the lexicon of events and entities, and matching by meaning."""

from __future__ import annotations

from bot.model import Metric


def matches_query(metric: Metric, query: str) -> bool:
    """Whether a user's query ("casualties", "prisoners") names this metric.

    Provisional: plain word overlap. The core-engine work replaces it with
    matching by meaning (synonyms of events and entities).
    """
    words = {w for w in query.lower().split() if w}
    label = metric.label.lower()
    return any(w in label for w in words)
