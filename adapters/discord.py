"""The Discord adapter: slash commands in, embeds out, over discord.py.

It only translates. An interaction becomes a `Caller` (guild = tenant, Manage
Server permission = admin) and a call to `bot.commands.Commands`; the neutral
`Reply` and `AlertView` become embeds. Which claims match, what changed and who
may do what is decided in `bot/`, once for Slack, Discord and the console.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import discord
from discord import app_commands

from bot.commands import Caller, Commands, Reply
from bot.delivery import PermanentFailure, RetryLater, SentRef
from bot.render import AlertView, ClaimSide

log = logging.getLogger(__name__)

PLATFORM = "discord"

# Colour per alert kind; the kind is also written out (author line) for colour-blind readers.
KIND_STYLE: dict[str, tuple[discord.Colour, str]] = {
    "contradiction": (discord.Colour.red(), "Sources disagree"),
    "figure_update": (discord.Colour.orange(), "Figure updated"),
    "status_update": (discord.Colour.blue(), "Status changed"),
}
REPLY_COLOUR = discord.Colour.blurple()

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object)
TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 256, 4096, 256, 1024
FIELDS_MAX, EMBED_TOTAL_MAX, CHOICES_MAX, CHOICE_MAX = 25, 6000, 25, 100
THREAD_NAME_MAX = 100

# Threads under an alert stay open a week without activity (Discord's longest choice).
THREAD_ARCHIVE_MINUTES = 10080
# Waits longer than this come back to our delivery queue as RetryLater instead of
# holding a send open (discord.py's minimum is 30 s).
MAX_RATELIMIT_WAIT = 60.0
UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, THREAD_EXISTS = 10003, 10008, 160004

# What the bot does in a channel: see it, post embeds, start and post in alert threads
# (starting a thread on a message needs Read Message History).
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
)
SCOPES = ("bot", "applications.commands")

_URL = re.compile(r"https?://[^\s<>]+")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link_label(link: str, article: str) -> str:
    """A short label for an article link: its key when that is a name, else the host."""
    if article and article != link and not article.startswith(("http://", "https://")):
        return article
    return urlparse(link).hostname or link


# -- rendering -------------------------------------------------------------------------------


def _side_summary(side: ClaimSide) -> str:
    """The figure in bold, then who said it and for which date."""
    figure = discord.utils.escape_markdown(side.figure)
    source = discord.utils.escape_markdown(side.source)
    return _clip(f"**{figure}**\n{source}, {side.date}", FIELD_VALUE_MAX)


def _side_quote(side: ClaimSide) -> str:
    """The sentence the claim came from, quoted, with a link to its article."""
    if side.link:
        label = discord.utils.escape_markdown(_link_label(side.link, side.article))
        ref = f"[{label}]({side.link})"
    else:
        ref = discord.utils.escape_markdown(side.article)
    room = FIELD_VALUE_MAX - len(ref) - 4
    quote = _clip(discord.utils.escape_markdown(" ".join(side.quote.split())), room)
    return f"> {quote}\n{ref}"


def alert_embed(view: AlertView) -> discord.Embed:
    """An alert as an embed: what changed in the title, old vs new side by side, the quotes."""
    colour, label = KIND_STYLE.get(view.kind, (REPLY_COLOUR, view.kind.replace("_", " ")))
    embed = discord.Embed(
        title=_clip(view.headline, TITLE_MAX), url=view.new.link or None, colour=colour
    )
    embed.set_author(name=label)
    embed.add_field(name="Before", value=_side_summary(view.old), inline=True)
    embed.add_field(name="Now", value=_side_summary(view.new), inline=True)
    embed.add_field(name="Before, as reported", value=_side_quote(view.old), inline=False)
    embed.add_field(name="Now, as reported", value=_side_quote(view.new), inline=False)
    shown = {view.old.link, view.new.link}
    more = [link for link in view.links if link not in shown]
    if more:
        embed.add_field(name="More", value=_clip("\n".join(more), FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=_clip(view.metric, 2048))
    return embed


def reply_message(reply: Reply) -> tuple[str | None, discord.Embed | None]:
    """A command's `Reply` as (content, embed).

    Short answers and errors stay plain text, which reads better than a one-line
    embed; anything with a title, fields, links or an image becomes an embed,
    trimmed to Discord's limits rather than refused by the API.
    """
    if reply.error or not (reply.title or reply.fields or reply.links or reply.image_url):
        return _clip(reply.text, 2000), None
    embed = discord.Embed(
        title=_clip(reply.title, TITLE_MAX) if reply.title else None,
        description=_clip(reply.text, DESCRIPTION_MAX),
        colour=REPLY_COLOUR,
    )
    links = "\n".join(reply.links)
    budget = EMBED_TOTAL_MAX - len(embed) - min(len(links), FIELD_VALUE_MAX) - 40
    fields = list(reply.fields)
    room_for = FIELDS_MAX - (1 if links else 0)
    for i, f in enumerate(fields):
        name, value = _clip(f.name, FIELD_NAME_MAX), _clip(f.value, FIELD_VALUE_MAX)
        if i >= room_for or len(name) + len(value) > budget:
            embed.set_footer(text=f"…and {len(fields) - i} more; narrow the query to see them.")
            break
        embed.add_field(name=name, value=value, inline=False)
        budget -= len(name) + len(value)
    if links:
        embed.add_field(name="Links", value=_clip(links, FIELD_VALUE_MAX), inline=False)
    if reply.image_url:
        embed.set_image(url=reply.image_url)
    return None, embed


# -- alerts ----------------------------------------------------------------------------------


class DiscordSink:
    """Posts alerts for the delivery queue; needs a logged-in client, not the gateway.

    The first alert about a story's metric is a message in the channel; later ones
    go into a thread started on it. A thread started from a message has that
    message's id, so the message id we return is also the thread to reply in.
    """

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_alert(self, channel: str, view: AlertView, thread_ref: str | None) -> SentRef:
        embed = alert_embed(view)
        try:
            if thread_ref:
                sent = await self._send_in_thread(int(channel), int(thread_ref), view, embed)
                if sent is not None:
                    return SentRef(message_ref=str(sent.id), thread_ref=thread_ref)
            message = await self.client.get_partial_messageable(int(channel)).send(embed=embed)
        except discord.RateLimited as exc:
            raise RetryLater(exc.retry_after) from exc
        except discord.Forbidden as exc:
            raise PermanentFailure(f"not allowed to post in channel {channel}: {exc.text}") from exc
        except discord.NotFound as exc:
            raise PermanentFailure(f"channel {channel} is gone: {exc.text}") from exc
        return SentRef(message_ref=str(message.id), thread_ref=str(message.id))

    async def _send_in_thread(
        self, channel_id: int, root_id: int, view: AlertView, embed: discord.Embed
    ) -> discord.Message | None:
        """Post under the first alert, starting its thread if needed; None if the root is gone."""
        thread = self.client.get_partial_messageable(
            root_id, type=discord.ChannelType.public_thread
        )
        try:
            return await thread.send(embed=embed)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_CHANNEL:
                raise
        try:
            await self.client.http.start_thread_with_message(
                channel_id,
                root_id,
                name=_clip(view.metric or view.headline, THREAD_NAME_MAX),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:  # the first alert was deleted: start afresh
                return None
            raise
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # another worker started it meanwhile
                raise
        return await thread.send(embed=embed)


# -- commands --------------------------------------------------------------------------------


def caller_of(interaction: discord.Interaction) -> Caller:
    """Who is asking, where; admin means Manage Server (or Administrator) in this channel."""
    perms = interaction.permissions
    return Caller(
        tenant=str(interaction.guild_id),
        user=str(interaction.user.id),
        platform=PLATFORM,
        channel=str(interaction.channel_id),
        is_admin=perms.manage_guild or perms.administrator,
    )


OOPS = Reply(
    text="Something went wrong on our side; the error is logged. Try again later.", error=True
)


async def answer(
    interaction: discord.Interaction,
    run: Callable[[Caller], Awaitable[Reply]],
    *,
    public: bool = False,
) -> None:
    """Acknowledge at once (Discord allows 3 s), run the shared command, show its reply.

    The acknowledgement is ephemeral unless the caller asked to post. The reply
    decides who sees the answer (`Reply.ephemeral`: errors stay private, "alerts
    now go here" is for the channel); when that differs from the acknowledgement,
    the placeholder is replaced by a follow-up with the right visibility.
    """
    await interaction.response.defer(ephemeral=not public, thinking=True)
    try:
        reply = await run(caller_of(interaction))
    except Exception:
        log.exception("discord command %s failed", interaction.command and interaction.command.name)
        reply = OOPS
    content, embed = reply_message(reply)
    embeds = [embed] if embed else []
    if public == (not reply.ephemeral):
        await interaction.edit_original_response(content=content, embeds=embeds)
    else:
        await interaction.delete_original_response()
        await interaction.followup.send(
            content=content or None, embeds=embeds, ephemeral=reply.ephemeral
        )


def build_tree(client: discord.Client, commands: Commands) -> app_commands.CommandTree:
    """The /claims, /watch and /alerts commands, each a thin call into `commands`."""
    tree = app_commands.CommandTree(client)

    async def metric_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await commands.metric_names(str(interaction.guild_id), current)
        return [
            app_commands.Choice(name=_clip(n, CHOICE_MAX), value=_clip(n, CHOICE_MAX))
            for n in names[:CHOICES_MAX]
        ]

    @tree.command(name="claims", description="What is known about a figure or status.")
    @app_commands.guild_only()
    @app_commands.describe(
        query="A figure or status, e.g. casualties; leave empty for the stories tracked",
        check="Instead: an article URL to check now (nothing is stored)",
        post="Post the answer in the channel instead of showing it only to you",
    )
    @app_commands.autocomplete(query=metric_choices)
    async def claims(
        interaction: discord.Interaction,
        query: str | None = None,
        check: str | None = None,
        post: bool = False,
    ) -> None:
        if check and query:
            await interaction.response.send_message(
                "Give either `query` or `check`, not both.", ephemeral=True
            )
            return
        if check:
            await answer(interaction, lambda c: commands.claims_check(c, check))
        else:
            await answer(
                interaction, lambda c: commands.claims(c, query or "", post=post), public=post
            )

    admin = discord.Permissions(manage_guild=True)
    watch = app_commands.Group(
        name="watch",
        description="Sources watched for this server (Manage Server).",
        guild_only=True,
        default_permissions=admin,
    )

    @watch.command(name="add", description="Watch a feed or page for new articles.")
    @app_commands.describe(url="The feed or page address")
    async def watch_add(interaction: discord.Interaction, url: str) -> None:
        await answer(interaction, lambda c: commands.watch_add(c, url))

    @watch.command(name="list", description="The sources watched, with their ids.")
    async def watch_list(interaction: discord.Interaction) -> None:
        await answer(interaction, commands.watch_list)

    @watch.command(name="remove", description="Stop watching a source.")
    @app_commands.rename(source_id="id")
    @app_commands.describe(source_id="The source id from /watch list")
    async def watch_remove(interaction: discord.Interaction, source_id: int) -> None:
        await answer(interaction, lambda c: commands.watch_remove(c, str(source_id)))

    alerts = app_commands.Group(
        name="alerts",
        description="Where this server's alerts go (Manage Server).",
        guild_only=True,
        default_permissions=admin,
    )

    @alerts.command(name="here", description="Send alerts to this channel.")
    @app_commands.rename(only="filter")
    @app_commands.describe(only="Only alerts about stories or metrics matching this")
    async def alerts_here(interaction: discord.Interaction, only: str | None = None) -> None:
        await answer(interaction, lambda c: commands.alerts_here(c, only))

    @alerts.command(name="off", description="Stop sending alerts to this channel.")
    async def alerts_off(interaction: discord.Interaction) -> None:
        await answer(interaction, commands.alerts_off)

    @alerts.command(name="mute", description="Hold back alerts about a metric for a while.")
    @app_commands.describe(metric="The figure or status", duration="e.g. 30m, 2h, 1d, 1w")
    @app_commands.autocomplete(metric=metric_choices)
    async def alerts_mute(interaction: discord.Interaction, metric: str, duration: str) -> None:
        await answer(interaction, lambda c: commands.alerts_mute(c, metric, duration))

    @alerts.command(name="links", description="Read links posted in this channel (or stop).")
    @app_commands.describe(on="Whether links posted here are read and checked")
    async def alerts_links(interaction: discord.Interaction, on: bool) -> None:
        await answer(interaction, lambda c: commands.alerts_links(c, on))

    tree.add_command(watch)
    tree.add_command(alerts)

    @tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Whatever failed, the person gets a short answer, never a trace."""
        log.error("discord command failed", exc_info=error)
        if interaction.type is discord.InteractionType.autocomplete:
            return
        content, _ = reply_message(OOPS)
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)

    return tree


# -- the client ------------------------------------------------------------------------------


def intents_for(read_links: bool) -> discord.Intents:
    """Only what is used: guild events; message content only when links are read."""
    intents = discord.Intents.none()
    intents.guilds = True
    if read_links:
        intents.guild_messages = True
        intents.message_content = True  # privileged: enable it in the Developer Portal too
    return intents


class ClaimwatchDiscord(discord.Client):
    """The bot's Discord client: slash commands on the gateway, alerts over REST."""

    def __init__(
        self,
        commands: Commands,
        *,
        read_links: bool = False,
        sync_guild: int | None = None,
        **options,
    ) -> None:
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
        super().__init__(intents=intents_for(read_links), **options)
        self.commands = commands
        self.read_links = read_links
        self.sync_guild = sync_guild
        self.tree = build_tree(self, commands)

    async def setup_hook(self) -> None:
        """Sync the commands globally on start, and to one guild when asked (instant there)."""
        await sync_commands(self.tree)
        if self.sync_guild:
            await sync_commands(self.tree, guild_id=self.sync_guild)

    async def on_message(self, message: discord.Message) -> None:
        """Links posted where alerts and link reading are on are read like any article."""
        if not self.read_links or message.author.bot or message.guild is None:
            return
        caller = Caller(
            tenant=str(message.guild.id),
            user=str(message.author.id),
            platform=PLATFORM,
            channel=str(message.channel.id),
        )
        for url in dict.fromkeys(_URL.findall(message.content)):
            await self.commands.read_link(caller, url)


async def sync_commands(tree: app_commands.CommandTree, guild_id: int | None = None) -> list[str]:
    """Register the commands with Discord: globally, or copied into one guild.

    A guild copy shows at once in that guild (handy while setting up); syncing
    an empty guild (see `clear_guild_commands`) removes the copy again.
    """
    if guild_id is None:
        synced = await tree.sync()
    else:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
    log.info(
        "synced %d Discord commands %s",
        len(synced),
        f"to guild {guild_id}" if guild_id else "globally",
    )
    return [c.name for c in synced]


async def clear_guild_commands(tree: app_commands.CommandTree, guild_id: int) -> None:
    """Remove a guild copy made by `sync_commands(guild_id=...)`; the global ones stay."""
    guild = discord.Object(id=guild_id)
    tree.clear_commands(guild=guild)
    await tree.sync(guild=guild)


async def serve(settings, store, *, stop: asyncio.Event | None = None) -> None:
    """Run the Discord bot and its alert delivery worker until `stop` (`claimwatch run`).

    Alerts need only the REST login, so delivery starts right after it and keeps
    going (through the stored queue) while the gateway reconnects.
    """
    from bot.delivery import DeliveryWorker

    if not settings.discord_token:
        raise SystemExit("DISCORD_TOKEN is not set (see README, section Discord)")
    stop = stop or asyncio.Event()
    commands = Commands(store, settings=settings)
    client = ClaimwatchDiscord(
        commands,
        read_links=settings.discord_read_links,
        sync_guild=settings.discord_sync_guild,
    )
    worker = DeliveryWorker(store, [DiscordSink(client)])
    async with client:
        await client.login(settings.discord_token)
        tasks = {
            asyncio.create_task(client.connect(), name="discord-gateway"),
            asyncio.create_task(worker.run(stop), name="discord-delivery"),
            asyncio.create_task(stop.wait(), name="stop"),
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await client.close()
        await asyncio.gather(*pending, return_exceptions=True)
        await commands.aclose()
        for task in done:
            if not task.cancelled() and (exc := task.exception()) is not None:
                raise exc


def invite_url(application_id: int) -> str:
    """The link a server admin opens to add the bot with its commands and permissions."""
    return discord.utils.oauth_url(application_id, permissions=BOT_PERMISSIONS, scopes=SCOPES)


async def sync_only(settings, store, guild_id: int | None, *, clear: bool = False) -> list[str]:
    """Sync the commands once, without connecting to the gateway; for `... sync --guild ID`."""
    if not settings.discord_token:
        raise SystemExit("DISCORD_TOKEN is not set (see README, section Discord)")
    client = ClaimwatchDiscord(Commands(store))
    async with client:
        await client.login(settings.discord_token)  # setup_hook syncs globally
        if guild_id is None:
            return [c.name for c in client.tree.get_commands()]
        if clear:
            await clear_guild_commands(client.tree, guild_id)
            return []
        return await sync_commands(client.tree, guild_id=guild_id)


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.discord [sync [--guild ID] [--clear] | invite APP_ID]`.

    Without arguments it runs the bot; `sync` registers the commands and exits;
    `invite` prints the link that adds the bot to a server.
    """
    import argparse

    from bot.settings import Settings
    from store import Store

    parser = argparse.ArgumentParser(prog="python -m adapters.discord")
    sub = parser.add_subparsers(dest="what")
    sync = sub.add_parser("sync", help="register the slash commands and exit")
    sync.add_argument("--guild", type=int, help="also copy them into this server (instant)")
    sync.add_argument("--clear", action="store_true", help="remove that server's copy")
    invite = sub.add_parser("invite", help="print the link that adds the bot to a server")
    invite.add_argument("application_id", type=int, help="Developer Portal > General Information")
    args = parser.parse_args(argv)
    if args.what == "invite":
        print(invite_url(args.application_id))
        return
    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    store = Store(settings.db_url)
    if args.what == "sync":
        guild = args.guild or settings.discord_sync_guild
        names = asyncio.run(sync_only(settings, store, guild, clear=args.clear))
        print(f"synced: {', '.join(names) or 'nothing'}" + (f" (guild {guild})" if guild else ""))
    else:
        asyncio.run(serve(settings, store))


if __name__ == "__main__":
    main()
