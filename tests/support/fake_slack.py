"""A fake Slack Web API on 127.0.0.1 that records every call, for tests.

It answers the methods the adapter uses (auth.test, users.info, chat.postMessage,
apps.connections.open) over real HTTP, GET and POST alike, receives
`response_url` posts, and serves the Socket Mode websocket. A test can make a
method answer HTTP 429 with Retry-After a number of times first.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    http_method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    team_id: str = "T0001"
    bot_user_id: str = "UBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> users.info "user"
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    _rate_limits: dict[str, list[int]] = field(default_factory=dict)
    _ts: int = 1700000000
    _runner: web.AppRunner | None = None
    port: int = 0
    # Socket Mode: the app's websocket, and what it sends back (acks with payloads)
    socket_connected: asyncio.Event = field(default_factory=asyncio.Event)
    socket_acks: asyncio.Queue = field(default_factory=asyncio.Queue)
    _socket: web.WebSocketResponse | None = None

    @property
    def api_url(self) -> str:
        """The base URL to give AsyncWebClient(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """Answer the next `times` calls of `method` with 429 and this Retry-After."""
        self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        """Parameters of the calls to `method` that succeeded."""
        return [c.params for c in self.sent(method)]

    def sent(self, method: str = "chat.postMessage") -> list[Call]:
        """The calls to `method` that succeeded, with what the fake answered."""
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "attachments"):  # form-encoded bodies carry them as JSON text
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        headers = dict(request.headers)
        pending = self._rate_limits.get(method)
        if pending:
            retry_after = pending.pop(0)
            self.calls.append(Call(method, request.method, params, headers, 429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        call = Call(method, request.method, params, headers, 200)
        self.calls.append(call)
        if method == "auth.test":
            body = {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "claimwatch",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
            }
        elif method == "apps.connections.open":
            body = {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        elif method == "users.info":
            user = self.users.get(params.get("user", ""))
            body = {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        elif method == "chat.postMessage":
            self._ts += 1
            body = {
                "ok": True,
                "channel": params.get("channel"),
                "ts": f"{self._ts}.000100",
                "message": {"text": params.get("text")},
            }
        else:
            body = {"ok": True}
        call.response = body
        return web.json_response(body)

    async def push(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Send a Socket Mode envelope to the connected app and return its ack."""
        await asyncio.wait_for(self.socket_connected.wait(), 10)
        assert self._socket is not None
        await self._socket.send_str(json.dumps(envelope))
        while True:  # safety bound only: a healthy app acks at once
            ack = await asyncio.wait_for(self.socket_acks.get(), 10)
            if ack.get("envelope_id") == envelope["envelope_id"]:
                return ack

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket = ws
        self.socket_connected.set()
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(msg.data))
        return ws

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")
