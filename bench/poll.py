"""Polling 1,000 feeds: `.venv/bin/python bench/poll.py`.

A child process serves `--feeds` RSS feeds on 127.0.0.1 (ETag on every feed, a
304 to a matching If-None-Match). This process watches them all in a fresh
SQLite store and runs the real Poller (real Fetcher, real Pipeline):

1. a priming cycle, untimed: every feed carries the same five syndicated wire
   articles (the first feed's are ingested, the rest are duplicates by text) and
   the poller stores each feed's ETag;
2. the unchanged cycle: every feed is due, nothing changed, the server answers 304;
3. the changed cycle: 5% of the feeds have one new article of their own, which
   is fetched, parsed and ingested (the other 95% answer 304).

A cycle is `Poller.poll_due()` repeated until no source is due, with the
production PollSettings (batch 20, two requests per host at once: all 1,000
feeds live on one host here, the worst case for the per-host limit). Prints
wall time, CPU time of this process (the server's is not counted) and the
requests the server answered.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import Recombiner, load_base  # noqa: E402
from bot.model import Article  # noqa: E402

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _rss(title: str, base_url: str, items: list[tuple[str, Article]]) -> bytes:
    """RSS 2.0 with full text in content:encoded (no teaser to follow), newest first."""
    entries = []
    for guid, a in reversed(items):
        body = "".join(f"<p>{html.escape(p)}</p>" for p in a.text.split("\n") if p.strip())
        entries.append(
            f"<item><title>{html.escape(a.title)}</title>"
            f"<link>{base_url}/news/{guid}.html</link>"
            f'<guid isPermaLink="false">{guid}</guid>'
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
            f"<description>{html.escape(a.title)}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{html.escape(title)}</title><link>{base_url}/</link>"
        f"<description>bench</description>{''.join(entries)}</channel></rss>"
    ).encode()


# -- the server (child process) ------------------------------------------------------
def _serve(feeds: int, conn) -> None:
    from aiohttp import web

    base = load_base()
    recombiner = Recombiner(base)
    wire = [(f"wire-{i}", a) for i, a in enumerate(recombiner.articles(5, T0 - timedelta(days=1)))]
    versions = [0] * feeds
    extra: dict[int, list[tuple[str, Article]]] = {}
    stats = {"requests": 0, "200": 0, "304": 0}
    cache: dict[int, bytes] = {}

    async def feed(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        stats["requests"] += 1
        etag = f'"f{i}-v{versions[i]}"'
        if request.headers.get("If-None-Match") == etag:
            stats["304"] += 1
            return web.Response(status=304, headers={"ETag": etag})
        if i not in cache:
            base_url = f"http://{request.host}"
            cache[i] = _rss(f"Bench feed {i}", base_url, wire + extra.get(i, []))
        stats["200"] += 1
        return web.Response(
            body=cache[i], headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def change(request: web.Request) -> web.Response:
        """One new article of its own on every `step`-th feed."""
        step = int(request.query["step"])
        changed = 0
        for i in range(0, feeds, step):
            k = 10_000 + i
            article = recombiner.story(k, T0)[0]
            extra.setdefault(i, []).append((f"feed-{i}-new-{versions[i] + 1}", article))
            versions[i] += 1
            cache.pop(i, None)
            changed += 1
        return web.json_response({"changed": changed})

    async def get_stats(request: web.Request) -> web.Response:
        out = dict(stats)
        if request.query.get("reset"):
            stats.update(requests=0, **{"200": 0, "304": 0})
        return web.json_response(out)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{i}.xml", feed)
        app.router.add_post("/_change", change)
        app.router.add_get("/_stats", get_stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the poller (this process) -------------------------------------------------------
async def _cycle(poller) -> tuple[float, float, int, int, int]:
    """Poll until nothing is due: (wall s, cpu s, sources polled, new articles, alerts)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    polled = new = alerts = 0
    while outcomes := await poller.poll_due():
        polled += len(outcomes)
        new += sum(len(o.new_articles) for o in outcomes)
        alerts += sum(o.alerts for o in outcomes)
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            raise SystemExit(f"{len(failed)} polls failed, e.g. {failed[0].error}")
    return time.perf_counter() - wall0, time.process_time() - cpu0, polled, new, alerts


async def run(
    feeds: int, changed_fraction: float, per_host: int, batch: int, log_file: TextIO
) -> None:
    import httpx
    import structlog

    from adapters.runner import configure_logging
    from bot.claims import load_nlp
    from bot.fetch import Fetcher, FetchSettings
    from bot.pipeline import Pipeline
    from bot.polling import Poller, PollSettings
    from bot.settings import Settings
    from bot.urlsafety import AllowList
    from store import Store

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(feeds, child), daemon=True)
    server.start()
    port = parent.recv()
    base = f"http://127.0.0.1:{port}"
    now = [T0]
    with tempfile.TemporaryDirectory(prefix="cw-poll-") as tmp:
        store = Store(f"sqlite:///{tmp}/poll.db")
        with store.session() as tx:
            for i in range(feeds):
                tx.add_source("local", f"{base}/feed/{i}.xml", "feed", every_seconds=600, now=T0)
        settings = Settings(_env_file=None, log_json=True)
        configure_logging(settings)  # as `claimwatch run` does, but into --log
        structlog.configure(logger_factory=lambda *_args: structlog.PrintLogger(log_file))
        for handler in logging.getLogger().handlers:  # httpx logs each request via logging
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(log_file)
        fetch = FetchSettings.from_settings(settings)
        fetch = FetchSettings(
            user_agent=fetch.user_agent,
            timeout_seconds=fetch.timeout_seconds,
            max_body_bytes=fetch.max_body_bytes,
            max_redirects=fetch.max_redirects,
            allow=AllowList.parse(["127.0.0.1"]),
        )
        poll = PollSettings.from_settings(
            settings, jitter_fraction=0.0, per_host_concurrency=per_host, batch=batch
        )
        fetcher = Fetcher(fetch)
        poller = Poller(store, Pipeline(store, load_nlp()), fetcher, poll, clock=lambda: now[0])
        async with httpx.AsyncClient() as admin:

            async def stats() -> dict:
                return (await admin.get(f"{base}/_stats", params={"reset": "1"})).json()

            print(
                f"# {feeds} feeds on {base}, batch {poll.batch}, {poll.per_host_concurrency} "
                "requests per host at once",
                flush=True,
            )
            print(f"{'cycle':<26}{'wall s':>8}{'cpu s':>8}{'requests':>10}{'304':>6}"
                  f"{'polled':>8}{'new':>6}{'alerts':>8}")  # fmt: skip

            def show(name: str, r: tuple, s: dict) -> None:
                wall, cpu, polled, new, alerts = r
                print(
                    f"{name:<26}{wall:>8.2f}{cpu:>8.2f}{s['requests']:>10}{s['304']:>6}"
                    f"{polled:>8}{new:>6}{alerts:>8}",
                    flush=True,
                )

            show("priming (first fetch)", await _cycle(poller), await stats())
            now[0] += timedelta(minutes=11)
            show("unchanged (all 304)", await _cycle(poller), await stats())
            step = max(1, round(1 / changed_fraction))
            changed = (await admin.post(f"{base}/_change", params={"step": step})).json()
            now[0] += timedelta(minutes=11)
            show(
                f"changed ({changed['changed']} feeds new item)",
                await _cycle(poller),
                await stats(),
            )
        await fetcher.aclose()
        store.close()
    server.terminate()
    server.join(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--changed", type=float, default=0.05, help="fraction of feeds with news")
    ap.add_argument("--per-host", type=int, default=2, help="requests to one host at once")
    ap.add_argument("--batch", type=int, default=20, help="sources leased per pass")
    ap.add_argument("--log", default=os.devnull, help="where the poller's logs go")
    args = ap.parse_args()
    with open(args.log, "w") as log_file:
        asyncio.run(run(args.feeds, args.changed, args.per_host, args.batch, log_file))


if __name__ == "__main__":
    main()
