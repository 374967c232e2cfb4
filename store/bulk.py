"""Bulk loading for benchmarks: fill the real tables with many stories, articles and claims fast.

Used only by bench/ingest.py. The ORM path (one flush per article) would take
hours for a million claims; core `INSERT ... VALUES` batches with ids assigned
here take seconds, and the rows land in the very tables (and indexes) the
pipeline then reads. On PostgreSQL the id sequences are moved past the ids we
chose, so later ORM inserts do not collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from store.tables import ArticleRow, ClaimRow, StoryRow

Row = Mapping[str, Any]
_TABLES = {"stories": StoryRow, "articles": ArticleRow, "claims": ClaimRow}


def next_ids(engine: Engine) -> dict[str, int]:
    """The first free id of each bulk-loaded table, so callers can number rows themselves."""
    with engine.connect() as conn:
        return {
            name: (conn.scalar(select(func.max(row.id))) or 0) + 1 for name, row in _TABLES.items()
        }


def insert_rows(conn: Connection, table: str, rows: Iterable[Row], chunk: int = 5000) -> int:
    """Insert `rows` (column -> value dicts with their `id`) into `table` in batches."""
    target = _TABLES[table].__table__
    batch: list[Row] = []
    n = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            conn.execute(insert(target), batch)
            n += len(batch)
            batch = []
    if batch:
        conn.execute(insert(target), batch)
        n += len(batch)
    return n


def fix_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the ids inserted explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for name in _TABLES:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )


def analyze(conn: Connection) -> None:
    """Refresh planner statistics after a bulk load (what autovacuum / a DBA would do)."""
    conn.execute(text("ANALYZE"))
