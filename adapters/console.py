"""Console adapter: the terminal as a chat platform, errbot-style.

A real adapter like Slack and Discord: lines typed (or read from a stream) are
commands for the shared `Commands`, replies and alerts are printed. Tests drive
the command layer through it exactly as a platform would.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import TextIO

from bot.commands import Caller, Commands, Reply
from bot.delivery import SentRef
from bot.render import AlertView

PROMPT = "claimwatch> "


def render_reply(reply: Reply) -> str:
    """A reply as terminal text: title, text, one block per field, links."""
    lines = []
    if reply.title:
        lines.append(f"== {reply.title} ==")
    lines.append(("error: " if reply.error else "") + reply.text)
    for f in reply.fields:
        lines.append(f"[{f.name}]")
        lines.append(f.value)
    lines += [f"-> {u}" for u in reply.links]
    if not reply.ephemeral:
        lines.append("(posted in the channel)")
    return "\n".join(lines)


def render_alert(view: AlertView, thread_ref: str | None = None) -> str:
    """An alert as terminal text: headline, old vs new with source and date, quotes, links."""
    indent = "  ↳ " if thread_ref else ""
    lines = [f"{indent}ALERT ({view.kind.replace('_', ' ')}): {view.headline}"]
    for label, side in (("was", view.old), ("now", view.new)):
        lines.append(f"  {label}: {side.figure} — {side.source}, {side.date}")
        lines.append(f"       “{side.quote}”")
        lines.append(f"       {side.link or side.article}")
    return "\n".join(lines)


class ConsoleSink:
    """Prints alerts for channels on the "console" platform (the delivery worker's sink)."""

    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._ids = itertools.count(1)

    async def send_alert(self, channel: str, view: AlertView, thread_ref: str | None) -> SentRef:
        ref = f"console-{next(self._ids)}"
        print(f"#{channel}: " + render_alert(view, thread_ref), file=self.out, flush=True)
        return SentRef(message_ref=ref, thread_ref=thread_ref or ref)


class ConsoleAdapter:
    """Reads `/claims ...`, `/watch ...`, `/alerts ...` lines; a bare URL is a posted link."""

    def __init__(
        self,
        commands: Commands,
        *,
        tenant: str = "local",
        user: str = "console",
        channel: str = "console",
        is_admin: bool = True,  # whoever holds the terminal holds the database
        out: TextIO | None = None,
    ) -> None:
        self.commands = commands
        self.caller = Caller(tenant, user, "console", channel, is_admin)
        self.out = out or sys.stdout

    async def exec_reply(self, line: str) -> Reply | None:
        """Run one typed line; None for blank lines and links that were only read."""
        line = line.strip()
        if not line:
            return None
        if not line.startswith(("/", "!")):
            if line.startswith(("http://", "https://")):
                n = await self.commands.read_link(self.caller, line)
                if n is None:
                    return Reply(
                        text="Not read: turn alerts on here first (`/alerts here`).", error=True
                    )
                return Reply(text=f"Read {line}: {n} alert{'s' * (n != 1)}.")
            return Reply(
                text="Commands: /claims, /watch, /alerts (try `/claims help`).", error=True
            )
        command, _, rest = line.partition(" ")
        if command.lstrip("/!") == "quit":
            raise EOFError
        return await self.commands.run(self.caller, command, rest)

    async def exec_command(self, line: str) -> str:
        """Run one line and return what the terminal shows (the errbot testbot's contract)."""
        reply = await self.exec_reply(line)
        return render_reply(reply) if reply else ""

    async def repl(self, stream: TextIO | None = None, *, prompt: bool = True) -> None:
        """Read lines until end of input (or `/quit`), printing each answer."""
        stream = stream or sys.stdin
        while True:
            if prompt:
                print(PROMPT, end="", file=self.out, flush=True)
            line = await asyncio.to_thread(stream.readline)
            if not line:
                break
            try:
                text = await self.exec_command(line)
            except EOFError:
                break
            if text:
                print(text, file=self.out, flush=True)
