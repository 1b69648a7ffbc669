"""What the handler tells operators: the JSON lines its Powertools logger writes, and the
metrics Powertools prints in CloudWatch's embedded metric format (EMF)."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any, cast

import pytest

Metric = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, name, dimensions


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the handler's logger writes during the test. A Powertools Logger writes through the
    standard logger named after the service, with one handler (its ``registered_handler``)."""
    [handler] = logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"]).handlers
    stream_handler = cast(logging.StreamHandler[Any], handler)
    buffer = io.StringIO()
    previous = stream_handler.setStream(buffer)
    yield buffer
    stream_handler.setStream(previous)


def log_records(output: io.StringIO) -> list[dict[str, Any]]:
    # One record a line, split on newlines only: a record may hold U+0085 or U+2028 (splitlines).
    return [json.loads(line) for line in output.getvalue().split("\n") if line]


def logged(output: io.StringIO, level: str) -> list[dict[str, Any]]:
    return [record for record in log_records(output) if record["level"] == level]


def correlated(output: io.StringIO, level: str) -> list[tuple[str, Any]]:
    """Each record at ``level``: its message, and the correlation id it was logged under."""
    return [(record["message"], record.get("correlation_id")) for record in logged(output, level)]


def correlation_ids(output: io.StringIO) -> dict[str, Any]:
    """The correlation id each message was logged under (None: none)."""
    return {record["message"]: record.get("correlation_id") for record in log_records(output)}


def logged_once(output: io.StringIO, message: str) -> dict[str, Any]:
    [found] = [record for record in log_records(output) if record["message"] == message]
    return found


def metric_blobs(stdout: str) -> list[dict[str, Any]]:
    """The EMF documents among what the invocations printed."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def emitted_metrics(stdout: str) -> set[Metric]:
    """The metrics the EMF documents carry, with their namespace and dimensions."""
    found: set[Metric] = set()
    for blob in metric_blobs(stdout):
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimensions = tuple((name, blob[name]) for names in directive["Dimensions"] for name in names)
            found |= {(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]}
    return found


def metric_names(stdout: str) -> set[str]:
    return {name for _, name, _ in emitted_metrics(stdout)}


def metrics_in_order(stdout: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` the invocations emitted, one entry per EMF document that has it, in order."""
    return [name for blob in metric_blobs(stdout) for name in names if name in blob]
