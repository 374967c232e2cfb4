"""Queries on watched sources (feeds and pages): schedule, leases, health."""

from __future__ import annotations

from sqlalchemy.orm import Session


class SourceQueries:
    s: Session
