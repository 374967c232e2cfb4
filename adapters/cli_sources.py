"""`claimwatch watch ...` and `claimwatch run`: the sources side of the command line.

Only argument parsing and printing live here; the work is bot.watching's (shared
with the chat commands) and adapters.runner's.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.settings import Settings

watch_app = typer.Typer(
    no_args_is_help=True, help="Feeds and pages to poll for new articles (per team)."
)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: CLAIMWATCH_DB_URL).")
]
TenantOption = Annotated[
    str | None, typer.Option("--tenant", help="Team whose sources these are (default: local).")
]


def _settings(db: str | None, tenant: str | None = None) -> Settings:
    s = Settings()
    updates = {k: v for k, v in (("db_url", db), ("tenant", tenant)) if v}
    return s.model_copy(update=updates)


def _store(settings: Settings):
    from store import Store

    return Store(settings.db_url)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@watch_app.command("add")
def watch_add(
    url: Annotated[str, typer.Argument(help="An RSS/Atom feed or a web page (http/https).")],
    every: Annotated[
        str | None, typer.Option("--every", help="Poll interval: 90s, 10m, 1h... (default 10m).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Label (default: its title).")] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="feed or page; skips the first read (default: detect)."),
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Watch a feed or page: it is read once now, then polled on its schedule by `run`."""
    from bot import watching
    from bot.fetch import Fetcher, FetchSettings

    settings = _settings(db, tenant)
    if kind not in (None, "feed", "page"):
        raise _fail(f"--kind must be feed or page, not {kind!r}")

    async def add():
        async with Fetcher(FetchSettings.from_settings(settings)) as fetcher:
            return await watching.add_watch(
                store,
                fetcher,
                settings.tenant,
                url,
                every_seconds=seconds,
                name=name,
                kind=kind,
                created_by="cli",  # type: ignore[arg-type]
            )

    try:
        seconds = watching.parse_every(every) if every else settings.default_every_seconds
        store = _store(settings)
        try:
            source = asyncio.run(add())
        finally:
            store.close()
    except watching.WatchError as exc:
        raise _fail(str(exc)) from None
    label = f" “{source.name}”" if source.name else ""
    typer.echo(
        f"Watching {source.kind}{label} as source {source.id}, every "
        f"{watching.format_every(source.every_seconds)}: {source.url}"
    )


@watch_app.command("list")
def watch_list(db: DbOption = None, tenant: TenantOption = None) -> None:
    """The team's sources with their health, schedule and last error."""
    from bot import watching

    settings = _settings(db, tenant)
    store = _store(settings)
    try:
        sources = watching.list_watches(store, settings.tenant)
    finally:
        store.close()
    if not sources:
        typer.echo("No sources watched yet: claimwatch watch add URL")
        return
    for source in sources:
        typer.echo(watching.status_line(source))


@watch_app.command("remove")
def watch_remove(
    ref: Annotated[str, typer.Argument(help="Source id (see `watch list`) or URL.")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Stop watching a source; the articles it brought in are kept."""
    from bot import watching

    settings = _settings(db, tenant)
    store = _store(settings)
    try:
        source = watching.remove_watch(store, settings.tenant, ref)
    except watching.WatchError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"Stopped watching source {source.id}: {source.url}")


def _pause(ref: str, paused: bool, db: str | None, tenant: str | None) -> None:
    from bot import watching

    settings = _settings(db, tenant)
    store = _store(settings)
    try:
        source = watching.pause_watch(store, settings.tenant, ref, paused)
    except watching.WatchError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"Source {source.id} {'paused' if paused else 'resumed'}: {source.url}")


@watch_app.command("pause")
def watch_pause(
    ref: Annotated[str, typer.Argument(help="Source id or URL.")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Stop polling a source for now (it keeps its place and history)."""
    _pause(ref, True, db, tenant)


@watch_app.command("resume")
def watch_resume(
    ref: Annotated[str, typer.Argument(help="Source id or URL.")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Poll a paused (or unhealthy) source again, starting now."""
    _pause(ref, False, db, tenant)


def run_command(
    db: DbOption = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Also read /commands from the terminal.")
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="Poll what is due once, print alerts, exit (cron).")
    ] = False,
) -> None:
    """Poll watched sources and post alerts: console always, Slack/Discord when configured."""
    from adapters.runner import run

    raise typer.Exit(run(_settings(db), interactive=interactive, once=once))


def register(app: typer.Typer) -> None:
    """Attach the watch sub-commands and `run` to the main app."""
    app.add_typer(watch_app, name="watch")
    app.command("run")(run_command)
