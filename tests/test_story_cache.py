"""The store's cache of story signatures never serves a stale story (no timing here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from store import Store
from store.db import migrate, normalise_url

T0 = datetime(2025, 1, 10, tzinfo=UTC)


def _window(store: Store) -> dict[int, dict[str, float]]:
    with store.session() as tx:
        return {s.id: s.terms for s in tx.active_stories("local", T0 - timedelta(days=1))}


def test_update_by_another_process_is_seen(db_url: str) -> None:
    """Two Stores on one database stand for two `claimwatch run` processes."""
    mine, theirs = Store(db_url), Store(db_url)
    with mine.session() as tx:
        story = tx.create_story("local", "Dam breach", {"dam": 1.0}, T0)
    assert _window(mine) == {story.id: {"dam": 1.0}}  # now cached
    with theirs.session() as tx:
        tx.update_story(story.id, {"dam": 2.0, "valley": 1.0}, T0 + timedelta(hours=1))
    assert _window(mine) == {story.id: {"dam": 2.0, "valley": 1.0}}


def test_rolled_back_update_is_not_served(db_url: str) -> None:
    store = Store(db_url)
    with store.session() as tx:
        story = tx.create_story("local", "Dam breach", {"dam": 1.0}, T0)
    with pytest.raises(RuntimeError), store.session() as tx:
        tx.update_story(story.id, {"flood": 5.0}, T0)
        assert [s.terms for s in tx.active_stories("local", T0 - timedelta(days=1))] == [
            {"flood": 5.0}
        ]
        raise RuntimeError("ingest failed")
    assert _window(store) == {story.id: {"dam": 1.0}}
    with store.session() as tx:  # the next real update reaches the same revision number
        tx.update_story(story.id, {"dam": 3.0}, T0)
    assert _window(store) == {story.id: {"dam": 3.0}}


def test_window_and_tenants_still_apply(db_url: str) -> None:
    store = Store(db_url)
    with store.session() as tx:
        old = tx.create_story("local", "Old", {"old": 1.0}, T0 - timedelta(days=30))
        new = tx.create_story("local", "New", {"new": 1.0}, T0)
        tx.create_story("other", "Theirs", {"new": 1.0}, T0)
    assert set(_window(store)) == {new.id}
    with store.session() as tx:  # an older article: the window reaches back again
        assert {s.id for s in tx.active_stories("local", T0 - timedelta(days=40))} == {
            old.id,
            new.id,
        }
    assert set(_window(store)) == {new.id}
    with store.session() as tx:
        tx.update_story(old.id, {"old": 2.0}, T0)  # active again: back in the window
    assert _window(store) == {old.id: {"old": 2.0}, new.id: {"new": 1.0}}


def test_a_store_upgraded_from_revisions_keeps_its_stories_current(db_url: str) -> None:
    """Migration 0004 keeps existing stories (at clock 0); writes after it are seen."""
    engine = create_engine(normalise_url(db_url))
    migrate(engine, "0003")
    with engine.begin() as conn:
        for tenant, title in (("local", "Dam"), ("local", "Fire"), ("other", "Flood")):
            conn.execute(
                text(
                    "INSERT INTO stories (tenant, title, terms, first_published, last_published, "
                    "revision) VALUES (:t, :title, :terms, :when, :when, 3)"
                ),
                {"t": tenant, "title": title, "terms": f'{{"{title.lower()}": 1.0}}', "when": T0},
            )
    engine.dispose()
    mine, theirs = Store(db_url), Store(db_url)  # both upgrade to head
    assert sorted(_window(mine).values(), key=str) == [{"dam": 1.0}, {"fire": 1.0}]
    with theirs.session() as tx:
        dam = next(
            s for s in tx.active_stories("local", T0 - timedelta(days=1)) if s.title == "Dam"
        )
        tx.update_story(dam.id, {"dam": 2.0}, T0 + timedelta(hours=1))
        fresh = tx.create_story("local", "Quake", {"quake": 1.0}, T0)
    assert _window(mine) == {
        dam.id: {"dam": 2.0},
        dam.id + 1: {"fire": 1.0},
        fresh.id: {"quake": 1.0},
    }
    mine.close()
    theirs.close()
