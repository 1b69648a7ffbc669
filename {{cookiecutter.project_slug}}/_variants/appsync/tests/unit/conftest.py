"""Fixtures for every unit test of the resolver function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import fields, repository, settings

from tests.conftest import IDEMPOTENCY_TABLE, TABLE_NAME
from tests.support.emulated_aws import emulated_dynamodb
from tests.support.lambda_runtime import cleared
from tests.support.observability import log_output as log_output  # a fixture, for every unit test

# What a warm sandbox keeps per process: clients, settings, the idempotency layer.
CACHES = (fields.store, fields.idempotency_config, fields.create_once, repository.dynamodb_client, settings.settings)


@pytest.fixture(autouse=True)
def table() -> Iterator[Any]:
    """For every test: the items and idempotency tables, emulated by moto, and what the function
    caches built afresh from them (and none left behind for the next test)."""
    with emulated_dynamodb((TABLE_NAME, "pk"), (IDEMPOTENCY_TABLE, "id")) as dynamodb:
        for _ in cleared(*CACHES):
            yield dynamodb
