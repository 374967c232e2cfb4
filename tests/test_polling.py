"""Polling watched sources end to end: a real HTTP server on 127.0.0.1, real databases,
the real pipeline. The clock is a parameter, so "later" needs no sleeping."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from spacy.language import Language
from support.httpserver import LocalServer, Reply, running_server
from support.nlp import Passes, nlp_with
from support.seedfeed import SEEDS, StoryItem, article_page, rss, story_items

from bot import watching
from bot.fetch import Fetcher, FetchSettings
from bot.model import Alert, Claim
from bot.pipeline import Pipeline
from bot.polling import Poller, PollSettings, build_scheduler
from bot.urlsafety import AllowList
from store import Store

RSS = "application/rss+xml; charset=utf-8"
T0 = datetime(2025, 1, 20, 8, 0, tzinfo=UTC)
ETAG = '"seed-wire-1"'
LAST_MODIFIED = "Mon, 20 Jan 2025 07:55:00 GMT"

SCORER = SEEDS.parent / "tests" / "data" / "score.py"  # ../shared/eval/score.py, copied
_spec = importlib.util.spec_from_file_location("score", SCORER)
score_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(score_module)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


def poller_for(
    store: Store,
    clock: Clock,
    *,
    owner: str = "worker-a",
    timeout: float = 2.0,
    max_body: int = 1_000_000,
    nlp: Language | None = None,
    **settings,
) -> Poller:
    fetch = FetchSettings(
        user_agent="claimwatch-test",
        timeout_seconds=timeout,
        max_body_bytes=max_body,
        max_redirects=3,
        allow=AllowList.parse(["127.0.0.1"]),
    )
    poll = PollSettings(jitter_fraction=0.0, backoff_base_seconds=60, unhealthy_after=3)
    poll = PollSettings(**{**poll.__dict__, **settings})
    return Poller(store, Pipeline(store, nlp), Fetcher(fetch), poll, owner=owner, clock=clock)


def watch(store: Store, url: str, clock: Clock, kind: str = "feed", every: int = 600):
    with store.session() as tx:
        return tx.add_source("local", url, kind, every_seconds=every, now=clock())


def source(store: Store, source_id: int):
    with store.session() as tx:
        return tx.get_source(source_id)


def as_scored(alert: Alert, file_of: dict[str, str]) -> dict:
    """An alert in ../shared/eval/FORMAT.md's JSON shape, for the gold scorer."""

    def side(c: Claim) -> dict:
        q = c.quantity
        return {
            "text": c.sentence,
            "status": c.status,
            "source": c.source,
            "value": q.value if q else None,
            "low": q.low if q else None,
            "high": q.high if q else None,
            "article": file_of.get(c.article_key, c.article_key),
            "published": c.published.date().isoformat(),
        }

    return {
        "trigger": file_of.get(alert.trigger, alert.trigger),
        "kind": alert.kind.value,
        "metric": alert.metric.label,
        "old": side(alert.old),
        "new": side(alert.new),
    }


def keys_of(server: LocalServer, items: list[StoryItem]) -> dict[str, str]:
    return {f"{server.base_url}{i.path}": i.file for i in items}


def serve_seed_feed(server: LocalServer, items: list[StoryItem], **kw) -> str:
    return server.route(
        "/feed.xml",
        Reply(
            rss(items, server.base_url),
            content_type=RSS,
            etag=ETAG,
            last_modified=LAST_MODIFIED,
            **kw,
        ),
    )


# -- the seeds, through a feed --------------------------------------------------
async def test_seed_feed_ingests_in_order_raises_the_seed_alerts_then_nothing(
    db_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()
    url = serve_seed_feed(local_server, items, gzip=True)
    store = Store(db_url)
    poller = poller_for(store, clock)
    added = await watching.add_watch(
        store, poller.fetcher, "local", url, every_seconds=600, now=clock()
    )
    assert (added.kind, added.name) == ("feed", "Claimwatch test wire")

    [first] = await poller.poll_due()
    file_of = keys_of(local_server, items)
    assert first.status == "ok"
    assert [file_of[k] for k in first.new_articles] == [i.file for i in items]
    with store.session() as tx:
        alerts = tx.alerts("local")
    tp, fp, fn, report = score_module.score(SEEDS, [as_scored(a, file_of) for a in alerts])
    assert (tp, fp, fn) == (4, 0, 0), "\n".join(report)
    assert first.alerts == len(alerts)

    assert await poller.poll_due() == []  # not due yet
    clock.advance(seconds=601)
    [again] = await poller.poll_due()
    assert (again.status, again.results, again.alerts) == ("not_modified", [], 0)
    last = local_server.seen("/feed.xml")[-1]
    assert last.headers["If-None-Match"] == ETAG
    assert last.headers["If-Modified-Since"] == LAST_MODIFIED
    assert last.answered == 304
    with store.session() as tx:
        assert len(tx.alerts("local")) == len(alerts)
        assert tx.get_source(added.id).last_ok == clock()
    await poller.fetcher.aclose()
    store.close()


async def test_a_feed_without_validators_is_deduplicated_by_the_pipeline(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()
    local_server.route(
        "/feed.xml",
        Reply(rss(items[:3], local_server.base_url), content_type=RSS),
        Reply(rss(items, local_server.base_url), content_type=RSS),
    )
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    watch(store, local_server.url("/feed.xml"), clock)
    [first] = await poller.poll_due()
    clock.advance(seconds=601)
    [second] = await poller.poll_due()
    file_of = keys_of(local_server, items)
    assert [file_of[k] for k in first.new_articles] == [i.file for i in items[:3]]
    assert [r.outcome for r in second.results] == ["duplicate"] * 3 + ["new"] * 2
    assert {file_of[a.trigger] for r in second.results for a in r.alerts} <= {
        items[3].file,
        items[4].file,
    }
    with store.session() as tx:
        [listed] = tx.list_sources("local")
    assert listed.articles == 5
    await poller.fetcher.aclose()
    store.close()


async def test_teaser_entries_are_read_from_their_pages_without_the_page_furniture(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()[:2]
    for item in items:
        page = article_page(item, related=("Officials count 48,000 displaced in one week",))
        local_server.route(item.path, Reply(page.encode()))
    local_server.route(
        "/teasers.xml", Reply(rss(items, local_server.base_url, teasers=True), content_type=RSS)
    )
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    watch(store, local_server.url("/teasers.xml"), clock)
    [outcome] = await poller.poll_due()
    assert outcome.status == "ok"
    assert [len(local_server.seen(i.path)) for i in items] == [1, 1]
    with store.session() as tx:
        stored = tx.find_article("local", key=f"{local_server.base_url}{items[1].path}")
    assert stored is not None
    assert "South Korea confirmed the capture of a wounded North Korean soldier" in stored.text
    assert "48,000" not in stored.text and "Subscribe" not in stored.text
    await poller.fetcher.aclose()
    store.close()


async def test_a_watched_page_is_rechecked_when_its_text_changes(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    item = story_items()[0]
    updated = StoryItem(
        item.file,
        item.title,
        item.text + "\n\nUpdate: officials later said the soldier was moved to a hospital in Kyiv.",
        item.published,
        item.outlet,
    )
    local_server.route(
        "/live.html", Reply(article_page(item).encode()), Reply(article_page(updated).encode())
    )
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    src = watch(store, local_server.url("/live.html"), clock, kind="page")
    outcomes = []
    for _ in range(3):
        [o] = await poller.poll_due()
        outcomes.append(o)
        clock.advance(seconds=601)
    seen = [[r.outcome for r in o.results] for o in outcomes]
    assert seen == [["new"], ["updated"], ["duplicate"]]
    assert {r.article_key for o in outcomes for r in o.results} == {local_server.url("/live.html")}
    assert source(store, src.id).failures == 0
    await poller.fetcher.aclose()
    store.close()


# -- faults: each recorded on its source, the others unaffected ----------------
GOOD_ITEM = story_items()[0]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06" + bytes(64)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(b"<rss/>", content_type=RSS, delay=3), r"^timeout: no .*response within 0.3 s$"),
        (Reply(b"gone", status=404, content_type="text/plain"), r"^HTTP 404 Not Found$"),
        (
            Reply(
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
                b"<title>Cut <description>x</item",
                content_type=RSS,
            ),
            r"^malformed feed: .* at line 1, column \d+$",
        ),
        (Reply(status=302, headers={"Location": "/bad"}), r"^redirect loop: .*/bad -> .*/bad$"),
        (
            Reply(b"<rss>" + b"x" * 20_000, content_type=RSS, chunked=True),
            r"^body too large: over the limit of 10000 bytes$",
        ),
        (
            Reply(PNG, content_type="image/png"),
            r"^not a feed or web page: the server sent image/png$",
        ),
        (
            Reply(PNG, content_type="application/rss+xml"),
            r"^not a feed or web page: binary content \(application/rss\+xml\)$",
        ),
        (Reply(b"", content_type=RSS), r"^empty response: the server sent no content$"),
    ],
    ids=[
        "timeout",
        "404",
        "malformed-xml",
        "redirect-loop",
        "over-size-cap",
        "binary-image",
        "binary-as-feed",
        "empty-body",
    ],
)
async def test_a_failing_source_records_why_and_others_keep_working(
    sqlite_url: str, local_server: LocalServer, clock: Clock, reply: Reply, error: str
) -> None:
    good_feed = rss([GOOD_ITEM], local_server.base_url)
    local_server.route("/good.xml", Reply(good_feed, content_type=RSS))
    local_server.route("/bad", reply)
    store = Store(sqlite_url)
    poller = poller_for(store, clock, timeout=0.3, max_body=10_000)
    good = watch(store, local_server.url("/good.xml"), clock)
    bad = watch(store, local_server.url("/bad"), clock)

    outcomes = {o.source_id: o for o in await poller.poll_due()}

    assert outcomes[bad.id].status == "failed"
    assert outcomes[bad.id].error == source(store, bad.id).last_error
    failed = source(store, bad.id)
    assert failed.last_error is not None
    assert re.match(error, failed.last_error), failed.last_error
    assert (failed.failures, failed.healthy, failed.last_ok) == (1, True, None)
    assert failed.next_due == clock() + timedelta(seconds=60)  # first back-off step
    assert failed.lease_owner is None
    ok = source(store, good.id)
    assert (outcomes[good.id].status, ok.last_error, ok.last_ok) == ("ok", None, clock())
    assert [r.outcome for r in outcomes[good.id].results] == ["new"]
    await poller.fetcher.aclose()
    store.close()


async def test_an_empty_feed_is_healthy_and_brings_nothing(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    url = local_server.route("/empty.xml", Reply(rss([], local_server.base_url), content_type=RSS))
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    src = watch(store, url, clock)
    [outcome] = await poller.poll_due()
    assert (outcome.status, outcome.results, outcome.error) == ("ok", [], None)
    assert (source(store, src.id).healthy, source(store, src.id).last_ok) == (True, clock())
    await poller.fetcher.aclose()
    store.close()


async def test_a_latin1_page_is_read_correctly(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    text = (
        "Les pompiers de Genève ont évacué 1 200 habitants du quartier des Pâquis "
        "après l'incendie de lundi. "
    ) * 3
    html = f"<html><head><title>Incendie à Genève</title></head><body><article><p>{text}</p>"
    url = local_server.route(
        "/fr.html", Reply(html.encode("latin-1"), content_type="text/html; charset=ISO-8859-1")
    )
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    src = watch(store, url, clock, kind="page")
    [outcome] = await poller.poll_due()
    assert (outcome.status, source(store, src.id).last_error) == ("ok", None)
    with store.session() as tx:
        stored = tx.find_article("local", key=url)
    assert stored is not None and "Genève ont évacué 1 200 habitants" in stored.text
    await poller.fetcher.aclose()
    store.close()


async def test_backoff_doubles_marks_unhealthy_keeps_polling_and_recovers(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    failing = Reply(b"oops", status=500, content_type="text/plain")
    url = local_server.route(
        "/flaky.xml",
        failing,
        failing,
        failing,
        failing,
        Reply(rss([], local_server.base_url), content_type=RSS),
    )
    local_server.route("/good.xml", Reply(rss([], local_server.base_url), content_type=RSS))
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    flaky = watch(store, url, clock)
    good = watch(store, local_server.url("/good.xml"), clock, every=60)
    delays, health = [], []
    for _ in range(4):
        start = clock()
        outcomes = {o.source_id: o for o in await poller.poll_due()}
        state = source(store, flaky.id)
        assert outcomes[flaky.id].error == "HTTP 500 Internal Server Error" == state.last_error
        delays.append(int((state.next_due - start).total_seconds()))
        health.append(state.healthy)
        clock.now = state.next_due
    assert delays == [60, 120, 240, 480]
    assert health == [True, True, False, False]  # unhealthy after 3, still polled
    line = watching.status_line(source(store, flaky.id), clock())
    assert "UNHEALTHY (4 failures in a row)" in line
    assert "last error: HTTP 500 Internal Server Error" in line
    assert source(store, good.id).last_error is None
    [recovered] = [o for o in await poller.poll_due() if o.source_id == flaky.id]
    state = source(store, flaky.id)
    assert (recovered.status, state.healthy, state.failures, state.last_error) == (
        "ok",
        True,
        0,
        None,
    )
    await poller.fetcher.aclose()
    store.close()


async def test_retry_after_and_feed_ttl_are_honoured(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    busy = local_server.route(
        "/busy.xml", Reply(status=503, headers={"Retry-After": "3600"}, content_type="text/plain")
    )
    slow = local_server.route(
        "/ttl.xml", Reply(rss([], local_server.base_url, ttl_minutes=90), content_type=RSS)
    )
    store = Store(sqlite_url)
    poller = poller_for(store, clock)
    a, b = watch(store, busy, clock), watch(store, slow, clock, every=600)
    await poller.poll_due()
    assert source(store, a.id).next_due == clock() + timedelta(hours=1)
    assert source(store, b.id).next_due == clock() + timedelta(minutes=90)
    await poller.fetcher.aclose()
    store.close()


async def test_per_host_concurrency_limit(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    store = Store(sqlite_url)
    for i in range(5):
        url = local_server.route(
            f"/f{i}.xml", Reply(rss([], local_server.base_url), content_type=RSS, delay=0.2)
        )
        watch(store, url, clock)
    poller = poller_for(store, clock, per_host_concurrency=2)
    outcomes = await poller.poll_due()
    assert [o.status for o in outcomes] == ["ok"] * 5
    assert local_server.max_in_flight == 2
    await poller.fetcher.aclose()
    store.close()


# -- leases and restarts --------------------------------------------------------
def test_leases_are_unique_across_workers(db_url: str, clock: Clock) -> None:
    store = Store(db_url)
    ids = {watch(store, f"http://127.0.0.1/f{i}", clock).id for i in range(12)}
    with store.session() as tx:
        paused = tx.add_source("local", "http://127.0.0.1/p", "feed", every_seconds=60, now=clock())
        tx.set_source_paused("local", paused.id, True, clock())
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        leased = []
        for _ in range(3):
            with store.session() as tx:
                leased += [s.id for s in tx.lease_due(name, clock(), 300, 2)]
        got[name] = leased

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handed = [i for ids_ in got.values() for i in ids_]
    assert sorted(handed) == sorted(ids)  # every due source once, the paused one never
    with store.session() as tx:
        assert tx.lease_due("late", clock(), 300, 50) == []
        clock.advance(seconds=301)  # every lease has run out: a crashed worker's work comes back
        assert {s.id for s in tx.lease_due("late", clock(), 300, 50)} == ids
    store.close()


async def test_a_crash_mid_poll_loses_nothing_and_alerts_nothing_twice(
    db_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()
    url = serve_seed_feed(local_server, items)
    store = Store(db_url)
    crashed = poller_for(store, clock, owner="worker-a")
    src = watch(store, url, clock)
    # Worker A leases, fetches, ingests three of five articles, then dies: no record_success.
    with store.session() as tx:
        [leased] = tx.lease_due("worker-a", clock(), 600, 10)
    fetched = await crashed.read(leased)
    await crashed.ingest(leased, fetched.articles[:3])
    await crashed.fetcher.aclose()
    with store.session() as tx:
        before = len(tx.alerts("local"))

    restarted = poller_for(store, clock, owner="worker-b")
    assert await restarted.poll_due() == []  # A's lease still holds
    clock.advance(seconds=601)
    [outcome] = await restarted.poll_due()
    file_of = keys_of(local_server, items)
    assert "If-None-Match" not in local_server.seen("/feed.xml")[-1].headers  # refetched whole
    assert [r.outcome for r in outcome.results] == ["duplicate"] * 3 + ["new"] * 2
    assert {file_of[a.trigger] for r in outcome.results for a in r.alerts} <= {
        items[3].file,
        items[4].file,
    }
    with store.session() as tx:
        alerts = tx.alerts("local")
        assert tx.get_source(src.id).etag == ETAG  # stored only now, after everything
    assert len(alerts) == before + outcome.alerts
    tp, fp, fn, report = score_module.score(SEEDS, [as_scored(a, file_of) for a in alerts])
    assert (tp, fp, fn) == (4, 0, 0), "\n".join(report)
    await restarted.fetcher.aclose()
    store.close()


async def test_polls_that_finish_together_share_one_extraction_pass(
    db_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()
    base = local_server.base_url
    url_a = local_server.route("/a.xml", Reply(rss(items[:2], base), content_type=RSS))
    url_b = local_server.route("/b.xml", Reply(rss(items[2:4], base), content_type=RSS))
    store = Store(db_url)
    passes = Passes()
    poller = poller_for(store, clock, nlp=nlp_with(passes))
    a, b = watch(store, url_a, clock), watch(store, url_b, clock)
    read_a, read_b = await poller.read(a), await poller.read(b)
    got_a, got_b = await asyncio.gather(
        poller.ingest(a, read_a.articles), poller.ingest(b, read_b.articles)
    )
    assert passes.calls == 1
    assert [r.outcome for r in got_a + got_b] == ["new"] * 4
    assert [r.article_key for r in got_a] == [x.key for x in read_a.articles]
    assert [r.article_key for r in got_b] == [x.key for x in read_b.articles]
    await poller.fetcher.aclose()
    store.close()


async def test_an_article_that_breaks_extraction_fails_its_own_poll_only(
    db_url: str, local_server: LocalServer, clock: Clock
) -> None:
    items = story_items()
    broken = replace(items[3], text=items[3].text + "\n\nBREAKS: 5 soldiers were killed.")
    base = local_server.base_url
    url_a = local_server.route("/a.xml", Reply(rss(items[:2], base), content_type=RSS))
    feed_b = Reply(rss([items[2], broken], base), content_type=RSS, etag=ETAG)
    url_b = local_server.route("/b.xml", feed_b)
    store = Store(db_url)
    poller = poller_for(store, clock, nlp=nlp_with(Passes(breaks_on="BREAKS")))
    a, b = watch(store, url_a, clock), watch(store, url_b, clock)
    outcomes = {o.source_id: o for o in await poller.poll_due()}
    assert outcomes[a.id].status == "ok" and len(outcomes[a.id].new_articles) == 2
    assert outcomes[b.id].status == "failed"
    assert "cannot read" in (outcomes[b.id].error or "")
    with store.session() as tx:
        assert tx.count_articles("local") == 3  # b's first article stays; the broken one waits
    assert source(store, b.id).etag is None  # so the next poll reads the whole feed again
    await poller.fetcher.aclose()
    store.close()


async def test_the_scheduler_ticks_and_close_stops_cleanly(
    sqlite_url: str, local_server: LocalServer
) -> None:
    url = local_server.route("/e.xml", Reply(rss([], local_server.base_url), content_type=RSS))
    store = Store(sqlite_url)
    with store.session() as tx:
        src = tx.add_source("local", url, "feed", every_seconds=600, now=datetime.now(UTC))
    seen = asyncio.Event()
    poller = Poller(
        store,
        Pipeline(store),
        Fetcher(FetchSettings(allow=AllowList.parse(["127.0.0.1"]), timeout_seconds=2)),
        PollSettings(tick_seconds=0.05, tick_jitter_seconds=0),
        on_outcome=lambda o: seen.set(),
    )
    scheduler = build_scheduler(poller)
    scheduler.start()
    try:
        await asyncio.wait_for(seen.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)
        await poller.close()
        await poller.fetcher.aclose()
    state = source(store, src.id)
    assert (state.last_error, state.lease_owner) == (None, None)
    assert state.last_ok is not None
    store.close()


async def test_one_tick_polls_a_watch_list_larger_than_a_batch(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    url = local_server.route("/e.xml", Reply(rss([], local_server.base_url), content_type=RSS))
    store = Store(sqlite_url)
    ids = [watch(store, f"{url}?feed={n}", clock).id for n in range(25)]
    done: list[int] = []
    poller = poller_for(store, clock, batch=4, max_in_flight=3)
    poller.on_outcome = lambda o: done.append(o.source_id)
    await poller.tick()  # one tick: further leases follow as polls finish
    for _ in range(200):
        if len(done) == len(ids):
            break
        await asyncio.sleep(0.02)
    await poller.close()
    assert sorted(done) == sorted(ids)
    assert all(source(store, i).last_ok == clock() for i in ids)
    await poller.fetcher.aclose()
    store.close()


async def test_poll_due_goes_on_until_nothing_is_due(
    sqlite_url: str, local_server: LocalServer, clock: Clock
) -> None:
    url = local_server.route("/e.xml", Reply(rss([], local_server.base_url), content_type=RSS))
    store = Store(sqlite_url)
    for n in range(7):
        watch(store, f"{url}?feed={n}", clock)
    poller = poller_for(store, clock, batch=3)
    assert len(await poller.poll_due()) == 7
    assert await poller.poll_due() == []
    await poller.fetcher.aclose()
    store.close()
