"""Environment variables as a validated model: a misconfigured function fails at its first
invocation with a clear message instead of a KeyError deep in the code. The environment
holds names and limits only, never secrets."""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated

from pydantic import BaseModel, Field

TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]


class Settings(BaseModel):
    documents_bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    documents_table: TableName
    idempotency_table: TableName
    max_document_bytes: int = Field(ge=1, le=10 * 1024 * 1024)


@cache
def settings() -> Settings:
    return Settings.model_validate(
        {
            "documents_bucket": os.environ.get("DOCUMENTS_BUCKET", ""),
            "documents_table": os.environ.get("DOCUMENTS_TABLE", ""),
            "idempotency_table": os.environ.get("IDEMPOTENCY_TABLE", ""),
            "max_document_bytes": os.environ.get("MAX_DOCUMENT_BYTES", ""),
        }
    )
