"""Matching what people ask for ("casualties", "prisoners") to the metrics claims are about.

A query word that names an event ("casualties", "troops", "prisoners") selects the
event classes it means (bot.lexicon.QUERY_SYNONYMS); other words must appear in the
metric's label or name its entity ("soldiers", "buildings"). Every word of the
query has to be satisfied.
"""

from __future__ import annotations

import re

from bot.lexicon import ENTITY_WORDS, EVENT_WORDS, QUERY_SYNONYMS, STATUS_STAGE
from bot.model import Claim, ClaimKind, Metric

_IGNORED = {"the", "of", "a", "an", "and", "in", "on", "for", "about", "how", "many", "number"}


def _words(query: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", query.lower()) if w not in _IGNORED]


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _event_classes(word: str) -> set[str] | None:
    """The event classes a query word names, if it names any."""
    for w in (word, _singular(word)):
        if w in QUERY_SYNONYMS:
            return QUERY_SYNONYMS[w]
        if w in EVENT_WORDS:
            return {EVENT_WORDS[w]}
    return None


def _word_matches(word: str, metric: Metric, status: str | None) -> bool:
    classes = _event_classes(word)
    if classes is not None:
        if metric.predicate in classes:
            return True
        # a status claim answers for its entity: "captured" finds the captured soldier,
        # and what became of him afterwards
        return (
            metric.predicate == "status"
            and status is not None
            and (status in classes or "captured" in classes and STATUS_STAGE.get(status, -1) >= 1)
        )
    label = metric.label.lower()
    if word in label or _singular(word) in label:
        return True
    return ENTITY_WORDS.get(_singular(word)) in metric.entity.split(" and ")  # a mix of kinds


def matches_query(metric: Metric, query: str) -> bool:
    """Whether a user's query names this metric (by meaning, not only by letters)."""
    words = _words(query)
    return bool(words) and all(_word_matches(w, metric, None) for w in words)


def matches_claim(claim: Claim, query: str) -> bool:
    """Like `matches_query`, and a status claim also matches by its status."""
    words = _words(query)
    status = claim.status if claim.kind == ClaimKind.STATUS else None
    return bool(words) and all(_word_matches(w, claim.metric, status) for w in words)
