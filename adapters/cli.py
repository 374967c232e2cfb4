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
    from bot.replay import run_replay

    raise typer.Exit(run_replay(story_dir, json_out=json_out, db_url=db))


def _register_subcommands() -> None:
    from adapters.cli_sources import register

    register(app)


_register_subcommands()


def main() -> None:
    app()
