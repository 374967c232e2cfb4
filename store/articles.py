"""Queries on articles, stories, claims and alerts: what the pipeline reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.model import (
    Alert,
    AlertKind,
    Article,
    Claim,
    ClaimKind,
    ClaimStatus,
    Metric,
    Quantity,
    StoredArticle,
    Story,
)
from bot.stories import ActiveStories, StoryIndex
from store.tables import AlertRow, ArticleRow, ClaimRow, StoryClockRow, StoryRow
from store.tables import aware as _aware


def claim_columns(c: Claim) -> dict:
    """A claim's own columns (all but tenant, story and article)."""
    q = c.quantity
    return {
        "article_key": c.article_key,
        "kind": c.kind.value,
        "predicate": c.metric.predicate,
        "entity": c.metric.entity,
        "grp": c.metric.group,
        "scope": c.metric.scope,
        "value": q.value if q else None,
        "low": q.low if q else None,
        "high": q.high if q else None,
        "qualifier": q.qualifier if q else None,
        "unit": q.unit if q else None,
        "status": c.status,
        "source": c.source,
        "source_key": c.source_key,
        "as_of": c.as_of,
        "published": c.published,
        "sentence": c.sentence,
        "position": c.position,
        "standing": c.standing.value,
    }


def claim_from_row(row: ClaimRow | Row) -> Claim:
    """A claim from its ORM row or a plain row of the claims table."""
    quantity = None
    if row.kind == ClaimKind.FIGURE:
        quantity = Quantity(
            value=row.value,
            low=row.low,
            high=row.high,
            qualifier=row.qualifier or "exact",
            unit=row.unit,
        )
    return Claim(
        kind=ClaimKind(row.kind),
        metric=Metric(row.predicate, row.entity, row.grp, row.scope),
        sentence=row.sentence,
        article_key=row.article_key,
        published=_aware(row.published),
        as_of=row.as_of,
        position=row.position,
        quantity=quantity,
        status=row.status,
        source=row.source,
        source_key=row.source_key,
        standing=ClaimStatus(row.standing),
        id=row.id,
    )


def _story(row: StoryRow) -> Story:
    return Story(
        id=row.id,
        title=row.title,
        terms=dict(row.terms or {}),
        first_published=_aware(row.first_published),
        last_published=_aware(row.last_published),
    )


_STORED_ARTICLE = (
    ArticleRow.id,
    ArticleRow.key,
    ArticleRow.content_hash,
    ArticleRow.story_id,
    ArticleRow.text,
)


@dataclass
class _TenantWindow:
    seq: int  # every story change up to this clock number is in the cache
    floor: datetime  # ... and every story active since then
    published: dict[int, datetime]  # those stories: id -> last published


class StoryCache:
    """Decoded story signatures kept between transactions, kept current by the story clock.

    Grouping needs every story active in the last weeks for each article; reading
    even their (id, revision) grew with the store (1,900 rows at a million claims).
    Every story write stamps the story with its tenant's next clock number (see
    StoryClockRow), in commit order, so per article only the stories stamped since
    the last read come back: usually the one story the previous article joined,
    whichever process wrote it. A failed transaction empties the cache (see
    Store.session): what it read after its own writes never happened.
    """

    # Kept beyond the window: articles do not arrive in publication order (a feed's
    # backlog, a replayed story), and each step back past the cache reloads it whole
    # (0.3 s at a million claims). Every story kept is also scored, so not much more.
    SLACK = timedelta(days=45)

    def __init__(self, limit: int = 20_000) -> None:
        self.tenants: dict[str, _TenantWindow] = {}
        self.index = StoryIndex()
        self.limit = limit

    def clear(self) -> None:
        self.tenants.clear()
        self.index = StoryIndex()


class ArticleQueries:
    s: Session
    story_cache: StoryCache | None = None

    # -- articles -----------------------------------------------------------
    def find_article(
        self,
        tenant: str,
        *,
        key: str | None = None,
        guid: str | None = None,
        content_hash: str | None = None,
    ) -> StoredArticle | None:
        """The article already seen under this key, GUID or exact text (in that order), if any.

        One indexed lookup per identifier: a single `tenant = ? AND (a OR b OR c)`
        made SQLite walk every article of the tenant (only the `tenant` prefix of
        an index was usable), which dominated ingest at a million claims.
        """
        for column, value in (
            (ArticleRow.key, key),
            (ArticleRow.guid, guid),
            (ArticleRow.content_hash, content_hash),
        ):
            if not value:
                continue
            row = self.s.execute(
                select(*_STORED_ARTICLE)
                .where(ArticleRow.tenant == tenant, column == value)
                .limit(1)
            ).first()
            if row is not None:
                return StoredArticle(*row)
        return None

    def add_article(
        self,
        tenant: str,
        article: Article,
        content_hash: str,
        story_id: int | None,
        source_id: int | None = None,
    ) -> int:
        row = ArticleRow(
            tenant=tenant,
            key=article.key,
            url=article.url,
            guid=article.guid,
            title=article.title,
            outlet=article.outlet,
            published=article.published,
            text=article.text,
            content_hash=content_hash,
            story_id=story_id,
            source_id=source_id,
            ingested_at=datetime.now(UTC),
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def update_article_text(self, article_id: int, text: str, content_hash: str) -> None:
        row = self.s.get(ArticleRow, article_id)
        if row is not None:
            row.text, row.content_hash = text, content_hash

    def count_articles(self, tenant: str) -> int:
        return (
            self.s.scalar(
                select(func.count()).select_from(ArticleRow).where(ArticleRow.tenant == tenant)
            )
            or 0
        )

    # -- stories ------------------------------------------------------------
    def active_stories(self, tenant: str, since: datetime) -> ActiveStories:
        """Stories active since `since`; from the store's cache, brought up to date."""
        cache: StoryCache | None = getattr(self, "story_cache", None)
        if cache is None:
            rows = self.s.scalars(
                select(StoryRow).where(StoryRow.tenant == tenant, StoryRow.last_published >= since)
            )
            return ActiveStories(StoryIndex(_story(r) for r in rows))
        window = cache.tenants.get(tenant)
        if window is None or since < window.floor or len(cache.index.stories) > cache.limit:
            if len(cache.index.stories) > cache.limit:
                cache.clear()
            for sid in window.published if window else ():
                cache.index.discard(sid)
            floor = since - StoryCache.SLACK
            # the clock first: a story written in between is read again next time
            clock = self.s.scalar(select(StoryClockRow.seq).where(StoryClockRow.tenant == tenant))
            window = cache.tenants[tenant] = _TenantWindow(clock or 0, floor, {})
            changed = select(StoryRow).where(
                StoryRow.tenant == tenant, StoryRow.last_published >= floor
            )
        else:
            changed = select(StoryRow).where(StoryRow.tenant == tenant, StoryRow.seq > window.seq)
        for row in self.s.scalars(changed):
            story = _story(row)
            window.seq = max(window.seq, row.seq)
            if story.last_published >= window.floor:
                cache.index.add(story)
                window.published[story.id] = story.last_published
        if since - window.floor > StoryCache.SLACK + timedelta(days=1):  # once a day at most
            window.floor = since - StoryCache.SLACK
            for sid in [sid for sid, last in window.published.items() if last < window.floor]:
                del window.published[sid]
                cache.index.discard(sid)
        return ActiveStories(cache.index, window.published.keys(), since)

    def stories(self, tenant: str) -> list[Story]:
        rows = self.s.scalars(
            select(StoryRow).where(StoryRow.tenant == tenant).order_by(StoryRow.id)
        )
        return [_story(r) for r in rows]

    def _next_story_seq(self, tenant: str) -> int:
        """Take the tenant's next story clock number; its row stays locked until commit."""
        clocks = StoryClockRow.__table__
        upsert = pg_insert if self.s.get_bind().dialect.name == "postgresql" else sqlite_insert
        take = (
            upsert(clocks)
            .values(tenant=tenant, seq=1)
            .on_conflict_do_update(index_elements=[clocks.c.tenant], set_={"seq": clocks.c.seq + 1})
            .returning(clocks.c.seq)
        )
        return self.s.execute(take).scalar_one()

    def get_story(self, story_id: int) -> Story | None:
        row = self.s.get(StoryRow, story_id)
        return _story(row) if row else None

    def create_story(
        self, tenant: str, title: str, terms: dict[str, float], published: datetime
    ) -> Story:
        row = StoryRow(
            tenant=tenant,
            seq=self._next_story_seq(tenant),
            title=title,
            terms=terms,
            first_published=published,
            last_published=published,
        )
        self.s.add(row)
        self.s.flush()
        return _story(row)

    def update_story(self, story_id: int, terms: dict[str, float], published: datetime) -> None:
        row = self.s.get(StoryRow, story_id)
        if row is None:
            return
        row.seq = self._next_story_seq(tenant=row.tenant)  # cached signatures are stale
        row.terms = terms
        row.last_published = max(_aware(row.last_published), published)
        row.first_published = min(_aware(row.first_published), published)

    # -- claims -------------------------------------------------------------
    def add_claims(
        self, tenant: str, story_id: int, article_id: int, claims: list[Claim]
    ) -> list[Claim]:
        """Store the claims and return them with their ids."""
        rows = [
            ClaimRow(tenant=tenant, story_id=story_id, article_id=article_id, **claim_columns(c))
            for c in claims
        ]
        self.s.add_all(rows)
        self.s.flush()
        return [replace(c, id=r.id) for c, r in zip(claims, rows, strict=True)]

    def known_claims(self, story_id: int, kind: ClaimKind, predicates: set[str]) -> list[Claim]:
        """Claims of one story about these events: the index keeps this off a scan."""
        if not predicates:
            return []
        # Plain rows, not ORM objects: read once per article, never changed here.
        rows = self.s.execute(
            select(*ClaimRow.__table__.c).where(
                ClaimRow.story_id == story_id,
                ClaimRow.kind == kind.value,
                ClaimRow.predicate.in_(sorted(predicates)),
            )
        )
        return [claim_from_row(r) for r in rows]

    def story_claims(self, story_id: int) -> list[Claim]:
        rows = self.s.scalars(
            select(ClaimRow).where(ClaimRow.story_id == story_id).order_by(ClaimRow.id)
        )
        return [claim_from_row(r) for r in rows]

    def tenant_claims(self, tenant: str) -> list[tuple[int, Claim]]:
        """(story id, claim) for every claim of a tenant, for the /claims command."""
        rows = self.s.scalars(
            select(ClaimRow).where(ClaimRow.tenant == tenant).order_by(ClaimRow.id)
        )
        return [(r.story_id, claim_from_row(r)) for r in rows]

    def count_claims(self, tenant: str | None = None) -> int:
        q = select(func.count()).select_from(ClaimRow)
        if tenant is not None:
            q = q.where(ClaimRow.tenant == tenant)
        return self.s.scalar(q) or 0

    # -- alerts -------------------------------------------------------------
    def add_alert(self, tenant: str, alert: Alert) -> Alert:
        assert alert.old.id is not None and alert.new.id is not None, "store claims first"
        row = AlertRow(
            tenant=tenant,
            story_id=alert.story_id,
            kind=alert.kind.value,
            trigger=alert.trigger,
            metric=alert.metric.label,
            old_claim_id=alert.old.id,
            new_claim_id=alert.new.id,
            created_at=datetime.now(UTC),
        )
        self.s.add(row)
        self.s.flush()
        return replace(alert, id=row.id)

    def alerts(self, tenant: str, story_id: int | None = None) -> list[Alert]:
        old, new = aliased(ClaimRow), aliased(ClaimRow)
        q = (
            select(AlertRow, old, new)
            .join(old, AlertRow.old_claim_id == old.id)
            .join(new, AlertRow.new_claim_id == new.id)
            .where(AlertRow.tenant == tenant)
            .order_by(AlertRow.id)
        )
        if story_id is not None:
            q = q.where(AlertRow.story_id == story_id)
        return [
            Alert(
                kind=AlertKind(a.kind),
                story_id=a.story_id,
                trigger=a.trigger,
                old=claim_from_row(o),
                new=claim_from_row(n),
                id=a.id,
            )
            for a, o, n in self.s.execute(q)
        ]

    def get_alert(self, alert_id: int) -> Alert | None:
        old, new = aliased(ClaimRow), aliased(ClaimRow)
        q = (
            select(AlertRow, old, new)
            .join(old, AlertRow.old_claim_id == old.id)
            .join(new, AlertRow.new_claim_id == new.id)
            .where(AlertRow.id == alert_id)
        )
        row = self.s.execute(q).first()
        if row is None:
            return None
        a, o, n = row
        return Alert(
            AlertKind(a.kind), a.story_id, a.trigger, claim_from_row(o), claim_from_row(n), a.id
        )
