"""Fetching one URL politely and defensively.

Feeds and pages come from servers we do not control: every fetch has a deadline,
a size cap counted while the body streams in (after gzip decoding, so a small
compressed bomb cannot fill memory), a redirect limit with each hop re-checked
against the address rules, a User-Agent naming the bot, and conditional GET so an
unchanged feed costs the publisher a 304. Failures are typed `FetchError`s whose
message is what `watch list` shows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.settings import Settings
from bot.urlsafety import AllowList, UnsafeURL, ensure_public

_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that produced nothing usable. `kind` is stable for code; the message for people."""

    kind = "error"

    def __init__(self, message: str, *, url: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.retry_after = retry_after  # seconds the server asked us to wait, if any


class FetchTimeout(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http_status"

    def __init__(self, message: str, *, url: str, status: int, retry_after: float | None = None):
        super().__init__(message, url=url, retry_after=retry_after)
        self.status = status


class TooLarge(FetchError):
    kind = "too_large"


class RedirectError(FetchError):
    kind = "redirect"


class ConnectionFailed(FetchError):
    kind = "connection"


class Refused(FetchError):
    """The URL (or a redirect target) is not allowed: see bot.urlsafety."""

    kind = "refused"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "claimwatch/0.1"
    timeout_seconds: float = 20.0
    max_body_bytes: int = 5_000_000
    max_redirects: int = 5
    allow: AllowList = field(default_factory=AllowList)

    @classmethod
    def from_settings(cls, s: Settings) -> FetchSettings:
        return cls(
            user_agent=s.user_agent,
            timeout_seconds=s.fetch_timeout_seconds,
            max_body_bytes=s.max_body_bytes,
            max_redirects=s.max_redirects,
            allow=AllowList.parse(s.allow_hosts),
        )


@dataclass(frozen=True)
class Validators:
    """What the server gave us to ask "changed since?" next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None  # media type only, lower case: "application/rss+xml"
    charset: str | None
    validators: Validators
    not_modified: bool = False
    last_modified_at: datetime | None = None  # Last-Modified as a date, for pages without one


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Fetcher:
    """One shared HTTP client (connection pool) for all sources; use as an async context."""

    def __init__(self, settings: FetchSettings = FetchSettings()) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            follow_redirects=False,  # we follow by hand to re-check every hop
            timeout=httpx.Timeout(settings.timeout_seconds),
            headers={"User-Agent": settings.user_agent},
            trust_env=False,  # a proxy from the environment would bypass the address checks
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """GET `url`; a 304 comes back as `not_modified=True` with an empty body.

        The whole exchange (every hop, headers and body) must end within the timeout:
        a server that trickles one byte a second does not hold a poller for hours.
        """
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                return await self._follow(url, validators or Validators())
        except TimeoutError:
            raise FetchTimeout(
                f"timeout: no complete response within {self.settings.timeout_seconds:g} s",
                url=url,
            ) from None

    async def _follow(self, url: str, validators: Validators) -> FetchResult:
        seen = [url]
        current = url
        while True:
            try:
                await ensure_public(current, self.settings.allow)
            except UnsafeURL as exc:
                raise Refused(str(exc), url=url) from None
            headers = {"Accept-Encoding": "gzip, deflate"}
            # Validators belong to the URL they came from; only the first hop carries them.
            if current == url and validators.etag:
                headers["If-None-Match"] = validators.etag
            if current == url and validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
            result = await self._get(current, headers)
            if isinstance(result, FetchResult):
                return result
            target = str(httpx.URL(current).join(result))
            if target in seen:
                chain = " -> ".join([*seen, target])
                raise RedirectError(f"redirect loop: {chain}", url=url)
            if len(seen) > self.settings.max_redirects:
                raise RedirectError(
                    f"too many redirects (more than {self.settings.max_redirects})", url=url
                )
            seen.append(target)
            current = target

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        """One request: a FetchResult, or the Location of a redirect."""
        try:
            async with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise RedirectError(
                            f"HTTP {resp.status_code} redirect without a Location", url=url
                        )
                    return location
                if resp.status_code == 304:
                    return self._result(url, resp, b"", not_modified=True)
                if resp.status_code >= 400:
                    phrase = resp.reason_phrase or ""
                    raise HTTPStatusError(
                        f"HTTP {resp.status_code} {phrase}".strip(),
                        url=url,
                        status=resp.status_code,
                        retry_after=_retry_after(resp.headers.get("Retry-After")),
                    )
                body = await self._read_capped(url, resp)
                return self._result(url, resp, body)
        except httpx.TimeoutException:
            raise FetchTimeout(
                f"timeout: no response within {self.settings.timeout_seconds:g} s", url=url
            ) from None
        except httpx.DecodingError as exc:
            raise FetchError(f"could not decode the response body: {exc}", url=url) from None
        except httpx.TransportError as exc:
            detail = str(exc) or exc.__class__.__name__
            raise ConnectionFailed(f"connection failed: {detail}", url=url) from None

    async def _read_capped(self, url: str, resp: httpx.Response) -> bytes:
        cap = self.settings.max_body_bytes
        declared = resp.headers.get("Content-Length")
        encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
        if declared and declared.isdigit() and int(declared) > cap and not encoded:
            raise TooLarge(
                f"body too large: {int(declared)} bytes declared, the limit is {cap}", url=url
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():  # decoded (gunzipped) bytes
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"body too large: over the limit of {cap} bytes", url=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _result(
        self, url: str, resp: httpx.Response, body: bytes, not_modified: bool = False
    ) -> FetchResult:
        ctype = resp.headers.get("Content-Type")
        media, charset = None, None
        if ctype:
            media = ctype.split(";", 1)[0].strip().lower() or None
            charset = resp.charset_encoding
        return FetchResult(
            url=url,
            status=resp.status_code,
            body=body,
            content_type=media,
            charset=charset,
            validators=Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified")),
            not_modified=not_modified,
            last_modified_at=_http_date(resp.headers.get("Last-Modified")),
        )
