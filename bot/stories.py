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
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
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


def merge(story_terms: dict[str, float], article_terms: dict[str, float]) -> dict[str, float]:
    """The story's signature after it takes in an article (kept to its strongest terms)."""
    merged = dict(story_terms)
    for k, v in article_terms.items():
        merged[k] = merged.get(k, 0.0) + v
    top = sorted(merged.items(), key=lambda kv: -kv[1])[: MAX_TERMS * 2]
    return {k: round(v, 3) for k, v in top}


class StoryIndex:
    """Story signatures inverted by term, so scoring an article touches only the
    stories that share a term with it, once per shared term.

    At a million stored claims about 1,900 stories are active; testing each one
    for overlap cost more than the rest of grouping. Kept between articles by the
    store (see store.articles.StoryCache), which adds a story again when it changes.
    """

    def __init__(self, stories: Iterable[Story] = ()) -> None:
        self.stories: dict[int, Story] = {}
        self._postings: dict[str, dict[int, float]] = {}
        for story in stories:
            self.add(story)

    def add(self, story: Story) -> None:
        """Index a story, replacing the version of it indexed before."""
        self.discard(story.id)
        self.stories[story.id] = story
        for term, weight in story.terms.items():
            self._postings.setdefault(term, {})[story.id] = weight

    def discard(self, story_id: int) -> None:
        story = self.stories.pop(story_id, None)
        if story is None:
            return
        for term in story.terms:
            posting = self._postings[term]
            del posting[story_id]
            if not posting:
                del self._postings[term]

    def best(
        self,
        terms: dict[str, float],
        published: datetime,
        among: Collection[int] | None = None,
        since: datetime | None = None,
    ) -> tuple[Story | None, float]:
        """The story this article belongs to, or None when it starts a new one.

        Only stories in `among` (all indexed ones when None) that were active within
        WINDOW of `published` count. Equal scores go to the older story (lower id).
        """
        norm = math.hypot(*terms.values())
        if not norm:
            return None, 0.0
        dots: dict[int, float] = {}
        for term, weight in terms.items():
            for story_id, story_weight in self._postings.get(term, {}).items():
                dots[story_id] = dots.get(story_id, 0.0) + weight * story_weight
        earliest, latest = published - WINDOW, published + WINDOW
        best: Story | None = None
        best_score = 0.0
        for story_id, dot in dots.items():
            if among is not None and story_id not in among:
                continue
            story = self.stories[story_id]
            if since and story.last_published and story.last_published < since:
                continue
            if (
                story.first_published
                and story.last_published
                and not (story.first_published <= latest and story.last_published >= earliest)
            ) or not story.norm:
                continue
            score = dot / (norm * story.norm)
            if score > best_score or (score == best_score and best and story_id < best.id):
                best, best_score = story, score
        return (best, best_score) if best_score >= JOIN_THRESHOLD else (None, best_score)


@dataclass(frozen=True)
class ActiveStories:
    """The stories an article may join: an index, and which of its stories are in play."""

    index: StoryIndex
    ids: Collection[int] | None = None  # None: every indexed story
    since: datetime | None = None  # of those, only the ones active since then

    def best(self, terms: dict[str, float], published: datetime) -> tuple[Story | None, float]:
        return self.index.best(terms, published, self.ids, self.since)

    def __iter__(self) -> Iterator[Story]:
        ids = self.index.stories.keys() if self.ids is None else self.ids
        stories = (self.index.stories[i] for i in ids)
        since = self.since
        return (
            s for s in stories if not since or not s.last_published or s.last_published >= since
        )


def best_story(
    terms: dict[str, float], published: datetime, candidates: Iterable[Story]
) -> tuple[Story | None, float]:
    """The story among `candidates` this article belongs to, or None (see StoryIndex.best)."""
    return StoryIndex(candidates).best(terms, published)
