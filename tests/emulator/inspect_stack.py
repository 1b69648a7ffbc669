"""What the emulator holds for one deployed stack, as one JSON line on stdout.

    python inspect_stack.py <endpoint> <stack name> [<physical id> ...]

Run with the LocalStack venv's interpreter (it has boto3); fake credentials and the region
come from the environment. The extra physical ids (of resources the stack retained when it
was deleted) are looked up too: `retained` says which of them still exist.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError

PLACEHOLDER = "not supported but was deployed as a fallback"


def main(endpoint: str, stack: str, retained: list[str]) -> dict[str, Any]:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint)

    cloudformation = client("cloudformation")
    report: dict[str, Any] = {"stack": stack}
    try:
        [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        report["status"] = f"absent ({error.response['Error']['Code']})"
        report["retained"] = still_there(client, retained)
        return report
    report["status"] = described["StackStatus"]
    report["parameters"] = {p["ParameterKey"]: p.get("ParameterValue") for p in described.get("Parameters", [])}
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    report["resources"] = {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "physical_id": r.get("PhysicalResourceId"), "status": r["ResourceStatus"]}
        for r in resources
    }
    events = []
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack):
        events.extend(page["StackEvents"])
    report["placeholders"] = sorted(
        {f"{e['LogicalResourceId']} ({e['ResourceType']})" for e in events if PLACEHOLDER in (e.get("ResourceStatusReason") or "")}
    )
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        # A failed create leaves resources without a physical id: nothing to look up.
        if resource.get("PhysicalResourceId") and resource["ResourceStatus"] != "DELETE_COMPLETE":
            by_type.setdefault(resource["ResourceType"], []).append(resource["PhysicalResourceId"])
    if not described["StackStatus"].endswith("_COMPLETE") or "ROLLBACK" in described["StackStatus"]:
        return report  # the test fails on the status; the deploy's output says why

    lambda_ = client("lambda")
    report["event_source_mappings"] = [
        strip(lambda_.get_event_source_mapping(UUID=uuid)) for uuid in by_type.get("AWS::Lambda::EventSourceMapping", [])
    ]
    report["functions"] = {
        name: strip(lambda_.get_function_configuration(FunctionName=name))
        for name in by_type.get("AWS::Lambda::Function", [])
    }
    for name in report["functions"]:
        report["functions"][name]["concurrency"] = lambda_.get_function_concurrency(FunctionName=name).get(
            "ReservedConcurrentExecutions"
        )
        report["functions"][name]["event_invoke_config"] = event_invoke_config(lambda_, name)
    sqs = client("sqs")
    report["queues"] = {}
    for url in by_type.get("AWS::SQS::Queue", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        report["queues"][attributes["QueueArn"]] = {"url": url, **attributes}
    s3 = client("s3")
    report["bucket_notifications"] = {
        bucket: strip(s3.get_bucket_notification_configuration(Bucket=bucket))
        for bucket in by_type.get("AWS::S3::Bucket", [])
    }
    events_client = client("events")
    report["rules"] = []
    for bus in events_client.list_event_buses()["EventBuses"]:
        for rule in events_client.list_rules(EventBusName=bus["Name"])["Rules"]:
            targets = events_client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
            report["rules"].append({**rule, "Targets": targets})
    logs = client("logs")
    report["log_groups"] = {
        group["logGroupName"]: group.get("retentionInDays")
        for group in logs.describe_log_groups()["logGroups"]
        if group["logGroupName"] in by_type.get("AWS::Logs::LogGroup", [])
    }
    apigateway = client("apigateway")
    report["rest_apis"] = {
        api: [stage["stageName"] for stage in apigateway.get_stages(restApiId=api)["item"]]
        for api in by_type.get("AWS::ApiGateway::RestApi", [])
    }
    report["retained"] = still_there(client, retained)
    return report


def event_invoke_config(lambda_: Any, name: str) -> Any:
    try:
        return strip(lambda_.get_function_event_invoke_config(FunctionName=name, Qualifier="live"))
    except ClientError:
        return None


def still_there(client: Any, physical_ids: list[str]) -> dict[str, bool]:
    """Whether each retained resource (table, log group, key, bucket, queue) still exists."""
    found: dict[str, bool] = {}
    tables = set(client("dynamodb").list_tables()["TableNames"])
    groups = {g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]}
    keys = {k["KeyId"] for k in client("kms").list_keys()["Keys"]}
    buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    queues = set(client("sqs").list_queues().get("QueueUrls", []))
    for physical_id in physical_ids:
        found[physical_id] = physical_id in tables | groups | keys | buckets | queues
    return found


def strip(answer: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps({k: v for k, v in answer.items() if k != "ResponseMetadata"}, default=str))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3:])))
