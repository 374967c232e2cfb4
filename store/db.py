"""The store facade: an engine, migrations on open, and sessions as units of work.

Ingesting one article (its claims, alerts and their deliveries) happens in one
`Store.session()`, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from store.articles import ArticleQueries, StoryCache
from store.delivery import DeliveryQueries
from store.sources import SourceQueries

_HERE = Path(__file__).parent


def normalise_url(url: str) -> str:
    """Accept bare paths and postgres:// spellings; pick our drivers (stdlib sqlite, psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def migrate(engine: Engine, target: str = "head") -> None:
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


class StoreSession(ArticleQueries, SourceQueries, DeliveryQueries):
    """One transaction's worth of typed queries; each mixin owns one area of the schema."""

    def __init__(self, session: Session, story_cache: StoryCache | None = None) -> None:
        self.s = session
        self.story_cache = story_cache


class Store:
    def __init__(self, url: str = "sqlite:///claimwatch.db", *, migrate_on_open: bool = True):
        self.url = normalise_url(url)
        if self.url.startswith("sqlite"):
            self.engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        if migrate_on_open:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._story_cache = StoryCache()  # outlives sessions: see StoryCache

    @contextmanager
    def session(self) -> Iterator[StoreSession]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        try:
            with self._sessions() as s, s.begin():
                yield StoreSession(s, self._story_cache)
        except BaseException:
            # What this transaction read after its own writes was never committed; a
            # later commit could reuse the same story clock number, so forget it all.
            self._story_cache.clear()
            raise

    def close(self) -> None:
        self.engine.dispose()
