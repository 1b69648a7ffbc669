"""Fixtures for every unit test of the handler."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import processing, repository, settings

from tests.support.lambda_runtime import cleared
from tests.support.observability import log_output as log_output  # a fixture, for every unit test


@pytest.fixture(autouse=True)
def fresh_caches(dynamodb: Any) -> Iterator[None]:
    """Clients, settings and the idempotency layer are cached per process; each test gets the
    moto-backed ones, and leaves none behind for the next."""
    yield from cleared(processing.orders, processing.accept_once, repository.dynamodb_client, settings.settings)
