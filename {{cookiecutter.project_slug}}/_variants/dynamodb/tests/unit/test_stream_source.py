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

from {{ cookiecutter.package_name }}.models import WATCHED_ATTRIBUTES, StockStreamRecord

from tests.conftest import RESTOCK_TABLE, stock_image, stream_record
from tests.support.batches import assert_failures_alarmed, reported
from tests.support.emulated_aws import create_table
from tests.support.lambda_runtime import FakeLambdaContext, batch, load_event
from tests.support.stack import rollback_alarms, template


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
    reports = [reported(batch(valid, poison), lambda_context) for _ in range(retries + 1)]
    assert reports == [[poison["dynamodb"]["SequenceNumber"]]] * (retries + 1)
    assert len(dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]) == 1  # the valid change, once

    # Lambda then sends the failed batch's position, not its records, to the on-failure queue.
    message = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(
        load_event("on_failure_destination_message.json")
    )
    assert message.request_context.condition == "RetryAttemptsExhausted"
    assert message.request_context.approximate_invoke_count == retries + 1
    assert message.ddb_stream_batch_info.start_sequence_number == poison["dynamodb"]["SequenceNumber"]


def test_each_failure_metric_the_handler_emits_has_an_alarm_on_the_topic(
    dynamodb: Any, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb.delete_table(TableName=RESTOCK_TABLE)  # the valid change fails to be written
    invalid = stream_record(1, stock_image() | {"quantity": {"N": "-1"}}, stock_image(quantity=12))
    valid = stream_record(2, stock_image(quantity=4), stock_image(quantity=12))
    assert len(reported(batch(invalid, valid), lambda_context)) == 2
    assert_failures_alarmed(capsys.readouterr().out)


def test_a_processing_failure_rolls_a_deployment_back() -> None:
    assert "RestockProcessingFailedAlarm" in rollback_alarms("RestockFunction")


def test_changes_written_to_a_stock_table_flow_through_the_stream(
    dynamodb: Any, lambda_context: FakeLambdaContext
) -> None:
    """End to end in moto: items written to a table with a stream, filtered, handled, restocked once."""
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    table = create_table(dynamodb, "stock-test", "sku", StreamSpecification=stream)
    dynamodb.put_item(TableName="stock-test", Item=stock_image("WIDGET-BLUE", quantity=12))
    dynamodb.put_item(TableName="stock-test", Item={"sku": {"S": "CATALOG-1"}, "name": {"S": "not stocked"}})
    for quantity in (11, 9, 8):  # crosses the reorder level (10) once, at 9
        dynamodb.put_item(TableName="stock-test", Item=stock_image("WIDGET-BLUE", quantity=quantity))
    dynamodb.delete_item(TableName="stock-test", Key={"sku": {"S": "WIDGET-BLUE"}})

    records = read_stream(table["LatestStreamArn"])
    assert [record["eventName"] for record in records] == ["INSERT", "INSERT", "MODIFY", "MODIFY", "MODIFY", "REMOVE"]
    delivered = [record for record in records if any(admitted(pattern, record) for pattern in filter_patterns())]
    assert len(delivered) == 4  # the unstocked item and the removal never reach the function

    assert reported(batch(*delivered), lambda_context) == []
    assert reported(batch(*delivered), lambda_context) == []  # a retried batch
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
