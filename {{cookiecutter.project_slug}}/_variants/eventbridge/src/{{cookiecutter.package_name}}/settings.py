"""The orders and idempotency table names, from ``ORDERS_TABLE`` and ``IDEMPOTENCY_TABLE``
(environment.py: read once, validated)."""

from __future__ import annotations

from pydantic import BaseModel

from .environment import TableName, from_environment


class Settings(BaseModel):
    orders_table: TableName
    idempotency_table: TableName


settings = from_environment(Settings)
