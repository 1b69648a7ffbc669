"""Environment variables as a validated model: a misconfigured function fails at its first
invocation with a clear message instead of a KeyError deep in the code. The environment
holds table names only, never secrets."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated

from pydantic import BaseModel, Field

TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]


class Settings(BaseModel):
    orders_table: TableName
    idempotency_table: TableName


@cache
def settings() -> Settings:
    return Settings.model_validate(
        {
            "orders_table": os.environ.get("ORDERS_TABLE", ""),
            "idempotency_table": os.environ.get("IDEMPOTENCY_TABLE", ""),
        }
    )
