"""A message the function keeps failing ends on the dead-letter queue, wired as template.yaml says.

moto plays SQS (redrive after maxReceiveCount receives) and this test plays the Lambda
poller: receive a batch, invoke the handler, delete every message it did not report.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode_str

from {{ cookiecutter.package_name }} import handler
from {{ cookiecutter.package_name }}.models import MESSAGE_TYPE

from tests.conftest import ORDERS_TABLE, ROOT, TEST_ENVIRONMENT, FakeLambdaContext, batch, order, sqs_record

FAILURE_METRICS = ("ValidationFailed", "ProcessingFailed")
LAMBDA_RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")


def template() -> dict[str, Any]:
    parsed, matches = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not matches, matches
    plain: dict[str, Any] = json.loads(json.dumps(parsed))
    return plain


def test_template_redrives_the_orders_queue_to_its_dead_letter_queue() -> None:
    resources = template()["Resources"]
    redrive = resources["OrdersQueue"]["Properties"]["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["OrdersDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
    }
    source = resources["OrdersFunction"]["Properties"]["Events"]["Orders"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["OrdersQueue", "Arn"]}
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_template_filter_admits_exactly_the_message_type_the_code_accepts() -> None:
    source = template()["Resources"]["OrdersFunction"]["Properties"]["Events"]["Orders"]["Properties"]
    patterns = [json.loads(entry["Pattern"]) for entry in source["FilterCriteria"]["Filters"]]
    assert patterns == [{"body": {"type": [MESSAGE_TYPE]}}]


Metric = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, name, dimensions


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
    intrinsic function, such as a queue name, is kept as its text: no emitted metric matches it)."""
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
    dynamodb.delete_table(TableName=ORDERS_TABLE)  # the valid order fails to be stored
    invalid = sqs_record(json.dumps(order("ord-20260101M0001", currency="XXX")), "m-invalid")
    valid = sqs_record(json.dumps(order("ord-20260101M0002")), "m-valid")
    response = handler.handler(batch(invalid, valid), lambda_context)
    assert len(response["batchItemFailures"]) == 2

    failures = {metric for metric in emitted_metrics(capsys.readouterr().out) if metric[1] in FAILURE_METRICS}
    assert sorted(metric[1] for metric in failures) == sorted(FAILURE_METRICS)
    assert failures <= alarmed_metrics()


def test_a_processing_failure_rolls_a_deployment_back() -> None:
    function = template()["Resources"]["OrdersFunction"]["Properties"]
    assert {"Ref": "OrdersProcessingFailedAlarm"} in function["DeploymentPreference"]["Alarms"]


def lambda_records(messages: list[dict[str, Any]], queue_arn: str) -> list[dict[str, Any]]:
    """Received messages in the shape the Lambda poller hands them to the function."""
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {name: message["Attributes"][name] for name in LAMBDA_RECORD_ATTRIBUTES},
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": "eu-west-1",
        }
        for message in messages
    ]


def test_poison_message_lands_on_the_dead_letter_queue(lambda_context: FakeLambdaContext) -> None:
    max_receive_count = int(template()["Parameters"]["MaxReceiveCount"]["Default"])
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
    queue_url = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(redrive)})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    negative = [{"sku": "WIDGET-BLUE", "quantity": -1, "unit_price_cents": 1}]
    poison = json.dumps(order("ord-20260101P0001", lines=negative))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(order("ord-20260101G0001")))
    sqs.send_message(QueueUrl=queue_url, MessageBody=poison)

    invocations = 0
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    ).get("Messages", []):
        invocations += 1
        assert invocations <= max_receive_count, "the poison message was never moved to the dead-letter queue"
        response = handler.handler({"Records": lambda_records(messages, queue_arn)}, lambda_context)
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:  # what the Lambda poller does with successes
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    assert invocations == max_receive_count
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [message["Body"] for message in dead] == [poison]
    table = boto3.client("dynamodb")
    stored = table.scan(TableName="orders-test")["Items"]
    assert [item["pk"]["S"] for item in stored] == ["ord-20260101G0001"]
