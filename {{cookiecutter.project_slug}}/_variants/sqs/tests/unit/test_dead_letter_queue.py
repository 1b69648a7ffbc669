"""A message the function keeps failing ends on the dead-letter queue, wired as template.yaml says.

moto plays SQS (redrive after maxReceiveCount receives) and this test plays the Lambda
poller: receive a batch, invoke the handler, delete every message it did not report.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from {{ cookiecutter.package_name }} import processing
from {{ cookiecutter.package_name }}.models import MESSAGE_TYPE

from tests.conftest import ORDERS_TABLE, order, sqs_record
from tests.support.batches import assert_failures_alarmed, reported
from tests.support.lambda_runtime import FakeLambdaContext, batch
from tests.support.stack import rollback_alarms, template

LAMBDA_RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")


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


def test_only_the_orders_queue_may_send_its_failures_to_the_dead_letter_queue() -> None:
    # byQueue: "Only queues specified by the sourceQueueArns parameter can specify this queue
    # as the dead-letter queue" (SQS): the ARN must name the orders queue exactly as it is named.
    allow = template()["Resources"]["OrdersDeadLetterQueue"]["Properties"]["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    name, variables = template()["Resources"]["OrdersQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    prefix = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
    assert allow["sourceQueueArns"] == [{"Fn::Sub": [prefix + name, variables]}]


def test_an_order_is_remembered_longer_than_any_copy_of_it_can_wait() -> None:
    # SQS keeps a message's first enqueue time in the dead-letter queue, and a redrive puts it
    # back in the orders queue for another full retention: the idempotency record must outlive both.
    resources = template()["Resources"]
    queue = resources["OrdersQueue"]["Properties"]["MessageRetentionPeriod"]
    dead_letters = resources["OrdersDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"]
    assert max(queue, dead_letters) + queue < processing.IDEMPOTENCY_EXPIRY_SECONDS
    assert processing.idempotency_config().expires_after_seconds == processing.IDEMPOTENCY_EXPIRY_SECONDS


def test_template_filter_admits_exactly_the_message_type_the_code_accepts() -> None:
    source = template()["Resources"]["OrdersFunction"]["Properties"]["Events"]["Orders"]["Properties"]
    patterns = [json.loads(entry["Pattern"]) for entry in source["FilterCriteria"]["Filters"]]
    assert patterns == [{"body": {"type": [MESSAGE_TYPE]}}]


def test_each_failure_metric_the_handler_emits_has_an_alarm_on_the_topic(
    dynamodb: Any, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb.delete_table(TableName=ORDERS_TABLE)  # the valid order fails to be stored
    invalid = sqs_record(json.dumps(order("ord-20260101M0001", currency="XXX")), "m-invalid")
    valid = sqs_record(json.dumps(order("ord-20260101M0002")), "m-valid")
    assert len(reported(batch(invalid, valid), lambda_context)) == 2
    assert_failures_alarmed(capsys.readouterr().out)


def test_a_processing_failure_rolls_a_deployment_back() -> None:
    assert "OrdersProcessingFailedAlarm" in rollback_alarms("OrdersFunction")


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
        failed = set(reported(batch(*lambda_records(messages, queue_arn)), lambda_context))
        for message in messages:
            if message["MessageId"] not in failed:  # what the Lambda poller does with successes
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    assert invocations == max_receive_count
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [message["Body"] for message in dead] == [poison]
    table = boto3.client("dynamodb")
    stored = table.scan(TableName="orders-test")["Items"]
    assert [item["pk"]["S"] for item in stored] == ["ord-20260101G0001"]
