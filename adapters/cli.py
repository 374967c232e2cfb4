"""The `claimwatch` command line: the terminal is an adapter like Slack and Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Watch news sources and alert on changed claims.")


@app.command()
def replay(
    story_dir: Annotated[Path, typer.Argument(help="A story folder (articles.toml optional).")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per alert.")] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL; default: a fresh temporary one.")
    ] = None,
) -> None:
    """Ingest a story folder's articles in order and print the alerts they raise."""
    raise typer.Exit(run_replay(story_dir, json_out=json_out, db_url=db))


def run_replay(story_dir: Path, *, json_out: bool, db_url: str | None) -> int:
    import json
    import tempfile

    from bot.pipeline import Pipeline
    from bot.replay import StoryFolderError, alert_record, load_story
    from store import Store

    try:
        articles = load_story(story_dir)
    except StoryFolderError as exc:
        typer.echo(f"claimwatch replay: {exc}", err=True)
        return 2
    with tempfile.TemporaryDirectory(prefix="claimwatch-") as tmp:
        store = Store(db_url or f"sqlite:///{Path(tmp) / 'replay.db'}")
        pipeline = Pipeline(store)
        total = 0
        for article in articles:
            result = pipeline.ingest(article)
            for alert in result.alerts:
                total += 1
                if json_out:
                    typer.echo(json.dumps(alert_record(alert), ensure_ascii=False))
                else:
                    typer.echo(format_alert(alert) + "\n")
        if not json_out:
            typer.echo(f"{len(articles)} articles, {total} alerts.", err=True)
        store.close()
    return 0


def format_alert(alert) -> str:
    """An alert as terminal text: what changed, old vs new with who and when, the quotes."""
    from bot.render import alert_view

    try:
        view = alert_view(alert)
    except NotImplementedError:
        view = None
    if view is not None:
        lines = [f"[{view.kind}] {view.headline}"]
        for label, side in (("was", view.old), ("now", view.new)):
            lines.append(f"  {label}: {side.figure} - {side.source}, {side.date} ({side.article})")
            lines.append(f"       \u201c{side.quote}\u201d")
        return "\n".join(lines)
    return repr(alert)


def _register_subcommands() -> None:
    from adapters.cli_sources import register

    register(app)


_register_subcommands()


def main() -> None:
    app()
