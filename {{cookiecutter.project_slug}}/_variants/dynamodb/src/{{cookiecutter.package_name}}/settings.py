"""The restock requests and idempotency table names, from ``RESTOCK_TABLE_NAME`` and
``IDEMPOTENCY_TABLE_NAME`` (environment.py: read once, validated)."""

from __future__ import annotations

from pydantic import BaseModel

from .environment import TableName, from_environment


class Settings(BaseModel):
    restock_table_name: TableName
    idempotency_table_name: TableName


settings = from_environment(Settings)
