"""The path of a table change to the function, proven on template.yaml in-process:
table -> stream -> pipe (filter, input template) -> bus -> rule (pattern) -> function.

Moto does not run pipes, so the pipe's FilterCriteria and the rule's EventPattern are evaluated
with moto's EventBridge pattern matcher (checked here against examples of the EventBridge user
guide), the pipe's InputTemplate is applied as EventBridge documents it (quoted placeholders are
JSON paths into the record), and the resulting event is given to the handler.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from {{ cookiecutter.package_name }} import handler, repository
from {{ cookiecutter.package_name }}.models import EVENT_DETAIL_TYPE, EVENT_SOURCE, StockLevelChangedDetail

from tests.support.idempotency import watch
from tests.support.lambda_runtime import ROOT, FakeLambdaContext, load_event
from tests.support.stack import properties, resources

SCHEMA = ROOT / "docs" / "events" / "stock-level-changed-v1.schema.json"
PLACEHOLDER = re.compile(r"<\$\.([A-Za-z0-9_.-]+)>")


def pipe() -> dict[str, Any]:
    return properties("StockChangesPipe")


def pipe_filter() -> EventPattern:
    [only] = pipe()["SourceParameters"]["FilterCriteria"]["Filters"]
    return EventPattern.load(only["Pattern"])


def rule() -> dict[str, Any]:
    found: dict[str, Any] = properties("RestockFunction")["Events"]["StockLevelChanged"]["Properties"]
    return found


def matches(pattern: EventPattern, event: Any) -> bool:
    """Whether EventBridge (or a pipe's filter) lets ``event`` through ``pattern``."""
    return bool(pattern.matches_event(event))


def rule_pattern() -> EventPattern:
    return EventPattern.load(json.dumps(rule()["Pattern"]))


def at(record: dict[str, Any], path: str) -> str:
    value: Any = record
    for part in path.split("."):
        value = value[part]  # a missing path is a KeyError: the filter must have dropped the record
    assert isinstance(value, str), path
    return value


def transformed(record: dict[str, Any]) -> dict[str, Any]:
    """The pipe's InputTemplate applied to one stream record: the detail it puts on the bus."""
    template = pipe()["TargetParameters"]["InputTemplate"]
    detail: dict[str, Any] = json.loads(PLACEHOLDER.sub(lambda found: json.dumps(at(record, found[1]))[1:-1], template))
    return detail


def on_the_bus(record: dict[str, Any]) -> dict[str, Any]:
    """The event EventBridge delivers for a record the pipe put on the bus."""
    target = pipe()["TargetParameters"]["EventBridgeEventBusParameters"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": target["DetailType"],
        "source": target["Source"],
        "account": "123456789012",
        "time": "2026-11-26T09:30:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": transformed(record),
    }


def through_the_pipe(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The events a stream record becomes on the bus: none when the pipe's filter drops it."""
    return [on_the_bus(record)] if matches(pipe_filter(), record) else []


def record(**changes: Any) -> dict[str, Any]:
    found = load_event("stock_modified_stream_record.json")
    return {**found, **changes}


def images(**replaced: dict[str, Any] | None) -> dict[str, Any]:
    """The sample record's ``dynamodb`` part with images replaced (None: without that image)."""
    change = {**load_event("stock_modified_stream_record.json")["dynamodb"], **replaced}
    return {name: value for name, value in change.items() if value is not None}


NEW_IMAGE = load_event("stock_modified_stream_record.json")["dynamodb"]["NewImage"]
OLD_IMAGE = load_event("stock_modified_stream_record.json")["dynamodb"]["OldImage"]


# ---------------------------------------------------------------------------- the matcher itself
@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # "Exists matching" and "Prefix matching", EventBridge user guide, content filtering.
        ({"detail": {"state": [{"exists": True}]}}, {"detail": {"state": "x"}}, True),
        ({"detail": {"state": [{"exists": False}]}}, {"detail": {"state": "x"}}, False),
        ({"detail": {"state": [{"exists": False}]}}, {"detail": {"other": "x"}}, True),
        ({"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
        (
            {"source": ["aws.ec2"], "detail": {"state": ["running"]}},
            {"source": "aws.ec2", "detail": {"state": "stopped"}},
            False,
        ),
    ],
)
def test_the_pattern_matcher_agrees_with_documented_examples(pattern: Any, event: Any, expected: bool) -> None:
    assert matches(EventPattern.load(json.dumps(pattern)), event) is expected


# ---------------------------------------------------------------------------- the wiring
def test_the_pipe_reads_the_stock_stream_and_puts_on_the_stock_bus() -> None:
    assert pipe()["Source"] == {"Fn::GetAtt": ["StockTable", "StreamArn"]}
    assert pipe()["Target"] == {"Fn::GetAtt": ["StockBus", "Arn"]}
    source = pipe()["SourceParameters"]["DynamoDBStreamParameters"]
    assert source["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["StockChangesPipeDLQ", "Arn"]}}
    assert source["MaximumRetryAttempts"] == {"Ref": "PipeMaximumRetryAttempts"}
    assert source["MaximumRecordAgeInSeconds"] == {"Ref": "PipeMaximumRecordAgeInSeconds"}
    assert source["OnPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    for bounded in ("PipeMaximumRetryAttempts", "PipeMaximumRecordAgeInSeconds"):
        assert template_parameter(bounded)["MinValue"] >= 0  # -1 (forever) is refused


def template_parameter(name: str) -> dict[str, Any]:
    from tests.support.stack import template

    found: dict[str, Any] = template()["Parameters"][name]
    return found


def test_the_pipe_logs_errors_without_the_records() -> None:
    logs = pipe()["LogConfiguration"]
    assert logs["Level"] == "ERROR"
    assert "IncludeExecutionData" not in logs
    assert logs["CloudwatchLogsLogDestination"]["LogGroupArn"] == {"Fn::GetAtt": ["StockChangesPipeLogGroup", "Arn"]}
    assert properties("StockChangesPipeLogGroup")["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def test_the_pipe_role_reads_only_this_stream_and_puts_only_on_this_bus() -> None:
    statements = [
        statement
        for policy in properties("StockChangesPipeRole")["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    by_action = {
        action: statement["Resource"]
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert by_action["events:PutEvents"] == {"Fn::GetAtt": ["StockBus", "Arn"]}
    for read in ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"):
        assert by_action[read] == {"Fn::GetAtt": ["StockTable", "StreamArn"]}
    assert by_action["sqs:SendMessage"] == {"Fn::GetAtt": ["StockChangesPipeDLQ", "Arn"]}
    assert not [action for action in by_action if action.endswith("*")]
    [trust] = properties("StockChangesPipeRole")["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert set(trust["Condition"]["StringEquals"]) == {"aws:SourceAccount", "aws:SourceArn"}


def test_the_pipe_s_failed_and_throttled_executions_alarm() -> None:
    alarms = [properties(name) for name in ("StockChangesPipeFailedAlarm", "StockChangesPipeThrottledAlarm")]
    assert [alarm["MetricName"] for alarm in alarms] == ["ExecutionFailed", "ExecutionThrottled"]
    for alarm in alarms:
        assert alarm["Namespace"] == "AWS/EventBridge/Pipes"
        assert alarm["Dimensions"] == [{"Name": "PipeName", "Value": pipe()["Name"]}]  # this pipe's name, as declared
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_rule_listens_on_the_stock_bus_with_a_retry_policy_and_a_dead_letter_queue() -> None:
    assert rule()["EventBusName"] == {"Ref": "StockBus"}
    assert rule()["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["StockRuleDLQ", "Arn"]}}
    assert set(rule()["RetryPolicy"]) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}
    assert "EventInvokeConfig" in properties("RestockFunction")


def test_the_pipe_the_rule_and_the_model_name_the_same_source_and_detail_type() -> None:
    target = pipe()["TargetParameters"]["EventBridgeEventBusParameters"]
    assert (target["Source"], target["DetailType"]) == (EVENT_SOURCE, EVENT_DETAIL_TYPE)
    assert rule()["Pattern"]["source"] == [EVENT_SOURCE]
    assert rule()["Pattern"]["detail-type"] == [EVENT_DETAIL_TYPE]


def test_the_published_schema_is_the_model_s() -> None:
    expected = StockLevelChangedDetail.model_json_schema()
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == expected, (
        f"{SCHEMA.relative_to(ROOT)} drifted from StockLevelChangedDetail: regenerate it with "
        "`PYTHONPATH=src uv run python scripts/event_schemas.py --write` and bump schema_version if consumers break"
    )


def test_no_raw_dynamodb_image_reaches_the_bus() -> None:
    [event] = through_the_pipe(record())
    assert "NewImage" not in json.dumps(event)
    assert '{"N":' not in json.dumps(event).replace(" ", "")
    StockLevelChangedDetail.model_validate(event["detail"])


# ---------------------------------------------------------------------------- end to end
@pytest.mark.parametrize(
    "dropped",
    [
        pytest.param(record(eventName="INSERT", dynamodb=images(OldImage=None)), id="insert"),
        pytest.param(record(eventName="REMOVE", dynamodb=images(NewImage=None)), id="remove"),
        pytest.param(
            record(
                dynamodb=images(
                    NewImage={"sku": {"S": "WIDGET-BLUE"}, "note": {"S": "x"}}, OldImage={"sku": {"S": "WIDGET-BLUE"}}
                )
            ),
            id="not-a-stock-item",
        ),
        pytest.param(
            record(dynamodb=images(NewImage={**NEW_IMAGE, "quantity": {"S": "4"}})),
            id="quantity-not-a-number",
        ),
    ],
)
def test_a_change_the_pipe_drops_never_reaches_the_bus(dropped: dict[str, Any]) -> None:
    assert through_the_pipe(dropped) == []


def test_a_change_the_pipe_keeps_reaches_the_function_exactly_once(
    dynamodb: Any, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    adds = watch(monkeypatch, repository.RestockRepository, "add", key=lambda request: request.request_id)
    kept = record()
    # The pipe retried its batch: the same record is on the bus twice, as two events.
    events = through_the_pipe(kept) + through_the_pipe(kept)
    assert len(events) == 2
    delivered = [event for event in events if matches(rule_pattern(), event)]
    assert len(delivered) == 2

    results = [handler.handler(event, lambda_context) for event in delivered]

    assert results[0] == results[1]
    assert adds == [kept["eventID"]]
    assert results[0]["restock"]["sku"] == "WIDGET-BLUE"


def test_the_rule_drops_an_event_of_another_version() -> None:
    assert not matches(rule_pattern(), load_event("stock_level_changed_unknown_version.json"))
    assert matches(rule_pattern(), load_event("stock_level_changed.json"))


def test_every_resource_the_flow_needs_is_in_the_stack() -> None:
    assert {"StockChangesPipe", "StockBus", "StockRuleDLQ", "StockChangesPipeDLQ", "RestockFailureDLQ"} <= set(
        resources()
    )
    assert Path(SCHEMA).is_file()
