"""The delivery queue: routing by filter and mute, leasing, retries, threading, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.story import build_story

from bot.delivery import DeliveryWorker, PermanentFailure, RetryLater, SentRef, route_alert
from bot.render import AlertView
from store import Store

TEAM = "T0001"
T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


class RecordingSink:
    """An AlertSink that keeps what it was asked to send; it can be told to fail first."""

    def __init__(self, platform: str = "console", failures: list[Exception] | None = None):
        self.platform = platform
        self.failures = list(failures or [])
        self.sent: list[tuple[str, AlertView, str | None]] = []

    async def send_alert(self, channel: str, view: AlertView, thread_ref: str | None) -> SentRef:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((channel, view, thread_ref))
        ref = f"m{len(self.sent)}"
        return SentRef(ref, thread_ref or ref)


@pytest.fixture
def store(db_url: str):
    s = Store(db_url)
    yield s
    s.close()


def route_at_t0(tx, tenant, alert) -> int:
    """Route as the pipeline does, with the clock at T0."""
    return route_alert(tx, tenant, alert, now=T0)


def _channels(store, *specs: tuple[str, str, str | None]) -> None:
    with store.session() as tx:
        for platform, channel, flt in specs:
            tx.set_channel(TEAM, platform, channel, flt)


def test_routing_follows_filters_and_mutes(store) -> None:
    _channels(
        store,
        ("console", "all", None),
        ("console", "caps", "captured"),
        ("slack", "story", "kursk"),
        ("slack", "other", "earthquake"),
    )
    with store.session() as tx:
        muted = tx.set_channel(TEAM, "console", "muted", None)
        tx.add_mute(muted.id, "wounded", datetime.now(UTC) + timedelta(hours=1))
    build_story(store, TEAM, route=route_alert)
    with store.session() as tx:
        names = {c.id: c.channel for c in tx.channels(TEAM)}
        got: dict[str, int] = {}
        for d in tx.deliveries(TEAM):
            got[names[d.channel_id]] = got.get(names[d.channel_id], 0) + 1
    # 4 alerts: 2 about killed-or-wounded, 1 about the captured figure, 1 about the status
    assert got == {"all": 4, "caps": 2, "story": 4, "muted": 2}


def test_routing_skips_channels_with_alerts_off_and_needs_a_stored_alert(store) -> None:
    _channels(store, ("console", "c1", None))
    with store.session() as tx:
        tx.disable_channel(TEAM, "console", "c1")
    built = build_story(store, TEAM, route=route_alert)
    with store.session() as tx:
        assert tx.deliveries(TEAM) == []
        # routing the same alert twice queues it once
        tx.set_channel(TEAM, "console", "c1", None)
        assert route_alert(tx, TEAM, built.alerts[0]) == 1
        assert route_alert(tx, TEAM, built.alerts[0]) == 0
    from dataclasses import replace

    with pytest.raises(ValueError), store.session() as tx:
        route_alert(tx, TEAM, replace(built.alerts[0], id=None))


async def test_worker_sends_each_once_and_threads_by_story_and_metric(store) -> None:
    _channels(store, ("console", "c1", None))
    build_story(store, TEAM, route=route_at_t0)
    sink = RecordingSink()
    worker = DeliveryWorker(store, [sink])
    assert await worker.run_once(T0) == 4
    assert await worker.run_once(T0 + timedelta(hours=1)) == 0  # nothing sent twice
    heads = [(v.headline, ref) for _, v, ref in sink.sent]
    assert heads == [
        (
            "Sources disagree on North Korean soldiers killed or wounded: Zelensky says nearly "
            "3,000, South Korea's NIS said 1,000",
            None,
        ),
        ("North Korean soldiers killed or wounded: now 1,100 (was 1,000)", "m1"),  # in m1's thread
        ("North Korean soldiers captured: now 2 (was 1)", None),
        ("Status: the North Korean soldier is now dead (was captured)", None),
    ]
    _, view, _ = sink.sent[1]
    assert (view.old.figure, view.old.source, view.old.date) == (
        "1,000",
        "South Korea's NIS",
        "2024-12-23",
    )
    assert (view.new.figure, view.new.date) == ("1,100", "2025-01-12")
    assert view.new.link == "https://news.example.org/2025/01/12/second-soldier"
    _, status, _ = sink.sent[3]
    assert status.new.source == "Daily Two"  # the outlet, as the claim is unattributed
    with store.session() as tx:
        states = [(d.state, d.attempts, d.message_ref) for d in tx.deliveries(TEAM)]
    assert states == [("sent", 1, "m1"), ("sent", 1, "m2"), ("sent", 1, "m3"), ("sent", 1, "m4")]


async def test_a_rate_limited_send_is_rescheduled_not_lost(store) -> None:
    _channels(store, ("console", "c1", "captured"))
    build_story(store, TEAM, route=route_at_t0)
    sink = RecordingSink(failures=[RetryLater(90)])
    worker = DeliveryWorker(store, [sink])
    # the first (the figure) is rate limited; the status alert goes out meanwhile
    assert await worker.run_once(T0) == 1
    with store.session() as tx:
        first = tx.deliveries(TEAM)[0]
    assert (first.state, first.attempts) == ("pending", 1)
    assert first.next_attempt == T0 + timedelta(seconds=90)
    assert "rate limited" in first.last_error
    assert await worker.run_once(T0 + timedelta(seconds=60)) == 0  # not due yet
    assert await worker.run_once(T0 + timedelta(seconds=90)) == 1
    assert [v.headline for _, v, _ in sink.sent] == [
        "Status: the North Korean soldier is now dead (was captured)",
        "North Korean soldiers captured: now 2 (was 1)",
    ]


async def test_failures_back_off_and_permanent_ones_stop(store) -> None:
    _channels(store, ("console", "c1", "captured"))
    build_story(store, TEAM, route=route_at_t0)
    sink = RecordingSink(failures=[OSError("connection reset"), PermanentFailure("is_archived")])
    worker = DeliveryWorker(store, [sink])
    assert await worker.run_once(T0) == 0
    with store.session() as tx:
        a, b = tx.deliveries(TEAM)
    assert (a.state, a.next_attempt, a.last_error) == (
        "pending",
        T0 + timedelta(seconds=30),
        "OSError: connection reset",
    )
    assert (b.state, b.last_error) == ("failed", "PermanentFailure: is_archived")
    assert await worker.run_once(T0 + timedelta(seconds=30)) == 1


async def test_a_restart_resumes_and_two_workers_never_share_a_delivery(store) -> None:
    _channels(store, ("console", "c1", None))
    build_story(store, TEAM, route=route_at_t0)
    # a worker that died holding leases: its rows come back when the lease ends
    with store.session() as tx:
        held = tx.lease_deliveries("crashed", T0, platforms=["console"], lease_seconds=60)
        assert len(held) == 4
        assert tx.lease_deliveries("other", T0, platforms=["console"]) == []
        assert tx.lease_deliveries("other", T0, platforms=["slack"]) == []
    sink_a, sink_b = RecordingSink(), RecordingSink()
    a = DeliveryWorker(store, [sink_a], owner="a")
    b = DeliveryWorker(store, [sink_b], owner="b")
    assert await a.run_once(T0 + timedelta(seconds=30)) == 0
    later = T0 + timedelta(seconds=61)
    assert await a.run_once(later) + await b.run_once(later) == 4
    assert len(sink_a.sent) + len(sink_b.sent) == 4
    with store.session() as tx:
        # the crashed worker can no longer record a send it did not finish
        assert not tx.mark_sent(held[0], "crashed", later, "x", None)
