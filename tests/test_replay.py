"""Acceptance: `claimwatch replay` on the seeds and dev stories, scored against their gold."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEV_STORIES, ROOT, SEEDS

from bot.pipeline import Pipeline
from bot.replay import alert_record, load_story
from store import Store

CLAIMWATCH = [sys.executable, "-c", "from adapters.cli import main; main()"]


def _scorer():
    spec = importlib.util.spec_from_file_location("score", ROOT / "tests" / "data" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay_json(story: Path, *extra: str) -> list[dict]:
    out = subprocess.run(
        [*CLAIMWATCH, "replay", str(story), "--json", *extra],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def test_seed_replay_raises_the_four_wanted_alerts_and_nothing_else():
    alerts = replay_json(SEEDS)
    tp, fp, fn, report = _scorer().score(SEEDS, alerts)
    assert (tp, fp, fn) == (4, 0, 0), report
    kinds = {(a["trigger"], a["kind"]) for a in alerts}
    assert ("002_08a6bc91dbefb8a2.txt", "status_update") in kinds
    status = next(a for a in alerts if a["kind"] == "status_update")
    assert (status["old"]["status"], status["new"]["status"]) == ("captured", "dead")


def test_dev_and_blind_stories_score_at_least_f1_0_8():
    scorer = _scorer()
    tp = fp = fn = 0
    data = DEV_STORIES.parent  # dev stories, and stories written blind to the code
    blind = [p for name in ("extra", "extra2", "extra3", "extra4") for p in (data / name).iterdir()]
    stories = [*DEV_STORIES.iterdir(), *blind]
    for story in sorted(p for p in stories if (p / "gold.toml").exists()):
        t, f, n, _ = scorer.score(story, replay_json(story))
        tp, fp, fn = tp + t, fp + f, fn + n
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert f1 >= 0.8, (tp, fp, fn)


def test_alert_json_has_the_format_fields():
    [alert, *_] = [a for a in replay_json(SEEDS) if a["kind"] == "contradiction"]
    assert set(alert) >= {"trigger", "kind", "metric", "old", "new"}
    assert set(alert["new"]) >= {
        "text",
        "value",
        "low",
        "high",
        "status",
        "source",
        "article",
        "published",
    }
    numbers = {alert[side][k] for side in ("old", "new") for k in ("value", "low", "high")}
    assert {1000, 3000} <= numbers


def test_replaying_twice_into_one_database_raises_nothing_the_second_time(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    assert len(replay_json(SEEDS, "--db", db)) == 4
    assert replay_json(SEEDS, "--db", db) == []


def test_a_folder_without_articles_toml_is_read_in_name_order(tmp_path):
    story = tmp_path / "story"
    shutil.copytree(SEEDS, story)
    (story / "articles.toml").unlink()
    articles = load_story(story)
    assert [a.key for a in articles] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert articles[2].published.date().isoformat() == "2024-12-27"  # its dateline


def test_a_missing_folder_is_a_clear_error():
    out = subprocess.run(
        [*CLAIMWATCH, "replay", "/nonexistent/story"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 2
    assert "is not a folder" in out.stderr


def _interleaved() -> list[tuple[str, object]]:
    stories = [SEEDS, *sorted(p for p in DEV_STORIES.iterdir() if p.is_dir())]
    queues = [[(s.name, a) for a in load_story(s)] for s in stories]
    order = []
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    return order


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_interleaved_stories_never_meet(db, request):
    url = request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url")
    store = Store(url)
    pipeline = Pipeline(store)
    story_of: dict[str, str] = {}
    alerts = []
    for name, article in _interleaved():
        story_of[article.key] = name
        alerts += [alert_record(a) for a in pipeline.ingest(article).alerts]
    store.close()
    assert len(alerts) >= 13
    for a in alerts:
        assert (
            story_of[a["old"]["article"]] == story_of[a["new"]["article"]] == story_of[a["trigger"]]
        )
