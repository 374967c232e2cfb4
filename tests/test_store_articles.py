"""The store keeps articles, stories, claims and alerts, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.model import (
    Alert,
    AlertKind,
    Article,
    Claim,
    ClaimKind,
    Metric,
    Quantity,
)
from store import Store

PUBLISHED = datetime(2024, 12, 27, tzinfo=UTC)
METRIC = Metric("killed or wounded", "soldiers", "north korean")


def _claim(value: float, source: str, position: int) -> Claim:
    return Claim(
        kind=ClaimKind.FIGURE,
        metric=METRIC,
        sentence=f"{source} put it at {value}.",
        article_key="a.txt",
        published=PUBLISHED,
        as_of=date(2024, 12, 23),
        position=position,
        quantity=Quantity(value=value),
        source=source,
        source_key=source.lower(),
    )


def test_article_claims_and_alert_round_trip(db_url: str) -> None:
    store = Store(db_url)
    article = Article("a.txt", "Title", "Body text.", PUBLISHED, outlet="AFP")
    with store.session() as tx:
        story = tx.create_story("local", "Title", {"korea": 1.0}, PUBLISHED)
        article_id = tx.add_article("local", article, "hash-a", story.id)
        old, new = tx.add_claims(
            "local", story.id, article_id, [_claim(1000, "NIS", 3), _claim(3000, "Zelensky", 5)]
        )
        tx.add_alert("local", Alert(AlertKind.CONTRADICTION, story.id, "a.txt", old, new))

    with store.session() as tx:
        assert tx.find_article("local", content_hash="hash-a").key == "a.txt"
        assert tx.find_article("other-team", key="a.txt") is None
        known = tx.known_claims(story.id, ClaimKind.FIGURE, {"killed or wounded"})
        assert sorted(c.quantity.value for c in known) == [1000, 3000]
        assert known[0].metric == METRIC
        assert known[0].published == PUBLISHED
        [alert] = tx.alerts("local")
        assert (alert.old.quantity.value, alert.new.quantity.value) == (1000, 3000)
        assert alert.new.source == "Zelensky"
        assert tx.known_claims(story.id, ClaimKind.FIGURE, {"dead"}) == []
    store.close()


def test_a_failed_unit_of_work_leaves_nothing(db_url: str) -> None:
    store = Store(db_url)
    article = Article("b.txt", "Title", "Body.", PUBLISHED)
    try:
        with store.session() as tx:
            story = tx.create_story("local", "Title", {}, PUBLISHED)
            tx.add_article("local", article, "hash-b", story.id)
            raise RuntimeError("crash mid-ingest")
    except RuntimeError:
        pass
    with store.session() as tx:
        assert tx.count_articles("local") == 0
        assert tx.stories("local") == []
    store.close()


def test_the_migrations_build_exactly_the_tables_the_code_declares(db_url: str) -> None:
    """A column or index added to store/tables.py without a migration shows up here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.tables import Base

    store = Store(db_url)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
