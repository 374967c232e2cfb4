"""Queries on channels, mutes and the durable delivery queue.

A delivery is leased with one compare-and-set UPDATE ... RETURNING (FOR UPDATE
SKIP LOCKED on PostgreSQL), so two workers never hold the same row, and it is
marked sent only by the worker holding the lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from store.tables import ArticleRow, ChannelRow, DeliveryRow, MuteRow
from store.tables import aware as _aware


@dataclass(frozen=True)
class ChannelInfo:
    """A channel that receives a tenant's alerts, as `/alerts here` set it up."""

    id: int
    tenant: str
    platform: str
    channel: str
    filter: str | None
    enabled: bool
    read_links: bool


@dataclass(frozen=True)
class DeliveryJob:
    """A leased delivery with what the worker needs to send it."""

    id: int
    alert_id: int
    channel_id: int
    tenant: str
    platform: str
    channel: str
    thread_key: str
    attempts: int


@dataclass(frozen=True)
class DeliveryInfo:
    """A delivery's state, for tests and for answering "why wasn't this delivered"."""

    id: int
    alert_id: int
    channel_id: int
    thread_key: str
    state: str
    attempts: int
    next_attempt: datetime
    message_ref: str | None
    thread_ref: str | None
    last_error: str | None


def _channel(row: ChannelRow) -> ChannelInfo:
    return ChannelInfo(
        row.id, row.tenant, row.platform, row.channel, row.filter, row.enabled, row.read_links
    )


def _delivery(row: DeliveryRow) -> DeliveryInfo:
    return DeliveryInfo(
        id=row.id,
        alert_id=row.alert_id,
        channel_id=row.channel_id,
        thread_key=row.thread_key,
        state=row.state,
        attempts=row.attempts,
        next_attempt=_aware(row.next_attempt),
        message_ref=row.message_ref,
        thread_ref=row.thread_ref,
        last_error=row.last_error,
    )


class DeliveryQueries:
    s: Session

    # -- channels -----------------------------------------------------------
    def set_channel(
        self, tenant: str, platform: str, channel: str, filter: str | None
    ) -> ChannelInfo:
        """Turn alerts on in a channel (again), with this filter; keeps its link switch."""
        row = self._channel_row(tenant, platform, channel)
        if row is None:
            row = ChannelRow(
                tenant=tenant,
                platform=platform,
                channel=channel,
                filter=filter,
                enabled=True,
                read_links=True,
                created_at=datetime.now(UTC),
            )
            self.s.add(row)
        else:
            row.filter, row.enabled = filter, True
        self.s.flush()
        return _channel(row)

    def disable_channel(self, tenant: str, platform: str, channel: str) -> bool:
        """Stop alerts in a channel; pending deliveries stay and are skipped by routing."""
        row = self._channel_row(tenant, platform, channel)
        if row is None or not row.enabled:
            return False
        row.enabled = False
        return True

    def set_read_links(self, tenant: str, platform: str, channel: str, on: bool) -> bool:
        row = self._channel_row(tenant, platform, channel)
        if row is None:
            return False
        row.read_links = on
        return True

    def get_channel(self, tenant: str, platform: str, channel: str) -> ChannelInfo | None:
        row = self._channel_row(tenant, platform, channel)
        return _channel(row) if row else None

    def channels(self, tenant: str, *, enabled_only: bool = True) -> list[ChannelInfo]:
        q = select(ChannelRow).where(ChannelRow.tenant == tenant).order_by(ChannelRow.id)
        if enabled_only:
            q = q.where(ChannelRow.enabled.is_(True))
        return [_channel(r) for r in self.s.scalars(q)]

    def _channel_row(self, tenant: str, platform: str, channel: str) -> ChannelRow | None:
        return self.s.scalars(
            select(ChannelRow).where(
                ChannelRow.tenant == tenant,
                ChannelRow.platform == platform,
                ChannelRow.channel == channel,
            )
        ).first()

    # -- mutes --------------------------------------------------------------
    def add_mute(self, channel_id: int, pattern: str, until: datetime) -> None:
        self.s.add(MuteRow(channel_id=channel_id, pattern=pattern, until=until))
        self.s.flush()

    def active_mutes(self, channel_id: int, now: datetime) -> list[str]:
        """Patterns muted in this channel at `now` (expired mutes are simply ignored)."""
        rows = self.s.scalars(
            select(MuteRow.pattern).where(MuteRow.channel_id == channel_id, MuteRow.until > now)
        )
        return list(rows)

    # -- deliveries -----------------------------------------------------------
    def add_delivery(self, alert_id: int, channel_id: int, thread_key: str, now: datetime) -> bool:
        """Queue one alert for one channel; False if it was queued already."""
        exists = self.s.scalar(
            select(DeliveryRow.id).where(
                DeliveryRow.alert_id == alert_id, DeliveryRow.channel_id == channel_id
            )
        )
        if exists is not None:
            return False
        self.s.add(
            DeliveryRow(
                alert_id=alert_id,
                channel_id=channel_id,
                thread_key=thread_key,
                state="pending",
                attempts=0,
                next_attempt=now,
            )
        )
        self.s.flush()
        return True

    def lease_deliveries(
        self,
        owner: str,
        now: datetime,
        *,
        platforms: list[str],
        lease_seconds: float = 120,
        limit: int = 20,
    ) -> list[int]:
        """Claim up to `limit` due deliveries for these platforms; ids in queue order.

        One compare-and-set statement: a row whose lease another worker took in the
        meantime no longer satisfies the WHERE clause, so it is never handed out twice.
        """
        if not platforms:
            return []
        free = or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now)
        due = (
            select(DeliveryRow.id)
            .join(ChannelRow, ChannelRow.id == DeliveryRow.channel_id)
            .where(
                DeliveryRow.state == "pending",
                DeliveryRow.next_attempt <= now,
                free,
                ChannelRow.platform.in_(sorted(platforms)),
            )
            .order_by(DeliveryRow.id)
            .limit(limit)
        )
        if self.s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=DeliveryRow)
        ids = self.s.scalars(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(due.scalar_subquery()), DeliveryRow.state == "pending", free)
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            .returning(DeliveryRow.id)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(ids)

    def delivery_job(self, delivery_id: int) -> DeliveryJob | None:
        row = self.s.execute(
            select(DeliveryRow, ChannelRow)
            .join(ChannelRow, ChannelRow.id == DeliveryRow.channel_id)
            .where(DeliveryRow.id == delivery_id)
        ).first()
        if row is None:
            return None
        d, c = row
        return DeliveryJob(
            d.id,
            d.alert_id,
            d.channel_id,
            c.tenant,
            c.platform,
            c.channel,
            d.thread_key,
            d.attempts,
        )

    def thread_anchor(
        self, channel_id: int, thread_key: str, before_id: int
    ) -> tuple[bool, str | None]:
        """(an earlier delivery of this thread is still unsent, the thread to reply in).

        The thread is the first sent message about the same story and metric in
        this channel; later alerts go under it.
        """
        rows = self.s.execute(
            select(DeliveryRow.state, DeliveryRow.thread_ref, DeliveryRow.message_ref)
            .where(
                DeliveryRow.channel_id == channel_id,
                DeliveryRow.thread_key == thread_key,
                DeliveryRow.id < before_id,
            )
            .order_by(DeliveryRow.id)
        ).all()
        waiting = any(state == "pending" for state, _, _ in rows)
        for state, thread_ref, message_ref in rows:
            if state == "sent" and (thread_ref or message_ref):
                return waiting, thread_ref or message_ref
        return waiting, None

    def mark_sent(
        self,
        delivery_id: int,
        owner: str,
        now: datetime,
        message_ref: str | None,
        thread_ref: str | None,
    ) -> bool:
        """Record a send; only the lease holder may, so a send is recorded once."""
        res = self.s.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.lease_owner == owner,
                DeliveryRow.state == "pending",
            )
            .values(
                state="sent",
                sent_at=now,
                message_ref=message_ref,
                thread_ref=thread_ref,
                attempts=DeliveryRow.attempts + 1,
                lease_owner=None,
                lease_until=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1

    def reschedule_delivery(
        self,
        delivery_id: int,
        owner: str,
        when: datetime,
        error: str | None,
        *,
        count_attempt: bool = True,
        give_up: bool = False,
    ) -> bool:
        """Release the lease and try again at `when` (or mark failed when giving up)."""
        values: dict = {
            "next_attempt": when,
            "lease_owner": None,
            "lease_until": None,
            "last_error": error[:2000] if error else None,
        }
        if count_attempt:
            values["attempts"] = DeliveryRow.attempts + 1
        if give_up:
            values["state"] = "failed"
        res = self.s.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                DeliveryRow.lease_owner == owner,
                DeliveryRow.state == "pending",
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1

    def deliveries(self, tenant: str | None = None) -> list[DeliveryInfo]:
        q = select(DeliveryRow).order_by(DeliveryRow.id)
        if tenant is not None:
            q = q.join(ChannelRow, ChannelRow.id == DeliveryRow.channel_id).where(
                ChannelRow.tenant == tenant
            )
        return [_delivery(r) for r in self.s.scalars(q)]

    # -- what renderers need about articles --------------------------------
    def article_refs(
        self, tenant: str, keys: list[str]
    ) -> dict[str, tuple[str | None, str | None]]:
        """{article key: (outlet, url)}: who published an unattributed claim, and where."""
        if not keys:
            return {}
        rows = self.s.execute(
            select(ArticleRow.key, ArticleRow.outlet, ArticleRow.url).where(
                and_(ArticleRow.tenant == tenant, ArticleRow.key.in_(sorted(set(keys))))
            )
        )
        return {k: (o, u) for k, o, u in rows}
