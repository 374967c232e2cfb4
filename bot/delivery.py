"""The durable delivery queue: alerts owed to channels, sent by whichever adapter serves them.

The pipeline queues a delivery per channel inside the ingest transaction
(`route_alert`); a `DeliveryWorker` leases due rows, sends each through the
`AlertSink` of the channel's platform and marks it sent. A restart or an
outage delays alerts but loses none; a send is recorded once, so none is sent
twice (only a crash between the platform's "ok" and our commit can repeat one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.metrics import matches_query
from bot.model import Alert
from bot.render import AlertView, alert_view, thread_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentRef:
    """Where a sent alert landed: its message, and the thread later alerts reply in."""

    message_ref: str
    thread_ref: str | None = None


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """Raised by a sink when the platform says "not now" (rate limit): reschedule, don't block."""

    def __init__(self, seconds: float, reason: str = "rate limited") -> None:
        super().__init__(f"{reason}; retry in {seconds:.0f}s")
        self.seconds = max(0.0, float(seconds))


class PermanentFailure(Exception):
    """Raised by a sink when retrying cannot help (channel gone, bot removed)."""


@runtime_checkable
class AlertSink(Protocol):
    """What an adapter provides to deliver alerts on its platform."""

    platform: str

    async def send_alert(
        self, channel: str, view: AlertView, thread_ref: str | None
    ) -> SentRef: ...


def alert_matches(alert: Alert, query: str) -> bool:
    """Whether a filter or mute names what the alert is about (by meaning, via bot.metrics)."""
    from bot import metrics

    by_claim = getattr(metrics, "matches_claim", None)
    if by_claim is None:
        return matches_query(alert.metric, query)
    return by_claim(alert.new, query) or by_claim(alert.old, query)


def _matches_filter(tx, alert: Alert, flt: str | None) -> bool:
    """A channel's filter names a metric (by meaning) or words of the story's title."""
    if not flt or not flt.strip():
        return True
    if alert_matches(alert, flt):
        return True
    story = tx.get_story(alert.story_id)
    title = (story.title if story else "").lower()
    words = [w for w in flt.lower().split() if w]
    return bool(words) and all(w in title for w in words)


def route_alert(tx, tenant: str, alert: Alert, now: datetime | None = None) -> int:
    """Queue `alert` for every channel of `tenant` whose filter and mutes let it through.

    Called by the pipeline inside the ingest transaction, so an alert and its
    deliveries are stored together. Returns how many deliveries were queued.
    """
    if alert.id is None:
        raise ValueError("route_alert needs a stored alert (tx.add_alert first)")
    now = now or datetime.now(UTC)
    queued = 0
    for ch in tx.channels(tenant):
        if not _matches_filter(tx, alert, ch.filter):
            continue
        if any(alert_matches(alert, p) for p in tx.active_mutes(ch.id, now)):
            continue
        if tx.add_delivery(alert.id, ch.id, thread_key(alert), now):
            queued += 1
    return queued


def backoff_seconds(attempts: int, base: float = 30.0, cap: float = 3600.0) -> float:
    """Exponential back-off after `attempts` failed sends: 30 s, 60 s, 2 min ... 1 h."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


class DeliveryWorker:
    """Sends due deliveries through the sinks it was given; safe to run in several processes."""

    def __init__(
        self,
        store,  # store.Store
        sinks: Iterable[AlertSink],
        *,
        owner: str | None = None,
        lease_seconds: float = 120,
        batch: int = 20,
        max_attempts: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.sinks = {s.platform: s for s in sinks}
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.max_attempts = max_attempts
        self.clock = clock

    async def run_once(self, now: datetime | None = None) -> int:
        """Lease what is due now, send it; returns how many were sent."""
        now = now or self.clock()
        with self.store.session() as tx:
            ids = tx.lease_deliveries(
                self.owner,
                now,
                platforms=list(self.sinks),
                lease_seconds=self.lease_seconds,
                limit=self.batch,
            )
        sent = 0
        for delivery_id in ids:
            sent += await self._deliver(delivery_id, now)
        return sent

    async def _deliver(self, delivery_id: int, now: datetime) -> int:
        with self.store.session() as tx:
            job = tx.delivery_job(delivery_id)
            if job is None:
                return 0
            waiting, anchor = tx.thread_anchor(job.channel_id, job.thread_key, job.id)
            if waiting:  # keep the thread in order: the first alert goes first
                tx.reschedule_delivery(
                    job.id, self.owner, now + timedelta(seconds=5), None, count_attempt=False
                )
                return 0
            alert = tx.get_alert(job.alert_id)
            if alert is None:
                tx.reschedule_delivery(job.id, self.owner, now, "alert gone", give_up=True)
                return 0
            refs = tx.article_refs(job.tenant, [alert.old.article_key, alert.new.article_key])
        view = alert_view(alert, refs)
        sink = self.sinks[job.platform]
        try:
            ref = await sink.send_alert(job.channel, view, anchor)
        except RetryLater as exc:
            with self.store.session() as tx:
                tx.reschedule_delivery(
                    job.id, self.owner, now + timedelta(seconds=exc.seconds), str(exc)
                )
            log.info("delivery %s rescheduled: %s", job.id, exc)
            return 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any platform failure: back off, never lose it
            give_up = isinstance(exc, PermanentFailure) or job.attempts + 1 >= self.max_attempts
            with self.store.session() as tx:
                tx.reschedule_delivery(
                    job.id,
                    self.owner,
                    now + timedelta(seconds=backoff_seconds(job.attempts + 1)),
                    f"{type(exc).__name__}: {exc}",
                    give_up=give_up,
                )
            log.warning("delivery %s failed (attempt %s): %s", job.id, job.attempts + 1, exc)
            return 0
        with self.store.session() as tx:
            tx.mark_sent(job.id, self.owner, self.clock(), ref.message_ref, ref.thread_ref)
        return 1

    async def run(self, stop: asyncio.Event, every_seconds: float = 5.0) -> None:
        """Deliver until `stop` is set, checking the queue every few seconds."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not end delivery
                log.exception("delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every_seconds)
