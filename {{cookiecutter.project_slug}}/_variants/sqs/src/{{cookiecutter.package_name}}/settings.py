"""The orders and idempotency table names, from ``ORDERS_TABLE_NAME`` and
``IDEMPOTENCY_TABLE_NAME`` (environment.py: read once, validated)."""

from __future__ import annotations

from pydantic import BaseModel

from .environment import TableName, from_environment


class Settings(BaseModel):
    orders_table_name: TableName
    idempotency_table_name: TableName


settings = from_environment(Settings)
