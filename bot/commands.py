"""The chat commands, once for every platform: /claims, /watch, /alerts.

Adapters parse their platform's input into a `Caller` and arguments, check
permissions with their platform's own means (setting `Caller.is_admin`), call
one of these and render the `Reply`. No adapter holds query or comparison logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    tenant: str  # Slack team id / Discord guild id / "local"
    user: str
    platform: str  # "slack" | "discord" | "console"
    channel: str
    is_admin: bool = False


@dataclass(frozen=True)
class ReplyField:
    name: str
    value: str


@dataclass(frozen=True)
class Reply:
    """What a command answers: adapters turn it into blocks, embeds or terminal text."""

    text: str
    title: str | None = None
    fields: list[ReplyField] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    image_url: str | None = None
    ephemeral: bool = True  # only the caller sees it unless they asked to post
    error: bool = False
