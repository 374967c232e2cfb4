"""Grouping articles into stories, so claims are only ever compared within one event.

An article's signature is its names (capitalised words inside sentences: places,
people, organisations) and its title's words. An article joins the story whose
signature it shares most, if the overlap is strong enough and the story was
active within the time window; otherwise it starts a story of its own.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timedelta

from bot.model import Article, Story

# A story can pause for weeks between news peaks (a mine rescue's drilling took 51
# days between the men found alive and the first brought up) and still be one story.
WINDOW = timedelta(days=90)
JOIN_THRESHOLD = 0.18
MAX_TERMS = 150

STOP_WORDS = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "his",
        "her",
        "their",
        "we",
        "our",
        "you",
        "your",
        "i",
        "mr",
        "mrs",
        "ms",
        "dr",
        "gov",
        "sen",
        "rep",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "said",
        "says",
        "say",
        "after",
        "before",
        "over",
        "under",
        "about",
        "into",
        "than",
        "more",
        "most",
        "new",
        "news",
        "live",
        "update",
        "updates",
        "breaking",
        "report",
        "reports",
        "official",
        "officials",
        "people",
        "one",
        "two",
        "three",
        "first",
        "last",
        "today",
        "yesterday",
        "week",
        "month",
        "year",
        "years",
        "day",
        "days",
        "time",
        "also",
        "just",
        "not",
        "no",
        "yes",
        "all",
        "any",
        "some",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def _norm(word: str) -> str:
    word = word.lower().replace("’", "'")
    word = re.sub(r"'s$", "", word)
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def signature(article: Article) -> dict[str, float]:
    """Weighted terms: names in the text, and every content word of the title (weight 2)."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(article.title):
        w = _norm(word)
        if w not in STOP_WORDS and len(w) > 2:
            counts[w] += 2
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", article.text):
        words = _WORD.findall(sentence)
        for word in words[1:]:
            if word[0].isupper() and not word.isupper() or (word.isupper() and len(word) > 2):
                w = _norm(word)
                if w not in STOP_WORDS and len(w) > 2:
                    counts[w] += 1
    return {w: 1 + math.log(c) for w, c in counts.most_common(MAX_TERMS)}


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two signatures. Called for every active story per article (hundreds),
    so the shared terms come from a C-level key intersection (a story sharing none
    costs one set operation) and the norms from math.hypot, not Python loops."""
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0
    dot = sum(a[k] * b[k] for k in shared)
    na, nb = math.hypot(*a.values()), math.hypot(*b.values())
    return dot / (na * nb) if na and nb else 0.0


def merge(story_terms: dict[str, float], article_terms: dict[str, float]) -> dict[str, float]:
    """The story's signature after it takes in an article (kept to its strongest terms)."""
    merged = dict(story_terms)
    for k, v in article_terms.items():
        merged[k] = merged.get(k, 0.0) + v
    top = sorted(merged.items(), key=lambda kv: -kv[1])[: MAX_TERMS * 2]
    return {k: round(v, 3) for k, v in top}


def best_story(
    terms: dict[str, float], published: datetime, candidates: list[Story]
) -> tuple[Story | None, float]:
    """The story this article belongs to, or None when it starts a new one."""
    best: tuple[Story | None, float] = (None, 0.0)
    keys, norm = terms.keys(), math.hypot(*terms.values())
    earliest, latest = published - WINDOW, published + WINDOW
    for story in candidates:
        if (
            story.last_published
            and story.first_published
            and not (story.first_published <= latest and story.last_published >= earliest)
        ):
            continue
        if keys.isdisjoint(story.terms) or not norm or not story.norm:
            continue
        score = sum(terms[k] * story.terms[k] for k in keys & story.terms.keys()) / (
            norm * story.norm
        )  # similarity(terms, story.terms), with both norms known
        if score > best[1]:
            best = (story, score)
    return best if best[1] >= JOIN_THRESHOLD else (None, best[1])
