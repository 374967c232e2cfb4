"""From fetched bytes to Articles: feeds through feedparser, pages through trafilatura.

Pure functions of the bytes (no I/O), so every parsing rule is tested without a
network. Errors are `SourceError`s whose message is what `watch list` shows.
"""

from __future__ import annotations

import calendar
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
import trafilatura
from url_normalize import url_normalize

from bot.model import Article

SourceKind = Literal["feed", "page"]

_FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
}
_PAGE_TYPES = {"text/html", "application/xhtml+xml"}
_TEXT_TYPES = _FEED_TYPES | _PAGE_TYPES | {"text/plain"}
# Query parameters that track the reader, not name the article.
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "at_")
# feedparser flags these although the entries are fine; anything else is a broken document.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class SourceError(Exception):
    """The bytes are not a usable feed or page."""


@dataclass(frozen=True)
class FeedEntry:
    """An entry's Article, and whether its text is only a teaser worth following to the page."""

    article: Article
    teaser: bool


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: list[FeedEntry]  # oldest first: the order they are ingested in
    ttl_seconds: int | None  # the feed's own "don't poll me more often than this"


def canonical_url(url: str) -> str:
    """One spelling per article: normalised case/ports/escapes, no fragment, no tracking."""
    norm = url_normalize(url.strip())
    parts = urlsplit(norm)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def _looks_binary(body: bytes) -> bool:
    head = body[:2048]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NULs but is text
        return False
    return b"\x00" in head


def check_text_content(body: bytes, content_type: str | None) -> None:
    """Refuse bodies that cannot hold an article: empty, binary, or a non-text media type."""
    if not body.strip():
        raise SourceError("empty response: the server sent no content")
    if content_type and content_type not in _TEXT_TYPES and not content_type.endswith("+xml"):
        raise SourceError(f"not a feed or web page: the server sent {content_type}")
    if _looks_binary(body):
        shown = content_type or "no content type"
        raise SourceError(f"not a feed or web page: binary content ({shown})")


def detect_kind(body: bytes, content_type: str | None) -> SourceKind:
    """Feed if feedparser recognises a feed format, else page (if it is HTML)."""
    check_text_content(body, content_type)
    parsed = feedparser.parse(body)
    if parsed.get("version"):
        return "feed"
    if content_type in _FEED_TYPES and content_type not in ("application/xml", "text/xml"):
        raise SourceError(_bozo_message(parsed) or "not a feed feedparser recognises")
    return "page"


def _bozo_message(parsed: feedparser.FeedParserDict) -> str | None:
    exc = parsed.get("bozo_exception")
    if not parsed.get("bozo") or exc is None or isinstance(exc, _BENIGN_BOZO):
        return None
    where = ""
    if hasattr(exc, "getLineNumber"):
        where = f" at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return f"malformed feed: {exc.getMessage() if hasattr(exc, 'getMessage') else exc}{where}"


def _entry_time(entry: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            return datetime.fromtimestamp(calendar.timegm(t), UTC)
    return None


def _html_to_text(fragment: str) -> str:
    """Entry HTML is already the article: keep every paragraph, drop the markup."""
    if "<" not in fragment:
        return html.unescape(fragment).strip()
    doc = f"<html><body><article>{fragment}</article></body></html>"
    text = trafilatura.extract(doc, favor_recall=True, include_comments=False, include_tables=True)
    return (text or "").strip()


def _entry_html(entry: feedparser.FeedParserDict) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "") or ""
    return best if len(best) >= len(summary) else summary


def parse_feed(
    body: bytes,
    feed_url: str,
    *,
    fetched_at: datetime,
    content_type: str | None = None,
    teaser_chars: int = 400,
) -> Feed:
    """Articles of an RSS/Atom document, oldest first.

    Feeds list the newest entry first, and an item added late may carry an older
    date, so arrival order is the reverse of document order; a feed whose dates
    clearly ascend is read top-down instead.
    """
    check_text_content(body, content_type)
    parsed = feedparser.parse(body)
    problem = _bozo_message(parsed)
    if not parsed.get("version"):
        raise SourceError(problem or "not a feed: no RSS or Atom document found")
    meta = parsed.get("feed", {})
    feed_title = (meta.get("title") or "").strip() or None
    entries: list[FeedEntry] = []
    for entry in parsed.entries:
        item = _entry(entry, feed_url, feed_title, fetched_at, teaser_chars)
        if item is not None:
            entries.append(item)
    if problem and not entries:
        raise SourceError(problem)
    dates = [e.article.published for e in entries]
    ascending = len(set(dates)) > 1 and all(a <= b for a, b in zip(dates, dates[1:], strict=False))
    if not ascending:
        entries.reverse()
    return Feed(feed_title, entries, _ttl_seconds(meta))


def _ttl_seconds(meta: feedparser.FeedParserDict) -> int | None:
    ttl = str(meta.get("ttl") or "").strip()  # RSS 2.0 <ttl>: minutes
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60
    return None


def _entry(
    entry: feedparser.FeedParserDict,
    feed_url: str,
    feed_title: str | None,
    fetched_at: datetime,
    teaser_chars: int,
) -> FeedEntry | None:
    link = entry.get("link")
    url = canonical_url(urljoin(feed_url, link)) if link else None
    guid = (entry.get("id") or "").strip() or None
    title = html.unescape((entry.get("title") or "").strip())
    text = _html_to_text(_entry_html(entry))
    if not (url or guid) or not (title or text):
        return None  # nothing to identify or nothing to read: a broken entry
    key = url or guid
    published = _entry_time(entry) or fetched_at
    source = entry.get("source") or {}
    outlet = (source.get("title") or "").strip() or feed_title
    article = Article(
        key=key,
        title=title or text.split("\n", 1)[0][:200],
        text=text or title,
        published=published,
        outlet=outlet,
        url=url,
        guid=guid,
    )
    return FeedEntry(article, teaser=len(text) < teaser_chars and url is not None)


def decode_html(body: bytes, charset: str | None) -> str | bytes:
    """Text when the server named a charset that decodes; else bytes for trafilatura to sniff.

    trafilatura reads `<meta charset>` and guesses from the bytes, which also
    rescues Latin-1 pages that declare nothing.
    """
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return body


def parse_page(
    body: bytes,
    url: str,
    *,
    charset: str | None = None,
    content_type: str | None = None,
    fetched_at: datetime,
    last_modified: datetime | None = None,
) -> Article:
    """The main text of an HTML page (menus, footers and teasers left out) as an Article.

    The key is the page's canonical URL; `published` comes from the page's
    metadata, else the Last-Modified header, else the time it was fetched.
    """
    check_text_content(body, content_type)
    doc = trafilatura.bare_extraction(
        decode_html(body, charset),
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,
    )
    if doc is None or not (doc.text or "").strip():
        raise SourceError("no article text found in the page")
    canonical = canonical_url(doc.url or url)
    published = _page_date(doc.date) or last_modified or fetched_at
    title = (doc.title or "").strip(" -|") or doc.text.strip().split("\n", 1)[0][:200]
    return Article(
        key=canonical,
        title=title,
        text=doc.text.strip(),
        published=published,
        outlet=(doc.sitename or "").strip() or urlsplit(canonical).hostname,
        url=canonical,
        guid=None,
    )


def _page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
