"""The durable delivery queue: alerts owed to channels, sent by whichever adapter serves them."""

from __future__ import annotations

from bot.model import Alert


def route_alert(tx, tenant: str, alert: Alert) -> int:
    """Queue `alert` for every channel of `tenant` whose filter and mutes let it through.

    Called by the pipeline inside the ingest transaction, so an alert and its
    deliveries are stored together. Returns how many deliveries were queued.
    """
    return 0
