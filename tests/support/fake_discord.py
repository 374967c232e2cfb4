"""A fake Discord on 127.0.0.1: the REST API and the gateway websocket, recording what it is sent.

discord.py talks to it exactly as to Discord once `Route.BASE` and
`DiscordWebSocket.DEFAULT_GATEWAY` point here (the `pointed_at` context manager
does that and puts them back). Tests push raw gateway events
(`INTERACTION_CREATE`) the way Discord delivers them and assert on the recorded
HTTP requests: interaction callbacks, message posts, command syncs. A route can be
told to answer 429 (with `retry_after` and the `Via` header Discord's edge adds)
before it succeeds.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
EPHEMERAL = 1 << 6


def _snowflakes() -> Iterator[int]:
    """Ids like Discord's: a millisecond timestamp in the high bits, so ordering holds."""
    base = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
    return itertools.count(base + 1)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py only decodes JSON when the content type is exactly application/json.
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        content_type="application/json",
        headers=headers,
    )


@dataclass
class Recorded:
    """One HTTP request as the fake received it."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any  # decoded JSON, or None
    headers: dict[str, str]
    status: int = 0  # what the fake answered
    reply: Any = None  # and the JSON it answered with


@dataclass
class _Failure:
    method: str
    pattern: str
    retry_after: float
    remaining: int


@dataclass
class FakeDiscord:
    """The fake server; `await start()` binds it to a free port on 127.0.0.1."""

    app_id: int = 1100000000000000001
    bot_id: int = 1100000000000000001
    bot_name: str = "claimwatch"
    requests: list[Recorded] = field(default_factory=list)
    identify: dict | None = None  # the IDENTIFY payload the client sent
    channels: dict[int, int] = field(default_factory=dict)  # channel id -> guild id
    threads: dict[int, dict] = field(default_factory=dict)  # thread id -> thread payload
    messages: dict[int, dict] = field(default_factory=dict)  # message id -> message payload

    def __post_init__(self) -> None:
        self._ids = _snowflakes()
        self._failures: list[_Failure] = []
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._identified = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.commands: dict[str, list[dict]] = {}  # "global" or guild id -> synced commands

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        r.add_get(API + "/users/@me", self._me)
        r.add_get(API + "/oauth2/applications/@me", self._application)
        r.add_get(API + "/gateway", self._gateway_url)
        r.add_get(API + "/gateway/bot", self._gateway_url)
        r.add_put(API + "/applications/{app}/commands", self._sync)
        r.add_put(API + "/applications/{app}/guilds/{guild}/commands", self._sync)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_patch(API + "/webhooks/{app}/{token}/messages/@original", self._edit_original)
        r.add_delete(API + "/webhooks/{app}/{token}/messages/@original", self._no_content)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_post(API + "/channels/{channel}/messages", self._post_message)
        r.add_post(API + "/channels/{channel}/messages/{message}/threads", self._start_thread)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextmanager
    def pointed_at(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here; restore them afterwards."""
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    # -- what tests set up and look at -----------------------------------------------------

    def add_channel(self, guild_id: int, channel_id: int | None = None) -> int:
        """A text channel the bot may post in; returns its id."""
        cid = channel_id or next(self._ids)
        self.channels[cid] = guild_id
        return cid

    def rate_limit(self, method: str, pattern: str, retry_after: float, times: int = 1) -> None:
        """Answer the next `times` requests matching `pattern` (a glob on the path) with 429."""
        self._failures.append(_Failure(method.upper(), pattern, retry_after, times))

    def recorded(self, method: str, pattern: str, *, status: int | None = None) -> list[Recorded]:
        """Requests whose method and path (a glob without /api/v10) match, oldest first."""
        return [
            r
            for r in self.requests
            if r.method == method.upper()
            and fnmatch.fnmatchcase(r.path, pattern)
            and (status is None or r.status == status)
        ]

    async def wait_for(self, predicate: Callable[[FakeDiscord], Any], timeout: float = 10.0) -> Any:
        """Wait until `predicate(self)` is truthy (a guard against hangs, not a timing test)."""

        async def _until() -> Any:
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(_until(), timeout)

    async def wait_identified(self, timeout: float = 10.0) -> dict:
        await asyncio.wait_for(self._identified.wait(), timeout)
        assert self.identify is not None
        return self.identify

    async def dispatch(self, event: str, data: dict) -> None:
        """Send a gateway DISPATCH (op 0) as Discord does."""
        assert self._ws is not None, "no client is connected to the gateway"
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def interact(self, payload: dict) -> str:
        """Deliver an interaction over the gateway; returns its token for finding the answers."""
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload["token"]

    def answers(self, token: str) -> list[Recorded]:
        """Everything the bot sent in reply to one interaction, in order."""
        return [r for r in self.requests if f"/{token}" in r.path and r.status < 300]

    # -- payload factories -----------------------------------------------------------------

    def slash(
        self,
        name: str,
        options: list[dict] | None = None,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int = 2200000000000000001,
        permissions: int = SEND_MESSAGES,
        autocomplete: bool = False,
    ) -> dict:
        """An application-command (type 2) or autocomplete (type 4) interaction payload."""
        command = self._command_id(name, guild_id)
        iid = next(self._ids)
        return {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": 4 if autocomplete else 2,
            "token": f"tok{iid}",
            "version": 1,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "news",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": {
                "user": {
                    "id": str(user_id),
                    "username": f"user{user_id % 1000}",
                    "discriminator": "0",
                    "global_name": None,
                    "avatar": None,
                },
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            },
            "app_permissions": str(SEND_MESSAGES),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10485760,
            "data": {
                "id": str(command),
                "name": name,
                "type": 1,
                "options": options or [],
            },
        }

    def _command_id(self, name: str, guild_id: int) -> int:
        for scope in (str(guild_id), "global"):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name:
                    return int(cmd["id"])
        return next(self._ids)

    def _message(self, channel_id: int, body: dict, **extra: Any) -> dict:
        mid = next(self._ids)
        message = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": 0,
            "author": {
                "id": str(self.bot_id),
                "username": self.bot_name,
                "discriminator": "0",
                "avatar": None,
                "bot": True,
            },
            "content": body.get("content") or "",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": [],
            "pinned": False,
            "flags": body.get("flags", 0) or 0,
            **extra,
        }
        self.messages[mid] = message
        return message

    # -- the REST API ----------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = request.path.removeprefix(API)
        rec = Recorded(request.method, path, dict(request.query), body, dict(request.headers))
        failure = next(
            (
                f
                for f in self._failures
                if f.remaining > 0
                and f.method == request.method
                and fnmatch.fnmatchcase(path, f.pattern)
            ),
            None,
        )
        if failure is not None:
            failure.remaining -= 1
            response: web.StreamResponse = _json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": failure.retry_after,
                    "global": False,
                },
                status=429,
                headers={"Via": "1.1 google", "Retry-After": str(failure.retry_after)},
            )
        elif request.headers.get("Authorization", "").startswith("Bot ") or path.startswith(
            ("/interactions/", "/webhooks/")  # these are authorised by the interaction token
        ):
            response = await handler(request)
        else:
            response = _json({"message": "401: Unauthorized", "code": 0}, status=401)
        rec.status = response.status
        if isinstance(response, web.Response) and response.body:
            rec.reply = json.loads(response.body)
        self.requests.append(rec)
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self._bot_user())

    def _bot_user(self) -> dict:
        return {
            "id": str(self.bot_id),
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
        }

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.app_id),
                "name": self.bot_name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self._bot_user(),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _gateway_url(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild", "global")
        body = await request.json()
        synced = []
        for cmd in body:
            synced.append(
                {
                    **cmd,
                    "id": str(next(self._ids)),
                    "application_id": str(self.app_id),
                    "version": str(next(self._ids)),
                    **({"guild_id": scope} if scope != "global" else {}),
                }
            )
        self.commands[scope] = synced
        return _json(synced)

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        data = body.get("data") or {}
        interaction = {
            "id": request.match_info["id"],
            "type": 2,
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
        }
        if body["type"] in (4, 5):
            message = self._message(0, data)
            interaction["response_message_id"] = message["id"]
            return _json(
                {"interaction": interaction, "resource": {"type": body["type"], "message": message}}
            )
        return _json({"interaction": interaction})

    async def _edit_original(self, request: web.Request) -> web.Response:
        return _json(self._message(0, await request.json()))

    async def _followup(self, request: web.Request) -> web.Response:
        return _json(self._message(0, await request.json()))

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    def _unknown_channel(self) -> web.Response:
        return _json({"message": "Unknown Channel", "code": 10003}, status=404)

    async def _post_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel"])
        if cid not in self.channels and cid not in self.threads:
            return self._unknown_channel()
        return _json(self._message(cid, await request.json()))

    async def _start_thread(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["channel"]), int(request.match_info["message"])
        if cid not in self.channels:
            return self._unknown_channel()
        if mid not in self.messages or self.messages[mid]["channel_id"] != str(cid):
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if mid in self.threads:
            return _json(
                {"message": "A thread has already been created for this message", "code": 160004},
                status=400,
            )
        body = await request.json()
        thread = {
            "id": str(mid),  # a thread started from a message has the message's id
            "guild_id": str(self.channels[cid]),
            "parent_id": str(cid),
            "owner_id": str(self.bot_id),
            "name": body["name"],
            "type": 11,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration") or 1440,
                "archive_timestamp": "2024-01-01T00:00:00+00:00",
                "locked": False,
            },
        }
        self.threads[mid] = thread
        return _json(thread, status=201)

    # -- the gateway -----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            if payload["op"] == 1:  # heartbeat
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:  # identify
                self.identify = payload["d"]
                await self.dispatch("READY", self._ready())
                self._identified.set()
        return ws

    def _ready(self) -> dict:
        return {
            "v": 10,
            "user": self._bot_user(),
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "application": {"id": str(self.app_id), "flags": 0},
        }
