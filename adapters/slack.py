"""Slack adapter: slash commands in, Block Kit replies and alerts out.

It only translates: a slash command becomes a `Caller` plus text for
`bot.commands.Commands.run`, a `Reply` becomes blocks, an `AlertView` becomes a
message (threaded under the first alert about the same story and metric).
Alerts go out through the durable queue (`SlackSink` + `DeliveryWorker`), so a
429 or an outage delays them without losing or repeating any.

Socket Mode is the default (no public URL); `CLAIMWATCH_SLACK_MODE=http` serves
the Events API on `slack_port` instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Caller, Commands, Reply
from bot.delivery import DeliveryWorker, PermanentFailure, RetryLater, SentRef
from bot.render import AlertView

log = logging.getLogger(__name__)

COMMANDS = ("/claims", "/watch", "/alerts")
ADMIN_COMMANDS = ("watch", "alerts")
_LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>")
_PERMANENT = {
    "channel_not_found",
    "is_archived",
    "account_inactive",
    "invalid_auth",
    "token_revoked",
    "msg_too_long",
    "invalid_blocks",
}


def make_client(
    token: str | None, api_url: str | None = None, *, retries: int = 2
) -> AsyncWebClient:
    """A Web API client that waits out HTTP 429 (Retry-After) a few times before giving up.

    When the retries are spent the send fails and the delivery queue reschedules
    it, so a long rate limit never blocks the worker.
    """
    kwargs: dict[str, Any] = {"token": token}
    if api_url:
        kwargs["base_url"] = api_url if api_url.endswith("/") else api_url + "/"
    client = AsyncWebClient(**kwargs)
    client.retry_handlers = [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=retries),
    ]
    return client


# -- rendering ------------------------------------------------------------------
def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text[:3000]}


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() if line.strip())


def reply_blocks(reply: Reply) -> list[dict]:
    """A command's reply as Block Kit."""
    blocks: list[dict] = []
    if reply.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": reply.title[:150]}})
    prefix = ":warning: " if reply.error else ""
    blocks.append({"type": "section", "text": _mrkdwn(prefix + reply.text)})
    for f in reply.fields[:45]:
        blocks.append({"type": "section", "text": _mrkdwn(f"*{f.name}*\n{f.value}")})
    if reply.links:
        links = " · ".join(f"<{u}>" for u in reply.links[:10])
        blocks.append({"type": "context", "elements": [_mrkdwn(links)]})
    if reply.image_url:
        blocks.append({"type": "image", "image_url": reply.image_url, "alt_text": "chart"})
    return blocks[:50]


def reply_text(reply: Reply) -> str:
    """The plain-text fallback of a reply (notifications, old clients)."""
    parts = [reply.title] if reply.title else []
    parts.append(reply.text)
    parts += [f"{f.name}\n{f.value}" for f in reply.fields]
    return "\n".join(parts)[:3000]


def _side(label: str, side) -> str:
    source = f"<{side.link}|{side.source}>" if side.link else side.source
    return f"*{label}*\n{side.figure}\n{source} · {side.date}"


def alert_blocks(view: AlertView) -> list[dict]:
    """An alert as Block Kit: what changed, old vs new with source and date, quotes, links."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": view.headline[:150]}},
        {
            "type": "section",
            "fields": [_mrkdwn(_side("Was", view.old)), _mrkdwn(_side("Now", view.new))],
        },
        {
            "type": "section",
            "text": _mrkdwn(
                f"*{view.old.source}* ({view.old.date}):\n{_quote(view.old.quote)}\n"
                f"*{view.new.source}* ({view.new.date}):\n{_quote(view.new.quote)}"
            ),
        },
    ]
    context = [f"{view.kind.replace('_', ' ')} · {view.metric}"]
    context += [f"<{u}>" for u in view.links]
    context += [f"article: {s.article}" for s in (view.old, view.new) if not s.link]
    blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(context))]})
    return blocks


class SlackSink:
    """Posts alert views to Slack channels: the delivery worker's Slack side."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send_alert(self, channel: str, view: AlertView, thread_ref: str | None) -> SentRef:
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                text=view.fallback_text,
                blocks=alert_blocks(view),
                thread_ts=thread_ref,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if status == 429:
                retry = exc.response.headers.get("retry-after") or exc.response.headers.get(
                    "Retry-After", "30"
                )
                retry = retry[0] if isinstance(retry, list) else retry
                raise RetryLater(float(retry), "Slack rate limit") from exc
            if error in _PERMANENT:
                raise PermanentFailure(error) from exc
            raise
        ts = resp["ts"]
        return SentRef(message_ref=ts, thread_ref=thread_ref or ts)


# -- the app ----------------------------------------------------------------------
class SlackAdapter:
    """The Bolt app wired to the shared commands; serve `self.app` over Socket Mode or HTTP."""

    def __init__(
        self,
        commands: Commands,
        *,
        client: AsyncWebClient,
        signing_secret: str | None,
        admins: list[str] | None = None,
        process_before_response: bool = False,  # True: answer HTTP only after the listener ran
    ) -> None:
        self.commands = commands
        self.client = client
        self.admins = set(admins or [])
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            # Socket Mode needs no signature; HTTP mode always checks it
            request_verification_enabled=signing_secret is not None,
            process_before_response=process_before_response,
        )
        self._tasks: set[asyncio.Task] = set()
        for name in COMMANDS:
            self.app.command(name)(self._on_command)
        self.app.event("message")(self._on_message)

    async def is_admin(self, user: str) -> bool:
        """Workspace admins and owners (Slack's own user info), or a configured user ID."""
        if user in self.admins:
            return True
        try:
            info = await self.client.users_info(user=user)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user, exc)
            return False
        u = info.get("user") or {}
        return bool(u.get("is_admin") or u.get("is_owner") or u.get("is_primary_owner"))

    async def _on_command(self, ack, command: dict, respond) -> None:
        name = command["command"].lstrip("/")
        text = (command.get("text") or "").strip()
        is_admin = name in ADMIN_COMMANDS and await self.is_admin(command["user_id"])
        caller = Caller(
            tenant=command["team_id"],
            user=command["user_id"],
            platform="slack",
            channel=command["channel_id"],
            is_admin=is_admin,
        )
        if name == "claims" and text.lower().startswith("check "):
            # fetching may take longer than Slack's 3 seconds: answer later
            await ack(response_type="ephemeral", text=f"Checking {text[6:].strip()}…")
            self._spawn(self._answer_later(caller, name, text, respond))
            return
        reply = await self.commands.run(caller, name, text)
        await ack(**self._message(reply))

    async def _answer_later(self, caller: Caller, name: str, text: str, respond) -> None:
        reply = await self.commands.run(caller, name, text)
        await respond(**self._message(reply))

    @staticmethod
    def _message(reply: Reply) -> dict:
        return {
            "response_type": "ephemeral" if reply.ephemeral else "in_channel",
            "text": reply_text(reply),
            "blocks": reply_blocks(reply),
        }

    async def _on_message(self, event: dict, context) -> None:
        """Links posted in a channel with alerts on are read like any article."""
        if event.get("subtype") or event.get("bot_id"):
            return
        urls = _LINK.findall(event.get("text") or "")
        if not urls:
            return
        caller = Caller(
            tenant=context.get("team_id") or event.get("team", ""),
            user=event.get("user", ""),
            platform="slack",
            channel=event.get("channel", ""),
        )
        for url in dict.fromkeys(urls):
            await self.commands.read_link(caller, url)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def serve(
    settings, store, *, stop: asyncio.Event | None = None, deliver_every: float = 5.0
) -> None:
    """Run the Slack bot (Socket Mode or HTTP) and its delivery worker until `stop`.

    The worker looks at the stored queue every `deliver_every` seconds, so alerts
    queued by the poller (in this process or another) go out within that time.
    """
    from aiohttp import web

    if not settings.slack_bot_token:
        raise SystemExit("SLACK_BOT_TOKEN is not set (see README, section Slack)")
    stop = stop or asyncio.Event()
    client = make_client(settings.slack_bot_token, settings.slack_api_url)
    http = settings.slack_mode == "http"
    if http and not settings.slack_signing_secret:
        raise SystemExit("HTTP mode needs SLACK_SIGNING_SECRET")
    if not http and not settings.slack_app_token:
        raise SystemExit(
            "Socket Mode needs SLACK_APP_TOKEN (xapp-...), or set CLAIMWATCH_SLACK_MODE=http"
        )
    adapter = SlackAdapter(
        Commands(store, settings=settings),
        client=client,
        signing_secret=settings.slack_signing_secret if http else None,
        admins=settings.slack_admins,
    )
    worker = DeliveryWorker(store, [SlackSink(client)])
    deliver = asyncio.create_task(worker.run(stop, deliver_every))
    try:
        if http:
            runner = web.AppRunner(adapter.app.web_app(path="/slack/events"))
            await runner.setup()
            await web.TCPSite(runner, "0.0.0.0", settings.slack_port).start()
            log.info("Slack HTTP mode on :%s/slack/events", settings.slack_port)
            await stop.wait()
            await runner.cleanup()
        else:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            handler = AsyncSocketModeHandler(adapter.app, settings.slack_app_token)
            await handler.connect_async()
            log.info("Slack Socket Mode connected")
            await stop.wait()
            await handler.close_async()
    finally:
        stop.set()
        await deliver


def main() -> None:
    """`python -m adapters.slack`: the Slack bot on the configured database."""
    from bot.settings import Settings
    from store import Store

    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    asyncio.run(serve(settings, Store(settings.db_url)))


if __name__ == "__main__":
    main()
