"""The pipeline: one article in, its claims stored and any alerts raised, in one transaction.

source -> article -> claims (extraction) -> story (grouping) -> comparison -> alert
-> delivery queue. Extraction runs before the transaction opens, so database
locks are held only for the short read-compare-write step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from spacy.language import Language

from bot.claims import extract_claims
from bot.comparison import Finding, compare, predicates_to_load, settle_standing
from bot.delivery import route_alert
from bot.model import Alert, Article, Claim, ClaimKind, Story
from bot.reading import content_hash
from bot.stories import WINDOW, merge, signature


@dataclass(frozen=True)
class IngestResult:
    article_key: str
    outcome: Literal["new", "updated", "duplicate"]
    story_id: int | None = None
    claims: list[Claim] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def new_paragraphs(old_text: str, new_text: str) -> str:
    """The paragraphs of an updated page that were not there before (a live blog's new entries)."""
    seen = {p.strip() for p in old_text.split("\n") if p.strip()}
    return "\n".join(p for p in new_text.split("\n") if p.strip() and p.strip() not in seen)


class Pipeline:
    """Extraction -> story -> comparison -> alert, over a Store.

    `ingest` is idempotent: an article seen before (same key, GUID or text) is a
    duplicate; one whose text changed under the same key or GUID is re-checked and
    only its new paragraphs can raise alerts.
    """

    def __init__(self, store, nlp: Language | None = None) -> None:  # store: store.Store
        self.store = store
        self.nlp = nlp

    def ingest(
        self, article: Article, tenant: str = "local", source_id: int | None = None
    ) -> IngestResult:
        digest = content_hash(article.text)
        with self.store.session() as tx:
            seen = tx.find_article(tenant, key=article.key, guid=article.guid, content_hash=digest)
        if seen is not None and (seen.content_hash == digest or seen.key != article.key):
            return IngestResult(article.key, "duplicate", seen.story_id)
        analysed = article
        if seen is not None:  # same page, new text: only what is new may alert
            analysed = replace(article, title="", text=new_paragraphs(seen.text, article.text))
        claims = settle_standing(extract_claims(analysed, self.nlp))
        terms = signature(article)
        with self.store.session() as tx:
            if seen is not None:
                story = tx.get_story(seen.story_id) if seen.story_id else None
                article_id = seen.id
                tx.update_article_text(seen.id, article.text, digest)
            else:
                story = self._story_for(tx, tenant, article, terms)
                if story is None:
                    story = tx.create_story(tenant, article.title, terms, article.published)
                else:
                    tx.update_story(story.id, merge(story.terms, terms), article.published)
                article_id = tx.add_article(tenant, article, digest, story.id, source_id)
            if story is None:  # an updated article whose story is gone
                story = tx.create_story(tenant, article.title, terms, article.published)
            findings = self._compare(tx, story.id, claims)
            stored = tx.add_claims(tenant, story.id, article_id, claims)
            by_identity = {id(c): s for c, s in zip(claims, stored, strict=True)}
            alerts = []
            for f in findings:
                alert = tx.add_alert(
                    tenant,
                    Alert(
                        f.kind,
                        story.id,
                        article.key,
                        old=by_identity.get(id(f.old), f.old),  # two sources of one article
                        new=by_identity[id(f.new)],
                    ),
                )
                route_alert(tx, tenant, alert)
                alerts.append(alert)
        outcome: Literal["new", "updated"] = "updated" if seen is not None else "new"
        return IngestResult(article.key, outcome, story.id, stored, alerts)

    def check(self, article: Article, tenant: str = "local") -> IngestResult:
        """Extraction and comparison without storing anything (`/claims check URL`)."""
        claims = settle_standing(extract_claims(article, self.nlp))
        terms = signature(article)
        with self.store.session() as tx:
            story = self._story_for(tx, tenant, article, terms)
            if story is None:
                return IngestResult(article.key, "new", None, claims, [])
            findings = self._compare(tx, story.id, claims)
        alerts = [Alert(f.kind, story.id, article.key, f.old, f.new) for f in findings]
        return IngestResult(article.key, "new", story.id, claims, alerts)

    @staticmethod
    def _story_for(tx, tenant: str, article: Article, terms: dict[str, float]) -> Story | None:
        active = tx.active_stories(tenant, article.published - WINDOW - timedelta(days=1))
        story, _score = active.best(terms, article.published)
        return story

    @staticmethod
    def _compare(tx, story_id: int, claims: list[Claim]) -> list[Finding]:
        known = tx.known_claims(story_id, ClaimKind.FIGURE, predicates_to_load(claims))
        if any(c.kind == ClaimKind.STATUS for c in claims):
            known += tx.known_claims(story_id, ClaimKind.STATUS, {"status"})
        return compare(claims, known)
