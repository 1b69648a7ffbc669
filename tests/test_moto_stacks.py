"""Every asynchronous variant the hook enables deploys, as CloudFormation would see it, into
moto's emulated account: the baked project's SAM-transformed template reaches
CREATE_COMPLETE, and its event source exists there with its filter.

- SQS and DynamoDB streams: the event source mapping, with the template's FilterCriteria,
  partial batch responses, and the failure path (the queue's redrive, the stream's
  on-failure destination).
- S3: the bucket notification with the template's prefix and suffix filter.
- EventBridge: the rule with the template's pattern, its target with a DLQ and a retry policy.
- DynamoDB with stream_delivery=eventbridge (an overlay, deployed as a variant of its own): the
  pipe reads the table's own stream with the template's filter, bisects, retries boundedly,
  has its DLQ, and puts on the service's bus, where the rule (checked as above) matches the
  source and detail type the pipe gives its events. moto's CloudFormation has no model for
  AWS::Pipes::Pipe; moto's Pipes API stores a pipe but never runs one, so the checker creates
  it there (printed, with the reason) and the records' path through filter, input template and
  rule is proven in-process by the bake's own tests/unit/test_pipe.py.

The stack is created by tests/moto_stack_check.py in its own environment (moto pins its own
dependencies). What moto cannot create is stripped there, printed with the reason; the test
fails on a stripped event source. Expectations come from the transformed template itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from support import ROOT, choice_options, post_gen_tables, pre_gen_tables

MOTO = "moto[cloudformation,dynamodb,events,s3,sqs,sns,logs,iam,lambda]==5.2.5"
CHECKER = Path(__file__).with_name("moto_stack_check.py")
SYNCHRONOUS = {"api", "appsync"}  # what a caller waits for: the emulated deploy and the baked tests prove them
# What must exist in the emulated account for each asynchronous event source.
EVIDENCE = {
    "sqs": "event source mapping",
    "dynamodb": "event source mapping",
    "s3": "bucket notification",
    "eventbridge": "rule",
    "dynamodb-eventbridge": "pipe",
}
# An overlay folder (post_gen_project.VARIANT_OVERLAYS) bakes a stack of its own: the answers that bake it.
OVERLAYS = {
    folder: {"event_source": folder.split("-")[0], name: value}
    for (name, value), (folder, _) in post_gen_tables().VARIANT_OVERLAYS.items()
}
# Stripping any of these would leave nothing to prove.
ESSENTIAL_TYPES = {
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
    "AWS::SQS::Queue",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Events::Rule",
    "AWS::Events::EventBus",
}

Report = dict[str, Any]
Template = dict[str, Any]


def asynchronous_variants() -> list[str]:
    """The event sources other than the API that the pre-generation hook lets through, and
    the overlays that refine one of them."""
    unavailable = pre_gen_tables().NOT_YET_AVAILABLE
    sources = [
        value
        for value in choice_options()["event_source"]
        if value not in SYNCHRONOUS and ("event_source", value) not in unavailable
    ]
    return sources + [folder for folder, answers in OVERLAYS.items() if answers["event_source"] in sources]


class Deployment:
    """A baked variant, its transformed template and what moto's account holds after the stack."""

    def __init__(self, template: Template, report: Report, output: str) -> None:
        self.template = template
        self.report = report
        self.output = output

    def declared(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource.get("Properties", {})
            for name, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def physical_id(self, logical_id: str) -> str:
        physical: str = self.report["resources"][logical_id]["physical_id"]
        return physical

    def queue_arn(self, logical_id: str) -> str:
        url = self.physical_id(logical_id)
        [arn] = [arn for arn, queue in self.report["queues"].items() if queue["url"] == url]
        return arn

    def function_arns(self) -> set[str]:
        names = {self.physical_id(name) for name in self.declared("AWS::Lambda::Function")}
        return {arn for arn in self.report["lambda_functions"] if arn.rsplit(":", 1)[-1] in names}


def getatt_target(value: Any) -> str:
    """The logical id of ``{"Fn::GetAtt": [id, "Arn"]}``."""
    assert isinstance(value, dict) and "Fn::GetAtt" in value, value
    target: str = value["Fn::GetAtt"][0]
    return target


@pytest.fixture(scope="module", params=asynchronous_variants())
def deployment(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    cookiecutter_config: Path,
    subprocess_env: dict[str, str],
    uv: str,
) -> Deployment:
    variant: str = request.param
    project = Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            extra_context=OVERLAYS.get(variant, {"event_source": variant}),
            output_dir=str(tmp_path_factory.mktemp(f"moto-{variant}")),
            config_file=str(cookiecutter_config),
        )
    )
    transform = subprocess.run(
        ["make", "transform", f"UV={uv}"], cwd=project, env=subprocess_env, capture_output=True, text=True, check=False
    )
    assert transform.returncode == 0, transform.stdout + transform.stderr
    transformed = project / "build" / "template.transformed.json"
    checked = subprocess.run(
        [uv, "run", "--no-project", "--quiet", "--with", MOTO, "python", str(CHECKER), str(transformed), variant],
        env=subprocess_env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = checked.stdout + checked.stderr
    reports = [line.removeprefix("REPORT ") for line in checked.stdout.splitlines() if line.startswith("REPORT ")]
    assert reports, f"the checker printed no report:\n{output[-6000:]}"
    return Deployment(json.loads(transformed.read_text(encoding="utf-8")), json.loads(reports[-1]), output)


@pytest.mark.slow
def test_stack_reaches_create_complete(deployment: Deployment) -> None:
    assert deployment.report["status"] == "CREATE_COMPLETE", deployment.output[-6000:]


@pytest.mark.slow
def test_only_what_moto_cannot_model_is_stripped_and_each_is_said(deployment: Deployment) -> None:
    stripped = deployment.report["stripped"]
    assert not [entry for entry in stripped if entry["type"] in ESSENTIAL_TYPES], stripped
    for entry in stripped:
        assert entry["reason"], entry
        assert f"stripped {entry['logical_id']} ({entry['type']}): {entry['reason']}" in deployment.output
    assert set(deployment.report["resources"]) == set(deployment.template["Resources"]) - {
        entry["logical_id"] for entry in stripped
    }


@pytest.mark.slow
def test_the_event_source_exists_with_its_filter(deployment: Deployment) -> None:
    variant = deployment.report["variant"]
    evidence = EVIDENCE.get(variant)
    assert evidence, f"no expectation for event source {variant!r}: add what must exist to EVIDENCE and a check"
    {
        "event source mapping": event_source_mappings_exist,
        "bucket notification": bucket_notifications_exist,
        "rule": rules_exist,
        "pipe": pipes_and_their_rules_exist,
    }[evidence](deployment)


def event_source_mappings_exist(deployment: Deployment) -> None:
    declared = deployment.declared("AWS::Lambda::EventSourceMapping")
    live = deployment.report["event_source_mappings"]
    assert declared, "the template declares no event source mapping"
    assert len(live) == len(declared)
    for name, properties in declared.items():
        assert properties.get("FilterCriteria", {}).get("Filters"), f"{name}: no FilterCriteria in the template"
        patterns = [json.loads(entry["Pattern"]) for entry in properties["FilterCriteria"]["Filters"]]
        [mapping] = [
            mapping
            for mapping in live
            if [json.loads(entry["Pattern"]) for entry in (mapping["FilterCriteria"] or {}).get("Filters", [])]
            == patterns
        ]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["FunctionArn"] in deployment.function_arns()
        source = getatt_target(properties["EventSourceArn"])
        if deployment.template["Resources"][source]["Type"] == "AWS::SQS::Queue":
            queue_arn = deployment.queue_arn(source)
            assert mapping["EventSourceArn"] == queue_arn
            redrive = deployment.report["queues"][queue_arn]["RedrivePolicy"]
            dead_letter = getatt_target(
                deployment.template["Resources"][source]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
            )
            assert redrive["deadLetterTargetArn"] == deployment.queue_arn(dead_letter)
        else:
            table = deployment.physical_id(source)
            assert f":table/{table}/stream/" in mapping["EventSourceArn"]
            on_failure = getatt_target(properties["DestinationConfig"]["OnFailure"]["Destination"])
            assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == deployment.queue_arn(on_failure)
            assert mapping["BisectBatchOnFunctionError"] is True
            assert mapping["MaximumRetryAttempts"] >= 0


def bucket_notifications_exist(deployment: Deployment) -> None:
    declared = {
        name: properties["NotificationConfiguration"]
        for name, properties in deployment.declared("AWS::S3::Bucket").items()
        if "NotificationConfiguration" in properties
    }
    assert declared, "the template declares no bucket notification"
    for name, configuration in declared.items():
        live = deployment.report["bucket_notifications"][name].get("LambdaFunctionConfigurations", [])
        expected = configuration["LambdaConfigurations"]
        assert len(live) == len(expected)
        for want, have in zip(expected, live, strict=True):
            rules = {rule["Name"].lower(): rule["Value"] for rule in want["Filter"]["S3Key"]["Rules"]}
            assert {"prefix", "suffix"} <= set(rules), f"{name}: the notification needs a prefix and a suffix filter"
            assert {rule["Name"].lower(): rule["Value"] for rule in have["Filter"]["Key"]["FilterRules"]} == rules
            assert have["Events"] == [want["Event"]]
            assert have["LambdaFunctionArn"] in deployment.function_arns()


def rules_exist(deployment: Deployment) -> None:
    declared = deployment.declared("AWS::Events::Rule")
    assert declared, "the template declares no EventBridge rule"
    live = deployment.report["rules"]
    for name, properties in declared.items():
        assert properties.get("EventPattern"), f"{name}: no event pattern"
        [rule] = [rule for rule in live if rule["EventPattern"] == properties["EventPattern"]]
        assert len(rule["Targets"]) == len(properties["Targets"])
        for want, have in zip(properties["Targets"], rule["Targets"], strict=True):
            assert have["Arn"] in deployment.function_arns()
            assert have["DeadLetterConfig"]["Arn"] == deployment.queue_arn(
                getatt_target(want["DeadLetterConfig"]["Arn"])
            )
            assert set(have["RetryPolicy"]) == set(want["RetryPolicy"])


def pipes_and_their_rules_exist(deployment: Deployment) -> None:
    declared = deployment.declared("AWS::Pipes::Pipe")
    assert declared, "the template declares no pipe"
    report = deployment.report
    assert report["deferred_pipes"] == sorted(declared), report["deferred_pipes"]
    for name in declared:  # moto's CloudFormation cannot create it: said, with the reason
        assert (
            f"deferred {name} (AWS::Pipes::Pipe): moto {report['moto']} has no CloudFormation model"
            in deployment.output
        )
    assert len(report["pipes"]) == len(declared)
    for name, properties in declared.items():
        [pipe] = [
            pipe for pipe in report["pipes"] if pipe["RoleArn"] == report["roles"][getatt_target(properties["RoleArn"])]
        ]
        # Source: the stream DynamoDB gives the table, read with the template's filter.
        stream_arn = report["table_streams"][getatt_target(properties["Source"])]
        assert stream_arn and pipe["Source"] == stream_arn, (name, pipe["Source"], stream_arn)
        filters = properties["SourceParameters"]["FilterCriteria"]["Filters"]
        assert [json.loads(entry["Pattern"]) for entry in pipe["SourceParameters"]["FilterCriteria"]["Filters"]] == [
            json.loads(entry["Pattern"]) for entry in filters
        ]
        # Failure path: bisect, bounded retries and record age (-1 is forever), the template's DLQ.
        stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
        wanted = properties["SourceParameters"]["DynamoDBStreamParameters"]
        assert stream["DeadLetterConfig"]["Arn"] == deployment.queue_arn(
            getatt_target(wanted["DeadLetterConfig"]["Arn"])
        )
        assert stream["OnPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
        assert stream["MaximumRetryAttempts"] >= 0 and stream["MaximumRecordAgeInSeconds"] >= 60, stream
        assert pipe["LogConfiguration"]["Level"] == "ERROR" and "IncludeExecutionData" not in pipe["LogConfiguration"]
        # Target: the service's bus, where a rule takes the pipe's source and detail type.
        [bus] = [bus for bus, arn in report["event_buses"].items() if arn == pipe["Target"]]
        assert bus != "default", "the pipe puts on the default bus"
        given = pipe["TargetParameters"]["EventBridgeEventBusParameters"]
        listening = [rule for rule in report["rules"] if rule["EventBusName"] == bus]
        assert listening, f"no rule listens on {bus}, where {name} puts its events"
        for rule in listening:
            assert given["Source"] in rule["EventPattern"]["source"], (given, rule["EventPattern"])
            assert given["DetailType"] in rule["EventPattern"]["detail-type"], (given, rule["EventPattern"])
    rules_exist(deployment)
