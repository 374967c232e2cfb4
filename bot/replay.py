"""Replaying a story folder: articles in their arrival order through the pipeline.

The folder format (articles.toml, optional) is ../shared/eval/FORMAT.md; the JSON
printed per alert is the one the evaluation scores.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.model import Alert, Article, Claim
from bot.reading import make_article


class StoryFolderError(ValueError):
    """A story folder that cannot be read; the message says what is wrong."""


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        when = value
    elif hasattr(value, "year"):  # a TOML date
        when = datetime(value.year, value.month, value.day)
    else:
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise StoryFolderError(f"unreadable published date {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def load_story(folder: Path) -> list[Article]:
    """The folder's articles in arrival order: articles.toml's, else file-name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StoryFolderError(f"{folder} is not a folder")
    index = folder / "articles.toml"
    if index.exists():
        try:
            entries = tomllib.loads(index.read_text(encoding="utf-8")).get("article", [])
        except tomllib.TOMLDecodeError as exc:
            raise StoryFolderError(f"{index}: {exc}") from exc
    else:
        entries = [
            {"file": p.name}
            for p in sorted(folder.iterdir())
            if p.suffix.lower() in {".txt", ".html", ".htm"}
        ]
    articles = []
    for entry in entries:
        path = folder / str(entry.get("file", ""))
        if not path.is_file():
            raise StoryFolderError(f"{index.name} lists {entry.get('file')!r}, which is not there")
        raw = path.read_text(encoding="utf-8", errors="replace")
        articles.append(
            make_article(
                path.name,
                raw,
                published=_when(entry.get("published")),
                outlet=entry.get("outlet"),
                title=entry.get("title"),
                url=entry.get("url"),
            )
        )
    return articles


def _side(claim: Claim) -> dict[str, Any]:
    q = claim.quantity

    def num(x: float | None) -> float | int | None:
        return int(x) if x is not None and float(x).is_integer() else x

    return {
        "text": claim.sentence,
        "value": num(q.value) if q else None,
        "low": num(q.low) if q else None,
        "high": num(q.high) if q else None,
        "qualifier": q.qualifier if q else None,
        "status": claim.status,
        "source": claim.source,
        "article": claim.article_key,
        "published": claim.published.date().isoformat(),
        "as_of": claim.as_of.isoformat(),
    }


def alert_record(alert: Alert) -> dict[str, Any]:
    """The alert as FORMAT.md's JSON object."""
    return {
        "trigger": alert.trigger,
        "kind": alert.kind.value,
        "metric": alert.metric.label,
        "story": alert.story_id,
        "old": _side(alert.old),
        "new": _side(alert.new),
    }
