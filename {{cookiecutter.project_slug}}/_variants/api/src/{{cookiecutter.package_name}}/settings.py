"""The items table name and the signing secret's ARN, from ``TABLE_NAME`` and
``SIGNING_SECRET_ARN`` (environment.py: read once, validated). Secrets never come from here:
they are read from Secrets Manager or Parameter Store."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .environment import TableName, from_environment


class Settings(BaseModel):
    table_name: TableName
    # The ARN of the secret, not the secret: the value is fetched at run time (signing.py).
    signing_secret_arn: str = Field(pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")


settings = from_environment(Settings)
