"""Fixtures: AWS is emulated in-process by moto; no test reaches AWS or the network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import pytest

# Fixtures, for every test below tests/: a conftest's names are what pytest looks fixtures up in.
from tests.support.emulated_aws import atomic_put_item as atomic_put_item
from tests.support.emulated_aws import client, emulated_dynamodb, table_items
from tests.support.idempotency import IdempotencyTable
from tests.support.lambda_runtime import EVENTS, LAMBDA_ENVIRONMENT, REGION, load_event
from tests.support.lambda_runtime import aws_environment as aws_environment
from tests.support.lambda_runtime import lambda_context as lambda_context

DOCUMENTS = EVENTS / "documents"
# The bucket the sample events name.
BUCKET = "{{ cookiecutter.project_slug }}-0a1b2c3d"
DOCUMENTS_TABLE = "documents-test"
IDEMPOTENCY_TABLE = "idempotency-test"
MAX_DOCUMENT_BYTES = 4096

# Set before any handler module is imported: Powertools reads them at import time.
os.environ.update(
    LAMBDA_ENVIRONMENT
    | {
        "DOCUMENTS_BUCKET": BUCKET,
        "DOCUMENTS_TABLE": DOCUMENTS_TABLE,
        "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
        "MAX_DOCUMENT_BYTES": str(MAX_DOCUMENT_BYTES),
    }
)


@dataclass
class Aws:
    s3: Any
    dynamodb: Any
    idempotency: IdempotencyTable

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Put a document into the versioned bucket; return the S3 event that announces it."""
        put = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return notification(key, version_id=put["VersionId"], etag=put["ETag"].strip('"'), size=len(body))

    def receipts(self) -> list[dict[str, Any]]:
        return table_items(self.dynamodb, DOCUMENTS_TABLE)


@pytest.fixture
def aws() -> Iterator[Aws]:
    """The documents bucket (versioned) and both tables, emulated by moto; fresh for every test."""
    with emulated_dynamodb((DOCUMENTS_TABLE, "pk"), (IDEMPOTENCY_TABLE, "id")) as dynamodb:
        s3 = client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield Aws(s3=s3, dynamodb=dynamodb, idempotency=IdempotencyTable(dynamodb, IDEMPOTENCY_TABLE))


def load_document(name: str) -> bytes:
    return (DOCUMENTS / name).read_bytes()


def notification(key: str, version_id: str, etag: str, size: int) -> dict[str, Any]:
    """The sample event, pointed at one object version (keys arrive URL-encoded, as from S3)."""
    event = load_event("document_created.json")
    details = event["Records"][0]["s3"]["object"]
    details.update(key=quote_plus(key, safe="/"), versionId=version_id, eTag=etag, size=size)
    return event
