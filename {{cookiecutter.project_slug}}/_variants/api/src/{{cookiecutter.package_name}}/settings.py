"""The items and idempotency table names and the signing secret's ARN, from ``TABLE_NAME``,
``IDEMPOTENCY_TABLE`` and ``SIGNING_SECRET_ARN``, and the limits on request bodies, from
``MAX_BODY_BYTES`` and ``MAX_BODY_DEPTH`` when set (environment.py: read once, validated).
Secrets never come from here: they are read from Secrets Manager or Parameter Store."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .environment import TableName, from_environment

# API Gateway accepts payloads up to 10 MB; a body this API takes is a few hundred bytes.
API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


class Settings(BaseModel):
    table_name: TableName
    idempotency_table: TableName
    # The ARN of the secret, not the secret: the value is fetched at run time (signing.py).
    signing_secret_arn: str = Field(pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
    # Checked before a body is parsed (request_body.py): larger is a 413, deeper a 400. Pydantic's
    # own JSON parser stops at 200 levels, so a deeper limit could never be reached.
    max_body_bytes: int = Field(default=64 * 1024, ge=1, le=API_GATEWAY_MAX_PAYLOAD_BYTES)
    max_body_depth: int = Field(default=32, ge=1, le=200)


settings = from_environment(Settings)
