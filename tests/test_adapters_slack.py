"""The Slack adapter, end to end over real HTTP on 127.0.0.1.

Slash commands and events are sent to the Bolt app as Slack sends them (form or
JSON bodies signed with the signing secret); the app's Web API calls go to a
fake Slack API that records them.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from support.fake_slack import FakeSlack
from support.story import URL_B, build_story

from adapters.slack import SlackAdapter, SlackSink, make_client
from bot.commands import Commands
from bot.delivery import DeliveryWorker, route_alert
from bot.model import Article
from bot.watching import list_watches
from store import Store

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"
ADMIN, OWNER, MEMBER, LISTED = "UADMIN", "UOWNER", "UMEMBER", "ULISTED"


@pytest.fixture
async def fake():
    slack = await FakeSlack(team_id=TEAM).start()
    slack.users = {
        ADMIN: {"id": ADMIN, "is_admin": True, "is_owner": False},
        OWNER: {"id": OWNER, "is_admin": False, "is_owner": True},
        MEMBER: {"id": MEMBER, "is_admin": False, "is_owner": False},
        LISTED: {"id": LISTED, "is_admin": False, "is_owner": False},
    }
    yield slack
    await slack.stop()


@pytest.fixture
def store(sqlite_url: str):
    s = Store(sqlite_url)
    yield s
    s.close()


class Bot:
    """The Bolt app served on 127.0.0.1, and a way to talk to it as Slack does."""

    def __init__(self, adapter: SlackAdapter, url: str, fake: FakeSlack) -> None:
        self.adapter, self.url, self.fake = adapter, url, fake
        self.signer = SignatureVerifier(SECRET)

    async def command(
        self, command: str, text: str, user: str = MEMBER, channel: str = "C1", **kw
    ) -> tuple[int, dict]:
        """Send a slash command; (HTTP status, JSON body of the immediate answer)."""
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "example",
                "channel_id": channel,
                "channel_name": "news",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0001",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(),
                "trigger_id": "1.2.abc",
            }
        )
        ts = str(int(time.time()) - kw.get("age", 0))
        sig = SignatureVerifier(kw.get("secret", SECRET)).generate_signature(
            timestamp=ts, body=body
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=body.encode(), headers=headers) as resp,
        ):
            raw = await resp.text()
            return resp.status, (json.loads(raw) if raw.startswith("{") else {"raw": raw})

    async def message(self, channel: str, text: str, user: str = MEMBER) -> int:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A0001",
                "type": "event_callback",
                "event_id": f"Ev{time.monotonic_ns()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
                "event": {
                    "type": "message",
                    "channel": channel,
                    "user": user,
                    "text": text,
                    "ts": "1700000000.000100",
                    "channel_type": "channel",
                },
            }
        )
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.signer.generate_signature(timestamp=ts, body=body),
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=body.encode(), headers=headers) as resp,
        ):
            await resp.read()
            return resp.status


@pytest.fixture
async def make_bot(fake, store):
    runners = []

    async def make(commands: Commands | None = None, **kw) -> Bot:
        client = make_client("xoxb-test", fake.api_url)
        adapter = SlackAdapter(
            commands or Commands(store),
            client=client,
            signing_secret=SECRET,
            process_before_response=True,
            **kw,
        )
        runner = web.AppRunner(adapter.app.web_app(path="/slack/events"))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]
        return Bot(adapter, f"http://127.0.0.1:{port}/slack/events", fake)

    yield make
    for r in runners:
        await r.cleanup()


def _block_text(blocks: list[dict]) -> str:
    """Every piece of text in a list of blocks, in order."""
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"] for e in b.get("elements", []) if "text" in e]
    return "\n".join(out)


# -- slash commands -----------------------------------------------------------------
async def test_claims_answers_the_caller_only(make_bot, store) -> None:
    build_story(store, TEAM)
    bot = await make_bot()
    status, body = await bot.command("/claims", "wounded")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    text = _block_text(body["blocks"])
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "What is known: wounded"},
    }
    assert "• South Korea's NIS: 1,100 (2025-01-12)" in text
    assert "• Zelensky: nearly 3,000 (2024-12-23)" in text
    assert "now 1,100 (was 1,000)" in text
    assert f"<{URL_B}>" in text
    assert "South Korea's NIS: 1,100" in body["text"]  # the plain-text fallback


async def test_claims_post_goes_in_the_channel_and_unknowns_get_help(make_bot, store) -> None:
    build_story(store, TEAM)
    bot = await make_bot()
    _, posted = await bot.command("/claims", "captured post")
    assert posted["response_type"] == "in_channel"
    _, none = await bot.command("/claims", "zeppelins")
    assert none["response_type"] == "ephemeral"
    assert none["text"].startswith("Nothing known matches “zeppelins”.")
    assert none["blocks"][0]["text"]["text"].startswith(":warning: Nothing known matches")
    _, unknown = await bot.command("/alerts", "sideways", user=ADMIN)
    assert unknown["text"].startswith("Unknown `/alerts sideways`. Try")


async def test_wrong_or_stale_signatures_are_rejected(make_bot, store) -> None:
    build_story(store, TEAM)
    bot = await make_bot()
    assert (await bot.command("/claims", "wounded", secret="not-the-secret"))[0] == 401
    assert (await bot.command("/claims", "wounded", age=10 * 60))[0] == 401
    assert (await bot.command("/claims", "wounded"))[0] == 200


async def test_a_non_admins_watch_add_is_refused_and_nothing_stored(make_bot, fake, store):
    bot = await make_bot()
    status, body = await bot.command("/watch", "add https://example.org/feed.xml", user=MEMBER)
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert (
        body["text"]
        == "Only admins can add watched sources. Ask an admin of this workspace or server."
    )
    assert list_watches(store, TEAM) == []
    # the check asked Slack who the caller is
    assert [c.params["user"] for c in fake.calls if c.method == "users.info"] == [MEMBER]


@pytest.mark.parametrize("user", [ADMIN, OWNER, LISTED])
async def test_admins_owners_and_listed_users_may_set_alerts(make_bot, store, user) -> None:
    bot = await make_bot(admins=[LISTED])
    _, body = await bot.command("/alerts", "here wounded", user=user, channel="CNEWS")
    assert body["response_type"] == "in_channel"
    assert body["text"].startswith("This channel now receives alerts about “wounded”")
    with store.session() as tx:
        [ch] = tx.channels(TEAM)
    assert (ch.platform, ch.channel, ch.filter) == ("slack", "CNEWS", "wounded")


async def test_claims_check_answers_later_through_the_response_url(make_bot, fake, store):
    fetched: list[str] = []

    async def fetch(url: str) -> Article:
        fetched.append(url)
        raise LookupError("HTTP 404")

    bot = await make_bot(Commands(store, fetcher=fetch))
    _, first = await bot.command("/claims", "check <https://example.org/a|example.org/a>")
    assert first == {
        "response_type": "ephemeral",
        "text": "Checking <https://example.org/a|example.org/a>…",
    }
    for task in list(bot.adapter._tasks):
        await task
    assert fetched == ["https://example.org/a"]
    [later] = fake.responses
    assert later["text"] == "Could not read https://example.org/a: HTTP 404"


# -- links posted in channels -------------------------------------------------------
async def test_links_are_read_in_channels_with_alerts_and_link_reading_on(make_bot, store):
    fetched: list[str] = []

    async def fetch(url: str) -> Article:
        fetched.append(url)
        raise LookupError("offline")  # reading stops here; what matters is what was read

    bot = await make_bot(Commands(store, fetcher=fetch))
    with store.session() as tx:
        tx.set_channel(TEAM, "slack", "CON", None)
        tx.set_channel(TEAM, "slack", "CNOLINKS", None)
        tx.set_read_links(TEAM, "slack", "CNOLINKS", False)
    assert await bot.message("CQUIET", "see <https://example.org/quiet>") == 200
    assert await bot.message("CNOLINKS", "see <https://example.org/nolinks>") == 200
    assert (
        await bot.message(
            "CON", "see <https://example.org/x|example.org/x> and <https://example.org/y>"
        )
        == 200
    )
    assert fetched == ["https://example.org/x", "https://example.org/y"]


# -- alerts ----------------------------------------------------------------------------
async def test_alerts_are_posted_as_blocks_and_threaded(make_bot, fake, store) -> None:
    bot = await make_bot()
    await bot.command("/alerts", "here", user=ADMIN, channel="CNEWS")
    build_story(store, TEAM, route=route_alert)
    worker = DeliveryWorker(store, [SlackSink(bot.adapter.client)])
    assert await worker.run_once() == 4
    posts = fake.posted()
    assert [p["channel"] for p in posts] == ["CNEWS"] * 4
    first, update = posts[0], posts[1]
    assert first["text"].startswith("Sources disagree on North Korean soldiers killed or wounded")
    text = _block_text(update["blocks"])
    assert update["blocks"][0]["text"]["text"] == (
        "North Korean soldiers killed or wounded: now 1,100 (was 1,000)"
    )
    assert "*Was*\n1,000\nSouth Korea's NIS · 2024-12-23" in text
    assert f"*Now*\n1,100\n<{URL_B}|South Korea's NIS> · 2025-01-12" in text
    assert "> South Korea's NIS put the toll at 1,000 killed or wounded." in text
    assert "> South Korea's NIS now says 1,100 were killed or wounded." in text
    assert f"<{URL_B}>" in text
    assert "article: a.txt" in text  # the article read from a file has no link
    # the update goes into the thread of the first alert about the same metric
    assert "thread_ts" not in first
    assert update["thread_ts"] == fake.sent()[0].response["ts"]
    assert "thread_ts" not in posts[2] and "thread_ts" not in posts[3]
    with store.session() as tx:
        refs = [(d.message_ref, d.thread_ref) for d in tx.deliveries(TEAM)]
    assert refs[1] == (fake.sent()[1].response["ts"], fake.sent()[0].response["ts"])


async def test_a_429_is_waited_out_and_the_alert_arrives_once(make_bot, fake, store) -> None:
    bot = await make_bot()
    await bot.command("/alerts", "here captured", user=ADMIN, channel="CNEWS")
    build_story(store, TEAM, route=route_alert)
    fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    worker = DeliveryWorker(store, [SlackSink(bot.adapter.client)])
    assert await worker.run_once() == 2
    assert await worker.run_once() == 0
    calls = [c.status for c in fake.calls if c.method == "chat.postMessage"]
    assert calls == [429, 200, 200]
    assert [p["text"].splitlines()[0] for p in fake.posted()] == [
        "North Korean soldiers captured: now 2 (was 1)",
        "Status: the North Korean soldier is now dead (was captured)",
    ]


async def test_a_long_rate_limit_is_rescheduled_by_the_queue(fake, store) -> None:
    from datetime import UTC, datetime, timedelta

    with store.session() as tx:
        tx.set_channel(TEAM, "slack", "CNEWS", "captured")
    t0 = datetime.now(UTC)
    build_story(store, TEAM, route=lambda tx, tenant, a: route_alert(tx, tenant, a, now=t0))
    fake.rate_limit("chat.postMessage", times=1, retry_after=120)
    client = make_client("xoxb-test", fake.api_url, retries=0)  # leave waiting to the queue
    worker = DeliveryWorker(store, [SlackSink(client)])
    assert await worker.run_once(t0) == 1  # the other alert is not held up
    with store.session() as tx:
        waiting = [d for d in tx.deliveries(TEAM) if d.state == "pending"]
    assert [d.next_attempt for d in waiting] == [t0 + timedelta(seconds=120)]
    assert await worker.run_once(t0 + timedelta(seconds=119)) == 0
    assert await worker.run_once(t0 + timedelta(seconds=120)) == 1
    assert await worker.run_once(t0 + timedelta(hours=1)) == 0
    assert len(fake.posted()) == 2


# -- the whole bot, as `serve` runs it ---------------------------------------------------
async def test_socket_mode_bot_answers_commands_and_delivers_alerts(fake, sqlite_url) -> None:
    import asyncio

    from adapters.slack import serve
    from bot.settings import Settings

    store = Store(sqlite_url)
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-test",
        slack_api_url=fake.api_url,
        slack_mode="socket",
        slack_admins=[LISTED],
    )
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(settings, store, stop=stop, deliver_every=0.05))
    try:
        await _socket_mode_session(fake, store)
    finally:
        stop.set()
        await asyncio.wait_for(bot, 10)
        store.close()
    first, update = fake.posted()
    assert (update["channel"], update["text"].splitlines()[0]) == (
        "CNEWS",
        "North Korean soldiers killed or wounded: now 1,100 (was 1,000)",
    )
    assert update["thread_ts"] == fake.sent()[0].response["ts"]
    assert [c.method for c in fake.calls][:1] == ["apps.connections.open"]


async def _socket_mode_session(fake: FakeSlack, store) -> None:
    import asyncio

    payload = {
        "token": "legacy",
        "team_id": TEAM,
        "channel_id": "CNEWS",
        "user_id": LISTED,
        "command": "/alerts",
        "text": "here wounded",
        "api_app_id": "A0001",
        "response_url": fake.response_url(),
        "trigger_id": "1.2.abc",
    }
    ack = await fake.push(
        {
            "envelope_id": "e1",
            "type": "slash_commands",
            "payload": payload,
            "accepts_response_payload": True,
        }
    )
    assert ack["payload"]["response_type"] == "in_channel"
    assert ack["payload"]["text"].startswith("This channel now receives alerts about “wounded”")
    # alerts raised now reach the channel through the bot's own delivery worker
    build_story(store, TEAM, route=route_alert)
    async with asyncio.timeout(10):  # safety bound: the worker's first round sends them
        while len(fake.posted()) < 2:
            await asyncio.sleep(0.05)
