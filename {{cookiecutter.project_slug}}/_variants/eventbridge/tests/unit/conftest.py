"""Fixtures for every unit test of the handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }} import processing, settings

from tests.conftest import Aws
from tests.support.lambda_runtime import cleared
from tests.support.observability import log_output as log_output  # a fixture, for every unit test


@pytest.fixture(autouse=True)
def fresh_caches(aws: Aws) -> Iterator[None]:
    """Every test runs under moto (nothing can reach AWS) and builds what the handler caches per
    process from its own environment variables. The boto3 client stays: moto intercepts it
    whenever a test's mock is active."""
    yield from cleared(processing.orders, processing.idempotency_config, processing.record_once, settings.settings)
