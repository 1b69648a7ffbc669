"""The items and idempotency table names, from ``TABLE_NAME`` and ``IDEMPOTENCY_TABLE``
(environment.py: read once, validated). Secrets never come from here."""

from __future__ import annotations

from pydantic import BaseModel

from .environment import TableName, from_environment


class Settings(BaseModel):
    table_name: TableName
    idempotency_table: TableName


settings = from_environment(Settings)
