"""Fixtures for every unit test of the handler."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import handler, repository, settings


@pytest.fixture(autouse=True)
def fresh_caches(dynamodb: Any) -> Iterator[None]:
    """Clients, settings and the idempotency layer are cached per process; each test gets the
    moto-backed ones, and leaves none behind for the next."""
    cached = (handler.restock_requests, handler.request_restock_once, repository.dynamodb_client, settings.settings)
    for function in cached:
        function.cache_clear()
    yield
    for function in cached:
        function.cache_clear()
