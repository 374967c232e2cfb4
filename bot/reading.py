"""Turning a published page (plain text or HTML) into an Article's clean body text.

Aggregators wrap articles in share buttons, bylines and, worst of all, teaser
headlines of other stories ("Related articles", "Trending now") whose numbers
would otherwise become claims. Those trailers go before any analysis.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import dateparser
import trafilatura

from bot.model import Article

# A line that starts the page's trailer: everything from it on is not the article.
_TRAILER = re.compile(
    r"^(?:related(?: articles?| posts?| stories| content| coverage| news| reading| links)?|"
    r"recent posts|more (?:world |top |latest )?(?:news|stories)|more from\b.*|"
    r"also read|read (?:more|next|also)|see also|trending(?: now)?|most popular|"
    r"most read|popular (?:posts|stories)|you may also like|you might also like|"
    r"recommended(?: for you| stories)?|top stories|latest news|editor'?s picks|"
    r"source link|share this(?: article)?|like this|tags?:.*|leave a (?:reply|comment)|"
    r"post comment|prev\b.*|next\b.*|advertisement)\s*:?$",
    re.I,
)
# Lines of page furniture anywhere in the text.
_FURNITURE = re.compile(
    r"^(?:date|share post|share|posted|category|original url|original source|source|"
    r"advertisement|ad|tweet|email|print)\s*:?\s*$|^(?:related|read also|see also|"
    r"also read|related article)\s*:.*$|^https?://\S+$|^www\.\S+$|^share on \w+$",
    re.I,
)
_BULLET = re.compile(r"^(?:[-•*–—]|>>|\d+\.)\s+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?$")
_DATE_LINE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?"
    r"\s+\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
    r"dec)[a-z]*\.?\s+\d{4}\b",
    re.I,
)


def _teaser_like(line: str) -> bool:
    """A line that reads as a headline or a button, not as a sentence of the article."""
    if _BULLET.match(line) or line.endswith(("...", "…")):
        return True
    return not _SENTENCE_END.search(line) and len(line.split()) <= 20


def clean_text(text: str) -> str:
    """The article's own text: furniture lines dropped, trailing teaser blocks cut."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for i, line in enumerate(lines):
        if i > 2 and _TRAILER.match(line):
            break
        if line and _FURNITURE.match(line):
            continue
        out.append(line)
    # Trailing block of headline-like lines (teasers, share buttons) and its heading.
    while out and (not out[-1] or _teaser_like(out[-1])):
        out.pop()
    return "\n".join(out).strip()


def content_hash(text: str) -> str:
    """Hash of the normalised text, so the same article under another URL is recognised."""
    norm = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(norm.encode()).hexdigest()


def infer_title(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip()
        if len(line.split()) >= 4 and not _DATE_LINE.fullmatch(line):
            return line[:300]
    return text.strip().split("\n", 1)[0][:300] if text.strip() else "(untitled)"


def infer_published(text: str, fallback: datetime | None = None) -> datetime | None:
    """The first date stated near the top of the text (a dateline or 'Posted ...')."""
    head = "\n".join(text.split("\n")[:12])
    for m in _DATE_LINE.finditer(head):
        parsed = dateparser.parse(
            m.group(0), languages=["en"], settings={"RETURN_AS_TIMEZONE_AWARE": True}
        )
        if parsed:
            return parsed.astimezone(UTC)
    return fallback


_OUTLET = re.compile(
    r"(?:original source|source|via)\s*:\s*(?P<a>[^\n]{2,80})|(?:©|\(c\))\s*\d{4}\s+(?P<b>[^.\n]{2,80})"
    r"|\bfor (?P<c>[A-Z][\w&' -]{2,60}(?:News|Times|Post|Daily|Herald|Digest|Journal))\b",
    re.I,
)


def infer_outlet(text: str) -> str | None:
    for m in _OUTLET.finditer(text):
        name = next(g for g in m.groups() if g)
        return name.strip().rstrip(".")
    return None


def read_html(html: str) -> tuple[str, str | None, datetime | None, str | None]:
    """Main text, title, date and site name of an HTML page (trafilatura)."""
    body = trafilatura.extract(
        html, favor_precision=True, include_comments=False, include_tables=False
    )
    meta = trafilatura.extract_metadata(html)
    published = None
    if meta is not None and meta.date:
        parsed = dateparser.parse(meta.date, settings={"RETURN_AS_TIMEZONE_AWARE": True})
        published = parsed.astimezone(UTC) if parsed else None
    title = meta.title if meta is not None else None
    site = meta.sitename if meta is not None else None
    return body or "", title, published, site


def looks_like_html(raw: str) -> bool:
    head = raw.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def make_article(
    key: str,
    raw: str,
    *,
    published: datetime | None = None,
    outlet: str | None = None,
    title: str | None = None,
    url: str | None = None,
    guid: str | None = None,
) -> Article:
    """An Article from a page as published; metadata given wins over what is inferred."""
    html_title = site = html_date = None
    if looks_like_html(raw):
        raw, html_title, html_date, site = read_html(raw)
    text = clean_text(raw)
    when = published or html_date or infer_published(text) or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return Article(
        key=key,
        title=title or html_title or infer_title(text),
        text=text,
        published=when,
        outlet=outlet or site or infer_outlet(raw),
        url=url,
        guid=guid,
    )
