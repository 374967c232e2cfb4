"""Queries on channels, mutes and the durable delivery queue."""

from __future__ import annotations

from sqlalchemy.orm import Session


class DeliveryQueries:
    s: Session
