"""The alarms live in template.yaml: these tests read it, so a failure metric the handler
emits without an alarm (or with one that can never fire) fails here, not in production."""

from __future__ import annotations

import pytest

from tests.support.stack import assert_alarmed, properties, rollback_alarms


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [
        ("ValidationFailed", 50),  # clients get requests wrong now and then: alarm on many (probing)
        ("ProcessingFailed", 1),
        ("ResponseValidationFailed", 1),
    ],
)
def test_every_failure_metric_the_handler_emits_is_alarmed(metric: str, threshold: int) -> None:
    assert_alarmed(metric, threshold)


def test_bugs_roll_a_deployment_back_bad_requests_do_not() -> None:
    alarms = rollback_alarms("ApiFunction")
    assert "ApiServerErrorsAlarm" in alarms
    assert "ApiResponseValidationFailedAlarm" in alarms
    assert "ApiValidationFailuresAlarm" not in alarms


def test_creates_are_idempotent_on_a_table_that_forgets() -> None:
    function = properties("ApiFunction")
    assert function["Environment"]["Variables"]["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert properties("IdempotencyTable")["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    # API Gateway's model of the request names the header too (optional: without it, no guard).
    create = function["Events"]["CreateItem"]["Properties"]
    assert create["RequestParameters"] == [{"method.request.header.Idempotency-Key": {"Required": False}}]
