"""The console adapter drives the shared commands exactly as a chat platform would."""

from __future__ import annotations

import io

import pytest
from support.story import build_story

from adapters.console import ConsoleAdapter, ConsoleSink
from bot.commands import Commands
from bot.delivery import DeliveryWorker, route_alert
from store import Store

TEAM = "local"


@pytest.fixture
def store(sqlite_url: str):
    s = Store(sqlite_url)
    yield s
    s.close()


@pytest.fixture
def console(store) -> ConsoleAdapter:
    return ConsoleAdapter(Commands(store), tenant=TEAM, out=io.StringIO())


async def test_claims_in_the_terminal(console, store) -> None:
    build_story(store, TEAM)
    out = await console.exec_command("/claims wounded")
    assert out.startswith("== What is known: wounded ==\n1 metric matching “wounded” in 1 story")
    assert (
        "[North Korean soldiers killed or wounded (figures) · North Korean soldiers in Kursk]"
    ) in out
    assert "• South Korea's NIS: 1,100 (2025-01-12)" in out
    assert "• Zelensky: nearly 3,000 (2024-12-23)" in out
    assert "-> https://news.example.org/2025/01/12/second-soldier" in out


async def test_errors_are_one_helpful_line(console) -> None:
    assert await console.exec_command("/claims zeppelins") == (
        "error: Nothing known matches “zeppelins”. No claims are stored yet: "
        "`/watch add URL` or `/claims check URL`."
    )
    assert (await console.exec_command("hello")).startswith("error: Commands: /claims")
    assert await console.exec_command("   ") == ""


async def test_only_admins_at_the_terminal_may_add_sources(store) -> None:
    guest = ConsoleAdapter(Commands(store), tenant=TEAM, is_admin=False)
    out = await guest.exec_command("/watch add https://example.org/feed.xml")
    assert (
        out
        == "error: Only admins can add watched sources. Ask an admin of this workspace or server."
    )
    with store.session() as tx:
        assert tx.list_sources(TEAM) == []


async def test_alerts_print_in_the_terminal_with_threads(console, store) -> None:
    out = await console.exec_command("/alerts here wounded")
    assert out == (
        "This channel now receives alerts about “wounded”. Links posted here are read and "
        "checked (on; `/alerts links on|off`).\n(posted in the channel)"
    )
    build_story(store, TEAM, route=route_alert)
    screen = io.StringIO()
    assert await DeliveryWorker(store, [ConsoleSink(screen)]).run_once() == 2
    lines = screen.getvalue().splitlines()
    assert lines[0] == (
        "#console: ALERT (contradiction): Sources disagree on North Korean soldiers killed or "
        "wounded: Zelensky says nearly 3,000, South Korea's NIS said 1,000"
    )
    assert lines[1] == "  was: 1,000 — South Korea's NIS, 2024-12-23"
    assert lines[7] == (
        "#console:   ↳ ALERT (figure update): North Korean soldiers killed or wounded: "
        "now 1,100 (was 1,000)"
    )
    assert lines[-1] == "       https://news.example.org/2025/01/12/second-soldier"


async def test_repl_reads_a_stream_until_quit(store) -> None:
    build_story(store, TEAM)
    out = io.StringIO()
    adapter = ConsoleAdapter(Commands(store), tenant=TEAM, out=out)
    await adapter.repl(io.StringIO("/claims captured\n/quit\n/claims wounded\n"), prompt=False)
    text = out.getvalue()
    assert "== What is known: captured ==" in text
    assert "• Daily Two: dead (2025-01-11)" in text
    assert "What is known: wounded" not in text  # nothing after /quit
