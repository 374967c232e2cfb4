"""The chat commands, once for every platform: /claims, /watch, /alerts.

Adapters parse their platform's input into a `Caller` and arguments, check
permissions with their platform's own means (setting `Caller.is_admin`), call
one of these and render the `Reply`. No adapter holds query or comparison logic.
Every method answers with a `Reply`; a user error is `Reply(error=True)` with a
short hint, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from bot.metrics import matches_query
from bot.model import Alert, Article, Claim, ClaimKind
from bot.render import figure_text, headline, link_of, metric_name, source_of
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    tenant: str  # Slack team id / Discord guild id / "local"
    user: str
    platform: str  # "slack" | "discord" | "console"
    channel: str
    is_admin: bool = False


@dataclass(frozen=True)
class ReplyField:
    name: str
    value: str


@dataclass(frozen=True)
class Reply:
    """What a command answers: adapters turn it into blocks, embeds or terminal text."""

    text: str
    title: str | None = None
    fields: list[ReplyField] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    image_url: str | None = None
    ephemeral: bool = True  # only the caller sees it unless they asked to post
    error: bool = False


# Fetches one URL as an Article (the fetch module's job; injectable for tests)
Fetcher = Callable[[str], Awaitable[Article]]

FIELD_MAX = 1000  # Discord caps an embed field at 1024 characters, Slack a section at 3000
USAGE = {
    "claims": "`/claims QUERY` (add `post` to share it in the channel), `/claims` for the "
    "stories tracked, `/claims check URL` to check one article now",
    "watch": "`/watch add URL [EVERY]`, `/watch list`, `/watch remove ID`, "
    "`/watch pause|resume ID`",
    "alerts": "`/alerts here [FILTER]`, `/alerts off`, `/alerts mute METRIC DURATION` "
    "(e.g. `/alerts mute captured 2h`), `/alerts links on|off`",
}
_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def _error(text: str) -> Reply:
    return Reply(text=text, error=True)


def _clip(text: str, limit: int = FIELD_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_duration(text: str) -> timedelta | None:
    """ "30m", "2h", "1 day", "2w" -> a timedelta; None if it isn't one."""
    m = _DURATION.match(text.strip().lower())
    if not m:
        return None
    return timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2)[0]])


def valid_url(text: str) -> str | None:
    """The URL if it is an http(s) address with a host, else None."""
    text = text.strip().strip("<>").split("|", 1)[0]  # Slack wraps links as <url|label>
    parsed = urlparse(text)
    if parsed.scheme in ("http", "https") and parsed.hostname:
        return text
    return None


def _when(claim: Claim) -> tuple:
    return (claim.as_of, claim.published, claim.position, claim.id or 0)


def _matches(claim: Claim, query: str) -> bool:
    """Query matching by meaning (bot.metrics); status claims also match by their status."""
    from bot import metrics

    by_claim = getattr(metrics, "matches_claim", None)
    return by_claim(claim, query) if by_claim else matches_query(claim.metric, query)


def _group_key(claim: Claim) -> tuple[str, str, str | None]:
    """What a claim measures, as comparison sees it: kind, event and scope."""
    return (claim.kind.value, claim.metric.predicate, claim.metric.scope)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class Commands:
    """The command layer over a Store, a Pipeline and the watched-sources functions."""

    def __init__(
        self,
        store,  # store.Store
        pipeline=None,  # bot.pipeline.Pipeline; made from the store when omitted
        *,
        fetcher: Fetcher | None = None,
        http=None,  # bot.fetch.Fetcher: one shared HTTP client; made on first use
        settings: Settings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if pipeline is None:
            from bot.pipeline import Pipeline

            pipeline = Pipeline(store)
        self.store = store
        self.pipeline = pipeline
        self.settings = settings or Settings()
        self._fetcher = fetcher
        self._http_client = http
        self.clock = clock

    def _http(self):
        """The shared, address-checking HTTP client of bot.fetch."""
        if self._http_client is None:
            from bot.fetch import Fetcher as HttpFetcher
            from bot.fetch import FetchSettings

            self._http_client = HttpFetcher(FetchSettings.from_settings(self.settings))
        return self._http_client

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()

    # -- text entry point (Slack's and the console's command text) ----------
    async def run(self, caller: Caller, command: str, text: str) -> Reply:
        """Parse `/COMMAND TEXT` as typed and dispatch; unknown input gets the usage."""
        command = command.strip().lstrip("/!").lower()
        args = text.split()
        sub = args[0].lower() if args else ""
        try:
            if command == "claims":
                if sub == "check":
                    if len(args) != 2:
                        return _error(f"Usage: `/claims check URL`. {USAGE['claims']}")
                    return await self.claims_check(caller, args[1])
                if sub == "help":
                    return Reply(text=USAGE["claims"])
                post = bool(args) and args[-1].lower() in ("post", "--post")
                query = " ".join(args[:-1] if post else args)
                return await self.claims(caller, query, post=post)
            if command == "watch":
                if sub == "add" and len(args) in (2, 3):
                    every = args[2] if len(args) == 3 else None
                    return await self.watch_add(caller, args[1], every)
                if sub == "list" and len(args) == 1:
                    return await self.watch_list(caller)
                if sub == "remove" and len(args) == 2:
                    return await self.watch_remove(caller, args[1])
                if sub in ("pause", "resume") and len(args) == 2:
                    return await self.watch_pause(caller, args[1], sub == "pause")
                return _error(f"Unknown `/watch {text.strip()}`. Try {USAGE['watch']}.")
            if command == "alerts":
                if sub == "here":
                    return await self.alerts_here(caller, " ".join(args[1:]) or None)
                if sub == "off" and len(args) == 1:
                    return await self.alerts_off(caller)
                if sub == "mute" and len(args) >= 3:
                    return await self.alerts_mute(caller, " ".join(args[1:-1]), args[-1])
                if sub == "links" and len(args) == 2 and args[1].lower() in ("on", "off"):
                    return await self.alerts_links(caller, args[1].lower() == "on")
                return _error(f"Unknown `/alerts {text.strip()}`. Try {USAGE['alerts']}.")
        except Exception:  # never show a stack trace in chat; the log has it
            log.exception("command /%s %s failed", command, text)
            return _error("Something went wrong on our side; the error is logged. Try again later.")
        return _error(f"Unknown command `/{command}`. Commands: /claims, /watch, /alerts.")

    # -- /claims ----------------------------------------------------------------
    async def claims(self, caller: Caller, query: str, post: bool = False) -> Reply:
        """What is known about the metrics matching `query`; no query: the stories tracked."""
        query = query.strip()
        if not query:
            return self._stories_overview(caller.tenant, post)
        with self.store.session() as tx:
            pairs = tx.tenant_claims(caller.tenant)
            matched = [(sid, c) for sid, c in pairs if _matches(c, query)]
            if not matched:
                known = sorted({metric_name(c.metric) for _, c in pairs})
                hint = (
                    f" Known: {', '.join(known[:8])}{'…' if len(known) > 8 else ''}."
                    if known
                    else " No claims are stored yet: `/watch add URL` or `/claims check URL`."
                )
                return _error(f"Nothing known matches “{query}”.{hint}")
            stories = {s.id: s for s in tx.stories(caller.tenant)}
            alerts = tx.alerts(caller.tenant)
            keys = [c.article_key for _, c in matched] + [a.old.article_key for a in alerts]
            refs = tx.article_refs(caller.tenant, keys)

        # one entry per story and measured thing, however each article worded the entity
        groups: dict[tuple, list[Claim]] = defaultdict(list)
        for sid, c in matched:
            groups[(sid, *_group_key(c))].append(c)
        fields, links = [], []
        for key, claims in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or "")
        ):
            sid, kind = key[0], key[1]
            latest: dict[str, Claim] = {}
            for c in claims:
                who = c.source_key or source_of(c, refs)
                if who not in latest or _when(c) > _when(latest[who]):
                    latest[who] = c
            lines = [
                f"• {source_of(c, refs)}: {figure_text(c)} ({c.as_of.isoformat()})"
                for c in sorted(latest.values(), key=_when)
            ]
            changes = [a for a in alerts if a.story_id == sid and (sid, *_group_key(a.new)) == key]
            if changes:
                lines.append("Changes:")
                lines += [f"• {a.new.as_of.isoformat()}: {headline(a, refs)}" for a in changes]
            story = stories.get(sid)
            what = "status" if kind == ClaimKind.STATUS.value else "figures"
            label = Counter(metric_name(c.metric) for c in claims).most_common(1)[0][0]
            name = f"{label} ({what})" + (f" · {story.title[:60]}" if story else "")
            fields.append(ReplyField(name=name, value=_clip("\n".join(lines))))
            links += [x for c in latest.values() if (x := link_of(c, refs))]
        n_stories = len({key[0] for key in groups})
        return Reply(
            title=f"What is known: {query}",
            text=(
                f"{len(groups)} metric{'s' * (len(groups) != 1)} matching “{query}” in "
                f"{n_stories} stor{'ies' if n_stories != 1 else 'y'}: the latest figure from "
                "each source, then the changes."
            ),
            fields=fields,
            links=list(dict.fromkeys(links)),
            ephemeral=not post,
        )

    def _stories_overview(self, tenant: str, post: bool) -> Reply:
        with self.store.session() as tx:
            stories = tx.stories(tenant)
            pairs = tx.tenant_claims(tenant)
            alerts = tx.alerts(tenant)
            refs = tx.article_refs(tenant, [a.new.article_key for a in alerts[-50:]])
        if not stories:
            return Reply(
                text="No stories tracked yet. Watch a source with `/watch add URL`, or post a "
                "link in a channel where alerts are on.",
                ephemeral=not post,
            )
        count: dict[int, int] = defaultdict(int)
        for sid, _ in pairs:
            count[sid] += 1
        by_story: dict[int, list[Alert]] = defaultdict(list)
        for a in alerts:
            by_story[a.story_id].append(a)
        fields = []
        for s in sorted(
            stories,
            key=lambda s: s.last_published or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        ):
            recent = by_story[s.id][-3:]
            lines = [f"• {a.new.as_of.isoformat()}: {headline(a, refs)}" for a in reversed(recent)]
            if not lines:
                lines = [f"No changes yet ({count[s.id]} claims)."]
            fields.append(ReplyField(name=s.title[:200], value=_clip("\n".join(lines))))
        return Reply(
            title="Stories tracked",
            text=f"{len(stories)} stor{'ies' if len(stories) != 1 else 'y'} tracked, with their "
            "most recent changes. `/claims QUERY` for one figure.",
            fields=fields,
            ephemeral=not post,
        )

    async def claims_check(self, caller: Caller, url: str) -> Reply:
        """Run one article through extraction and comparison now; nothing is stored."""
        clean = valid_url(url)
        if clean is None:
            return _error(f"“{url}” is not a web address. Usage: `/claims check https://…`")
        try:
            article = await self._fetch(clean)
        except Exception as exc:
            return _error(f"Could not read {clean}: {exc}")
        try:
            result = await asyncio.to_thread(self.pipeline.check, article, caller.tenant)
        except NotImplementedError:
            return _error("Checking articles is not available in this version yet.")
        with self.store.session() as tx:
            refs = tx.article_refs(caller.tenant, [a.old.article_key for a in result.alerts])
        claims = [
            f"• {c.metric.label}: {figure_text(c)} — {c.source or article.outlet or 'unattributed'}"
            f" ({c.as_of.isoformat()})"
            for c in result.claims
        ]
        alerts = [f"• {headline(a, refs)}" for a in result.alerts]
        return Reply(
            title=f"Checked: {article.title or clean}"[:250],
            text=f"{len(result.claims)} claim{'s' * (len(result.claims) != 1)} found; "
            f"{len(result.alerts)} would be alerted.",
            fields=[
                ReplyField("Claims found", _clip("\n".join(claims) or "None.")),
                ReplyField("Would alert", _clip("\n".join(alerts) or "Nothing new.")),
            ],
            links=[clean],
        )

    async def read_link(self, caller: Caller, url: str) -> int | None:
        """Ingest a link posted in a channel with alerts and link reading on.

        Returns the number of alerts it raised (routed by the pipeline), or None
        when the channel does not read links or the link could not be read.
        """
        clean = valid_url(url)
        if clean is None:
            return None
        with self.store.session() as tx:
            ch = tx.get_channel(caller.tenant, caller.platform, caller.channel)
        if ch is None or not ch.enabled or not ch.read_links:
            return None
        try:
            article = await self._fetch(clean)
            result = await asyncio.to_thread(self.pipeline.ingest, article, caller.tenant)
        except Exception as exc:
            log.info("link %s not read: %s", clean, exc)
            return None
        return len(result.alerts)

    async def _fetch(self, url: str) -> Article:
        """One URL as an Article: the fetch module's client, then the page reader."""
        if self._fetcher is not None:
            return await self._fetcher(url)
        from bot.fetch import FetchError
        from bot.sources import SourceError, parse_page

        try:
            res = await self._http().fetch(url)
            return parse_page(
                res.body,
                res.url,
                charset=res.charset,
                content_type=res.content_type,
                fetched_at=self.clock(),
                last_modified=res.last_modified_at,
            )
        except (FetchError, SourceError) as exc:
            raise LookupError(str(exc)) from None

    async def metric_names(self, tenant: str, prefix: str) -> list[str]:
        """Metric labels for autocomplete: those containing or meaning `prefix` (max 25)."""
        prefix = prefix.strip().lower()
        with self.store.session() as tx:
            metrics = {metric_name(c.metric): c.metric for _, c in tx.tenant_claims(tenant)}
        names = [
            label
            for label, m in metrics.items()
            if not prefix or prefix in label.lower() or matches_query(m, prefix)
        ]
        return sorted(names)[:25]

    # -- /watch (admins): the sources engineer's bot.watching does the work ---------
    def _admin_only(self, caller: Caller, what: str) -> Reply | None:
        if caller.is_admin:
            return None
        return _error(f"Only admins can {what}. Ask an admin of this workspace or server.")

    async def watch_add(self, caller: Caller, url: str, every: str | None = None) -> Reply:
        """Watch a feed or page (probed once now, so a bad URL is refused while you look)."""
        if refused := self._admin_only(caller, "add watched sources"):
            return refused
        clean = valid_url(url)
        if clean is None:
            return _error(f"“{url}” is not a web address. Usage: `/watch add https://…/feed`")
        from bot import watching

        try:
            seconds = watching.parse_every(every) if every else self.settings.default_every_seconds
            src = await watching.add_watch(
                self.store,
                self._http(),
                caller.tenant,
                clean,
                every_seconds=seconds,
                created_by=caller.user,
            )
        except watching.WatchError as exc:
            return _error(f"Not watching {clean}: {exc}")
        name = f" “{src.name}”" if src.name else ""
        return Reply(
            text=f"Watching {src.kind}{name} (source {src.id}) every "
            f"{watching.format_every(src.every_seconds)}; new articles are checked for changes.",
            links=[src.url],
            ephemeral=False,
        )

    async def watch_list(self, caller: Caller) -> Reply:
        if refused := self._admin_only(caller, "list watched sources"):
            return refused
        from bot import watching

        sources = watching.list_watches(self.store, caller.tenant)
        if not sources:
            return Reply(text="No sources watched yet. Add one with `/watch add URL`.")
        now = self.clock()
        return Reply(
            title="Watched sources",
            text="\n".join(watching.status_line(s, now) for s in sources),
        )

    async def watch_remove(self, caller: Caller, ref: str) -> Reply:
        """Stop watching a source, given by the ID `/watch list` shows (or its URL)."""
        if refused := self._admin_only(caller, "remove watched sources"):
            return refused
        from bot import watching

        try:
            src = watching.remove_watch(self.store, caller.tenant, str(ref))
        except watching.WatchError as exc:
            return _error(f"{_cap(str(exc))}.")
        return Reply(text=f"Stopped watching source {src.id} ({src.url}).", ephemeral=False)

    async def watch_pause(self, caller: Caller, ref: str, paused: bool = True) -> Reply:
        if refused := self._admin_only(caller, "pause watched sources"):
            return refused
        from bot import watching

        try:
            src = watching.pause_watch(self.store, caller.tenant, str(ref), paused)
        except watching.WatchError as exc:
            return _error(f"{_cap(str(exc))}.")
        return Reply(
            text=f"Source {src.id} ({src.url}) {'paused' if paused else 'resumed'}.",
            ephemeral=False,
        )

    # -- /alerts (admins) -------------------------------------------------------
    async def alerts_here(self, caller: Caller, filter: str | None = None) -> Reply:
        """Post this tenant's alerts (optionally only those matching FILTER) in this channel."""
        if refused := self._admin_only(caller, "choose where alerts go"):
            return refused
        flt = (filter or "").strip() or None
        with self.store.session() as tx:
            ch = tx.set_channel(caller.tenant, caller.platform, caller.channel, flt)
        which = f"alerts about “{flt}”" if flt else "all alerts"
        links = "on" if ch.read_links else "off"
        return Reply(
            text=f"This channel now receives {which}. Links posted here are read and checked "
            f"({links}; `/alerts links on|off`).",
            ephemeral=False,
        )

    async def alerts_off(self, caller: Caller) -> Reply:
        if refused := self._admin_only(caller, "turn alerts off"):
            return refused
        with self.store.session() as tx:
            was_on = tx.disable_channel(caller.tenant, caller.platform, caller.channel)
        if not was_on:
            return _error("Alerts were not on in this channel. `/alerts here` turns them on.")
        return Reply(text="Alerts are off in this channel.", ephemeral=False)

    async def alerts_mute(self, caller: Caller, metric: str, duration: str) -> Reply:
        """Hold back alerts about metrics matching METRIC here for DURATION."""
        if refused := self._admin_only(caller, "mute alerts"):
            return refused
        span = parse_duration(duration)
        if span is None or not metric.strip():
            return _error(
                f"Usage: `/alerts mute METRIC DURATION`, e.g. `/alerts mute captured 2h` "
                f"(m, h, d or w; got “{duration}”)."
            )
        until = self.clock() + span
        with self.store.session() as tx:
            ch = tx.get_channel(caller.tenant, caller.platform, caller.channel)
            if ch is None or not ch.enabled:
                return _error("Alerts are not on in this channel; `/alerts here` first.")
            tx.add_mute(ch.id, metric.strip(), until)
            known = {
                c.metric.label
                for _, c in tx.tenant_claims(caller.tenant)
                if matches_query(c.metric, metric)
            }
        note = (
            f" (matches: {', '.join(sorted(known)[:5])})"
            if known
            else (" (nothing known matches it yet)")
        )
        return Reply(
            text=f"Alerts about “{metric.strip()}” muted here until "
            f"{until.strftime('%Y-%m-%d %H:%M')} UTC{note}.",
            ephemeral=False,
        )

    async def alerts_links(self, caller: Caller, on: bool) -> Reply:
        """Switch reading of links posted in this channel."""
        if refused := self._admin_only(caller, "change link reading"):
            return refused
        with self.store.session() as tx:
            done = tx.set_read_links(caller.tenant, caller.platform, caller.channel, on)
        if not done:
            return _error("Alerts are not on in this channel; `/alerts here` first.")
        return Reply(
            text=f"Links posted here will {'be' if on else 'no longer be'} read and checked.",
            ephemeral=False,
        )
