"""The pipeline: one article in, its claims stored and any alerts raised, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.model import Alert, Article, Claim


@dataclass(frozen=True)
class IngestResult:
    article_key: str
    outcome: Literal["new", "updated", "duplicate"]
    story_id: int | None = None
    claims: list[Claim] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


class Pipeline:
    """Extraction -> story -> comparison -> alert, over a Store.

    `ingest` is idempotent: an article seen before (same key, GUID or text) is a
    duplicate; one whose text changed is re-checked and only its new sentences
    can raise alerts.
    """

    def __init__(self, store) -> None:  # store: store.Store
        self.store = store

    def ingest(
        self, article: Article, tenant: str = "local", source_id: int | None = None
    ) -> IngestResult:
        raise NotImplementedError  # being written in the core-engine work

    def check(self, article: Article, tenant: str = "local") -> IngestResult:
        """Extraction and comparison without storing anything (`/claims check URL`)."""
        raise NotImplementedError
