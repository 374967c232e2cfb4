"""SQLAlchemy table definitions: the one place that knows the schema.

Every row carries `tenant` (a Slack workspace, a Discord guild or "local") so one
database serves many teams without their stories ever meeting.
Changing anything here needs an Alembic revision in store/migrations/versions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything stored is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class StoryRow(Base):
    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(Text)
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    first_published: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_published: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The tenant's story clock when this story last changed (see StoryClockRow).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    __table_args__ = (
        Index("ix_stories_tenant_last", "tenant", "last_published"),
        Index("ix_stories_tenant_seq", "tenant", "seq"),
    )


class StoryClockRow(Base):
    """A counter per tenant, taken by every story write in its transaction.

    Its row lock makes story writes of one tenant commit in clock order, so a
    reader that has seen every story up to number N need only ask for those after
    N: the per-article story cache refresh (store.articles.StoryCache).
    """

    __tablename__ = "story_clocks"
    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(String(2000))
    guid: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(500))
    published: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("tenant", "key", name="uq_articles_tenant_key"),
        Index("ix_articles_tenant_hash", "tenant", "content_hash"),
        Index("ix_articles_tenant_guid", "tenant", "guid"),
    )


class ClaimRow(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    article_key: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(10))
    predicate: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(200))
    grp: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    qualifier: Mapped[str | None] = mapped_column(String(30))
    unit: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(500))
    source_key: Mapped[str | None] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    published: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sentence: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    standing: Mapped[str] = mapped_column(String(20))
    # Comparison looks up the known claims of one story and event: never a scan.
    __table_args__ = (Index("ix_claims_story_kind_pred", "story_id", "kind", "predicate"),)


class AlertRow(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    kind: Mapped[str] = mapped_column(String(30))
    trigger: Mapped[str] = mapped_column(String(2000))
    metric: Mapped[str] = mapped_column(String(500))
    old_claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    new_claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("new_claim_id", name="uq_alerts_new_claim"),)


class SourceRow(Base):
    """A watched feed or page, with its own schedule and health (the scheduler only ticks)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(10))  # "feed" | "page"
    name: Mapped[str | None] = mapped_column(String(500))
    every_seconds: Mapped[int] = mapped_column(Integer, default=600)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_ok: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("tenant", "url", name="uq_sources_tenant_url"),
        Index("ix_sources_due", "paused", "next_due"),
    )


class ChannelRow(Base):
    """A chat channel that receives a tenant's alerts (`/alerts here [FILTER]`)."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(20))  # "slack" | "discord" | "console"
    channel: Mapped[str] = mapped_column(String(200))
    filter: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    read_links: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("tenant", "platform", "channel", name="uq_channels_channel"),
    )


class MuteRow(Base):
    __tablename__ = "mutes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    pattern: Mapped[str] = mapped_column(String(500))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    """One alert owed to one channel: the durable queue behind every adapter.

    A row is leased before sending and marked sent after, so a crash re-sends at
    most the one in flight and a restart loses nothing.
    """

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    thread_key: Mapped[str] = mapped_column(String(700))  # story + metric: later alerts thread
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    message_ref: Mapped[str | None] = mapped_column(String(200))
    thread_ref: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("alert_id", "channel_id", name="uq_deliveries_alert_channel"),
        Index("ix_deliveries_due", "state", "next_attempt"),
        Index("ix_deliveries_thread", "channel_id", "thread_key"),
    )
