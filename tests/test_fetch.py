"""Fetching: against a real HTTP server on 127.0.0.1, never a mocked client."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from support.httpserver import LocalServer, Reply, running_server

from bot.fetch import (
    Fetcher,
    FetchSettings,
    FetchTimeout,
    HTTPStatusError,
    RedirectError,
    Refused,
    TooLarge,
    Validators,
)
from bot.urlsafety import AllowList, UnsafeURL, check_url, ensure_public, why_blocked

LOCAL = AllowList.parse(["127.0.0.1"])


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with running_server() as server:
        yield server


def fetcher(**kw) -> Fetcher:
    settings = dict(user_agent="claimwatch-test/1.0", timeout_seconds=2.0, allow=LOCAL)
    settings.update(kw)
    return Fetcher(FetchSettings(**settings))


async def test_gets_the_body_with_our_user_agent_and_gzip(local_server: LocalServer) -> None:
    url = local_server.route("/a", Reply("Grüße".encode() * 100, gzip=True))
    async with fetcher() as f:
        res = await f.fetch(url)
    assert res.body == "Grüße".encode() * 100
    assert (res.status, res.content_type, res.charset) == (200, "text/html", "utf-8")
    [seen] = local_server.seen("/a")
    assert seen.headers["User-Agent"] == "claimwatch-test/1.0"
    assert "gzip" in seen.headers["Accept-Encoding"]


async def test_conditional_get_sends_validators_and_reads_304(local_server: LocalServer) -> None:
    url = local_server.route(
        "/feed", Reply(b"<rss/>", etag='"v1"', last_modified="Fri, 27 Dec 2024 10:00:00 GMT")
    )
    async with fetcher() as f:
        first = await f.fetch(url)
        again = await f.fetch(url, first.validators)
    assert first.validators == Validators('"v1"', "Fri, 27 Dec 2024 10:00:00 GMT")
    assert (again.not_modified, again.status, again.body) == (True, 304, b"")
    second = local_server.seen("/feed")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Fri, 27 Dec 2024 10:00:00 GMT"
    assert [s.answered for s in local_server.seen("/feed")] == [200, 304]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "streamed"])
async def test_size_cap(local_server: LocalServer, chunked: bool) -> None:
    url = local_server.route("/big", Reply(b"x" * 50_000, chunked=chunked))
    async with fetcher(max_body_bytes=10_000) as f:
        with pytest.raises(TooLarge, match="limit of 10000 bytes|the limit is 10000"):
            await f.fetch(url)
        small = local_server.route("/small", Reply(b"x" * 9_000, chunked=chunked))
        assert len((await f.fetch(small)).body) == 9_000


async def test_size_cap_counts_decompressed_bytes(local_server: LocalServer) -> None:
    url = local_server.route("/bomb", Reply(b"0" * 200_000, gzip=True))  # ~200 bytes gzipped
    async with fetcher(max_body_bytes=10_000) as f:
        with pytest.raises(TooLarge):
            await f.fetch(url)


async def test_redirects_followed_up_to_the_limit(local_server: LocalServer) -> None:
    for i in range(4):
        local_server.route(f"/r{i}", Reply(status=302, headers={"Location": f"/r{i + 1}"}))
    local_server.route("/r4", Reply(b"arrived"))
    async with fetcher(max_redirects=4) as f:
        res = await f.fetch(local_server.url("/r0"))
        assert (res.body, res.url) == (b"arrived", local_server.url("/r4"))
    async with fetcher(max_redirects=3) as f:
        with pytest.raises(RedirectError, match=r"too many redirects \(more than 3\)"):
            await f.fetch(local_server.url("/r0"))


async def test_redirect_loop_is_named(local_server: LocalServer) -> None:
    local_server.route("/ping", Reply(status=301, headers={"Location": "/pong"}))
    local_server.route("/pong", Reply(status=301, headers={"Location": "/ping"}))
    async with fetcher() as f:
        with pytest.raises(RedirectError, match="redirect loop: .*/ping -> .*/pong -> .*/ping"):
            await f.fetch(local_server.url("/ping"))


async def test_every_redirect_hop_is_checked(local_server: LocalServer) -> None:
    url = local_server.route(
        "/out", Reply(status=302, headers={"Location": "http://10.1.2.3/admin"})
    )
    async with fetcher() as f:
        with pytest.raises(Refused, match="10.1.2.3 is a private network address"):
            await f.fetch(url)


async def test_http_errors_carry_status_and_retry_after(local_server: LocalServer) -> None:
    url = local_server.route("/busy", Reply(status=503, headers={"Retry-After": "120"}))
    async with fetcher() as f:
        with pytest.raises(HTTPStatusError, match="HTTP 503 Service Unavailable") as err:
            await f.fetch(url)
    assert (err.value.status, err.value.retry_after) == (503, 120.0)


async def test_timeout(local_server: LocalServer) -> None:
    url = local_server.route("/slow", Reply(b"late", delay=5))
    async with fetcher(timeout_seconds=0.2) as f:
        with pytest.raises(FetchTimeout, match="timeout: no .*response within 0.2 s"):
            await f.fetch(url)


async def test_loopback_refused_unless_allowed(local_server: LocalServer) -> None:
    url = local_server.route("/a", Reply(b"ok"))
    async with fetcher(allow=AllowList()) as f:
        with pytest.raises(Refused, match=r"127\.0\.0\.1 is a loopback address"):
            await f.fetch(url)
    assert local_server.requests == []  # refused before any connection
    async with fetcher(allow=AllowList.parse(["127.0.0.0/8"])) as f:
        assert (await f.fetch(url)).body == b"ok"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.org/feed", "only http and https"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata service"),
        ("http://metadata.google.internal/", "cloud metadata service"),
        ("http://192.168.1.10/feed", "private network address"),
        ("http://[::1]/feed", "loopback address"),
        ("http://[::ffff:10.0.0.1]/", "private network address"),
        ("http://0.0.0.0/", "unspecified address"),
        ("http://user:pw@example.org/", "user name or password"),
    ],
)
def test_unsafe_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(UnsafeURL, match=why):
        check_url(url)


async def test_names_resolving_to_loopback_are_refused() -> None:
    loopback = r"localhost resolves to (127\.0\.0\.1|::1), which is a loopback address"
    with pytest.raises(UnsafeURL, match=loopback):
        await ensure_public("http://localhost:8080/feed")
    await ensure_public("http://localhost:8080/feed", AllowList.parse(["localhost"]))


def test_public_addresses_pass() -> None:
    assert why_blocked(ipaddress.ip_address("93.184.216.34")) is None
    assert check_url("https://93.184.216.34/feed") == ("93.184.216.34", 443)
