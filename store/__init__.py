"""Persistence: the only package that knows SQL. Everything else sees bot.model records."""

from store.db import Store

__all__ = ["Store"]
