"""The stream side, wired as template.yaml says: the filter, the retries, the on-failure queue.

moto plays DynamoDB and its stream; this test plays the Lambda poller: it reads the stream,
applies the template's own FilterCriteria, invokes the handler and retries as Lambda does.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamLambdaOnFailureDestinationModel
from botocore.config import Config
from cfnlint.decode import decode_str

from {{ cookiecutter.package_name }} import handler
from {{ cookiecutter.package_name }}.models import WATCHED_ATTRIBUTES, StockStreamRecord

from tests.conftest import (
    RESTOCK_TABLE,
    ROOT,
    TEST_ENVIRONMENT,
    FakeLambdaContext,
    batch,
    load_event,
    stock_image,
    stream_record,
)

FAILURE_METRICS = ("ValidationFailed", "ProcessingFailed")
Metric = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, name, dimensions


def template() -> dict[str, Any]:
    parsed, matches = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not matches, matches
    plain: dict[str, Any] = json.loads(json.dumps(parsed))
    return plain


def stream_source() -> dict[str, Any]:
    source: dict[str, Any] = template()["Resources"]["RestockFunction"]["Properties"]["Events"]["StockChanges"]
    assert source["Type"] == "DynamoDB"
    return dict(source["Properties"])


def filter_patterns() -> list[dict[str, Any]]:
    return [json.loads(entry["Pattern"]) for entry in stream_source()["FilterCriteria"]["Filters"]]


def admitted(pattern: dict[str, Any], data: Any) -> bool:
    """Lambda's event filtering, for the operators the template uses: value lists and exists."""
    if not isinstance(data, dict):
        return False
    for key, rule in pattern.items():
        if isinstance(rule, dict):
            if not admitted(rule, data.get(key)):
                return False
        elif not any(
            (key in data) == option["exists"] if isinstance(option, dict) else data.get(key) == option
            for option in rule
        ):
            return False
    return True


def test_failed_batches_are_bisected_retried_a_bounded_number_of_times_then_sent_to_the_queue() -> None:
    source = stream_source()
    parameters = template()["Parameters"]
    assert source["Stream"] == {"Fn::GetAtt": ["StockTable", "StreamArn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["BisectBatchOnFunctionError"] is True
    assert source["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["StockChangesDeadLetterQueue", "Arn"]}}
    }
    for name in ("MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BatchSize", "MaximumBatchingWindowInSeconds"):
        assert source[name] == {"Ref": name}
    assert parameters["MaximumRetryAttempts"]["MinValue"] >= 0  # never -1: a poison record must not block a shard
    assert parameters["MaximumRecordAgeInSeconds"]["MinValue"] >= 60


def test_the_filter_admits_what_the_model_accepts() -> None:
    [pattern] = filter_patterns()
    assert pattern["eventName"] == list(get_args(StockStreamRecord.model_fields["eventName"].annotation))
    assert sorted(pattern["dynamodb"]["NewImage"]) == sorted(WATCHED_ATTRIBUTES)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (stream_record(1, stock_image(), stock_image(quantity=12)), True),
        (stream_record(1, stock_image(), event_name="INSERT"), True),
        (stream_record(1, stock_image(), event_name="REMOVE"), False),
        (stream_record(1, {"sku": {"S": "WIDGET-BLUE"}, "name": {"S": "renamed"}}), False),
        (stream_record(1, stock_image() | {"quantity": {"S": "4"}}), False),
    ],
    ids=["modify", "insert", "remove", "other-attributes", "quantity-not-a-number"],
)
def test_the_filter_drops_changes_the_function_does_not_handle(record: dict[str, Any], expected: bool) -> None:
    assert any(admitted(pattern, record) for pattern in filter_patterns()) is expected


def test_a_poison_record_is_reported_on_every_retry_and_its_batch_ends_on_the_queue(
    dynamodb: Any, lambda_context: FakeLambdaContext
) -> None:
    retries = int(template()["Parameters"]["MaximumRetryAttempts"]["Default"])
    valid = stream_record(1, stock_image(quantity=4), stock_image(quantity=12))
    poison = load_event("stock_invalid_image.json")["Records"][0]
    reported = [invoke_failures(batch(valid, poison), lambda_context) for _ in range(retries + 1)]
    assert reported == [[poison["dynamodb"]["SequenceNumber"]]] * (retries + 1)
    assert len(dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]) == 1  # the valid change, once

    # Lambda then sends the failed batch's position, not its records, to the on-failure queue.
    message = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(
        load_event("on_failure_destination_message.json")
    )
    assert message.request_context.condition == "RetryAttemptsExhausted"
    assert message.request_context.approximate_invoke_count == retries + 1
    assert message.ddb_stream_batch_info.start_sequence_number == poison["dynamodb"]["SequenceNumber"]


def emitted_metrics(stdout: str) -> set[Metric]:
    """The metrics in the CloudWatch embedded metric format lines Powertools printed."""
    found: set[Metric] = set()
    for blob in (json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')):
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimensions = tuple((name, blob[name]) for names in directive["Dimensions"] for name in names)
            found |= {(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]}
    return found


def alarmed_metrics() -> set[Metric]:
    """The metrics watched by an alarm that notifies the alarm topic (a dimension given by an
    intrinsic function, such as a function name, is kept as its text: no emitted metric matches it)."""
    alarms = [r["Properties"] for r in template()["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    return {
        (alarm["Namespace"], alarm["MetricName"], tuple((d["Name"], str(d["Value"])) for d in alarm["Dimensions"]))
        for alarm in alarms
        if alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    }


def test_the_deployed_function_emits_metrics_where_the_tests_do() -> None:
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"):
        assert variables[name] == TEST_ENVIRONMENT[name]


def test_each_failure_metric_the_handler_emits_has_an_alarm_on_the_topic(
    dynamodb: Any, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb.delete_table(TableName=RESTOCK_TABLE)  # the valid change fails to be written
    invalid = stream_record(1, stock_image() | {"quantity": {"N": "-1"}}, stock_image(quantity=12))
    valid = stream_record(2, stock_image(quantity=4), stock_image(quantity=12))
    assert len(invoke_failures(batch(invalid, valid), lambda_context)) == 2

    failures = {metric for metric in emitted_metrics(capsys.readouterr().out) if metric[1] in FAILURE_METRICS}
    assert sorted(metric[1] for metric in failures) == sorted(FAILURE_METRICS)
    assert failures <= alarmed_metrics()


def test_a_processing_failure_rolls_a_deployment_back() -> None:
    function = template()["Resources"]["RestockFunction"]["Properties"]
    assert {"Ref": "RestockProcessingFailedAlarm"} in function["DeploymentPreference"]["Alarms"]


def invoke_failures(event: dict[str, Any], context: FakeLambdaContext) -> list[str]:
    return [failure["itemIdentifier"] for failure in handler.handler(event, context)["batchItemFailures"]]


def test_changes_written_to_a_stock_table_flow_through_the_stream(
    dynamodb: Any, lambda_context: FakeLambdaContext
) -> None:
    """End to end in moto: items written to a table with a stream, filtered, handled, restocked once."""
    table = dynamodb.create_table(
        TableName="stock-test",
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    dynamodb.put_item(TableName="stock-test", Item=stock_image("WIDGET-BLUE", quantity=12))
    dynamodb.put_item(TableName="stock-test", Item={"sku": {"S": "CATALOG-1"}, "name": {"S": "not stocked"}})
    for quantity in (11, 9, 8):  # crosses the reorder level (10) once, at 9
        dynamodb.put_item(TableName="stock-test", Item=stock_image("WIDGET-BLUE", quantity=quantity))
    dynamodb.delete_item(TableName="stock-test", Key={"sku": {"S": "WIDGET-BLUE"}})

    records = read_stream(table["LatestStreamArn"])
    assert [record["eventName"] for record in records] == ["INSERT", "INSERT", "MODIFY", "MODIFY", "MODIFY", "REMOVE"]
    delivered = [record for record in records if any(admitted(pattern, record) for pattern in filter_patterns())]
    assert len(delivered) == 4  # the unstocked item and the removal never reach the function

    assert invoke_failures(batch(*delivered), lambda_context) == []
    assert invoke_failures(batch(*delivered), lambda_context) == []  # a retried batch
    [request] = dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]
    assert request["quantity_on_hand"] == {"N": "9"}


def read_stream(stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream, in the shape Lambda delivers them."""
    # botocore routes stream calls to account-based endpoints that moto does not serve yet.
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            change = record["dynamodb"]
            change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
            records.append(record | {"eventSourceARN": stream_arn})
    return records
