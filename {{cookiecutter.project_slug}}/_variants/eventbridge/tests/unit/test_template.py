"""The failure paths and the source filter live in template.yaml: these tests read it, so a
change there that breaks the contract of the code fails here, not in production."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from {{ cookiecutter.package_name }}.models import (
    ORDER_DETAIL_TYPE,
    ORDER_ID_PREFIX,
    ORDER_SOURCE,
    OrderPlacedEvent,
)

from tests.support.async_invocations import assert_failed_invocations_go_to
from tests.support.stack import assert_alarmed, errors_explained_by, properties, rollback_alarms

RULE = "OrderFunctionOrderPlaced"  # the rule SAM generates from OrderFunction's OrderPlaced event


def rule() -> dict[str, Any]:
    event: dict[str, Any] = properties("OrderFunction")["Events"]["OrderPlaced"]
    assert event["Type"] == "EventBridgeRule"
    found: dict[str, Any] = event["Properties"]
    return found


def test_only_order_placed_events_of_the_orders_service_invoke_the_function() -> None:
    assert rule()["EventBusName"] == {"Ref": "OrdersBus"}
    assert rule()["Pattern"] == {
        "source": [ORDER_SOURCE],
        "detail-type": [ORDER_DETAIL_TYPE],
        "detail": {"order_id": [{"prefix": ORDER_ID_PREFIX}]},
    }


def test_the_envelope_model_accepts_what_the_rule_lets_through() -> None:
    fields = OrderPlacedEvent.model_fields
    assert get_args(fields["source"].annotation) == (ORDER_SOURCE,)
    assert get_args(fields["detail_type"].annotation) == (ORDER_DETAIL_TYPE,)


def test_undeliverable_events_go_to_the_rule_dlq_after_bounded_retries() -> None:
    assert rule()["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["OrderRuleDLQ", "Arn"]}}
    assert rule()["RetryPolicy"] == {
        "MaximumRetryAttempts": {"Ref": "RuleMaximumRetryAttempts"},
        "MaximumEventAgeInSeconds": {"Ref": "RuleMaximumEventAgeInSeconds"},
    }


def test_only_the_rule_may_send_to_its_dlq() -> None:
    statements = properties("OrderRuleDLQPolicy")["PolicyDocument"]["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert {"Fn::GetAtt": [RULE, "Arn"]} in allow["Condition"]["ArnEquals"]["aws:SourceArn"]


def test_failed_invocations_go_to_the_failure_queue_after_bounded_retries() -> None:
    assert_failed_invocations_go_to("OrderFunction", "OrderFailureDLQ")


def test_both_queues_are_encrypted_tls_only_and_alarmed() -> None:
    for queue in ("OrderRuleDLQ", "OrderFailureDLQ"):
        encryption = properties(queue)
        assert encryption.get("KmsMasterKeyId") or encryption.get("SqsManagedSseEnabled"), queue
        statements = properties(f"{queue}Policy")["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in str(s["Condition"]) for s in statements)
        alarm = properties(f"{queue}DepthAlarm")
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]


@pytest.mark.parametrize("metric", ["OrderRejected", "ProcessingFailed"])
def test_every_failure_metric_the_handler_emits_is_alarmed(metric: str) -> None:
    assert_alarmed(metric)


def test_only_processing_failures_roll_a_deployment_back() -> None:
    """Rejected events say nothing about the new code; a processing failure does."""
    alarms = rollback_alarms("OrderFunction")
    assert "OrderProcessingFailedAlarm" in alarms
    assert "OrderRejectedAlarm" not in alarms


def test_rejected_input_never_rolls_a_healthy_release_back() -> None:
    # A rejected event raises (so Lambda retries it and it reaches the failure queue), and every
    # raise counts in Lambda's Errors: the rollback alarm counts only the errors that neither
    # a rejection nor a duplicate in progress explains, each counted once per raise.
    assert "OrderFunctionErrorsAlarm" in rollback_alarms("OrderFunction")
    function, explained = errors_explained_by("OrderFunctionErrorsAlarm")
    assert function == properties("OrderFunction")["FunctionName"]["Fn::Sub"]
    assert explained == {"OrderRejected", "OrderInProgressElsewhere"}
