"""Environment variables as a validated model: a misconfigured function fails at its first
invocation with a clear message instead of a KeyError deep in the code. Secrets never
come from here: they are read from Secrets Manager or Parameter Store."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=3, max_length=255)
    # The ARN of the secret, not the secret: the value is fetched at run time (signing.py).
    signing_secret_arn: str = Field(pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")


@cache
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", ""), signing_secret_arn=os.environ.get("SIGNING_SECRET_ARN", "")
    )
