"""Fixtures for every unit test of the handler."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import repository, routes, settings, signing

from tests.support.lambda_runtime import cleared
from tests.support.observability import log_output as log_output  # a fixture, for every unit test


@pytest.fixture(autouse=True)
def fresh_caches(table: Any) -> Iterator[None]:
    """Clients, settings and secrets are cached per process; each test gets the moto-backed ones."""
    yield from cleared(
        routes.store,
        routes.idempotency_config,
        routes.create_once,
        repository.dynamodb_client,
        settings.settings,
        signing.secrets_client,
        signing.current_keys,
        signing.previous_keys,
    )
