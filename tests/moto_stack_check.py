"""Create a SAM-transformed template as a stack in moto's CloudFormation, then report what
exists in the emulated account: the stack status, the event source mappings, the bucket
notifications, the EventBridge rules with their targets and the EventBridge pipes.

Runs in its own environment, never the template's (tests/test_moto_stacks.py calls it):

    uv run --no-project --with 'moto[cloudformation,...]==5.2.5' python tests/moto_stack_check.py \\
        build/template.transformed.json <variant>

moto does not model every resource type. Resources of an unsupported type are stripped
before the stack is created, each printed with the reason, never silently; a reference from
a kept resource to a stripped one is rewired only where an equivalent exists (a Lambda alias
becomes its function), printed too, and any other reference stops the run. Where moto
accepts a property but does not apply it (an S3 bucket's NotificationConfiguration), the
checker applies the template's own value through the service API after the stack is
created, and says so. An EventBridge pipe (AWS::Pipes::Pipe) has no CloudFormation model in
moto, but moto's Pipes API stores one (and never runs it): the checker strips it from the
stack, then creates it through that API with the template's properties resolved by moto's own
CloudFormation against the created stack, and says so. The last line of output is
``REPORT <json>``; the exit code is 0 when the stack reached CREATE_COMPLETE.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

# Before boto3 or moto are imported: fake credentials and a fixed region, nothing leaves the process.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "MOTO_ALLOW_NONEXISTENT_REGION": "false",
    }
)

import boto3
import moto
from moto import mock_aws
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import NULL_MODELS, clean_json, get_model_map
from moto.core import DEFAULT_ACCOUNT_ID

# Where scripts/sam_transform.py points every CodeUri.
PLACEHOLDER_BUCKET = "placeholder-artifacts-bucket"
PLACEHOLDER_KEY = "code.zip"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
ALIAS_TYPE = "AWS::Lambda::Alias"
POWERTOOLS_LAYER_PARAMETERS = "/aws/service/powertools/"
# moto 5.2.5 gives no physical id to these models, so a Ref yields the model object; in
# CloudFormation their Ref is the value of this property.
REF_IS_NAME = {"AWS::Events::EventBus": "Name"}
REGION = "eu-west-1"
PIPE_TYPE = "AWS::Pipes::Pipe"

Template = dict[str, Any]


def say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------- preparing the template
def unsupported_resources(template: Template) -> dict[str, str]:
    """Logical id -> type, for every resource moto's CloudFormation cannot create."""
    supported = set(get_model_map())
    return {
        name: resource["Type"]
        for name, resource in template.get("Resources", {}).items()
        if resource["Type"] not in supported
        and resource["Type"] not in NULL_MODELS
        and not resource["Type"].startswith("Custom::")
    }


def alias_targets(template: Template, stripped: dict[str, str]) -> dict[str, str]:
    """Stripped alias logical id -> the logical id of the function it points to."""
    targets = {}
    for name, resource_type in stripped.items():
        function = template["Resources"][name].get("Properties", {}).get("FunctionName")
        if resource_type == ALIAS_TYPE and isinstance(function, dict) and "Ref" in function:
            targets[name] = function["Ref"]
    return targets


def rewire(value: Any, where: str, stripped: dict[str, str], aliases: dict[str, str]) -> Any:
    """Replace references to stripped resources; fail on one that has no equivalent."""
    if isinstance(value, list):
        return [rewire(item, where, stripped, aliases) for item in value]
    if not isinstance(value, dict):
        if isinstance(value, str) and any(f"${{{name}" in value for name in stripped):
            raise SystemExit(f"{where}: Fn::Sub text names a stripped resource: {value!r}")
        return value
    if set(value) == {"Ref"} and value["Ref"] in stripped:
        name = value["Ref"]
        if name in aliases:
            say(f"rewired  {where}: Ref {name} -> Fn::GetAtt {aliases[name]}.Arn (the alias's function)")
            return {"Fn::GetAtt": [aliases[name], "Arn"]}
        raise SystemExit(f"{where}: Ref to stripped {stripped[name]} {name} has no equivalent moto can create")
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in stripped:
        raise SystemExit(f"{where}: Fn::GetAtt of stripped {stripped[value['Fn::GetAtt'][0]]} {value['Fn::GetAtt'][0]}")
    return {key: rewire(item, where, stripped, aliases) for key, item in value.items()}


def refs_by_name(value: Any, where: str, names: dict[str, Any]) -> Any:
    """Replace ``Ref`` of the resources in ``names`` with their name property's value."""
    if isinstance(value, list):
        return [refs_by_name(item, where, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in names:
        say(f"rewired  {where}: Ref {value['Ref']} -> its name (moto returns the model object for this Ref)")
        return names[value["Ref"]]
    return {key: refs_by_name(item, where, names) for key, item in value.items()}


def nested_values(value: Any) -> list[Any]:
    """Every dict and list nested in a value, the value included."""
    found = [value]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for child in children:
        found += nested_values(child)
    return found


def named_refs(template: Template) -> dict[str, Any]:
    """Resources whose ``Ref`` is their name in CloudFormation but an object in moto."""
    names = {}
    for name, resource in template["Resources"].items():
        property_name = REF_IS_NAME.get(resource["Type"])
        if property_name is None:
            continue
        if property_name not in resource.get("Properties", {}):
            raise SystemExit(f"{name}: {resource['Type']} without {property_name}; moto cannot Ref it")
        names[name] = resource["Properties"][property_name]
    return names


def prepared(template: Template) -> tuple[Template, list[dict[str, str]]]:
    """The template moto can create, and the list of what was stripped and why."""
    stripped = unsupported_resources(template)
    reason = f"moto {moto.__version__} CloudFormation has no model for this type"
    removed = [
        {"logical_id": name, "type": resource_type, "reason": reason} for name, resource_type in stripped.items()
    ]
    for entry in removed:
        say(f"stripped {entry['logical_id']} ({entry['type']}): {entry['reason']}")
    aliases = alias_targets(template, stripped)
    resources = {}
    for name, resource in template["Resources"].items():
        if name in stripped:
            continue
        resource = dict(resource)
        depends = resource.get("DependsOn")
        if depends is not None:
            kept = [item for item in ([depends] if isinstance(depends, str) else depends) if item not in stripped]
            for gone in set([depends] if isinstance(depends, str) else depends) - set(kept):
                say(f"rewired  {name}: DependsOn {gone} dropped (stripped)")
            resource["DependsOn"] = kept
            if not kept:
                del resource["DependsOn"]
        resource.pop("UpdatePolicy", None)  # CodeDeploy traffic shifting: not modelled by moto
        resources[name] = rewire(resource, name, stripped, aliases)
    outputs = {}
    for name, output in template.get("Outputs", {}).items():
        try:
            outputs[name] = rewire(output, f"Outputs.{name}", stripped, aliases)
        except SystemExit as error:
            say(f"stripped output {name}: {error}")
    names = named_refs({"Resources": resources})
    for name, resource in resources.items():
        referenced = sorted(target for target in names if {"Ref": target} in nested_values(resource))
        if referenced:
            resource = refs_by_name(resource, name, names)
            depends = resource.get("DependsOn", [])
            resource["DependsOn"] = sorted({*([depends] if isinstance(depends, str) else depends), *referenced})
            say(f"rewired  {name}: DependsOn {', '.join(referenced)} added (the Ref that ordered creation is gone)")
            resources[name] = resource
    outputs = {name: refs_by_name(output, f"Outputs.{name}", names) for name, output in outputs.items()}
    result = dict(template) | {"Resources": resources, "Outputs": outputs}
    return result, removed


def deferred_notifications(template: Template) -> dict[str, Any]:
    """Bucket logical id -> NotificationConfiguration: moto's AWS::S3::Bucket accepts the
    property but does not apply it, so the checker applies it after the stack exists."""
    deferred = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket" and "NotificationConfiguration" in resource.get("Properties", {}):
            deferred[name] = resource["Properties"]["NotificationConfiguration"]
            say(
                f"deferred {name}.NotificationConfiguration: moto's AWS::S3::Bucket does not apply it;"
                " the checker applies the template's value through the S3 API once the stack exists"
            )
    return deferred


def deferred_pipes(template: Template) -> dict[str, Any]:
    """Pipe logical id -> its properties, from the template as given (before it is stripped)."""
    deferred = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == PIPE_TYPE:
            deferred[name] = resource["Properties"]
            say(
                f"deferred {name} ({PIPE_TYPE}): moto {moto.__version__} has no CloudFormation model for it, but its"
                " Pipes API stores a pipe (and never runs one: no record is read or delivered); the checker creates"
                " it through that API, its properties resolved by moto's CloudFormation against the created stack"
            )
    return deferred


# ---------------------------------------------------------------------------- creating the stack
def seed_public_parameters(template: Template) -> None:
    """moto resolves AWS::SSM::Parameter::Value parameters from its own, empty, parameter
    store, where /aws/ names are reserved. The public Powertools layer parameter is pointed
    at a parameter of the emulated account holding the ARN of a placeholder layer published
    there (moto checks that a function's layers exist); any other SSM-typed default stops the run."""
    ssm = boto3.client("ssm")
    for name, parameter in template.get("Parameters", {}).items():
        path = parameter.get("Default")
        if not parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value") or not path:
            continue
        if not path.startswith(POWERTOOLS_LAYER_PARAMETERS):
            raise SystemExit(f"parameter {name}: no placeholder for the SSM parameter {path}")
        layer = boto3.client("lambda").publish_layer_version(
            LayerName="powertools-placeholder", Content={"ZipFile": placeholder_code()}
        )["LayerVersionArn"]
        placeholder = f"/placeholder{path.removeprefix('/aws')}"
        ssm.put_parameter(Name=placeholder, Value=layer, Type="String")
        parameter["Default"] = placeholder
        say(
            f"seeded   {name}: default {path} -> {placeholder}, holding placeholder layer {layer}"
            " (the real layer is public, in account 017000801446)"
        )


def placeholder_code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def create_stack(template: Template, stack_name: str) -> tuple[str, dict[str, dict[str, str]]]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=PLACEHOLDER_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=PLACEHOLDER_BUCKET, Key=PLACEHOLDER_KEY, Body=placeholder_code())
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources = {
        item["LogicalResourceId"]: {"type": item["ResourceType"], "physical_id": item.get("PhysicalResourceId", "")}
        for item in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    return stack["StackStatus"], resources


def resolve(value: Any, resources: dict[str, dict[str, str]]) -> Any:
    """Resolve the intrinsic functions a bucket notification uses, against the created stack."""
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return resources[value["Ref"]]["physical_id"]
    if set(value) == {"Fn::GetAtt"}:
        name, attribute = value["Fn::GetAtt"]
        if attribute == "Arn" and resources[name]["type"] == "AWS::Lambda::Function":
            arn: str = boto3.client("lambda").get_function(FunctionName=resources[name]["physical_id"])[
                "Configuration"
            ]["FunctionArn"]
            return arn
        raise SystemExit(f"cannot resolve Fn::GetAtt {name}.{attribute} in a bucket notification")
    if any(key.startswith("Fn::") for key in value):
        raise SystemExit(f"cannot resolve {sorted(value)} in a bucket notification")
    return {key: resolve(item, resources) for key, item in value.items()}


def apply_notifications(deferred: dict[str, Any], resources: dict[str, dict[str, str]]) -> None:
    s3 = boto3.client("s3")
    for name, configuration in deferred.items():
        bucket = resources[name]["physical_id"]
        existing = s3.get_bucket_notification_configuration(Bucket=bucket)
        if any(key.endswith("Configurations") for key in existing):
            say(f"found    {name}.NotificationConfiguration applied by moto itself; not applied again")
            continue
        resolved = resolve(configuration, resources)
        api = {
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": item["Function"], "Events": [item["Event"]]}
                | ({"Filter": {"Key": {"FilterRules": item["Filter"]["S3Key"]["Rules"]}}} if "Filter" in item else {})
                for item in resolved.get("LambdaConfigurations", [])
            ]
        }
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=api)
        say(f"applied  {name}.NotificationConfiguration through the S3 API")


def api_value(value: Any, shape: Any) -> Any:
    """A resolved property as the API's input shape wants it: CloudFormation passes a Number
    parameter as text, which the property's integer field takes."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {key: api_value(item, shape.members[key]) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [api_value(item, shape.member) for item in value]
    if shape.type_name in ("integer", "long") and isinstance(value, str):
        return int(value)
    return value


def create_pipes(deferred: dict[str, Any], stack_name: str) -> None:
    if not deferred:
        return
    [stack] = [
        stack
        for stack in cloudformation_backends[DEFAULT_ACCOUNT_ID][REGION].stacks.values()
        if stack.name == stack_name
    ]
    pipes = boto3.client("pipes")
    shape = pipes.meta.service_model.operation_model("CreatePipe").input_shape
    for name, properties in deferred.items():
        resolved = api_value(clean_json(properties, stack.resource_map), shape)
        pipes.create_pipe(**resolved)
        say(f"created  {name} through moto's Pipes API as {resolved['Name']}")


# ---------------------------------------------------------------------------- what exists
def event_source_mappings() -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    return [
        {
            key: mapping.get(key)
            for key in (
                "EventSourceArn",
                "FunctionArn",
                "FilterCriteria",
                "FunctionResponseTypes",
                "DestinationConfig",
                "BatchSize",
                "MaximumBatchingWindowInSeconds",
                "ScalingConfig",
                "BisectBatchOnFunctionError",
                "MaximumRetryAttempts",
                "MaximumRecordAgeInSeconds",
            )
        }
        for mapping in mappings
    ]


def bucket_notifications(resources: dict[str, dict[str, str]]) -> dict[str, Any]:
    s3 = boto3.client("s3")
    found = {}
    for name, resource in resources.items():
        if resource["type"] == "AWS::S3::Bucket":
            configuration = s3.get_bucket_notification_configuration(Bucket=resource["physical_id"])
            configuration.pop("ResponseMetadata", None)
            found[name] = configuration
    return found


def rules() -> list[dict[str, Any]]:
    events = boto3.client("events")
    found = []
    for bus in events.list_event_buses()["EventBuses"]:
        for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]:
            targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
            found.append(
                {
                    "Name": rule["Name"],
                    "EventBusName": bus["Name"],
                    "EventPattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
                    "State": rule.get("State"),
                    "Targets": targets,
                }
            )
    return found


def created_pipes() -> list[dict[str, Any]]:
    client = boto3.client("pipes")
    found = []
    for listed in client.list_pipes()["Pipes"]:
        pipe = client.describe_pipe(Name=listed["Name"])
        pipe.pop("ResponseMetadata", None)
        found.append(pipe)
    return found


def table_streams(resources: dict[str, dict[str, str]]) -> dict[str, str | None]:
    """Table logical id -> the stream ARN DynamoDB gives the table."""
    dynamodb = boto3.client("dynamodb")
    return {
        name: dynamodb.describe_table(TableName=resource["physical_id"])["Table"].get("LatestStreamArn")
        for name, resource in resources.items()
        if resource["type"] == "AWS::DynamoDB::Table"
    }


def role_arns(resources: dict[str, dict[str, str]]) -> dict[str, str]:
    iam = boto3.client("iam")
    return {
        name: iam.get_role(RoleName=resource["physical_id"])["Role"]["Arn"]
        for name, resource in resources.items()
        if resource["type"] == "AWS::IAM::Role"
    }


def queues() -> dict[str, dict[str, Any]]:
    """Queue ARN -> URL, redrive policy and key, to match mappings and dead-letter configs to queues."""
    sqs = boto3.client("sqs")
    found = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = attributes.get("RedrivePolicy")
        found[attributes["QueueArn"]] = {
            "url": url,
            "RedrivePolicy": json.loads(redrive) if redrive else None,
            "KmsMasterKeyId": attributes.get("KmsMasterKeyId"),
        }
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    template, variant = json.loads(Path(argv[1]).read_text(encoding="utf-8")), argv[2]
    with mock_aws():
        pipes = deferred_pipes(template)
        creatable, stripped = prepared(template)
        deferred = deferred_notifications(creatable)
        seed_public_parameters(creatable)
        status, resources = create_stack(creatable, f"moto-{variant}")
        say(f"stack    moto-{variant}: {status}, {len(resources)} resources")
        if status == "CREATE_COMPLETE":
            apply_notifications(deferred, resources)
            create_pipes(pipes, f"moto-{variant}")
        report = {
            "variant": variant,
            "moto": moto.__version__,
            "status": status,
            "stripped": stripped,
            "resources": resources,
            "event_source_mappings": event_source_mappings(),
            "bucket_notifications": bucket_notifications(resources),
            "rules": rules(),
            "pipes": created_pipes(),
            "deferred_pipes": sorted(pipes),
            "table_streams": table_streams(resources),
            "roles": role_arns(resources),
            "event_buses": {bus["Name"]: bus["Arn"] for bus in boto3.client("events").list_event_buses()["EventBuses"]},
            "queues": queues(),
            "lambda_functions": [
                function["FunctionArn"] for function in boto3.client("lambda").list_functions()["Functions"]
            ],
        }
    print("REPORT " + json.dumps(report, default=str), flush=True)
    return 0 if status == "CREATE_COMPLETE" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
