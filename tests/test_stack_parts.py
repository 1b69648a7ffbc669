"""The shared stack parts (templates/stack/*.yaml.j2), each rendered on its own for the
answers and arguments the variants use, so that a broken part fails here in a second, not
only in a slow `make check`; and the structure rule of issue #11: each variant's stack
writes out its own event source, data and alarms and calls the shared parts, so no
variant repeats more than a few lines of another."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from support import (
    SAMPLE_STACK_UUID,
    STACK_PARTS_DIR,
    TEMPLATE_DIR,
    VARIANTS_DIR,
    enabled_values,
    load_yaml,
    physical_name,
    post_gen_tables,
    render_stack,
    stack_environment,
)

VARIANTS = sorted(path.name for path in (TEMPLATE_DIR / VARIANTS_DIR).iterdir())
# An overlay folder (post_gen_project.VARIANT_OVERLAYS) refines an event source: the answers that bake it.
REFINES = {
    folder: {"event_source": folder.split("-")[0], name: value}
    for (name, value), (folder, _) in post_gen_tables().VARIANT_OVERLAYS.items()
}


def variant_answers(variant: str) -> dict[str, str]:
    return REFINES.get(variant, {"event_source": variant})
# The answers that decide whether a part, or a line of it, exists.
SWITCHES = {"kms": ("customer-managed", "aws-managed"), "vpc": ("no", "yes"), "code_signing": ("no", "yes")}
SWITCH_CASES = [dict(zip(SWITCHES, values, strict=True)) for values in itertools.product(*SWITCHES.values())]
IMPORTS = """\
{%- import "stack/parameters.yaml.j2" as parameters with context %}
{%- import "stack/data.yaml.j2" as data with context %}
{%- import "stack/function.yaml.j2" as function with context %}
{%- import "stack/alarms.yaml.j2" as alarms with context %}
{%- import "stack/policies.yaml.j2" as policies -%}
"""
# Issue #11: at most this many substantial lines of a variant's stack stand in another's.
MOST_SHARED_LINES = 30  # 40 when Jinja statements counted; the most today is 26


def render(source: str, **overrides: str) -> str:
    env, context = stack_environment(**overrides)
    return env.from_string(IMPORTS + source).render(**context)


def resources(source: str, **overrides: str) -> dict[str, Any]:
    """Render `source` as the body of a Resources section and parse it."""
    document: dict[str, Any] = load_yaml(render("Resources:\n" + source, **overrides))
    return document["Resources"]


def case_id(case: dict[str, str]) -> str:
    return "-".join(f"{name}={value}" for name, value in case.items())


def checkov_skips(resource: dict[str, Any]) -> set[str]:
    return {skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def policy(role: dict[str, Any], name: str) -> dict[str, Any]:
    found = [p["PolicyDocument"] for p in role["Properties"]["Policies"] if p["PolicyName"] == name]
    assert len(found) == 1, [p["PolicyName"] for p in role["Properties"]["Policies"]]
    return found[0]


# --------------------------------------------------------------------------------------
# Every variant's stack renders to YAML with every switch, and leaves no macro behind


@pytest.mark.parametrize("case", SWITCH_CASES, ids=case_id)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_stack_renders_with_every_switch(variant: str, case: dict[str, str]) -> None:
    if variant_answers(variant)["event_source"] not in enabled_values()["event_source"]:
        pytest.skip(f"event_source={variant} is not available yet")
    text = render_stack(**variant_answers(variant), **case)
    assert not re.search(r"\{\{|\{%|\b(?:parameters|data|function|alarms|policies)\.\w+\(", text)
    template = load_yaml(text)
    has_key = "ServiceKey" in template["Resources"]
    assert has_key == (case["kms"] == "customer-managed")
    assert ("CodeSigningConfig" in template["Resources"]) == (case["code_signing"] == "yes")
    assert ("PrimarySubnetId" in template["Parameters"]) == (case["vpc"] == "yes")


# --------------------------------------------------------------------------------------
# parameters.yaml.j2


def parameters(source: str, **overrides: str) -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(render("Parameters:\n" + source, **overrides))
    return document["Parameters"]


def test_log_retention_is_at_least_a_year_and_names_what_it_retains() -> None:
    found = parameters('  {{ parameters.log_retention(retained="every log group and the logs") }}\n')
    assert min(found["LogRetentionInDays"]["AllowedValues"]) >= 365
    assert "every log group and the logs" in found["LogRetentionInDays"]["Description"]


@pytest.mark.parametrize("keep", [None, "MaximumConcurrency, or the queue's pollers"])
def test_reserved_concurrency_is_empty_by_default(keep: str | None) -> None:
    argument = f'keep_at_or_above="{keep}"' if keep else ""
    found = parameters(f"  {{{{ parameters.reserved_concurrency({argument}) }}}}\n")["ReservedConcurrency"]
    assert found["Default"] == ""
    assert re.fullmatch(found["AllowedPattern"], "") and re.fullmatch(found["AllowedPattern"], "25")
    assert not re.fullmatch(found["AllowedPattern"], "0")
    assert ("keep it at or above MaximumConcurrency" in found["Description"]) == bool(keep)


def test_layer_and_rollout_pin_the_tested_powertools_layer_for_the_bake() -> None:
    found = parameters("  {{ parameters.layer_and_rollout() }}\n", architecture="x86_64", python_runtime="python3.12")
    assert found["PowertoolsLayerArn"]["Default"].startswith("/aws/service/powertools/python/x86_64/python3.12/")
    assert found["DeploymentStrategy"]["Default"] in found["DeploymentStrategy"]["AllowedValues"]
    signed = parameters("  {{ parameters.layer_and_rollout() }}\n", code_signing="yes")
    assert list(signed) == ["DeploymentStrategy"], "a signed stack must not offer the unsigned public layer"


def test_vpc_network_and_signing_profile_parameters() -> None:
    found = parameters("  {{ parameters.vpc_network() }}\n  {{ parameters.signing_profile() }}\n")
    assert set(found) == {"PrimarySubnetId", "SecondarySubnetId", "SecurityGroupIds", "SigningProfileVersionArn"}
    pattern = found["SigningProfileVersionArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/Service/abcdEF12")
    assert not re.fullmatch(pattern, "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/Service")


@pytest.mark.parametrize("vpc", ["no", "yes"])
def test_conditions_and_rules(vpc: str) -> None:
    found = load_yaml(render("{{ parameters.conditions_and_rules() }}\n", vpc=vpc))
    assert "HasReservedConcurrency" in found["Conditions"]
    assert ("SubnetsAreDistinct" in found.get("Rules", {})) == (vpc == "yes")


@pytest.mark.parametrize("vpc", ["no", "yes"])
def test_conditions_and_rules_take_the_variants_own_rules(vpc: str) -> None:
    source = "{% call parameters.conditions_and_rules() %}\n  OwnRule:\n    Assertions: []\n{%- endcall %}\n"
    rules = load_yaml(render(source, vpc=vpc))["Rules"]
    assert list(rules) == (["SubnetsAreDistinct", "OwnRule"] if vpc == "yes" else ["OwnRule"])


@pytest.mark.parametrize("async_retried", [None, "a failed asynchronous invocation"])
def test_async_retries_are_bounded(async_retried: str | None) -> None:
    argument = f'retried="{async_retried}"' if async_retried else ""
    found = parameters(f"  {{{{ parameters.async_retries({argument}) }}}}\n")
    assert found["MaximumRetryAttempts"]["MaxValue"] == 2
    assert found["MaximumEventAgeInSeconds"]["MaxValue"] == 21600  # Lambda's limit: 6 hours
    assert (async_retried or "a failed invocation") in found["MaximumRetryAttempts"]["Description"]


# --------------------------------------------------------------------------------------
# function.yaml.j2


@pytest.mark.parametrize("case", SWITCH_CASES, ids=case_id)
@pytest.mark.parametrize("results", [None, "accepted orders"])
def test_globals(case: dict[str, str], results: str | None) -> None:
    argument = f'timeout=30, results="{results}"' if results else ""
    function = load_yaml(render(f"{{{{ function.globals({argument}) }}}}\n", **case))["Globals"]["Function"]
    assert function["Tracing"] == "Active"
    assert function["Timeout"] == (30 if results else 10)
    # Under code signing Lambda refuses the public (unsigned) layer: the package bundles it.
    assert function.get("Layers") == (None if case["code_signing"] == "yes" else [{"Ref": "PowertoolsLayerArn"}])
    assert ("KmsKeyArn" in function) == (case["kms"] == "customer-managed")
    assert ("VpcConfig" in function) == (case["vpc"] == "yes")
    variables = function["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert ("POWERTOOLS_TRACER_CAPTURE_RESPONSE" in variables) == bool(results)


def test_code_signing_config_enforces() -> None:
    found = resources("  {{ function.code_signing_config() }}\n")["CodeSigningConfig"]
    assert found["Properties"]["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"


@pytest.mark.parametrize("kms", SWITCHES["kms"])
def test_log_groups_are_retained_with_the_stack_retention_and_key(kms: str) -> None:
    found = resources(
        '  {{ function.function_log_group("OrdersFunction", "orders") }}\n'
        '  {{ function.log_group("AccessLogGroup", "/aws/apigateway/${AWS::StackName}-access") }}\n'
        '  {{ function.log_group("ExecutionLogGroup", "API-Gateway-Execution-Logs_${Api}/live", per_instance=false) }}\n',
        kms=kms,
    )
    # A name of this stack instance: a log group that a deleted stack of the same name left
    # behind never collides with the next one.
    assert physical_name(found["OrdersFunctionLogGroup"]["Properties"]["LogGroupName"], "orders-production") == (
        f"/aws/lambda/orders-production-orders-{SAMPLE_STACK_UUID.split('-')[0]}"
    )
    # A name that already holds a resource's id (new for each stack instance) is kept as it is.
    assert found["ExecutionLogGroup"]["Properties"]["LogGroupName"] == {"Fn::Sub": "API-Gateway-Execution-Logs_${Api}/live"}
    for group in found.values():
        assert group["DeletionPolicy"] == "RetainExceptOnCreate"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
        assert ("KmsKeyId" in group["Properties"]) == (kms == "customer-managed")
        assert ("CKV_AWS_158" in checkov_skips(group)) == (kms == "aws-managed")


# The EC2 actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole (version 3,
# January 2024), which the Lambda developer guide names for a function in a VPC.
VPC_ACCESS_EC2_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}

ROLE = """\
  {% call function.execution_role("OrdersFunction", "orders", description="The role.",
      key_services=["dynamodb", "sqs"], key_comment="Why.") %}
        - PolicyName: orders-table
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: dynamodb:PutItem
                Resource: !GetAtt OrdersTable.Arn
                {{ function.only_this_function("orders", explained=true) }}
        {{ function.idempotency_table_policy("orders") }}
        {{ function.on_failure_destination_policy("OrderFailureDLQ") }}
  {%- endcall %}
"""


@pytest.mark.parametrize("case", SWITCH_CASES, ids=case_id)
def test_execution_role(case: dict[str, str]) -> None:
    role = resources(ROLE, **case)["OrdersFunctionRole"]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "Condition" not in trust, "Lambda documents no aws:SourceAccount when it assumes the execution role"
    logs = policy(role, "logs")["Statement"][0]
    assert logs["Resource"] == {"Fn::GetAtt": ["OrdersFunctionLogGroup", "Arn"]}
    assert "logs:CreateLogGroup" not in logs["Action"]
    function_arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-orders"
    for name in ("orders-table", "idempotency-table"):
        condition = policy(role, name)["Statement"][0]["Condition"]
        assert condition == {"ArnEquals": {"lambda:SourceFunctionArn": {"Fn::Sub": function_arn}}}
    assert policy(role, "on-failure-destination")["Statement"][0]["Resource"] == {"Fn::GetAtt": ["OrderFailureDLQ", "Arn"]}
    names = [p["PolicyName"] for p in role["Properties"]["Policies"]]
    assert ("service-key" in names) == (case["kms"] == "customer-managed")
    assert ("vpc-network-interfaces" in names) == (case["vpc"] == "yes")
    if case["vpc"] == "yes":  # what Lambda checks the role for when it creates a VPC function
        statements = policy(role, "vpc-network-interfaces")["Statement"]
        granted = {action for s in statements for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
        assert granted == VPC_ACCESS_EC2_ACTIONS
    if case["kms"] == "customer-managed":
        via = policy(role, "service-key")["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"]
        assert via == [{"Fn::Sub": f"{service}.${{AWS::Region}}.amazonaws.com"} for service in ("dynamodb", "sqs")]


FUNCTION = """\
  {% call function.function("OrdersFunction", "orders", description="Orders", handler="handler.handler",
      rollback_alarms=["ErrorsAlarm", "FailedAlarm"], no_dlq_because="Poll-based.") %}
      {{ function.event_invoke_config("OrderFailureDLQ") }}
      Environment:
        Variables:
          TABLE: !Ref OrdersTable
  {%- endcall %}
"""


@pytest.mark.parametrize("case", SWITCH_CASES, ids=case_id)
def test_function(case: dict[str, str]) -> None:
    function = resources(FUNCTION, package_name="orders_service", **case)["OrdersFunction"]
    properties = function["Properties"]
    assert properties["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-orders"}
    assert properties["Handler"] == "orders_service.handler.handler"
    assert properties["Role"] == {"Fn::GetAtt": ["OrdersFunctionRole", "Arn"]}
    assert properties["AutoPublishAlias"] == "live"
    assert properties["DeploymentPreference"]["Alarms"] == [{"Ref": "ErrorsAlarm"}, {"Ref": "FailedAlarm"}]
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    assert properties["Environment"]["Variables"] == {"TABLE": {"Ref": "OrdersTable"}}
    invoke = properties["EventInvokeConfig"]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["OrderFailureDLQ", "Arn"]}
    assert ("CodeSigningConfigArn" in properties) == (case["code_signing"] == "yes")
    expected = {"CKV_AWS_115", "CKV_AWS_116"}
    expected |= {"CKV_AWS_117"} if case["vpc"] == "no" else set()
    expected |= {"CKV_AWS_173"} if case["kms"] == "aws-managed" else set()
    expected |= {"CKV_AWS_272"} if case["code_signing"] == "no" else set()
    assert checkov_skips(function) == expected
    assert all(skip["comment"] for skip in function["Metadata"]["checkov"]["skip"])


# --------------------------------------------------------------------------------------
# data.yaml.j2


SERVICE_KEY = """\
  {% call data.service_key("queues and logs", ["lambda", "sqs"], log_groups=LOG_GROUPS) %}
          - Sid: OwnStatement
            Effect: Allow
            Principal:
              Service: events.amazonaws.com
            Action: kms:Decrypt
            Resource: "*"
  {%- endcall %}
"""


@pytest.mark.parametrize(
    "log_groups", [["/aws/lambda/${AWS::StackName}-*"], ["/aws/lambda/${AWS::StackName}-*", "aws-waf-logs-${AWS::StackName}"]]
)
def test_service_key(log_groups: list[str]) -> None:
    found = resources(SERVICE_KEY.replace("LOG_GROUPS", repr(log_groups)))
    key = found["ServiceKey"]
    assert key["DeletionPolicy"] == "RetainExceptOnCreate", "a failed first create leaves no unused key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["Description"] == {"Fn::Sub": "Encrypts ${AWS::StackName} queues and logs."}
    statements = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert list(statements)[-2:] == ["OwnStatement", "CloudWatchAlarmsPublishToTheEncryptedTopic"]
    grants = statements["GrantsOnlyForAwsResources"]  # AWS Control Tower CT.KMS.PR.3
    assert (grants["Effect"], grants["Principal"], grants["Action"]) == ("Deny", {"AWS": "*"}, "kms:CreateGrant")
    assert grants["Condition"] == {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}}
    via = statements["AccountUsesTheKeyOnlyThroughTheseServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == [{"Fn::Sub": "lambda.${AWS::Region}.amazonaws.com"}, {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"}]
    logs = statements["CloudWatchLogsEncryptsThisStacksLogGroups"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    arns = [logs] if isinstance(logs, dict) else logs
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert [arn["Fn::Sub"] for arn in arns] == [prefix + group for group in log_groups]
    assert found["ServiceKeyAlias"]["Properties"]["TargetKeyId"] == {"Ref": "ServiceKey"}


TABLE = """\
  {% call data.table("OrdersTable") %}
      AttributeDefinitions:
        - AttributeName: pk
          AttributeType: S
      KeySchema:
        - AttributeName: pk
          KeyType: HASH
  {%- endcall %}

  {{ data.idempotency_table() }}
"""


@pytest.mark.parametrize("kms", SWITCHES["kms"])
def test_tables_are_retained_protected_encrypted_and_recoverable(kms: str) -> None:
    found = resources(TABLE, kms=kms)
    assert found["OrdersTable"]["Properties"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert found["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    for table in found.values():
        properties = table["Properties"]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        assert properties["DeletionProtectionEnabled"] is True
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"]["SSEType"] == "KMS"
        assert ("KMSMasterKeyId" in properties["SSESpecification"]) == (kms == "customer-managed")
        assert ("CKV_AWS_119" in checkov_skips(table)) == (kms == "aws-managed")


@pytest.mark.parametrize("kms", SWITCHES["kms"])
def test_on_failure_queue_is_encrypted_retained_and_tls_only(kms: str) -> None:
    found = resources('  {{ data.on_failure_queue("IntakeFailureDLQ", "intake-failures") }}\n', kms=kms)
    queue = found["IntakeFailureDLQ"]
    assert queue["DeletionPolicy"] == "RetainExceptOnCreate"
    instance = SAMPLE_STACK_UUID.split("-")[0]
    assert physical_name(queue["Properties"]["QueueName"], "docs") == f"docs-intake-failures-{instance}"
    assert queue["Properties"]["MessageRetentionPeriod"] == 1209600
    expected_key = {"Ref": "ServiceKey"} if kms == "customer-managed" else "alias/aws/sqs"
    assert queue["Properties"]["KmsMasterKeyId"] == expected_key
    (deny,) = found["IntakeFailureDLQPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Resource"] == {"Fn::GetAtt": ["IntakeFailureDLQ", "Arn"]}


# --------------------------------------------------------------------------------------
# policies.yaml.j2 and alarms.yaml.j2


QUEUE_POLICY = """\
  {% call policies.tls_only_queue_policy("QueuePolicy", ["OrdersQueue", "OrdersDeadLetterQueue"]) %}
          - Sid: Senders
            Effect: Allow
            Principal:
              Service: events.amazonaws.com
            Action: sqs:SendMessage
            Resource: !GetAtt OrdersQueue.Arn
  {%- endcall %}
"""


def test_tls_only_queue_policy_denies_plain_http_on_every_queue() -> None:
    found = resources(QUEUE_POLICY)["QueuePolicy"]["Properties"]
    assert found["Queues"] == [{"Ref": "OrdersQueue"}, {"Ref": "OrdersDeadLetterQueue"}]
    allow, deny = found["PolicyDocument"]["Statement"]
    assert allow["Sid"] == "Senders"
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": [{"Fn::GetAtt": ["OrdersQueue", "Arn"]}, {"Fn::GetAtt": ["OrdersDeadLetterQueue", "Arn"]}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize("kms", SWITCHES["kms"])
def test_alarm_topic_takes_only_this_accounts_alarms_over_tls(kms: str) -> None:
    found = resources("  {{ alarms.alarm_topic() }}\n", kms=kms)
    assert ("KmsMasterKeyId" in found["AlarmTopic"]["Properties"]) == (kms == "customer-managed")
    allow, deny = found["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert deny["Sid"] == "DenyInsecureTransport"
    assert deny["Resource"] == {"Ref": "AlarmTopic"}


ALARMS = """\
  {{ alarms.function_alarm("AgeAlarm", "Lagging.", "IteratorAge", "restock", statistic="Maximum", evaluation_periods=5, threshold=60000) }}

  {{ alarms.service_alarm("FailedAlarm", "Failed.", "ProcessingFailed", period=300, threshold=10) }}

  {{ alarms.queue_depth_alarm("DepthAlarm", "Waiting.", "OrdersDeadLetterQueue") }}

  {{ alarms.pipe_alarm("PipeAlarm", "Failing.", "ExecutionFailed", "changes") }}
"""


def test_alarms_notify_the_topic_with_their_metric() -> None:
    found = resources(ALARMS, project_slug="orders-svc")
    age, failed, depth, pipe = (
        found[name]["Properties"] for name in ("AgeAlarm", "FailedAlarm", "DepthAlarm", "PipeAlarm")
    )
    assert (age["Namespace"], age["MetricName"], age["Statistic"], age["EvaluationPeriods"], age["Threshold"]) == (
        "AWS/Lambda", "IteratorAge", "Maximum", 5, 60000
    )
    assert age["Dimensions"] == [{"Name": "FunctionName", "Value": {"Fn::Sub": "${AWS::StackName}-restock"}}]
    assert (failed["Namespace"], failed["Period"], failed["Threshold"]) == ("orders-svc", 300, 10)
    # Powertools' service is the stack: each stack alarms on its own metrics.
    assert failed["Dimensions"] == [{"Name": "service", "Value": {"Ref": "AWS::StackName"}}]
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["OrdersDeadLetterQueue", "QueueName"]}}]
    # EventBridge Pipes' namespace and dimension (user guide, monitoring pipes).
    assert (pipe["Namespace"], pipe["MetricName"], pipe["Statistic"]) == ("AWS/EventBridge/Pipes", "ExecutionFailed", "Sum")
    assert pipe["Dimensions"] == [{"Name": "PipeName", "Value": {"Fn::Sub": "${AWS::StackName}-changes"}}]
    for alarm in (age, failed, depth, pipe):
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["TreatMissingData"] == "notBreaching"


# --------------------------------------------------------------------------------------
# The structure: shared parts are called, not copied


def substantial_lines(path: Path) -> set[str]:
    """Lines of 25+ characters that are not comments: what a copy would repeat. Jinja statements
    (``{%- if cookiecutter.api_auth == "oidc" %}``) are not: two stacks that branch on one
    answer must each say so."""
    stripped = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in stripped if len(line) >= 25 and not line.startswith(("#", "{%"))}


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_variant_stack_copies_another(variant: str) -> None:
    lines = {name: substantial_lines(TEMPLATE_DIR / VARIANTS_DIR / name / "template.yaml") for name in VARIANTS}
    # An overlay and the event source it refines share their domain (tables, function, outputs)
    # by design; what they share with every other stack must still be a shared part.
    related = {variant, *(folder for folder, refined in REFINES.items() if refined["event_source"] == variant)}
    related |= {REFINES[variant]["event_source"]} if variant in REFINES else set()
    elsewhere = set().union(*(found for name, found in lines.items() if name not in related))
    shared = sorted(lines[variant] & elsewhere)
    print(f"{variant}: {len(shared)} of {len(lines[variant])} substantial lines also stand in another variant's stack")
    assert len(shared) <= MOST_SHARED_LINES, "\n".join(shared)


def test_the_shared_parts_never_reach_a_baked_project() -> None:
    # cookiecutter only walks the project folder: templates/ must stay outside it.
    assert STACK_PARTS_DIR.parent == TEMPLATE_DIR.parent
    assert not (TEMPLATE_DIR / "templates").exists()


# --------------------------------------------------------------------------------------
# backup.yaml.j2: the daily AWS Backup of the business tables (backups=yes)

BACKUP_TYPES = ("AWS::Backup::BackupVault", "AWS::Backup::BackupPlan", "AWS::Backup::BackupSelection")


def business_tables(template: dict[str, Any]) -> set[str]:
    """Every table of the stack but the idempotency records (they expire by TTL)."""
    return {name for name, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table" and name != "IdempotencyTable"}


def key_services(template: dict[str, Any]) -> list[str]:
    statements = template["Resources"]["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
    [use] = [s for s in statements if s.get("Sid") == "AccountUsesTheKeyOnlyThroughTheseServices"]
    return [entry["Fn::Sub"].split(".")[0] for entry in use["Condition"]["StringEquals"]["kms:ViaService"]]


@pytest.mark.parametrize("kms", SWITCHES["kms"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_backups_yes_backs_up_exactly_the_business_tables_daily(variant: str, kms: str) -> None:
    template = load_yaml(render_stack(**variant_answers(variant), kms=kms, backups="yes"))
    resources_ = template["Resources"]
    tables = business_tables(template)
    assert tables and "IdempotencyTable" in resources_
    [vault] = [name for name, r in resources_.items() if r["Type"] == "AWS::Backup::BackupVault"]
    [plan] = [r["Properties"]["BackupPlan"] for r in resources_.values() if r["Type"] == "AWS::Backup::BackupPlan"]
    [selection] = [r["Properties"] for r in resources_.values() if r["Type"] == "AWS::Backup::BackupSelection"]
    # Exactly the business tables, by ARN, with the stack's own backup role.
    chosen = selection["BackupSelection"]
    assert sorted(chosen["Resources"], key=str) == sorted(({"Fn::GetAtt": [t, "Arn"]} for t in tables), key=str)
    assert "Conditions" not in chosen and "ListOfTags" not in chosen and "NotResources" not in chosen
    assert chosen["IamRoleArn"] == {"Fn::GetAtt": ["BackupRole", "Arn"]}
    assert selection["BackupPlanId"] == {"Ref": "BackupPlan"}
    # Daily, into the vault, kept BackupRetentionInDays (bounded, 35 by default).
    [rule] = plan["BackupPlanRule"]
    assert rule["TargetBackupVault"] == {"Ref": vault}
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", rule["ScheduleExpression"]), "once a day"
    assert rule["Lifecycle"] == {"DeleteAfterDays": {"Ref": "BackupRetentionInDays"}}
    retention = template["Parameters"]["BackupRetentionInDays"]
    assert retention["Default"] == 35 and retention["Default"] in retention["AllowedValues"]
    assert min(retention["AllowedValues"]) >= 7 and max(retention["AllowedValues"]) <= 365
    # Encrypted with the stack's key, which lets the account use it through AWS Backup.
    properties = resources_[vault]["Properties"]
    if kms == "customer-managed":
        assert properties["EncryptionKeyArn"] == {"Fn::GetAtt": ["ServiceKey", "Arn"]}
        assert "backup" in key_services(template)
    else:
        assert "EncryptionKeyArn" not in properties, "no key: AWS Backup's AWS managed key"
        assert checkov_skips(resources_[vault]) == {"CKV_AWS_166"}
    # Nobody deletes a recovery point or shortens its retention.
    [deny] = properties["AccessPolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Resource"] == "*"
    assert set(deny["Action"]) == {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}
    assert "Condition" not in deny


@pytest.mark.parametrize("kms", SWITCHES["kms"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_the_backup_role_is_assumed_by_aws_backup_and_reaches_only_the_business_tables(variant: str, kms: str) -> None:
    template = load_yaml(render_stack(**variant_answers(variant), kms=kms, backups="yes"))
    role = template["Resources"]["BackupRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "the DynamoDB actions are written out, not AWS's policy for every service"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    tables = business_tables(template)
    table_arns = sorted(({"Fn::GetAtt": [t, "Arn"]} for t in tables), key=str)
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        assert statement["Resource"] != "*", statement
    [backup] = [s for s in statements if "dynamodb:StartAwsBackupJob" in s["Action"]]
    assert sorted(backup["Resource"], key=str) == table_arns
    assert "IdempotencyTable" not in str(statements)
    [restore] = [s for s in statements if "dynamodb:RestoreTableFromAwsBackup" in s["Action"]]
    assert restore["Resource"]["Fn::Sub"].endswith(":table/${AWS::StackName}-restore-*"), "restores only into new tables"
    keys = [s for s in statements if any(a.startswith("kms:") for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))]
    if kms == "customer-managed":
        assert keys and all(s["Resource"] == {"Fn::GetAtt": ["ServiceKey", "Arn"]} and "kms:ViaService" in s["Condition"]["StringEquals"] for s in keys)
    else:
        assert keys == []


@pytest.mark.parametrize("kms", SWITCHES["kms"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_backups_no_has_no_vault_plan_selection_or_role(variant: str, kms: str) -> None:
    template = load_yaml(render_stack(**variant_answers(variant), kms=kms, backups="no"))
    assert [name for name, r in template["Resources"].items() if r["Type"] in BACKUP_TYPES] == []
    assert "BackupRole" not in template["Resources"]
    assert "BackupRetentionInDays" not in template["Parameters"]
    if kms == "customer-managed":
        assert "backup" not in key_services(template)
    assert business_tables(template), "the tables stay, with point-in-time recovery"
