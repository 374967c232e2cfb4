"""`claimwatch watch ...` and `claimwatch run`, driven as a user types them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.httpserver import LocalServer, Reply, running_server
from support.seedfeed import rss, story_items
from typer.testing import CliRunner

from adapters.cli import app

RSS = "application/rss+xml"
ALLOW_LOCAL = {"CLAIMWATCH_ALLOW_HOSTS": json.dumps(["127.0.0.1"])}


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def cli(sqlite_url: str):
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), env={"CLAIMWATCH_DB_URL": sqlite_url, **(env or {})})

    return invoke


def test_watch_add_refuses_a_private_address_and_says_why(cli) -> None:
    result = cli("watch", "add", "http://10.20.30.40/feed.xml")
    assert result.exit_code == 1
    assert (
        "refused http://10.20.30.40/feed.xml: 10.20.30.40 is a private network address"
        in result.output
    )
    assert "CLAIMWATCH_ALLOW_HOSTS" in result.output
    assert "No sources watched yet" in cli("watch", "list").output


def test_watch_add_refuses_metadata_and_loopback_unless_allowed(
    cli, local_server: LocalServer
) -> None:
    body = rss(story_items()[:1], "http://x")
    url = local_server.route("/feed.xml", Reply(body, content_type=RSS))
    meta = cli("watch", "add", "http://169.254.169.254/latest/meta-data/")
    assert meta.exit_code == 1 and "a cloud metadata service address" in meta.output
    loop = cli("watch", "add", url)
    assert loop.exit_code == 1 and "127.0.0.1 is a loopback address (this machine)" in loop.output
    assert local_server.requests == []
    ok = cli("watch", "add", url, "--every", "15m", env=ALLOW_LOCAL)
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == (
        f"Watching feed “Claimwatch test wire” as source 1, every 15m: {url}"
    )


def test_watch_list_pause_resume_remove(cli, local_server: LocalServer) -> None:
    feed = local_server.route("/feed.xml", Reply(rss([], "http://x"), content_type=RSS))
    page = local_server.route(
        "/live.html",
        Reply(
            b"<html><head><title>Live: floods</title></head><body><article><p>"
            + b"The river rose above the old bridge on Tuesday morning. " * 5
            + b"</p></article></body></html>"
        ),
    )
    assert cli("watch", "add", feed, env=ALLOW_LOCAL).exit_code == 0
    added = cli("watch", "add", page, "--name", "Flood blog", env=ALLOW_LOCAL)
    assert added.output.startswith("Watching page “Flood blog” as source 2, every 10m")
    again = cli("watch", "add", feed + "#top", env=ALLOW_LOCAL)
    assert again.exit_code == 1 and f"already watching {feed}" in again.output

    lines = cli("watch", "list").output.splitlines()
    assert lines[0] == (
        f"[1] feed Claimwatch test wire <{feed}>: waiting for its first poll, every 10m, "
        "due now, 0 articles"
    )
    assert lines[1].startswith(f"[2] page Flood blog <{page}>: waiting for its first poll")

    assert cli("watch", "pause", "2").output.strip() == f"Source 2 paused: {page}"
    assert "[2] page Flood blog" in cli("watch", "list").output
    assert f"<{page}>: paused, every 10m, 0 articles" in cli("watch", "list").output
    assert cli("watch", "resume", page).output.strip() == f"Source 2 resumed: {page}"
    assert cli("watch", "remove", feed).output.strip() == f"Stopped watching source 1: {feed}"
    missing = cli("watch", "remove", "7")
    assert missing.exit_code == 1 and "no watched source '7'" in missing.output
    assert [ln[:4] for ln in cli("watch", "list").output.splitlines()] == ["[2] "]


def test_watch_add_rejects_bad_intervals_and_unreadable_urls(
    cli, local_server: LocalServer
) -> None:
    url = local_server.route("/gone", Reply(b"no", status=404, content_type="text/plain"))
    fast = cli("watch", "add", url, "--every", "10s", env=ALLOW_LOCAL)
    assert "polling every 10s is too often; the minimum is 1m" in fast.output
    odd = cli("watch", "add", url, "--every", "soon", env=ALLOW_LOCAL)
    assert "cannot read the interval 'soon'" in odd.output
    gone = cli("watch", "add", url, env=ALLOW_LOCAL)
    assert gone.exit_code == 1
    assert f"could not read {url}: HTTP 404 Not Found" in gone.output
    anyway = cli("watch", "add", url, "--kind", "feed", env=ALLOW_LOCAL)
    assert anyway.exit_code == 0 and "Watching feed as source 1" in anyway.output


def test_run_once_polls_and_reports_failures_in_the_exit_code(
    cli, local_server: LocalServer
) -> None:
    feed = local_server.route("/feed.xml", Reply(rss([], "http://x"), content_type=RSS))
    flaky = local_server.route(
        "/flaky.xml",
        Reply(rss([], "http://x"), content_type=RSS),
        Reply(b"down", status=500, content_type="text/plain"),
    )
    for url in (feed, flaky):
        assert cli("watch", "add", url, env=ALLOW_LOCAL).exit_code == 0
    result = cli("run", "--once", env=ALLOW_LOCAL)
    assert result.exit_code == 1  # one source failed
    listing = cli("watch", "list").output
    assert "[1] feed Claimwatch test wire" in listing and "ok, every 10m, last ok" in listing
    assert "failing (1 in a row)" in listing
    assert "last error: HTTP 500 Internal Server Error" in listing


def test_run_stops_cleanly_on_ctrl_c(sqlite_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "CLAIMWATCH_DB_URL": sqlite_url, "CLAIMWATCH_LOG_JSON": "true"}
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("DISCORD_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from adapters.cli import main; main()", "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        started = ""
        while "run.start" not in started:
            line = proc.stderr.readline()
            assert line, "claimwatch run exited before starting"
            started = line
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    start = json.loads(started)
    assert start["adapters"] == ["console"]
    events = [json.loads(ln)["event"] for ln in rest.splitlines() if ln.startswith("{")]
    assert events[-3:] == ["run.signal", "run.stopping", "run.stopped"]
    assert "Traceback" not in rest
