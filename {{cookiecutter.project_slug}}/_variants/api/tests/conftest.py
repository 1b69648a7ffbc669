"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Fixtures, for every test below tests/: a conftest's names are what pytest looks fixtures up in.
from tests.support.emulated_aws import atomic_put_item as atomic_put_item
from tests.support.emulated_aws import client, emulated_dynamodb
from tests.support.lambda_runtime import LAMBDA_ENVIRONMENT
from tests.support.lambda_runtime import aws_environment as aws_environment
from tests.support.lambda_runtime import lambda_context as lambda_context

TABLE_NAME = "items-test"
IDEMPOTENCY_TABLE = "idempotency-test"
SIGNING_KEY = "k" * 48  # pragma: allowlist secret - a test value, emulated Secrets Manager only
# An ARN, not a secret; the fixtures replace it with the emulated secret's ARN.
SIGNING_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing"  # pragma: allowlist secret

# Set before any handler module is imported: Powertools reads them at import time.
os.environ.update(
    LAMBDA_ENVIRONMENT
    | {"TABLE_NAME": TABLE_NAME, "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE, "SIGNING_SECRET_ARN": SIGNING_ARN}
)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The items and idempotency tables and the signing secret, emulated by moto."""
    with emulated_dynamodb((TABLE_NAME, "pk"), (IDEMPOTENCY_TABLE, "id")) as dynamodb:
        secret = client("secretsmanager").create_secret(Name="signing-key", SecretString=SIGNING_KEY)
        monkeypatch.setenv("SIGNING_SECRET_ARN", secret["ARN"])
        yield dynamodb
