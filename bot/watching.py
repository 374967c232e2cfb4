"""The watch commands' logic, once for every front end (terminal, Slack, Discord).

`watch add` reads the URL once before storing it: that refuses unsafe or
unreadable URLs while the user is still there to see why, tells feeds from
pages, and names the source after its title.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.fetch import Fetcher, FetchError
from bot.sources import SourceError, SourceKind, canonical_url, detect_kind, parse_feed, parse_page
from bot.urlsafety import UnsafeURL, ensure_public
from store.sources import DuplicateSource, SourceRecord

MIN_EVERY_SECONDS = 60  # polite to publishers; a feed rarely changes faster
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class WatchError(ValueError):
    """A watch command that cannot be done; the message is shown to the user as is."""


def parse_every(text: str) -> int:
    """'90s', '10m', '1h30m', '2d' or plain seconds -> seconds."""
    t = text.strip().lower().replace(" ", "")
    if t.isdigit():
        return int(t)
    parts = re.findall(r"(\d+)([smhd])", t)
    if not parts or "".join(n + u for n, u in parts) != t:
        raise WatchError(f"cannot read the interval {text!r}: use e.g. 90s, 10m, 1h30m or 2d")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def format_every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def add_watch(
    store,  # store.Store
    fetcher: Fetcher,
    tenant: str,
    url: str,
    *,
    every_seconds: int,
    name: str | None = None,
    kind: SourceKind | None = None,
    created_by: str | None = None,
    now: datetime | None = None,
    min_every_seconds: int = MIN_EVERY_SECONDS,
) -> SourceRecord:
    """Validate, probe and store a new source; due at once so the next tick polls it.

    With `kind` given the probe is skipped (a feed that is down today can still be
    added), but the address rules are checked all the same.
    """
    if every_seconds < min_every_seconds:
        raise WatchError(
            f"polling every {format_every(every_seconds)} is too often; "
            f"the minimum is {format_every(min_every_seconds)}"
        )
    url = url.strip()
    try:
        if kind is None:
            kind, title = await _probe(fetcher, url)
            name = name or title
        else:
            await ensure_public(url, fetcher.settings.allow)
    except UnsafeURL as exc:
        raise WatchError(str(exc)) from None
    try:
        key = canonical_url(url)
    except Exception as exc:  # url-normalize rejects some malformed URLs
        raise WatchError(f"cannot read the URL {url!r}: {exc}") from None
    with store.session() as tx:
        try:
            return tx.add_source(
                tenant,
                key,
                kind,
                every_seconds=every_seconds,
                now=now or datetime.now(UTC),
                name=name,
                created_by=created_by,
            )
        except DuplicateSource as exc:
            raise WatchError(str(exc)) from None


async def _probe(fetcher: Fetcher, url: str) -> tuple[SourceKind, str | None]:
    try:
        res = await fetcher.fetch(url)
        kind = detect_kind(res.body, res.content_type)
        now = datetime.now(UTC)
        if kind == "feed":
            return kind, parse_feed(res.body, res.url, fetched_at=now).title
        page = parse_page(
            res.body, res.url, charset=res.charset, content_type=res.content_type, fetched_at=now
        )
        return kind, page.title
    except FetchError as exc:
        if exc.kind == "refused":
            raise UnsafeURL(str(exc)) from None
        raise WatchError(
            f"could not read {url}: {exc} (to watch it anyway, give --kind feed or --kind page)"
        ) from None
    except SourceError as exc:
        raise WatchError(f"cannot watch {url}: {exc}") from None


def list_watches(store, tenant: str) -> list[SourceRecord]:
    with store.session() as tx:
        return tx.list_sources(tenant)


def _find(tx, tenant: str, ref: str) -> SourceRecord:
    ref = ref.strip()
    source = tx.find_source(tenant, ref)
    if source is None and not ref.isdigit():
        try:
            source = tx.find_source(tenant, canonical_url(ref))
        except Exception:
            source = None
    if source is None:
        raise WatchError(f"no watched source {ref!r} (see `watch list` for ids)")
    return source


def remove_watch(store, tenant: str, ref: str) -> SourceRecord:
    """Stop watching a source given by id or URL; the articles it brought in stay."""
    with store.session() as tx:
        source = _find(tx, tenant, ref)
        tx.remove_source(tenant, source.id)
        return source


def pause_watch(store, tenant: str, ref: str, paused: bool = True) -> SourceRecord:
    """Pause (or resume: due at once, failures forgiven) a source given by id or URL."""
    with store.session() as tx:
        source = _find(tx, tenant, ref)
        updated = tx.set_source_paused(tenant, source.id, paused, datetime.now(UTC))
        assert updated is not None
        return updated


def status_line(source: SourceRecord, now: datetime | None = None) -> str:
    """One line a person can act on: state, schedule, last success, last error."""
    now = now or datetime.now(UTC)
    if source.paused:
        state = "paused"
    elif not source.healthy:
        state = f"UNHEALTHY ({source.failures} failures in a row)"
    elif source.failures:
        state = f"failing ({source.failures} in a row)"
    elif source.last_ok is None:
        state = "waiting for its first poll"
    else:
        state = "ok"
    bits = [state, f"every {format_every(source.every_seconds)}"]
    if source.last_ok:
        bits.append(f"last ok {format_every(_round(now - source.last_ok))} ago")
    if not source.paused:
        due = source.next_due - now
        bits.append("due now" if due <= timedelta(0) else f"next in {format_every(_round(due))}")
    bits.append(f"{source.articles} articles")
    label = f"{source.name} " if source.name else ""
    line = f"[{source.id}] {source.kind} {label}<{source.url}>: " + ", ".join(bits)
    if source.last_error:
        line += f"\n      last error: {source.last_error}"
    return line


def _round(delta: timedelta) -> int:
    """Whole minutes past a minute, whole seconds below: "next in 9m", not "9m59s"."""
    secs = max(int(delta.total_seconds()), 0)
    return secs - secs % 60 if secs >= 60 else secs
