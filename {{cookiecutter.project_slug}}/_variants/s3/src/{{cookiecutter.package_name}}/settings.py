"""The documents bucket, the documents and idempotency tables and the largest document read,
from ``DOCUMENTS_BUCKET``, ``DOCUMENTS_TABLE``, ``IDEMPOTENCY_TABLE`` and ``MAX_DOCUMENT_BYTES``
(environment.py: read once, validated)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .environment import TableName, from_environment


class Settings(BaseModel):
    documents_bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    documents_table: TableName
    idempotency_table: TableName
    max_document_bytes: int = Field(ge=1, le=10 * 1024 * 1024)


settings = from_environment(Settings)
