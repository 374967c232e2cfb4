"""The Discord adapter against a fake Discord on 127.0.0.1.

discord.py runs for real: its HTTP layer, gateway client and command tree.
Interactions arrive as Discord delivers them (INTERACTION_CREATE over the
gateway) and the answers are read back from the requests the fake recorded.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from support.fake_discord import EPHEMERAL, MANAGE_GUILD, SEND_MESSAGES, FakeDiscord, Recorded

from adapters.discord import ClaimwatchDiscord, DiscordSink, alert_embed, reply_message
from bot.commands import Caller, Commands
from bot.delivery import DeliveryWorker, PermanentFailure, route_alert
from bot.model import (
    Alert,
    AlertKind,
    Article,
    Claim,
    ClaimKind,
    Metric,
    Quantity,
)
from bot.render import alert_view
from store.db import Store

ROOT = Path(__file__).resolve().parent.parent
GUILD = 3300000000000000001
TOKEN = "test-token"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    with server.pointed_at():  # Route.BASE and DEFAULT_GATEWAY, restored afterwards
        yield server
    await server.stop()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty database: SQLite, and PostgreSQL when one is reachable."""
    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def seeds_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the seed stories, replayed once through the real pipeline."""
    from bot.pipeline import Pipeline

    try:
        from bot.replay import load_story
    except ImportError:
        pytest.skip("bot.replay (the seed loader) is not written yet")
    url = f"sqlite:///{tmp_path_factory.mktemp('seeds') / 'seeds.db'}"
    s = Store(url)
    try:
        pipeline = Pipeline(s)
        for article in load_story(ROOT / "seeds"):
            pipeline.ingest(article, tenant=str(GUILD))
    except NotImplementedError:
        pytest.skip("the core pipeline (bot/pipeline.py) is not implemented yet")
    finally:
        s.close()
    return url


async def _connected(fake: FakeDiscord, store: Store) -> AsyncIterator[ClaimwatchDiscord]:
    client = ClaimwatchDiscord(Commands(store))
    task = asyncio.create_task(client.start(TOKEN))
    await fake.wait_identified()
    yield client
    await client.close()
    await task


@pytest.fixture
async def bot(fake: FakeDiscord, store: Store) -> AsyncIterator[ClaimwatchDiscord]:
    """The bot logged in and connected to the fake gateway, over an empty database."""
    async for client in _connected(fake, store):
        yield client


@pytest.fixture
async def seeded_bot(fake: FakeDiscord, seeds_url: str) -> AsyncIterator[ClaimwatchDiscord]:
    s = Store(seeds_url)
    async for client in _connected(fake, s):
        yield client
    s.close()


# -- helpers ----------------------------------------------------------------------------------


def _final(fake: FakeDiscord, token: str) -> Recorded | None:
    """The message that carries the answer: the deferred reply's edit, or a follow-up."""
    for r in fake.answers(token):
        if r.method == "PATCH" or (r.method == "POST" and r.path.startswith("/webhooks/")):
            return r
    return None


async def slash(
    fake: FakeDiscord, name: str, options: list[dict] | None = None, **kw
) -> tuple[dict, dict]:
    """Invoke a command as Discord would; returns (interaction callback, final message) bodies."""
    kw.setdefault("channel_id", 4400000000000000001)
    token = await fake.interact(fake.slash(name, options, guild_id=GUILD, **kw))
    final = await fake.wait_for(lambda f: _final(f, token))
    callback = fake.recorded("POST", f"/interactions/*/{token}/callback")[0]
    return callback.body, final.body


def _sub(name: str, **values) -> list[dict]:
    """A subcommand option with string/bool/int values."""
    kinds = {str: 3, int: 4, bool: 5}
    return [
        {
            "type": 1,
            "name": name,
            "options": [{"type": kinds[type(v)], "name": k, "value": v} for k, v in values.items()],
        }
    ]


def _text(embed: dict) -> str:
    """Everything a reader sees in an embed, for assertions about content."""
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


# -- startup: commands, permissions, intents -------------------------------------------------


async def test_commands_are_synced_globally_on_start_with_admin_defaults(
    fake: FakeDiscord, bot: ClaimwatchDiscord
) -> None:
    [sync] = fake.recorded("PUT", f"/applications/{fake.app_id}/commands")
    commands = {c["name"]: c for c in sync.body}
    assert set(commands) == {"claims", "watch", "alerts"}
    # /watch and /alerts need Manage Server by default; /claims is for everyone
    assert int(commands["watch"]["default_member_permissions"]) == MANAGE_GUILD
    assert int(commands["alerts"]["default_member_permissions"]) == MANAGE_GUILD
    assert commands["claims"].get("default_member_permissions") is None
    assert all(c["dm_permission"] is False for c in commands.values())  # servers only
    options = {o["name"]: o for o in commands["claims"]["options"]}
    assert options["query"]["autocomplete"] is True
    assert {o["name"] for o in commands["watch"]["options"]} == {"add", "list", "remove"}
    assert {o["name"] for o in commands["alerts"]["options"]} == {"here", "off", "mute", "links"}
    # no privileged intent unless link reading is on: GUILDS only
    assert fake.identify is not None and fake.identify["intents"] == 1


async def test_guild_sync_on_request_and_message_content_intent_with_link_reading(
    fake: FakeDiscord, store: Store
) -> None:
    client = ClaimwatchDiscord(Commands(store), read_links=True, sync_guild=GUILD)
    task = asyncio.create_task(client.start(TOKEN))
    identify = await fake.wait_identified()
    await client.close()
    await task
    [guild_sync] = fake.recorded("PUT", f"/applications/{fake.app_id}/guilds/{GUILD}/commands")
    assert {c["name"] for c in guild_sync.body} == {"claims", "watch", "alerts"}
    assert len(fake.recorded("PUT", f"/applications/{fake.app_id}/commands")) == 1
    message_content, guild_messages = 1 << 15, 1 << 9
    assert identify["intents"] == 1 | guild_messages | message_content


# -- /claims -------------------------------------------------------------------------------


async def test_claims_casualties_on_the_seeds(fake: FakeDiscord, seeded_bot) -> None:
    callback, final = await slash(
        fake, "claims", [{"type": 3, "name": "query", "value": "casualties"}]
    )
    assert callback["type"] == 5  # deferred ("thinking"), then the answer edits it in
    assert callback["data"]["flags"] & EPHEMERAL  # only the person who asked sees it
    [embed] = final["embeds"]
    assert embed["title"] == "What is known: casualties"
    text = _text(embed)
    for figure in ("1,000", "1,100", "3,000"):
        assert figure in text
    assert "Zelensky" in text


async def test_claims_unknown_query_gets_a_short_private_hint(
    fake: FakeDiscord, seeded_bot
) -> None:
    callback, final = await slash(
        fake, "claims", [{"type": 3, "name": "query", "value": "volcanic ash"}]
    )
    assert callback["data"]["flags"] & EPHEMERAL
    assert final["embeds"] == []
    assert final["content"].startswith("Nothing known matches “volcanic ash”.")


async def test_claims_on_an_empty_database_says_how_to_start(fake: FakeDiscord, bot) -> None:
    callback, final = await slash(fake, "claims", [{"type": 3, "name": "query", "value": "x"}])
    assert callback["data"]["flags"] == EPHEMERAL
    assert final["embeds"] == []
    assert "No claims are stored yet" in final["content"]


async def test_a_failed_public_claims_answer_is_shown_to_the_caller_only(
    fake: FakeDiscord, bot
) -> None:
    token = await fake.interact(
        fake.slash(
            "claims",
            [
                {"type": 3, "name": "query", "value": "x"},
                {"type": 5, "name": "post", "value": True},
            ],
            guild_id=GUILD,
            channel_id=4400000000000000001,
        )
    )
    followup = await fake.wait_for(lambda f: f.recorded("POST", f"/webhooks/*/{token}"))
    [callback] = fake.recorded("POST", f"/interactions/*/{token}/callback")
    assert not callback.body.get("data", {}).get("flags")  # acknowledged publicly, as asked
    assert fake.recorded("DELETE", f"/webhooks/*/{token}/messages/@original")
    assert followup[0].body["flags"] == EPHEMERAL
    assert "No claims are stored yet" in followup[0].body["content"]


async def test_claims_autocomplete_offers_metric_names(fake: FakeDiscord, seeded_bot) -> None:
    payload = fake.slash(
        "claims",
        [{"type": 3, "name": "query", "value": "capt", "focused": True}],
        guild_id=GUILD,
        channel_id=4400000000000000001,
        autocomplete=True,
    )
    token = await fake.interact(payload)
    [callback] = await fake.wait_for(
        lambda f: f.recorded("POST", f"/interactions/*/{token}/callback")
    )
    assert callback.body["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = callback.body["data"]["choices"]
    assert choices and all(c["name"] == c["value"] for c in choices)
    assert any("captur" in c["name"].lower() for c in choices)
    assert not any("troop" in c["name"].lower() for c in choices)


# -- admin commands ---------------------------------------------------------------------------


async def test_non_admin_watch_add_is_refused_and_nothing_stored(
    fake: FakeDiscord, bot, store: Store
) -> None:
    callback, final = await slash(
        fake,
        "watch",
        _sub("add", url="https://news.example/feed.xml"),
        permissions=SEND_MESSAGES,
    )
    assert callback["data"]["flags"] == EPHEMERAL
    assert final["content"].startswith("Only admins can add watched sources")
    assert final["embeds"] == []
    with store.session() as tx:
        assert tx.list_sources(str(GUILD)) == []


async def test_manage_server_makes_an_admin_and_alerts_here_is_stored(
    fake: FakeDiscord, bot, store: Store
) -> None:
    channel = 4400000000000000009
    callback, refused = await slash(
        fake,
        "alerts",
        _sub("here", filter="captured"),
        channel_id=channel,
        permissions=SEND_MESSAGES,
    )
    assert callback["data"]["flags"] == EPHEMERAL  # a refusal is for the caller only
    assert refused["content"].startswith("Only admins")
    with store.session() as tx:
        assert tx.get_channel(str(GUILD), "discord", str(channel)) is None

    _, done = await slash(
        fake,
        "alerts",
        _sub("here", filter="captured"),
        channel_id=channel,
        permissions=SEND_MESSAGES | MANAGE_GUILD,
    )
    # the channel sees where its alerts now come from: a public follow-up replaces
    # the private "thinking" placeholder
    assert done["content"].startswith("This channel now receives alerts about “captured”")
    assert not done.get("flags")
    assert len(fake.recorded("DELETE", "/webhooks/*/messages/@original")) == 1
    with store.session() as tx:
        ch = tx.get_channel(str(GUILD), "discord", str(channel))
    assert ch is not None and ch.enabled and ch.filter == "captured"


# -- alerts as embeds -------------------------------------------------------------------------


def _story_alert(store: Store, tenant: str, channel: str) -> Alert:
    """A stored figure update about an invented story, queued for `channel`."""
    metric = Metric(predicate="missing", entity="workers")
    t0, t1 = datetime(2025, 3, 1, 9, tzinfo=UTC), datetime(2025, 3, 2, 9, tzinfo=UTC)
    a1 = Article(
        "https://news.example/bridge-1",
        "Bridge collapse",
        "…",
        t0,
        "Example News",
        "https://news.example/bridge-1",
    )
    a2 = Article(
        "https://wire.example/bridge-2",
        "Bridge update",
        "…",
        t1,
        "Example Wire",
        "https://wire.example/bridge-2",
    )

    def claim(article: Article, n: int, source: str, sentence: str) -> Claim:
        return Claim(
            ClaimKind.FIGURE,
            metric,
            sentence,
            article.key,
            article.published,
            article.published.date(),
            0,
            quantity=Quantity(float(n)),
            source=source,
        )

    with store.session() as tx:
        story = tx.create_story(tenant, "Harbour bridge collapse", {}, t0)
        ids = [tx.add_article(tenant, a, f"h{i}", story.id) for i, a in enumerate((a1, a2))]
        said_old = "Six workers are missing, the fire department said."
        said_new = "Eight workers remain unaccounted for, the mayor said."
        [old] = tx.add_claims(
            tenant, story.id, ids[0], [claim(a1, 6, "the fire department", said_old)]
        )
        [new] = tx.add_claims(
            tenant, story.id, ids[1], [claim(a2, 8, "Mayor Ines Alvarez", said_new)]
        )
        alert = tx.add_alert(tenant, Alert(AlertKind.FIGURE_UPDATE, story.id, a2.key, old, new))
        tx.set_channel(tenant, "discord", channel, None)
        assert route_alert(tx, tenant, alert) == 1
    return alert


async def test_alert_is_posted_as_an_embed_after_a_429(fake: FakeDiscord, store: Store) -> None:
    tenant = str(GUILD)
    channel = fake.add_channel(GUILD)
    _story_alert(store, tenant, str(channel))
    fake.rate_limit("POST", f"/channels/{channel}/messages", retry_after=0.05)

    client = ClaimwatchDiscord(Commands(store))
    await client.login(TOKEN)  # REST only: no gateway needed to post
    try:
        sent = await DeliveryWorker(store, [DiscordSink(client)]).run_once()
    finally:
        await client.close()

    assert sent == 1
    posts = fake.recorded("POST", f"/channels/{channel}/messages")
    assert [p.status for p in posts] == [429, 200]  # retried by discord.py, arrived once
    assert posts[1].headers["Content-Type"] == "application/json"
    [embed] = posts[1].body["embeds"]
    assert embed["title"] == "Workers missing: now 8 (was 6)"
    assert embed["url"] == "https://wire.example/bridge-2"
    assert embed["color"] == 0xE67E22  # orange: a figure update
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Before"] == "**6**\nthe fire department, 2025-03-01"
    assert fields["Now"] == "**8**\nMayor Ines Alvarez, 2025-03-02"
    assert fields["Before, as reported"] == (
        "> Six workers are missing, the fire department said.\n"
        "[news.example](https://news.example/bridge-1)"
    )
    assert fields["Now, as reported"] == (
        "> Eight workers remain unaccounted for, the mayor said.\n"
        "[wire.example](https://wire.example/bridge-2)"
    )
    with store.session() as tx:
        [delivery] = tx.deliveries(tenant)
    assert delivery.state == "sent"
    assert delivery.message_ref == posts[1].reply["id"]


async def test_a_long_rate_limit_goes_back_to_the_queue(fake: FakeDiscord, store: Store) -> None:
    tenant = str(GUILD)
    channel = fake.add_channel(GUILD)
    _story_alert(store, tenant, str(channel))
    fake.rate_limit("POST", f"/channels/{channel}/messages", retry_after=600)

    client = ClaimwatchDiscord(Commands(store))
    await client.login(TOKEN)
    try:
        worker = DeliveryWorker(store, [DiscordSink(client)])
        assert await worker.run_once() == 0
        with store.session() as tx:
            [delivery] = tx.deliveries(tenant)
        assert delivery.state == "pending" and "retry in 600s" in (delivery.last_error or "")
        # the next round (the queue's own schedule) sends it, once
        assert await worker.run_once(now=delivery.next_attempt) == 1
        assert await worker.run_once(now=delivery.next_attempt) == 0
    finally:
        await client.close()
    assert [p.status for p in fake.recorded("POST", f"/channels/{channel}/messages")] == [429, 200]


async def test_later_alerts_about_a_metric_go_into_a_thread(
    fake: FakeDiscord, store: Store
) -> None:
    channel = fake.add_channel(GUILD)
    alert = _story_alert(store, str(GUILD), str(channel))
    view = alert_view(alert)
    client = ClaimwatchDiscord(Commands(store))
    await client.login(TOKEN)
    try:
        sink = DiscordSink(client)
        first = await sink.send_alert(str(channel), view, None)
        second = await sink.send_alert(str(channel), view, first.thread_ref)
        third = await sink.send_alert(str(channel), view, second.thread_ref)
    finally:
        await client.close()
    assert first.thread_ref == first.message_ref
    root = int(first.message_ref)
    [thread] = fake.recorded("POST", f"/channels/{channel}/messages/{root}/threads", status=201)
    assert thread.body["name"] == "workers missing"
    in_thread = fake.recorded("POST", f"/channels/{root}/messages", status=200)
    assert [r.body["embeds"][0]["title"] for r in in_thread] == [view.headline] * 2
    assert {second.thread_ref, third.thread_ref} == {str(root)}
    assert len(fake.recorded("POST", f"/channels/{channel}/messages")) == 1


async def test_a_channel_the_bot_cannot_reach_is_a_permanent_failure(
    fake: FakeDiscord, store: Store
) -> None:
    client = ClaimwatchDiscord(Commands(store))
    await client.login(TOKEN)
    try:
        alert = _story_alert(store, str(GUILD), "4400000000000000077")
        with pytest.raises(PermanentFailure, match="gone"):
            await DiscordSink(client).send_alert("4400000000000000077", alert_view(alert), None)
    finally:
        await client.close()


# -- rendering --------------------------------------------------------------------------------


def test_each_alert_kind_has_its_own_colour() -> None:
    metric = Metric("killed", "civilians")
    t = datetime(2025, 1, 1, tzinfo=UTC)
    c = Claim(ClaimKind.FIGURE, metric, "s", "k", t, date(2025, 1, 1), 0, Quantity(1.0), id=1)
    colours = {
        kind: alert_embed(alert_view(Alert(kind, 1, "k", c, c))).colour.value for kind in AlertKind
    }
    assert len(set(colours.values())) == 3


def test_reply_embed_fields_are_the_shared_replys_fields() -> None:
    """The adapter lays out what bot.commands answered; it adds and drops nothing."""
    from bot.commands import Reply, ReplyField

    reply = Reply(
        text="2 metrics",
        title="What is known: x",
        fields=[ReplyField("a", "1"), ReplyField("b", "2")],
        links=["https://a.example/"],
    )
    content, embed = reply_message(reply)
    assert content is None and embed is not None
    assert [(f.name, f.value) for f in embed.fields] == [
        ("a", "1"),
        ("b", "2"),
        ("Links", "https://a.example/"),
    ]
    many = Reply(text="t", title="T", fields=[ReplyField(f"n{i}", "v" * 900) for i in range(40)])
    _, big = reply_message(many)
    assert big is not None and len(big) <= 6000 and len(big.fields) <= 25
    assert big.footer.text and big.footer.text.startswith("…and ")


def test_adapters_hold_no_query_or_comparison_code() -> None:
    """Both chat adapters call bot.commands; neither reaches the store or the matching itself."""
    banned_modules = (
        "store",
        "sqlalchemy",
        "bot.metrics",
        "bot.pipeline",
        "bot.lexicon",
        "bot.numbers",
        "bot.claims",
    )
    banned_names = {"matches_query", "session", "tenant_claims", "ingest", "execute"}
    for name in ("discord.py", "slack.py"):
        path = ROOT / "adapters" / name
        if not path.exists():
            continue
        tree = ast.parse(path.read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module in ("store", "store.db") and {a.name for a in node.names} == {
                    "Store"
                }:
                    continue  # opening the database to hand it to Commands is wiring
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        assert "bot.commands" in imported, name
        bad = {m for m in imported if m.startswith(banned_modules)}
        assert not bad, f"{name} imports {sorted(bad)}"
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not names & banned_names, f"{name} uses {sorted(names & banned_names)}"


async def test_discord_and_console_get_the_same_answer(fake: FakeDiscord, bot, store) -> None:
    """The same shared command, called as the console calls it, gives the embed's content."""
    _, final = await slash(fake, "claims", [{"type": 3, "name": "query", "value": "x"}])
    caller = Caller(tenant=str(GUILD), user="u", platform="console", channel="c")
    reply = await Commands(store).run(caller, "claims", "x")
    assert final["content"] == reply.text


# -- running it -------------------------------------------------------------------------------


async def test_serve_delivers_queued_alerts_and_stops_cleanly(
    fake: FakeDiscord, store: Store
) -> None:
    """The `claimwatch run` part for Discord: gateway client plus the delivery worker."""
    from adapters.discord import serve
    from bot.settings import Settings

    channel = fake.add_channel(GUILD)
    _story_alert(store, str(GUILD), str(channel))
    stop = asyncio.Event()
    running = asyncio.create_task(serve(Settings(discord_token=TOKEN), store, stop=stop))
    await fake.wait_identified()
    [post] = await fake.wait_for(
        lambda f: f.recorded("POST", f"/channels/{channel}/messages", status=200)
    )
    stop.set()
    await asyncio.wait_for(running, 10)
    assert post.body["embeds"][0]["title"] == "Workers missing: now 8 (was 6)"
    with store.session() as tx:
        assert [d.state for d in tx.deliveries(str(GUILD))] == ["sent"]


async def test_sync_on_request_copies_into_one_guild_and_clears_it(
    fake: FakeDiscord, store: Store
) -> None:
    from adapters.discord import sync_only
    from bot.settings import Settings

    settings = Settings(discord_token=TOKEN)
    assert sorted(await sync_only(settings, store, GUILD)) == ["alerts", "claims", "watch"]
    assert await sync_only(settings, store, GUILD, clear=True) == []
    guild_syncs = fake.recorded("PUT", f"/applications/{fake.app_id}/guilds/{GUILD}/commands")
    assert [len(r.body) for r in guild_syncs] == [3, 0]
    assert not fake.identify  # syncing needs no gateway connection


def test_invite_link_asks_for_the_commands_scope_and_only_the_permissions_used() -> None:
    from urllib.parse import parse_qs, urlparse

    from adapters.discord import invite_url

    query = parse_qs(urlparse(invite_url(1234)).query)
    assert query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    # view, send, embed links, read history, create public threads, send in threads
    expected = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 35) | (1 << 38)
    assert query["permissions"] == [str(expected)]


async def test_claims_and_autocomplete_on_a_stored_story(
    fake: FakeDiscord, bot, store: Store
) -> None:
    """Independent of the seeds: claims stored for this server are shown and offered."""
    _story_alert(store, str(GUILD), "4400000000000000005")
    token = await fake.interact(
        fake.slash(
            "claims",
            [{"type": 3, "name": "query", "value": "work", "focused": True}],
            guild_id=GUILD,
            channel_id=4400000000000000001,
            autocomplete=True,
        )
    )
    [offered] = await fake.wait_for(
        lambda f: f.recorded("POST", f"/interactions/*/{token}/callback")
    )
    assert offered.body["data"]["choices"] == [
        {"name": "workers missing", "value": "workers missing"}
    ]

    callback, final = await slash(
        fake, "claims", [{"type": 3, "name": "query", "value": "workers missing"}]
    )
    assert callback["data"]["flags"] == EPHEMERAL
    [embed] = final["embeds"]
    assert embed["title"] == "What is known: workers missing"
    text = _text(embed)
    assert "the fire department: 6 (2025-03-01)" in text
    assert "Mayor Ines Alvarez: 8 (2025-03-02)" in text
    assert "https://wire.example/bridge-2" in text
