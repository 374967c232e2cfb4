"""`claimwatch run`: the composition root that wires store, pipeline, poller and adapters.

Only here are concrete pieces chosen: the terminal always gets alerts (console
delivery), Slack and Discord start only when their tokens are set, and their
modules are imported only then, so a console-only install never loads them.
Ctrl-C (or SIGTERM) sets one stop event: the scheduler stops ticking, polls in
flight are abandoned (their leases given back, validators untouched), an article
being ingested commits or rolls back as one transaction, adapters drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

import structlog

from bot.fetch import Fetcher, FetchSettings
from bot.pipeline import Pipeline
from bot.polling import Poller, PollOutcome, PollSettings, build_scheduler
from bot.settings import Settings
from store import Store

log = structlog.get_logger("claimwatch.run")

AdapterServe = Callable[..., Awaitable[None]]


def configure_logging(settings: Settings) -> None:
    """Structured logs on stderr (alerts go to stdout): key=value, or JSON lines."""
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # look sys.stderr up per logger: a stream captured at configure time may be closed later
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")


def chat_adapters(settings: Settings) -> dict[str, AdapterServe]:
    """The chat platforms whose tokens are set, imported lazily: name -> serve()."""
    found: dict[str, AdapterServe] = {}
    if settings.slack_bot_token:
        from adapters.slack import serve as slack_serve

        found["slack"] = slack_serve
    if settings.discord_token:
        from adapters.discord import serve as discord_serve

        found["discord"] = discord_serve
    return found


def _log_outcome(outcome: PollOutcome) -> None:
    if outcome.alerts:
        log.info("poll.alerts", source_id=outcome.source_id, alerts=outcome.alerts)


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_settings: PollSettings | None = None,
    out: TextIO | None = None,
    interactive: bool = False,
    once: bool = False,
) -> int:
    """Run until `stop` is set (or, with `once`, for a single poll and delivery pass)."""
    from adapters.console import ConsoleAdapter, ConsoleSink
    from bot.commands import Commands
    from bot.delivery import DeliveryWorker

    stop = stop or asyncio.Event()
    store = Store(settings.db_url)
    pipeline = Pipeline(store)
    fetcher = Fetcher(FetchSettings.from_settings(settings))
    poller = Poller(
        store,
        pipeline,
        fetcher,
        poll_settings or PollSettings.from_settings(settings),
        on_outcome=_log_outcome,
    )
    with store.session() as tx:  # the terminal shows the console team's alerts by default
        if tx.get_channel(settings.tenant, "console", "console") is None:
            tx.set_channel(settings.tenant, "console", "console", None)
    console = DeliveryWorker(store, [ConsoleSink(out)])
    adapters = chat_adapters(settings)
    log.info("run.start", db=store.url.split("@")[-1], adapters=["console", *adapters])

    if once:
        try:
            outcomes = await poller.poll_due()
            await console.run_once()
        finally:
            await fetcher.aclose()
            store.close()
        failed = [o for o in outcomes if o.status == "failed"]
        log.info("run.once", polled=len(outcomes), failed=len(failed))
        return 1 if failed else 0

    tasks = {asyncio.create_task(console.run(stop), name="console-delivery")}
    for name, serve_adapter in adapters.items():
        tasks.add(asyncio.create_task(serve_adapter(settings, store, stop=stop), name=name))
    commands = None
    if interactive:
        commands = Commands(store, pipeline, http=fetcher, settings=settings)
        repl = ConsoleAdapter(commands, tenant=settings.tenant, out=out)
        tasks.add(asyncio.create_task(repl.repl(prompt=False), name="console-commands"))
    scheduler = build_scheduler(poller)
    scheduler.start()
    try:
        pending: set[asyncio.Task] = {asyncio.create_task(stop.wait()), *tasks}
        while not stop.is_set():
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:  # an adapter died: say so and stop everything
                    log.error("run.adapter_failed", adapter=task.get_name(), error=repr(error))
                    stop.set()
    finally:
        log.info("run.stopping")
        stop.set()
        scheduler.shutdown(wait=False)
        await poller.close()
        for task in tasks:
            if task.get_name() == "console-commands":
                task.cancel()  # blocked on stdin; nothing to finish
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
        await fetcher.aclose()
        store.close()
        log.info("run.stopped")
    return 0


def run(settings: Settings, **kwargs) -> int:
    """Blocking entry point: Ctrl-C or SIGTERM stops cleanly; a second Ctrl-C forces."""
    configure_logging(settings)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(sig: signal.Signals) -> None:
            log.info("run.signal", signal=sig.name)
            stop.set()
            loop.remove_signal_handler(sig)  # the next one interrupts for real

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(sig, on_signal, sig)
        return await serve(settings, stop=stop, **kwargs)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
