"""The pipeline: one article in, its claims stored and any alerts raised, in one transaction.

source -> article -> claims (extraction) -> story (grouping) -> comparison -> alert
-> delivery queue. Extraction runs before the transaction opens, so database
locks are held only for the short read-compare-write step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal

from spacy.language import Language

from bot.claims import extract_claims, extract_claims_many
from bot.comparison import Finding, compare, predicates_to_load, settle_standing
from bot.delivery import route_alert
from bot.model import Alert, Article, Claim, ClaimKind, StoredArticle, Story
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


@dataclass(frozen=True)
class Incoming:
    """One article to ingest, and whose it is."""

    article: Article
    tenant: str = "local"
    source_id: int | None = None


@dataclass(frozen=True)
class Prepared:
    """An article read and analysed, ready for its transaction (`Pipeline.commit`)."""

    item: Incoming
    digest: str
    seen: StoredArticle | None = None  # the stored article with its key, GUID or text
    claims: list[Claim] | None = None  # None: nothing to store (a duplicate, or deferred)
    deferred: bool = False  # shares an identity with an earlier article of its batch
    error: Exception | None = None  # extraction failed on this article

    @property
    def duplicate(self) -> bool:
        seen, digest = self.seen, self.digest
        return seen is not None and (
            seen.content_hash == digest or seen.key != self.item.article.key
        )


class Pipeline:
    """Extraction -> story -> comparison -> alert, over a Store.

    `ingest` is idempotent: an article seen before (same key, GUID or text) is a
    duplicate; one whose text changed under the same key or GUID is re-checked and
    only its new paragraphs can raise alerts.

    `prepare` then `commit` split it in two so that many articles (those of the
    polls that finish together) share one extraction pass, while each is still stored in a transaction
    of its own, in order.
    """

    def __init__(self, store, nlp: Language | None = None) -> None:  # store: store.Store
        self.store = store
        self.nlp = nlp

    def ingest(
        self, article: Article, tenant: str = "local", source_id: int | None = None
    ) -> IngestResult:
        [result] = self.ingest_many([Incoming(article, tenant, source_id)])
        return result

    def ingest_many(self, items: Sequence[Incoming]) -> list[IngestResult]:
        """`ingest` for each, in order; raises at the first failure, keeping what came before."""
        return [self.commit(p) for p in self.prepare(items)]

    def prepare(self, items: Sequence[Incoming]) -> list[Prepared]:
        """Look each article up, then extract the claims of the new ones in one pass.

        Read-only. An article sharing its key, GUID or text with an earlier one of
        the batch is deferred: only after that one is stored can it be told apart.
        """
        prepared: list[Prepared] = []
        identities: set[tuple[str, str]] = set()
        with self.store.session() as tx:
            for item in items:
                a = item.article
                digest = content_hash(a.text)
                mine = {
                    (item.tenant, f"{kind}:{v}")
                    for kind, v in (("k", a.key), ("g", a.guid), ("h", digest))
                    if v
                }
                if mine & identities:
                    prepared.append(Prepared(item, digest, deferred=True))
                    continue
                identities |= mine
                seen = tx.find_article(item.tenant, key=a.key, guid=a.guid, content_hash=digest)
                prepared.append(Prepared(item, digest, seen))
        todo = [i for i, p in enumerate(prepared) if not p.deferred and not p.duplicate]
        if not todo:  # all seen before: most polls of syndicated feeds
            return prepared
        analysed = [self._analysed(prepared[i]) for i in todo]
        try:
            found = extract_claims_many(analysed, self.nlp)
        except Exception:  # one article breaks the batch: find which, spare the others
            found = []
            for i, article in zip(todo, analysed, strict=True):
                try:
                    found.append(extract_claims(article, self.nlp))
                except Exception as exc:
                    prepared[i] = replace(prepared[i], error=exc)
                    found.append([])
        for i, claims in zip(todo, found, strict=True):
            prepared[i] = replace(prepared[i], claims=settle_standing(claims))
        return prepared

    @staticmethod
    def _analysed(p: Prepared) -> Article:
        article = p.item.article
        if p.seen is None:
            return article
        # same page, new text: only what is new may alert
        return replace(article, title="", text=new_paragraphs(p.seen.text, article.text))

    def commit(self, p: Prepared) -> IngestResult:
        """Store one prepared article, its claims and its alerts in one transaction."""
        if p.error is not None:
            raise p.error
        if p.deferred:
            [p] = self.prepare([p.item])
            return self.commit(p)
        article, tenant, seen = p.item.article, p.item.tenant, p.seen
        if p.duplicate:
            assert seen is not None
            return IngestResult(article.key, "duplicate", seen.story_id)
        assert p.claims is not None
        claims = p.claims
        terms = signature(article)
        with self.store.session() as tx:
            if seen is not None:
                story = tx.get_story(seen.story_id) if seen.story_id else None
                article_id = seen.id
                tx.update_article_text(seen.id, article.text, p.digest)
            else:
                story = self._story_for(tx, tenant, article, terms)
                if story is None:
                    story = tx.create_story(tenant, article.title, terms, article.published)
                else:
                    tx.update_story(story.id, merge(story.terms, terms), article.published)
                article_id = tx.add_article(tenant, article, p.digest, story.id, p.item.source_id)
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
