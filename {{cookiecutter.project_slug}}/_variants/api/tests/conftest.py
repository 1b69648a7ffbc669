"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

EVENTS = Path(__file__).parent.parent / "events"
TABLE_NAME = "items-test"
SIGNING_KEY = "k" * 48  # pragma: allowlist secret - a test value, emulated Secrets Manager only

# Set before any handler module is imported: Powertools reads them at import time.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "TABLE_NAME": TABLE_NAME,
    # An ARN, not a secret; the fixtures replace it with the emulated secret's ARN.
    "SIGNING_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing",  # pragma: allowlist secret
    "POWERTOOLS_SERVICE_NAME": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_METRICS_NAMESPACE": "{{ cookiecutter.project_slug }}",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
os.environ.update(TEST_ENVIRONMENT)


FUNCTION_NAME = "{{ cookiecutter.project_slug }}-api"


@dataclass
class FakeLambdaContext:
    function_name: str = FUNCTION_NAME
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}:live"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo whatever a test changed in the environment."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The items table and the signing secret, emulated by moto."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE_NAME,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secret = boto3.client("secretsmanager").create_secret(Name="signing-key", SecretString=SIGNING_KEY)
        monkeypatch.setenv("SIGNING_SECRET_ARN", secret["ARN"])
        yield client


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event
