"""Environment variables as a validated model: a misconfigured function fails at its first
invocation with a clear message instead of a KeyError deep in the code."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field

TableName = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")


class Settings(BaseModel):
    restock_table_name: str = TableName
    idempotency_table_name: str = TableName


@cache
def settings() -> Settings:
    return Settings(
        restock_table_name=os.environ.get("RESTOCK_TABLE_NAME", ""),
        idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", ""),
    )
