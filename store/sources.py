"""Queries on watched sources (feeds and pages): schedule, leases, health.

The `sources` table is the schedule; the process's scheduler only ticks. A
worker claims due rows with one compare-and-set UPDATE ... RETURNING, so two
workers (or a worker restarted while its old lease is live) never poll the same
source at once, and a crashed worker's lease simply runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from store.tables import ArticleRow, SourceRow
from store.tables import aware as _aware


class DuplicateSource(ValueError):
    """The team already watches this URL."""


@dataclass(frozen=True)
class SourceRecord:
    id: int
    tenant: str
    url: str
    kind: str  # "feed" | "page"
    name: str | None
    every_seconds: int
    paused: bool
    healthy: bool
    failures: int
    last_error: str | None
    last_ok: datetime | None
    next_due: datetime
    etag: str | None = None
    last_modified: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    created_by: str | None = None
    articles: int = 0  # how many articles it brought in (filled by list_sources)


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _record(row: SourceRow, articles: int = 0) -> SourceRecord:
    return SourceRecord(
        id=row.id,
        tenant=row.tenant,
        url=row.url,
        kind=row.kind,
        name=row.name,
        every_seconds=row.every_seconds,
        paused=row.paused,
        healthy=row.healthy,
        failures=row.failures,
        last_error=row.last_error,
        last_ok=_aware(row.last_ok),
        next_due=_aware(row.next_due),
        etag=row.etag,
        last_modified=row.last_modified,
        lease_owner=row.lease_owner,
        lease_until=_aware(row.lease_until),
        created_by=row.created_by,
        articles=articles,
    )


class SourceQueries:
    s: Session

    # -- the team's list ------------------------------------------------------
    def add_source(
        self,
        tenant: str,
        url: str,
        kind: str,
        *,
        every_seconds: int,
        now: datetime,
        name: str | None = None,
        created_by: str | None = None,
    ) -> SourceRecord:
        """Watch `url` for `tenant`, due at once so the first poll comes on the next tick."""
        if self.find_source(tenant, url) is not None:
            raise DuplicateSource(f"already watching {url}")
        row = SourceRow(
            tenant=tenant,
            url=url,
            kind=kind,
            name=name,
            every_seconds=every_seconds,
            paused=False,
            next_due=_utc(now),
            failures=0,
            healthy=True,
            created_by=created_by,
            created_at=_utc(now),
        )
        self.s.add(row)
        self.s.flush()
        return _record(row)

    def find_source(self, tenant: str, ref: str | int) -> SourceRecord | None:
        """By id ("3" or 3) or by URL, within one team only."""
        q = select(SourceRow).where(SourceRow.tenant == tenant)
        if isinstance(ref, int) or str(ref).isdigit():
            q = q.where(SourceRow.id == int(ref))
        else:
            q = q.where(SourceRow.url == str(ref))
        row = self.s.scalars(q).first()
        return _record(row) if row else None

    def get_source(self, source_id: int) -> SourceRecord | None:
        row = self.s.get(SourceRow, source_id)
        return _record(row) if row else None

    def list_sources(self, tenant: str) -> list[SourceRecord]:
        counts = (
            select(ArticleRow.source_id, func.count().label("n"))
            .where(ArticleRow.tenant == tenant)
            .group_by(ArticleRow.source_id)
            .subquery()
        )
        rows = self.s.execute(
            select(SourceRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.source_id == SourceRow.id)
            .where(SourceRow.tenant == tenant)
            .order_by(SourceRow.id)
        )
        return [_record(row, n) for row, n in rows]

    def remove_source(self, tenant: str, source_id: int) -> bool:
        """Stop watching; articles it brought in stay (their `source_id` becomes NULL)."""
        row = self.s.get(SourceRow, source_id)
        if row is None or row.tenant != tenant:
            return False
        self.s.execute(
            update(ArticleRow).where(ArticleRow.source_id == source_id).values(source_id=None)
        )
        self.s.delete(row)
        self.s.flush()
        return True

    def set_source_paused(
        self, tenant: str, source_id: int, paused: bool, now: datetime
    ) -> SourceRecord | None:
        """Pause or resume; resuming makes it due at once and gives it a fresh start."""
        row = self.s.get(SourceRow, source_id)
        if row is None or row.tenant != tenant:
            return None
        row.paused = paused
        if not paused:
            row.next_due = _utc(now)
            row.failures = 0
            row.healthy = True
        self.s.flush()
        return _record(row)

    # -- polling --------------------------------------------------------------
    def lease_due(
        self, owner: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[SourceRecord]:
        """Claim up to `limit` due, unpaused, unleased sources for `owner`, in one statement.

        The inner SELECT picks candidates (skipping rows another transaction has
        locked, on PostgreSQL); the outer WHERE re-checks the lease, so a row two
        workers both picked goes to only one of them.
        """
        now = _utc(now)
        free = or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now)
        due = (
            select(SourceRow.id)
            .where(SourceRow.paused.is_(False), SourceRow.next_due <= now, free)
            .order_by(SourceRow.next_due, SourceRow.id)
            .limit(limit)
        )
        if self.s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(SourceRow)
            .where(SourceRow.id.in_(due.scalar_subquery()), free)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            .returning(SourceRow)
            .execution_options(synchronize_session=False)
        )
        rows = list(self.s.scalars(stmt))
        return sorted((_record(r) for r in rows), key=lambda r: (r.next_due, r.id))

    def _leased(self, source_id: int, owner: str) -> SourceRow | None:
        row = self.s.get(SourceRow, source_id)
        if row is None or row.lease_owner != owner:
            return None  # removed meanwhile, or our lease ran out and someone else has it
        return row

    def record_success(
        self,
        source_id: int,
        owner: str,
        *,
        now: datetime,
        next_due: datetime,
        etag: str | None,
        last_modified: str | None,
        kind: str | None = None,
    ) -> bool:
        """The poll worked: store the validators, clear errors, release the lease.

        Called only after every new article was ingested, so a crash before this
        point re-fetches without `If-None-Match` and loses nothing.
        """
        row = self._leased(source_id, owner)
        if row is None:
            return False
        row.etag, row.last_modified = etag, last_modified
        if kind:
            row.kind = kind
        row.failures = 0
        row.last_error = None
        row.healthy = True
        row.last_ok = _utc(now)
        row.next_due = _utc(next_due)
        row.lease_owner = row.lease_until = None
        self.s.flush()
        return True

    def record_failure(
        self,
        source_id: int,
        owner: str,
        *,
        error: str,
        next_due: datetime,
        unhealthy_after: int,
    ) -> SourceRecord | None:
        """Count a failure, keep its message, push `next_due` back; never drop the source."""
        row = self._leased(source_id, owner)
        if row is None:
            return None
        row.failures += 1
        row.last_error = error[:2000]
        row.healthy = row.failures < unhealthy_after
        row.next_due = _utc(next_due)
        row.lease_owner = row.lease_until = None
        self.s.flush()
        return _record(row)

    def release_source(self, source_id: int, owner: str) -> bool:
        """Give a lease back unchanged (shutting down mid-poll): due again at once."""
        row = self._leased(source_id, owner)
        if row is None:
            return False
        row.lease_owner = row.lease_until = None
        self.s.flush()
        return True
