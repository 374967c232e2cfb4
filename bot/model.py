"""The small typed records that flow through the pipeline.

source -> Article -> Claim -> (story) -> Alert -> delivery. Every stage takes and
returns these; nothing here knows about the database or a chat platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


@dataclass(frozen=True)
class Article:
    """One article as read, before any analysis.

    `key` identifies it for deduplication and for the `trigger` of alerts: the
    file name for local files, the canonical URL otherwise.
    """

    key: str
    title: str
    text: str
    published: datetime
    outlet: str | None = None
    url: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class StoredArticle:
    """What the store keeps of an article to tell a repeat from an update."""

    id: int
    key: str
    content_hash: str
    story_id: int | None
    text: str


class ClaimKind(StrEnum):
    FIGURE = "figure"
    STATUS = "status"


@dataclass(frozen=True)
class Quantity:
    """A number as stated: `value` when exact or approximate, `low`/`high` for bounds.

    "more than 10,000" -> low=10000; "nearly 3,000" -> high=3000;
    "between 1,000 and 3,000" -> low=1000, high=3000; "about 12,000" -> value=12000
    with qualifier "about".
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    qualifier: str = "exact"
    unit: str | None = None


@dataclass(frozen=True)
class Metric:
    """What a figure counts: an event (`predicate`) applied to a kind of thing (`entity`).

    `group` narrows the entity ("north korean"); `scope` marks a part or a window
    ("per week", "officers") that makes a figure incomparable with the total.
    """

    predicate: str
    entity: str
    group: str | None = None
    scope: str | None = None

    @property
    def label(self) -> str:
        parts = [self.group.title() if self.group else None, self.entity, self.predicate]
        text = " ".join(p for p in parts if p)
        return f"{text} ({self.scope})" if self.scope else text


class ClaimStatus(StrEnum):
    """Where a claim stands inside its article."""

    CURRENT = "current"
    HISTORICAL = "historical"  # the article itself says it is an earlier figure
    BACKGROUND = "background"  # holds for a day well before the article: context, not news


@dataclass(frozen=True)
class Claim:
    """A figure or status claim, with who said it, when it holds and where it came from."""

    kind: ClaimKind
    metric: Metric
    sentence: str
    article_key: str
    published: datetime
    as_of: date
    position: int  # sentence index in the article, for text order
    quantity: Quantity | None = None  # figures
    status: str | None = None  # status claims: "captured", "dead", "missing", ...
    source: str | None = None  # as written: "South Korea's NIS"
    source_key: str | None = None  # normalised for matching: "kr" / "zelensky"
    standing: ClaimStatus = ClaimStatus.CURRENT
    id: int | None = None  # set once stored


class AlertKind(StrEnum):
    CONTRADICTION = "contradiction"
    FIGURE_UPDATE = "figure_update"
    STATUS_UPDATE = "status_update"


@dataclass(frozen=True)
class Alert:
    """One fact that changed: the known claim and the new one that disagrees with it."""

    kind: AlertKind
    story_id: int
    trigger: str  # article key of the article whose ingestion raised it
    old: Claim
    new: Claim
    id: int | None = None

    @property
    def metric(self) -> Metric:
        return self.new.metric


@dataclass(frozen=True)
class Story:
    """A developing event: the articles about it share entities and vocabulary."""

    id: int
    title: str
    terms: dict[str, float] = field(default_factory=dict)
    first_published: datetime | None = None
    last_published: datetime | None = None
    # the signature's Euclidean norm, computed once: every article is scored against
    # every active story (a thousand or more), and the norm is most of a score's cost
    norm: float = field(default=-1.0, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.norm < 0:
            object.__setattr__(self, "norm", math.hypot(*self.terms.values()))
