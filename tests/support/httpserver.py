"""A real HTTP server on 127.0.0.1 for tests: feeds and pages, faults, and what it was asked.

It runs aiohttp in its own thread and event loop, so synchronous tests (the
command line through typer's runner) and async tests can both use it. Routes
answer with `Reply`s; a list of replies is served in turn, the last one repeating
("500, then 200 from then on").

    def test_x(local_server):  # see running_server() for the fixture
        local_server.route("/feed.xml", Reply(b"<rss ...>", content_type="application/rss+xml"))
        ...
        assert local_server.seen("/feed.xml")[0].headers["User-Agent"].startswith("claimwatch")
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answers 304 to a matching If-None-Match
    last_modified: str | None = None  # answers 304 to an equal If-Modified-Since
    delay: float = 0.0  # seconds before answering (timeouts)
    gzip: bool = False
    chunked: bool = False  # stream without Content-Length (size cap while streaming)


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    answered: int  # the status the server sent


Handler = Reply | list[Reply] | Callable[[web.Request], Reply]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="local-http", daemon=True)
        self.port = 0

    # -- set-up -----------------------------------------------------------------
    def route(self, path: str, *replies: Reply | Callable[[web.Request], Reply]) -> str:
        """Serve `replies` at `path` (in turn, the last repeating); returns the full URL."""
        handler: Handler = replies[0] if len(replies) == 1 else list(replies)  # type: ignore[assignment]
        with self._lock:
            self.routes[path] = handler
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> LocalServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("local HTTP server did not start")
        return self

    def stop(self) -> None:
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            fut.result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _shutdown(self) -> None:
        await self._runner.cleanup()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:  # handlers still sleeping (timeout tests)
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()

    # -- answering --------------------------------------------------------------
    def _pick(self, request: web.Request) -> Reply:
        with self._lock:
            handler = self.routes.get(request.path)
            if isinstance(handler, list):
                reply = handler.pop(0) if len(handler) > 1 else handler[0]
            else:
                reply = handler
        if reply is None:
            return Reply(b"not found", status=404, content_type="text/plain")
        return reply(request) if callable(reply) else reply

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self._pick(request)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            resp = await self._answer(request, reply)
            return resp
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _answer(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        headers = dict(reply.headers)
        if reply.etag:
            headers["ETag"] = reply.etag
        if reply.last_modified:
            headers["Last-Modified"] = reply.last_modified
        unchanged = (reply.etag and request.headers.get("If-None-Match") == reply.etag) or (
            reply.last_modified and request.headers.get("If-Modified-Since") == reply.last_modified
        )
        status = 304 if unchanged and reply.status == 200 else reply.status
        self._record(request, status)
        if status == 304:
            return web.Response(status=304, headers=headers)
        if reply.content_type:
            headers["Content-Type"] = reply.content_type
        body = reply.body
        if reply.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if not reply.chunked:
            return web.Response(status=status, body=body, headers=headers)
        resp = web.StreamResponse(status=status, headers=headers)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, len(body), 4096):
            await resp.write(body[i : i + 4096])
        await resp.write_eof()
        return resp

    def _record(self, request: web.Request, status: int) -> None:
        seen = Seen(request.method, request.path, dict(request.headers), status)
        with self._lock:
            self.requests.append(seen)


@contextmanager
def running_server() -> Iterator[LocalServer]:
    """A fresh server on a free port of 127.0.0.1, stopped on exit. As a fixture:

    @pytest.fixture
    def local_server():
        with running_server() as server:
            yield server
    """
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()
