"""Reading feeds and pages: bytes in, Articles out (no network needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.seedfeed import article_page, rss, story_items

from bot.sources import SourceError, canonical_url, detect_kind, parse_feed, parse_page

NOW = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
BASE = "http://news.test"

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour Gazette</title>
<entry><title>Ferry delayed</title><id>tag:gazette,2025:1</id><link href="/2025/ferry"/>
<updated>2025-01-10T08:00:00Z</updated><content type="html">&lt;p&gt;The ferry was delayed by
two hours.&lt;/p&gt;</content></entry>
<entry><title>Ferry cancelled</title><id>tag:gazette,2025:2</id><link href="/2025/ferry-2"/>
<updated>2025-01-11T08:00:00Z</updated><summary>All crossings were cancelled.</summary></entry>
</feed>"""


def test_seed_feed_reads_every_article_in_arrival_order() -> None:
    items = story_items()
    feed = parse_feed(rss(items, BASE), f"{BASE}/feed.xml", fetched_at=NOW)
    assert feed.title == "Claimwatch test wire"
    keys = [e.article.key for e in feed.entries]
    assert keys == [f"{BASE}/news/{i.slug}.html" for i in items]  # tracking query dropped
    second = feed.entries[2].article
    assert second.guid == items[2].guid
    assert second.outlet == "The Moscow Times"  # the item's <source>, not the feed title
    assert second.published == datetime(2024, 12, 27, 12, 0, tzinfo=UTC)
    assert second.title == items[2].title
    assert "South Korean officials said Friday" in second.text
    assert "<p>" not in second.text
    assert [e.teaser for e in feed.entries] == [False] * 5


def test_teaser_entries_are_flagged_for_the_full_page() -> None:
    feed = parse_feed(rss(story_items(), BASE, teasers=True), f"{BASE}/feed.xml", fetched_at=NOW)
    assert [e.teaser for e in feed.entries] == [True] * 5


def test_atom_feed_in_ascending_order_is_read_top_down_with_relative_links() -> None:
    feed = parse_feed(ATOM, f"{BASE}/atom.xml", fetched_at=NOW)
    arts = [e.article for e in feed.entries]
    assert [a.key for a in arts] == [f"{BASE}/2025/ferry", f"{BASE}/2025/ferry-2"]
    assert [a.guid for a in arts] == ["tag:gazette,2025:1", "tag:gazette,2025:2"]
    assert arts[0].text == "The ferry was delayed by two hours."
    assert arts[1].text == "All crossings were cancelled."
    assert arts[1].outlet == "Harbour Gazette"
    assert arts[1].published == datetime(2025, 1, 11, 8, 0, tzinfo=UTC)


def test_feed_ttl_is_read_in_seconds() -> None:
    body = rss(story_items()[:1], BASE, ttl_minutes=90)
    assert parse_feed(body, f"{BASE}/feed.xml", fetched_at=NOW).ttl_seconds == 5400


def test_an_empty_feed_is_a_feed_with_no_entries() -> None:
    feed = parse_feed(rss([], BASE), f"{BASE}/feed.xml", fetched_at=NOW)
    assert (feed.title, feed.entries) == ("Claimwatch test wire", [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response"),
        (b"<html><body><p>Just a page.</p></body></html>", "not a feed"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title>'
            b"<item><title>Unclosed <description>oops</item",
            r"malformed feed: .* at line 1",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary content"),
    ],
    ids=["empty", "html", "malformed", "binary"],
)
def test_unusable_feeds_say_why(body: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_feed(body, f"{BASE}/feed.xml", fetched_at=NOW)


def test_kind_is_detected_from_the_content() -> None:
    assert detect_kind(rss(story_items()[:1], BASE), "application/rss+xml") == "feed"
    assert detect_kind(ATOM, "text/xml") == "feed"
    assert detect_kind(b"<html><body><p>Hi</p></body></html>", "text/html") == "page"
    with pytest.raises(SourceError, match="the server sent image/png"):
        detect_kind(b"\x89PNG....", "image/png")


def test_page_main_text_leaves_out_menus_teasers_and_footer() -> None:
    item = story_items()[2]
    page = article_page(item, site="Test Herald", related=("Troops lost 5,000 in one week",))
    article = parse_page(page.encode(), f"{BASE}/news/x.html?utm_medium=social", fetched_at=NOW)
    assert article.key == f"{BASE}/news/x.html"
    assert article.title == item.title
    assert article.outlet == "Test Herald"
    assert article.published == datetime(2024, 12, 27, tzinfo=UTC)
    assert "South Korean officials said Friday" in article.text
    for furniture in ("5,000", "Related articles", "Markets and economy", "Subscribe", "©"):
        assert furniture not in article.text


def test_page_canonical_link_names_the_article() -> None:
    html = (
        '<html><head><link rel="canonical" href="https://Example.ORG/live/blog#top">'
        "<title>Live: storm</title></head><body><article><p>"
        + "The storm reached the coast on Monday and the rain has not stopped since then. " * 4
        + "</p></article></body></html>"
    )
    article = parse_page(html.encode(), f"{BASE}/amp/live", fetched_at=NOW)
    assert article.key == "https://example.org/live/blog"
    assert article.published == NOW  # no date anywhere: the time it was read


def test_non_utf8_pages_are_decoded_by_their_declared_charset() -> None:
    text = "Les pompiers de Genève ont évacué 1 200 habitants du quartier des Pâquis. " * 4
    html = f"<html><head><title>Genève</title></head><body><article><p>{text}</p></article>"
    latin1 = html.encode("latin-1")
    by_header = parse_page(latin1, f"{BASE}/a", charset="iso-8859-1", fetched_at=NOW)
    assert "Genève ont évacué 1 200 habitants" in by_header.text
    meta = html.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252")
    by_meta = parse_page(meta, f"{BASE}/b", fetched_at=NOW)
    assert "Pâquis" in by_meta.text
    # A server claiming UTF-8 for Latin-1 bytes: decoding falls back to sniffing, not a crash.
    wrong = parse_page(latin1, f"{BASE}/c", charset="utf-8", fetched_at=NOW)
    assert "habitants" in wrong.text


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://News.Test:80/a/b?utm_source=rss&id=7#comments", "http://news.test/a/b?id=7"),
        ("https://news.test", "https://news.test/"),
        ("https://news.test/a?fbclid=xyz", "https://news.test/a"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
