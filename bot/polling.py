"""Polling watched sources: the scheduler ticks, the `sources` table decides what is due.

Each tick leases due sources (one compare-and-set UPDATE, see store.sources),
fetches them with a per-host limit, parses them and feeds every article to the
pipeline, oldest first. Only when all of them are ingested are the new ETag /
Last-Modified stored and the lease released; so a crash or Ctrl-C mid-poll
leaves the old validators, the lease runs out, and the next tick fetches the
whole document again. Articles already ingested come back as duplicates (the
pipeline deduplicates by key, GUID and text), so nothing is lost and nothing is
alerted twice.

A failing source backs off exponentially, keeps its last error for `watch
list`, and after `unhealthy_after` failures in a row is marked unhealthy, yet
still polled (at the longest back-off) so it recovers by itself.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import urlsplit

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.fetch import Fetcher, FetchError, Validators
from bot.model import Article
from bot.pipeline import Incoming, IngestResult, Prepared
from bot.settings import Settings
from bot.sources import SourceError, SourceKind, detect_kind, parse_feed, parse_page
from store.sources import SourceRecord

log = structlog.get_logger("claimwatch.polling")


class Ingests(Protocol):
    def prepare(self, items: Sequence[Incoming]) -> list[Prepared]: ...

    def commit(self, prepared: Prepared) -> IngestResult: ...


@dataclass(frozen=True)
class PollSettings:
    tick_seconds: float = 15.0
    tick_jitter_seconds: float = 2.0
    lease_seconds: float = 600.0  # longer than any poll: fetch timeout + ingesting a feed
    batch: int = 20  # sources leased per tick
    max_in_flight: int = 50
    per_host_concurrency: int = 2
    jitter_fraction: float = 0.1  # spread of next_due, so sources added together drift apart
    backoff_base_seconds: float = 60.0
    backoff_max_seconds: float = 6 * 3600.0
    unhealthy_after: int = 5
    teaser_chars: int = 400  # entry text shorter than this: read the linked page instead

    @classmethod
    def from_settings(cls, s: Settings, **overrides: float | int) -> PollSettings:
        return replace(cls(per_host_concurrency=s.per_host_concurrency), **overrides)


@dataclass(frozen=True)
class Fetched:
    """What one poll read, before ingesting."""

    kind: SourceKind
    articles: list[Article]  # oldest first
    validators: Validators
    ttl_seconds: int | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class PollOutcome:
    source_id: int
    url: str
    status: Literal["ok", "not_modified", "failed"]
    results: list[IngestResult] = field(default_factory=list)
    error: str | None = None
    next_due: datetime | None = None

    @property
    def new_articles(self) -> list[str]:
        return [r.article_key for r in self.results if r.outcome != "duplicate"]

    @property
    def alerts(self) -> int:
        return sum(len(r.alerts) for r in self.results)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Poller:
    """Polls sources for one process; `tick` is what the scheduler calls."""

    def __init__(
        self,
        store,  # store.Store
        pipeline: Ingests,
        fetcher: Fetcher,
        settings: PollSettings = PollSettings(),
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        on_outcome: Callable[[PollOutcome], None] | None = None,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.fetcher = fetcher
        self.settings = settings
        self.owner = owner or default_owner()
        self.clock = clock
        self.rng = rng or random.Random()
        self.on_outcome = on_outcome
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )
        self._waiting: list[_Batch] = []  # polls whose articles wait for the ingest worker
        self._ingesting: asyncio.Task[None] | None = None  # one worker: order and SQLite writes
        self._tasks: set[asyncio.Task[PollOutcome]] = set()
        self._ticks: set[asyncio.Task] = set()
        self._closing = False
        self._refilling = False

    # -- entry points ---------------------------------------------------------
    async def tick(self) -> None:
        """Lease what is due and poll it in the background (the scheduler's job)."""
        room = min(self.settings.batch, self.settings.max_in_flight - len(self._tasks))
        if self._closing or room <= 0:
            return
        ticking = asyncio.current_task()
        if ticking is not None:
            self._ticks.add(ticking)
        try:
            await self._claim_and_start(room)
        finally:
            self._ticks.discard(ticking)

    async def _claim_and_start(self, room: int) -> None:
        leasing = asyncio.ensure_future(self._lease(room))
        try:
            sources = await asyncio.shield(leasing)
        except asyncio.CancelledError:  # shutting down mid-lease: the UPDATE still commits
            sources = await leasing
            self._closing = True
        if self._closing:  # give the leases back rather than orphan them until they expire
            for source in sources:
                await self._db(self._release, source.id)
            return
        for source in sources:
            task = asyncio.create_task(self.poll(source), name=f"poll-{source.id}")
            self._tasks.add(task)
            task.add_done_callback(self._poll_done)
        if len(sources) == room:  # more may be due: keep the pipeline full, not one batch a tick
            self._refill()

    def _poll_done(self, task: asyncio.Task[PollOutcome]) -> None:
        self._tasks.discard(task)
        self._refill()

    def _refill(self) -> None:
        """Lease more due sources as polls finish, so a large watch list is not capped by
        the tick interval (1,000 feeds every 10 minutes need 100 polls a minute)."""
        if self._closing or self._refilling:
            return
        self._refilling = True

        async def refill() -> None:
            try:
                await self.tick()
            finally:
                self._refilling = False

        asyncio.get_running_loop().create_task(refill())

    async def poll_due(self) -> list[PollOutcome]:
        """Lease what is due and poll it to the end, batch after batch until nothing is due:
        one pass, for tests and one-shot runs."""
        outcomes: list[PollOutcome] = []
        while sources := await self._lease(self.settings.batch):
            outcomes += await asyncio.gather(*(self.poll(s) for s in sources))
        return outcomes

    async def close(self) -> None:
        """Stop taking work and abandon polls in flight; their leases are given back.

        An article being ingested finishes or rolls back as one transaction.
        """
        self._closing = True
        await asyncio.gather(*self._ticks, return_exceptions=True)  # a lease being taken
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ingesting is not None:  # it stops after the transaction it is in
            await asyncio.gather(self._ingesting, return_exceptions=True)

    # -- one source -----------------------------------------------------------
    async def poll(self, source: SourceRecord) -> PollOutcome:
        log_ = log.bind(source_id=source.id, url=source.url, tenant=source.tenant)
        try:
            fetched = await self.read(source)
            results = [] if fetched.not_modified else await self.ingest(source, fetched.articles)
        except asyncio.CancelledError:
            await asyncio.shield(self._db(self._release, source.id))
            log_.info("poll.abandoned")
            raise
        except (FetchError, SourceError, IngestFailed) as exc:
            outcome = await self._db(self._failed, source, exc)
            log_.warning(
                "poll.failed",
                error=outcome.error,
                failures=source.failures + 1,
                next_due=outcome.next_due.isoformat() if outcome.next_due else None,
            )
        else:
            outcome = await self._db(self._succeeded, source, fetched, results)
            log_.info(
                "poll.ok" if not fetched.not_modified else "poll.not_modified",
                articles=len(fetched.articles),
                new=len(outcome.new_articles),
                alerts=outcome.alerts,
                next_due=outcome.next_due.isoformat(),
            )
        if self.on_outcome:
            self.on_outcome(outcome)
        return outcome

    async def read(self, source: SourceRecord) -> Fetched:
        """Fetch and parse one source (conditional GET with the stored validators)."""
        stored = Validators(source.etag, source.last_modified)
        async with self._hosts[_host(source.url)]:
            res = await self.fetcher.fetch(source.url, stored)
        if res.not_modified:
            return Fetched(source.kind, [], stored, not_modified=True)  # type: ignore[arg-type]
        now = self.clock()
        kind = source.kind if source.kind in ("feed", "page") else None
        kind = kind or detect_kind(res.body, res.content_type)
        if kind == "page":
            article = parse_page(
                res.body,
                res.url,
                charset=res.charset,
                content_type=res.content_type,
                fetched_at=now,
                last_modified=res.last_modified_at,
            )
            return Fetched("page", [article], res.validators)
        feed = parse_feed(
            res.body,
            res.url,
            fetched_at=now,
            content_type=res.content_type,
            teaser_chars=self.settings.teaser_chars,
        )
        articles = [
            await self._full_text(e.article) if e.teaser else e.article for e in feed.entries
        ]
        return Fetched("feed", articles, res.validators, feed.ttl_seconds)

    async def _full_text(self, article: Article) -> Article:
        """A feed entry that is only a teaser: read the article's own page for its text."""
        assert article.url is not None
        try:
            async with self._hosts[_host(article.url)]:
                res = await self.fetcher.fetch(article.url)
            page = parse_page(
                res.body,
                res.url,
                charset=res.charset,
                content_type=res.content_type,
                fetched_at=self.clock(),
            )
        except (FetchError, SourceError) as exc:
            log.warning("entry.page_unreadable", url=article.url, error=str(exc))
            return article  # the teaser is better than nothing; a changed text is re-checked
        return replace(article, text=page.text)

    async def ingest(self, source: SourceRecord, articles: list[Article]) -> list[IngestResult]:
        """Each article in its own transaction (the pipeline's), in order.

        One worker ingests for the whole process. The polls that finish while it is
        busy are taken together next: one extraction pass over all their articles
        (cheaper per article than one by one), then each article's transaction.
        Nothing waits for a batch to fill, so a lone article is never delayed.
        """
        if not articles:
            return []
        batch = _Batch(source, articles, asyncio.get_running_loop().create_future())
        self._waiting.append(batch)
        if self._ingesting is None or self._ingesting.done():
            self._ingesting = asyncio.create_task(self._ingest_waiting(), name="ingest")
        return await batch.done

    async def _ingest_waiting(self) -> None:
        while self._waiting:
            batches = [b for b in self._waiting if not b.done.done()]  # not given up on
            self._waiting = []
            outcomes = await asyncio.to_thread(self._ingest_batches, batches)
            for b, outcome in zip(batches, outcomes, strict=True):
                if b.done.done():
                    continue
                if isinstance(outcome, IngestFailed):
                    b.done.set_exception(outcome)
                else:
                    b.done.set_result(outcome)

    def _ingest_batches(self, batches: list[_Batch]) -> list[list[IngestResult] | IngestFailed]:
        """A failed article fails its own poll, which is retried; the other polls go on."""
        items = [Incoming(a, b.source.tenant, b.source.id) for b in batches for a in b.articles]
        try:
            prepared = iter(self.pipeline.prepare(items))
        except Exception as exc:  # a database outage: every poll is retried later
            return [IngestFailed(f"ingest failed: {exc!r}") for _ in batches]
        outcomes: list[list[IngestResult] | IngestFailed] = []
        for b in batches:
            mine = [next(prepared) for _ in b.articles]
            results: list[IngestResult] = []
            for p in mine:
                if self._closing:  # stop between transactions, never inside one
                    outcomes.append(IngestFailed("shutting down"))
                    break
                try:
                    results.append(self.pipeline.commit(p))
                except Exception as exc:  # a bug or a database outage: retry the poll later
                    key = p.item.article.key
                    outcomes.append(IngestFailed(f"ingest failed on {key}: {exc!r}"))
                    break
            else:
                outcomes.append(results)
        return outcomes

    # -- bookkeeping ------------------------------------------------------------
    def _jitter(self, seconds: float) -> timedelta:
        spread = self.rng.uniform(0, self.settings.jitter_fraction * seconds)
        return timedelta(seconds=seconds + spread)

    def backoff_seconds(self, failures: int, retry_after: float | None = None) -> float:
        """Delay after the `failures`-th failure in a row: base, 2x base, 4x base ... capped."""
        s = self.settings
        delay = min(s.backoff_base_seconds * 2 ** max(failures - 1, 0), s.backoff_max_seconds)
        return max(delay, min(retry_after or 0.0, s.backoff_max_seconds))

    async def _lease(self, limit: int) -> list[SourceRecord]:
        def lease() -> list[SourceRecord]:
            with self.store.session() as tx:
                return tx.lease_due(self.owner, self.clock(), self.settings.lease_seconds, limit)

        return await self._db(lease)

    async def _db(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    def _succeeded(
        self, source: SourceRecord, fetched: Fetched, results: list[IngestResult]
    ) -> PollOutcome:
        now = self.clock()
        interval = max(source.every_seconds, fetched.ttl_seconds or 0)
        next_due = now + self._jitter(interval)
        with self.store.session() as tx:
            tx.record_success(
                source.id,
                self.owner,
                now=now,
                next_due=next_due,
                etag=fetched.validators.etag,
                last_modified=fetched.validators.last_modified,
                kind=fetched.kind,
            )
        status = "not_modified" if fetched.not_modified else "ok"
        return PollOutcome(source.id, source.url, status, results, None, next_due)

    def _failed(self, source: SourceRecord, exc: Exception) -> PollOutcome:
        failures = source.failures + 1
        delay = self.backoff_seconds(failures, getattr(exc, "retry_after", None))
        next_due = self.clock() + self._jitter(delay)
        with self.store.session() as tx:
            tx.record_failure(
                source.id,
                self.owner,
                error=str(exc),
                next_due=next_due,
                unhealthy_after=self.settings.unhealthy_after,
            )
        return PollOutcome(source.id, source.url, "failed", [], str(exc), next_due)

    def _release(self, source_id: int) -> None:
        with self.store.session() as tx:
            tx.release_source(source_id, self.owner)


@dataclass(frozen=True)
class _Batch:
    """One poll's new articles, waiting for the ingest worker."""

    source: SourceRecord
    articles: list[Article]
    done: asyncio.Future[list[IngestResult]]


class IngestFailed(Exception):
    """The pipeline raised on an article; the poll counts as failed and is retried."""


def build_scheduler(poller: Poller) -> AsyncIOScheduler:
    """An asyncio scheduler with one job: the tick. Start it inside the running loop.

    The schedule itself lives in the database (APScheduler 3's job stores cannot be
    shared between processes), so the job only asks "what is due?".
    """
    s = poller.settings
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        poller.tick,
        "interval",
        seconds=s.tick_seconds,
        jitter=s.tick_jitter_seconds,
        id="claimwatch-poll-tick",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    return scheduler
