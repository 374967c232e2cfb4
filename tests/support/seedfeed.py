"""Feeds and article pages built from a story folder (seeds/ by default), as a publisher would.

Items carry the title (first non-empty line), the date and outlet of
articles.toml, a GUID per article, and either the whole text or a teaser whose
link leads to a full HTML page wrapped in menus, a "related articles" box and a
footer, so main-text extraction has something to leave out.
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class StoryItem:
    file: str  # "000_95287a4514ba2c9f.txt"
    title: str
    text: str  # the file's whole text, as replay reads it
    published: datetime
    outlet: str | None

    @property
    def slug(self) -> str:
        return Path(self.file).stem

    @property
    def path(self) -> str:
        return f"/news/{self.slug}.html"

    @property
    def guid(self) -> str:
        return f"urn:claimwatch-test:{self.slug}"


def story_items(folder: Path = SEEDS) -> list[StoryItem]:
    """The articles in arrival order (articles.toml order)."""
    meta = tomllib.loads((folder / "articles.toml").read_text())["article"]
    items = []
    for entry in meta:
        text = (folder / entry["file"]).read_text(encoding="utf-8")
        title = entry.get("title") or next(ln.strip() for ln in text.splitlines() if ln.strip())
        published = _as_datetime(entry["published"])
        items.append(StoryItem(entry["file"], title, text, published, entry.get("outlet")))
    return items


def _as_datetime(raw: str | date | datetime) -> datetime:
    """articles.toml dates are ISO strings (or TOML dates); a bare date means noon UTC."""
    if isinstance(raw, str):
        raw = datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw)
    if not isinstance(raw, datetime):
        raw = datetime.combine(raw, time(12, 0))
    return raw if raw.tzinfo else raw.replace(tzinfo=UTC)


def paragraphs_html(text: str) -> str:
    """Blank lines separate paragraphs; single newlines inside one become <br>."""
    paras = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br/>".join(html.escape(line) for line in p.splitlines()) + "</p>" for p in paras
    )


def rss(
    items: list[StoryItem],
    base_url: str,
    *,
    title: str = "Claimwatch test wire",
    teasers: bool = False,
    ttl_minutes: int | None = None,
) -> bytes:
    """RSS 2.0, newest arrival on top as feeds list them."""
    entries = []
    for item in reversed(items):
        if teasers:
            body = f"<description>{html.escape(item.text.strip()[:150])}…</description>"
        else:
            body = (
                f"<description>{html.escape(item.title)}</description>"
                f"<content:encoded><![CDATA[{paragraphs_html(item.text)}]]></content:encoded>"
            )
        source = (
            f'<source url="{base_url}/outlets.xml">{html.escape(item.outlet)}</source>'
            if item.outlet
            else ""
        )
        entries.append(
            "<item>"
            f"<title>{html.escape(item.title)}</title>"
            f"<link>{base_url}{item.path}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{item.guid}</guid>'
            f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
            f"{source}{body}</item>"
        )
    ttl = f"<ttl>{ttl_minutes}</ttl>" if ttl_minutes else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{html.escape(title)}</title><link>{base_url}/</link>"
        f"<description>Test feed</description>{ttl}{''.join(entries)}</channel></rss>"
    ).encode()


def article_page(
    item: StoryItem, *, site: str = "Test Herald", related: tuple[str, ...] = ()
) -> str:
    """A full news page: the article amid navigation, related-article teasers and a footer."""
    teasers = "".join(
        f'<li><a href="/related/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(related)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(item.title)} | {html.escape(site)}</title>
<meta property="og:site_name" content="{html.escape(site)}">
<meta property="og:title" content="{html.escape(item.title)}">
<meta property="article:published_time" content="{item.published.isoformat()}">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/markets">Markets and economy</a></li>
<li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>{html.escape(item.title)}</h1>{paragraphs_html(item.text)}</article>
<aside class="related"><h2>Related articles</h2><ul>{teasers}</ul></aside></main>
<footer><p>© 2025 {html.escape(site)}. All rights reserved.</p>
<p><a href="/newsletter">Subscribe to our newsletter</a></p></footer>
</body></html>"""
