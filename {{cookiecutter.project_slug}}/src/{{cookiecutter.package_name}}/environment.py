"""Environment variables as a validated model: a misconfigured function fails at its first
invocation with a clear message instead of a KeyError deep in the code.

Each field is read from the variable of its name in capitals (``orders_table`` from
``ORDERS_TABLE``), once per execution environment. A missing variable gives the field its
default; without a default it reads as empty, so it fails validation under the field's name.
The environment holds names and limits only, never secrets.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

# DynamoDB's own rule for table names.
TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]

Settings = TypeVar("Settings", bound=BaseModel)


def from_environment(model: type[Settings]) -> _lru_cache_wrapper[Settings]:
    """The function that reads ``model`` from the environment on first call, then returns that
    same instance (``cache_clear`` reads it again)."""

    @cache
    def settings() -> Settings:
        fields = model.model_fields.items()
        return model.model_validate(
            {
                name: os.environ.get(name.upper(), "")
                for name, field in fields
                if field.is_required() or name.upper() in os.environ
            }
        )

    return settings
