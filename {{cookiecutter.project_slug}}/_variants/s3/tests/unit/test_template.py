"""The failure path and the source filter live in template.yaml: these tests read it, so a
change there that breaks the contract of the code fails here, not in production."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.models import DOCUMENT_SUFFIX, INCOMING_PREFIX

from tests.support.async_invocations import assert_failed_invocations_go_to
from tests.support.stack import assert_alarmed, errors_explained_by, properties, resources, rollback_alarms


def test_failed_invocations_go_to_the_failure_queue_after_bounded_retries() -> None:
    assert_failed_invocations_go_to("IntakeFunction", "IntakeFailureDLQ")


def test_the_failure_queue_is_encrypted_tls_only_and_alarmed() -> None:
    assert properties("IntakeFailureDLQ")["KmsMasterKeyId"]
    statements = properties("IntakeFailureDLQPolicy")["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in str(s["Condition"]) for s in statements)
    alarm = properties("IntakeFailureDLQDepthAlarm")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["IntakeFailureDLQ", "QueueName"]}}]


def test_only_new_incoming_json_objects_invoke_the_function() -> None:
    [notification] = properties("DocumentsBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": INCOMING_PREFIX},
        {"Name": "suffix", "Value": DOCUMENT_SUFFIX},
    ]
    assert notification["Function"] == {"Ref": "IntakeFunctionAliaslive"}


def test_only_this_bucket_in_this_account_may_invoke() -> None:
    permission = properties("IntakeFunctionInvokePermission")
    bucket_name = properties("DocumentsBucket")["BucketName"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["FunctionName"] == {"Ref": "IntakeFunctionAliaslive"}
    # The SourceArn spells the same name as the bucket (no reference: that would be circular).
    name, instance = bucket_name["Fn::Sub"]
    assert permission["SourceArn"] == {"Fn::Sub": ["arn:${AWS::Partition}:s3:::" + name, instance]}
    assert properties("IntakeFunction")["Environment"]["Variables"]["DOCUMENTS_BUCKET"] == bucket_name
    assert resources()["DocumentsBucket"]["DependsOn"] == "IntakeFunctionInvokePermission"


def test_the_documents_bucket_is_private_versioned_encrypted_and_logged() -> None:
    bucket = properties("DocumentsBucket")
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    statements = properties("DocumentsBucketPolicy")["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in str(s["Condition"]) for s in statements)


def test_the_function_reads_only_incoming_documents() -> None:
    [policy] = [p for p in properties("IntakeFunctionRole")["Policies"] if p["PolicyName"] == "incoming-documents"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    bucket_arn, instance = properties("IntakeFunctionInvokePermission")["SourceArn"]["Fn::Sub"]
    assert statement["Resource"] == {"Fn::Sub": [f"{bucket_arn}/{INCOMING_PREFIX}*", instance]}


@pytest.mark.parametrize("metric", ["DocumentRejected", "ProcessingFailed"])
def test_every_failure_metric_the_handler_emits_is_alarmed(metric: str) -> None:
    assert_alarmed(metric)


def test_only_processing_failures_roll_a_deployment_back() -> None:
    """Bad documents say nothing about the new code; a processing failure does."""
    alarms = rollback_alarms("IntakeFunction")
    assert "IntakeProcessingFailedAlarm" in alarms
    assert "IntakeDocumentRejectedAlarm" not in alarms


def test_rejected_input_never_rolls_a_healthy_release_back() -> None:
    # A rejected event raises (so Lambda retries it and it reaches the failure queue), and every
    # raise counts in Lambda's Errors: the rollback alarm counts only the errors that neither
    # a rejection nor a duplicate in progress explains, each counted once per raise.
    assert "IntakeFunctionErrorsAlarm" in rollback_alarms("IntakeFunction")
    function, explained = errors_explained_by("IntakeFunctionErrorsAlarm")
    assert function == properties("IntakeFunction")["FunctionName"]["Fn::Sub"]
    assert explained == {"DocumentRejected", "DocumentInProgressElsewhere"}
