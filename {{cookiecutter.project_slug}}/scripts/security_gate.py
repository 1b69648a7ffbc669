"""Our own security rules, for what checkov and cfn-lint do not see or do not check.

Reads the source template (for suppressions) and the SAM-transformed template (for
everything else, because SAM Globals, the generated API and roles exist only there).
Prints one line per finding and exits 1 when there is any.

Usage: python scripts/security_gate.py template.yaml build/template.transformed.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

Template = dict[str, Any]
MIN_REASON_LENGTH = 20

# Actions that AWS only grants on Resource "*", with the reason. Nothing else may use "*".
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
    "cloudwatch:PutMetricData": "CloudWatch metrics have no resource-level permissions",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe actions have no resource-level permissions",
    # The deployment role (pipeline/bootstrap.yaml) creates what has no ARN before it exists.
    "ec2:DescribeSecurityGroups": "EC2 Describe actions have no resource-level permissions",
    "ec2:DescribeSubnets": "EC2 Describe actions have no resource-level permissions",
    "ec2:DescribeVpcs": "EC2 Describe actions have no resource-level permissions",
    "kms:CreateKey": "a key has no ARN before it exists (scope it with aws:RequestTag)",
    "cognito-idp:CreateUserPool": "a user pool has no ARN before it exists (scope it with aws:RequestTag)",
    "appsync:CreateGraphqlApi": "a GraphQL API has no ARN before it exists (scope it with aws:RequestTag)",
    "appsync:TagResource": "tagging a GraphQL API as it is created (scope it with aws:RequestTag)",
    # The GraphQL API's schema, data sources and resolvers: no resource type in AppSync's authorization reference.
    "appsync:CreateDataSource": "AppSync gives this action no resource type",
    "appsync:CreateResolver": "AppSync gives this action no resource type",
    "appsync:DeleteDataSource": "AppSync gives this action no resource type",
    "appsync:DeleteResolver": "AppSync gives this action no resource type",
    "appsync:GetDataSource": "AppSync gives this action no resource type",
    "appsync:GetGraphqlApiEnvironmentVariables": "AppSync gives this action no resource type",
    "appsync:GetResolver": "AppSync gives this action no resource type",
    "appsync:GetSchemaCreationStatus": "AppSync gives this action no resource type",
    "appsync:PutGraphqlApiEnvironmentVariables": "AppSync gives this action no resource type",
    "appsync:StartSchemaCreation": "AppSync gives this action no resource type",
    "appsync:UpdateDataSource": "AppSync gives this action no resource type",
    "appsync:UpdateResolver": "AppSync gives this action no resource type",
    "lambda:CreateCodeSigningConfig": "Lambda has no resource-level permissions for this action",
    # pragma: allowlist nextline secret - an IAM action name
    "secretsmanager:GetRandomPassword": "Secrets Manager has no resource-level permissions for this action",
    "logs:CreateLogDelivery": "CloudWatch Logs vended log delivery has no resource-level permissions",
    "logs:DeleteLogDelivery": "CloudWatch Logs vended log delivery has no resource-level permissions",
    "logs:GetLogDelivery": "CloudWatch Logs vended log delivery has no resource-level permissions",
    "logs:ListLogDeliveries": "CloudWatch Logs vended log delivery has no resource-level permissions",
    "logs:UpdateLogDelivery": "CloudWatch Logs vended log delivery has no resource-level permissions",
    "logs:DescribeResourcePolicies": "CloudWatch Logs resource policies have no resource-level permissions",
    "logs:PutResourcePolicy": "CloudWatch Logs resource policies have no resource-level permissions",
    "backup-storage:MountCapsule": "AWS Backup storage has no resource-level permissions",
}
POLICY_PROPERTIES = ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")


def resources(template: Template, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") in types:
            yield name, resource.get("Properties", {})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def refers_to(value: Any, name: str) -> bool:
    """True when a property value mentions resource `name` (Ref, GetAtt or Sub)."""
    text = json.dumps(value)
    return any(token in text for token in (f'"Ref": "{name}"', f'"{name}"', f"${{{name}}}", f"${{{name}."))


# ---------------------------------------------------------------------------- IAM
def policy_documents(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for key in POLICY_PROPERTIES:
            if isinstance(properties.get(key), dict):
                yield name, properties[key]
        for policy in properties.get("Policies", []) if isinstance(properties.get("Policies"), list) else []:
            if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
                yield name, policy["PolicyDocument"]


def statements(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, document in policy_documents(template):
        for statement in as_list(document.get("Statement", [])):
            if isinstance(statement, dict):
                yield name, statement


def star_action_findings(template: Template) -> list[str]:
    return [
        f"{name}: IAM statement grants a wildcard action {action!r}"
        for name, statement in statements(template)
        if statement.get("Effect") == "Allow"
        for action in as_list(statement.get("Action", []))
        if isinstance(action, str) and "*" in action
    ]


def star_resource_findings(template: Template) -> list[str]:
    findings = []
    key_policies = {id(props["KeyPolicy"]) for _, props in resources(template, "AWS::KMS::Key") if "KeyPolicy" in props}
    for name, document in policy_documents(template):
        if id(document) in key_policies:
            continue  # in a key policy, Resource "*" means "this key"
        findings += star_resource_statement_findings(name, document)
    return findings


def star_resource_statement_findings(name: str, document: dict[str, Any]) -> list[str]:
    findings = []
    for statement in as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource", [])):
            continue
        unexplained = [action for action in as_list(statement.get("Action", [])) if action not in STAR_RESOURCE_ACTIONS]
        if unexplained:
            findings.append(f"{name}: Resource '*' for {unexplained}; scope it or add the action with a reason")
    return findings


def permission_findings(template: Template) -> list[str]:
    return [
        f"{name}: Lambda permission for {properties.get('Principal')} has no SourceArn condition"
        for name, properties in resources(template, "AWS::Lambda::Permission")
        if "SourceArn" not in properties
    ]


# ---------------------------------------------------------------------------- functions
def function_findings(template: Template) -> list[str]:
    findings = []
    log_groups = {group for group, props in resources(template, "AWS::Logs::LogGroup") if "RetentionInDays" in props}
    aliases = [props for _, props in resources(template, "AWS::Lambda::Alias")]
    for name, properties in resources(template, "AWS::Lambda::Function"):
        if properties.get("TracingConfig", {}).get("Mode") != "Active":
            findings.append(f"{name}: function without active X-Ray tracing")
        if properties.get("LoggingConfig", {}).get("LogGroup") not in [{"Ref": group} for group in log_groups]:
            findings.append(f"{name}: function without its own log group with retention (LoggingConfig.LogGroup)")
        if not any(refers_to(alias.get("FunctionName"), name) for alias in aliases):
            findings.append(f"{name}: function without an alias (AutoPublishAlias)")
    return findings


def signed_layer_findings(template: Template) -> list[str]:
    """Under a code signing config Lambda refuses every layer the allowed profiles did not
    sign: only layers this stack publishes (signed with the package) can pass."""
    own_layers = {name for name, _ in resources(template, "AWS::Lambda::LayerVersion")}
    findings = []
    for name, properties in resources(template, "AWS::Lambda::Function"):
        if "CodeSigningConfigArn" not in properties:
            continue
        for layer in as_list(properties.get("Layers", [])):
            if not any(refers_to(layer, own) for own in own_layers):
                findings.append(f"{name}: layer {json.dumps(layer)} under code signing is not signed by this stack")
    return findings


# ---------------------------------------------------------------------------- names
# The property that names a resource, per type whose names are unique in an account and region.
NAME_PROPERTIES = {
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Events::EventBus": "Name",
    "AWS::KMS::Alias": "AliasName",
    "AWS::SecretsManager::Secret": "Name",  # pragma: allowlist secret - a resource type, not a secret
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Backup::BackupVault": "BackupVaultName",
}


def names_a_stack_instance(value: Any, template: Template) -> bool:
    """Whether a name changes when the stack is created again: it holds the stack id, or the
    id of a resource of the stack (an API's id, say)."""
    if isinstance(value, dict):
        if value.get("Ref") == "AWS::StackId" or value.get("Ref") in template.get("Resources", {}):
            return True
        if isinstance(value.get("Fn::Sub"), str):
            return any(f"${{{name}" in value["Fn::Sub"] for name in template.get("Resources", {}))
        return any(names_a_stack_instance(item, template) for item in value.values())
    if isinstance(value, list):
        return any(names_a_stack_instance(item, template) for item in value)
    return False


def retained_name_findings(template: Template) -> list[str]:
    """A retained resource outlives `sam delete` (and, with Retain, a failed first create):
    with a fixed name, the next create of the same stack fails with "already exists"."""
    findings = []
    for name, resource in template.get("Resources", {}).items():
        property_name = NAME_PROPERTIES.get(resource.get("Type", ""))
        physical = resource.get("Properties", {}).get(property_name) if property_name else None
        retained = resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
        if retained and physical is not None and not names_a_stack_instance(physical, template):
            findings.append(
                f"{name}: retained with a fixed name; the stack's next create collides with it"
                " (end the name with part of AWS::StackId)"
            )
    return findings


# ---------------------------------------------------------------------------- API
def api_method_findings(template: Template) -> list[str]:
    findings = []
    for name, properties in resources(template, "AWS::ApiGateway::RestApi"):
        for path, methods in properties.get("Body", {}).get("paths", {}).items():
            for verb, operation in methods.items():
                schemes = method_schemes(operation)
                if "api_key" not in schemes:
                    findings.append(f"{name}: {verb.upper()} {path} does not require an API key")
                if not schemes - {"api_key"}:
                    findings.append(f"{name}: {verb.upper()} {path} has no authorizer")
    return findings


def lambda_authorizers(api: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The API's Lambda authorizers (TOKEN or REQUEST): security scheme name -> its x-amazon-apigateway-authorizer."""
    schemes = api.get("Body", {}).get("securityDefinitions", {})
    return {
        name: scheme["x-amazon-apigateway-authorizer"]
        for name, scheme in schemes.items()
        if scheme.get("x-amazon-apigateway-authorizer", {}).get("type") in ("token", "request")
    }


def authorizer_function(authorizer: dict[str, Any]) -> Any:
    """What the authorizer's URI invokes: the value SAM substitutes for the function in
    Fn::Sub [".../functions/${__FunctionArn__}/invocations", {...}] (None when it is not that form)."""
    uri = authorizer.get("authorizerUri")
    parts = uri.get("Fn::Sub") if isinstance(uri, dict) else None
    if isinstance(parts, list) and len(parts) == 2 and isinstance(parts[1], dict) and len(parts[1]) == 1:
        return next(iter(parts[1].values()))
    return None


def authorizer_permission_findings(template: Template, api: str, scheme: str, function: Any) -> list[str]:
    """API Gateway invokes the authorizer with the function's resource policy: a permission for
    this API's authorizers only (SourceArn .../<api id>/authorizers/...), or anyone's API could."""
    permissions = [
        properties
        for _, properties in resources(template, "AWS::Lambda::Permission")
        if properties.get("Principal") == "apigateway.amazonaws.com" and properties.get("FunctionName") == function
    ]
    if not permissions:
        return [f"{api}: authorizer {scheme}: no permission lets API Gateway invoke {json.dumps(function)}"]
    return [
        f"{api}: authorizer {scheme}: the invoke permission is not scoped to this API's authorizers"
        f" (SourceArn {json.dumps(permission.get('SourceArn'))})"
        for permission in permissions
        if not names_authorizers_of(permission.get("SourceArn"), api)
    ]


def names_authorizers_of(source_arn: Any, api: str) -> bool:
    return refers_to(source_arn, api) and "/authorizers/" in json.dumps(source_arn)


def method_schemes(operation: dict[str, Any]) -> set[str]:
    return {scheme for requirement in operation.get("security", []) for scheme in requirement}


def lambda_authorizer_findings(template: Template) -> list[str]:
    """A Lambda authorizer on every method, a TOKEN authorizer that refuses malformed headers
    before it runs, and an invoke permission for this API alone."""
    findings = []
    for name, properties in resources(template, "AWS::ApiGateway::RestApi"):
        authorizers = lambda_authorizers(properties)
        for path, methods in properties.get("Body", {}).get("paths", {}).items() if authorizers else []:
            for verb, operation in methods.items():
                if not method_schemes(operation) & set(authorizers):
                    findings.append(f"{name}: {verb.upper()} {path} has no Lambda authorizer")
        for scheme, authorizer in authorizers.items():
            if authorizer["type"] == "token" and not authorizer.get("identityValidationExpression"):
                findings.append(f"{name}: authorizer {scheme} has no ValidationExpression for its token")
            findings += authorizer_permission_findings(template, name, scheme, authorizer_function(authorizer))
    return findings


PRIVATE_SOURCE_IP = (
    "a private API's resource policy conditions on aws:SourceIp, which requests through a VPC endpoint"
    " never carry (a negated condition then denies everyone): use aws:VpcSourceIp"
)
ANY_ACCOUNT = (
    "an IAM-authorized API allows Principal '*': principals of any AWS account whose own policy allows"
    " execute-api:Invoke could call it; name this account or condition on aws:PrincipalAccount"
)
ACCOUNT_KEYS = ("aws:PrincipalAccount", "aws:PrincipalOrgID")


def allows_anyone(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    anyone = principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))
    return statement.get("Effect") == "Allow" and anyone


def is_sigv4(api: dict[str, Any]) -> bool:
    schemes = api.get("Body", {}).get("securityDefinitions", {}).values()
    return any(scheme.get("x-amazon-apigateway-authtype") == "awsSigv4" for scheme in schemes)


def api_policy_statement_findings(statement: dict[str, Any], private: bool, sigv4: bool) -> list[str]:
    condition = json.dumps(statement.get("Condition", {}))
    findings = [PRIVATE_SOURCE_IP] if private and "aws:SourceIp" in condition else []
    if sigv4 and allows_anyone(statement) and not any(key in condition for key in ACCOUNT_KEYS):
        findings.append(ANY_ACCOUNT)
    return findings


def api_policy_findings(template: Template) -> list[str]:
    """Resource policies that deploy fine and then refuse everyone, or let in anyone."""
    findings = []
    for name, properties in resources(template, "AWS::ApiGateway::RestApi"):
        policy = properties.get("Body", {}).get("x-amazon-apigateway-policy") or properties.get("Policy") or {}
        private = "PRIVATE" in properties.get("EndpointConfiguration", {}).get("Types", [])
        sigv4 = is_sigv4(properties)
        for statement in as_list(policy.get("Statement", [])):
            findings += [f"{name}: {finding}" for finding in api_policy_statement_findings(statement, private, sigv4)]
    return findings


# ---------------------------------------------------------------------------- edge
# A distribution in front of a REST API protects nothing when the API answers without it:
# the stage's web ACL must block, first, every request without the header CloudFront adds.
UNGUARDED_ORIGIN = (
    "the API behind the CloudFront distribution answers requests that bypass it: associate a web ACL"
    " with the stage whose first rule blocks requests without the origin header's exact value"
)


def branches(node: Any) -> list[Any]:
    """Both values of a top-level Fn::If, or the value."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        return list(node["Fn::If"][1:])
    return [node]


def exact_header_values(statement: dict[str, Any], header: str) -> list[Any]:
    """What an EXACTLY ByteMatch on `header` (or an Or of them) accepts."""
    if "OrStatement" in statement:
        inners = statement["OrStatement"]["Statements"]
        return [value for inner in inners for value in exact_header_values(inner, header)]
    match = statement.get("ByteMatchStatement", {})
    field = match.get("FieldToMatch", {}).get("SingleHeader", {}).get("Name", "")
    exact = match.get("PositionalConstraint") == "EXACTLY" and field.lower() == header.lower()
    return [match["SearchString"]] if exact else []


def guards_origin(acl: dict[str, Any], header: str, sent: list[Any]) -> bool:
    """The ACL's first rule blocks every request whose `header` is not one of the values CloudFront `sent`."""
    rules = sorted(acl.get("Rules", []), key=lambda rule: rule.get("Priority", 0))
    if not rules or rules[0].get("Action") != {"Block": {}} or "NotStatement" not in rules[0].get("Statement", {}):
        return False
    refused = rules[0]["Statement"]["NotStatement"]["Statement"]
    accepted = [value for branch in branches(refused) for value in exact_header_values(branch, header)]
    return bool(accepted) and all(value in accepted for value in sent)


def stage_acls(template: Template) -> list[dict[str, Any]]:
    """The web ACLs associated with an API Gateway stage of the stack."""
    associations = resources(template, "AWS::WAFv2::WebACLAssociation")
    on_stages = [props for _, props in associations if "/stages/" in json.dumps(props.get("ResourceArn"))]
    names = [props["WebACLArn"]["Fn::GetAtt"][0] for props in on_stages if "Fn::GetAtt" in props.get("WebACLArn", {})]
    return [template["Resources"][name].get("Properties", {}) for name in names if name in template["Resources"]]


def edge_origin_findings(template: Template) -> list[str]:
    findings = []
    acls = stage_acls(template)
    for name, properties in resources(template, "AWS::CloudFront::Distribution"):
        for origin in properties.get("DistributionConfig", {}).get("Origins", []):
            if "execute-api" not in json.dumps(origin.get("DomainName")):
                continue
            sent = [
                (header["HeaderName"], branches(header["HeaderValue"]))
                for header in origin.get("OriginCustomHeaders", [])
            ]
            if not any(guards_origin(acl, header, values) for header, values in sent for acl in acls):
                findings.append(f"{name}: {UNGUARDED_ORIGIN}")
    return findings


# ---------------------------------------------------------------------------- GraphQL
# What a GraphQL API must set: each finding names what its absence lets through.
GRAPHQL_SETTINGS = {
    "QueryDepthLimit": "queries of any depth reach the resolvers",
    "ResolverCountLimit": "one request can invoke any number of resolvers",
    "IntrospectionConfig": "introspection is on, so any caller can read the schema",
}


def open_id_connect_findings(name: str, modes: list[dict[str, Any]]) -> list[str]:
    """An OIDC mode must name the audience: without ClientId, AppSync takes any client's tokens."""
    oidc = [mode for mode in modes if mode.get("AuthenticationType") == "OPENID_CONNECT"]
    return [
        f"{name}: an OPENID_CONNECT mode without ClientId takes tokens issued to any client of the issuer"
        for mode in oidc
        if not mode.get("OpenIDConnectConfig", {}).get("ClientId")
    ]


def graphql_api_findings(name: str, properties: dict[str, Any]) -> list[str]:
    providers = properties.get("AdditionalAuthenticationProviders", [])
    modes = [properties.get("AuthenticationType")] + [provider.get("AuthenticationType") for provider in providers]
    findings = [f"{name}: an API_KEY authorization mode is not authorization" for mode in modes if mode == "API_KEY"]
    findings += open_id_connect_findings(name, [properties, *providers])
    findings += [f"{name}: no {key}: {risk}" for key, risk in GRAPHQL_SETTINGS.items() if key not in properties]
    log = properties.get("LogConfig", {})
    if log.get("FieldLogLevel") in (None, "NONE"):
        findings.append(f"{name}: no field logs (LogConfig.FieldLogLevel)")
    if log.get("ExcludeVerboseContent") is not True:
        findings.append(f"{name}: field logs would hold headers and payloads (LogConfig.ExcludeVerboseContent)")
    return findings


def graphql_findings(template: Template) -> list[str]:
    """GraphQL APIs that take an API key as authorization, unbounded queries, or log bodies."""
    findings = [f"{name}: an API key is not authorization" for name, _ in resources(template, "AWS::AppSync::ApiKey")]
    for name, properties in resources(template, "AWS::AppSync::GraphQLApi"):
        findings += graphql_api_findings(name, properties)
    return findings


# ---------------------------------------------------------------------------- queues and topics
def denies_insecure_transport(template: Template, policy_type: str, target_key: str, resource_name: str) -> bool:
    for _, properties in resources(template, policy_type):
        if not any(refers_to(target, resource_name) for target in as_list(properties.get(target_key, []))):
            continue
        for statement in as_list(properties.get("PolicyDocument", {}).get("Statement", [])):
            condition = json.dumps(statement.get("Condition", {}))
            if statement.get("Effect") == "Deny" and "aws:SecureTransport" in condition:
                return True
    return False


def messaging_findings(template: Template) -> list[str]:
    findings = []
    for name, properties in resources(template, "AWS::SQS::Queue"):
        if not (properties.get("KmsMasterKeyId") or properties.get("SqsManagedSseEnabled")):
            findings.append(f"{name}: queue is not encrypted at rest")
        if not denies_insecure_transport(template, "AWS::SQS::QueuePolicy", "Queues", name):
            findings.append(f"{name}: queue policy does not deny non-TLS access")
    for name, properties in resources(template, "AWS::SNS::Topic"):
        if not properties.get("KmsMasterKeyId") and not gate_skipped(template, name, "topic-encryption"):
            findings.append(f"{name}: topic is not encrypted at rest")
        if not denies_insecure_transport(template, "AWS::SNS::TopicPolicy", "Topics", name):
            findings.append(f"{name}: topic policy does not deny non-TLS access")
    return findings


# ---------------------------------------------------------------------------- async failure paths
def mapping_findings(template: Template) -> list[str]:
    findings = []
    for name, properties in resources(template, "AWS::Lambda::EventSourceMapping"):
        source = json.dumps(properties.get("EventSourceArn", "")).lower()
        is_stream = any(marker in source for marker in ("streamarn", "dynamodb", "kinesis"))
        if is_stream and not properties.get("DestinationConfig", {}).get("OnFailure"):
            findings.append(f"{name}: stream mapping without an on-failure destination")
        if "ReportBatchItemFailures" not in properties.get("FunctionResponseTypes", []):
            findings.append(f"{name}: mapping does not report partial batch failures")
    return findings


def redrive_findings(template: Template) -> list[str]:
    return [
        f"{name}: queue without a redrive policy to a dead-letter queue"
        for name, properties in resources(template, "AWS::SQS::Queue")
        if not name.endswith(("DeadLetterQueue", "DLQ", "Dlq")) and "RedrivePolicy" not in properties
    ]


def rule_target_findings(template: Template) -> list[str]:
    return [
        f"{name}: rule target {target.get('Id')} without a DLQ and a retry policy"
        for name, properties in resources(template, "AWS::Events::Rule")
        for target in properties.get("Targets", [])
        if "DeadLetterConfig" not in target or "RetryPolicy" not in target
    ]


def invoke_config_findings(template: Template) -> list[str]:
    """Functions invoked asynchronously (S3, EventBridge) need an on-failure destination."""
    configs = [props for _, props in resources(template, "AWS::Lambda::EventInvokeConfig")]
    findings = []
    for name, properties in resources(template, "AWS::Lambda::Permission"):
        if properties.get("Principal") not in ("s3.amazonaws.com", "events.amazonaws.com"):
            continue
        function = json.dumps(properties.get("FunctionName"))
        covered = any(
            config.get("DestinationConfig", {}).get("OnFailure")
            and refers_to(config.get("FunctionName"), function_name)
            for config in configs
            for function_name in function_names(function)
        )
        if not covered:
            findings.append(f"{name}: asynchronous invocations without an on-failure destination")
    return findings


def function_names(text: str) -> list[str]:
    """Logical ids mentioned in a FunctionName value, e.g. Ref ApiFunctionAliaslive -> ApiFunction."""
    value = json.loads(text)
    reference = value.get("Ref", "") if isinstance(value, dict) else ""
    names = [reference, reference.split("Alias")[0]] if reference else []
    return [name for name in names if name]


# ---------------------------------------------------------------------------- suppressions
def gate_skips(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """This gate's own suppressions: Metadata.security-gate.skip[{id, comment}], reason required."""
    skips: list[dict[str, Any]] = resource.get("Metadata", {}).get("security-gate", {}).get("skip", [])
    return skips


def gate_skipped(template: Template, name: str, rule: str) -> bool:
    resource = template.get("Resources", {}).get(name, {})
    return any(skip.get("id") == rule for skip in gate_skips(resource))


def suppression_findings(source: Template) -> list[str]:
    findings = []
    for name, resource in source.get("Resources", {}).items():
        for skip in gate_skips(resource):
            if len(str(skip.get("comment", "")).strip()) < MIN_REASON_LENGTH:
                findings.append(f"{name}: security-gate suppression {skip.get('id')} has no written reason")
        for tool in ("checkov", "compliance"):
            for skip in resource.get("Metadata", {}).get(tool, {}).get("skip", []):
                if len(str(skip.get("comment", "")).strip()) < MIN_REASON_LENGTH:
                    findings.append(f"{name}: {tool} suppression {skip.get('id')} has no written reason")
        ignored = resource.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
        reasons = resource.get("Metadata", {}).get("cfn-lint", {}).get("reasons", {})
        findings += [
            f"{name}: cfn-lint suppression {rule} has no written reason (Metadata.cfn-lint.reasons.{rule})"
            for rule in ignored
            if len(str(reasons.get(rule, "")).strip()) < MIN_REASON_LENGTH
        ]
    return findings


TRANSFORMED_CHECKS: list[Callable[[Template], list[str]]] = [
    edge_origin_findings,
    star_action_findings,
    star_resource_findings,
    permission_findings,
    function_findings,
    signed_layer_findings,
    retained_name_findings,
    api_method_findings,
    lambda_authorizer_findings,
    api_policy_findings,
    graphql_findings,
    messaging_findings,
    mapping_findings,
    redrive_findings,
    rule_target_findings,
    invoke_config_findings,
]


def findings_for(source: Template, transformed: Template) -> list[str]:
    findings = suppression_findings(source)
    for check in TRANSFORMED_CHECKS:
        findings += check(transformed)
    return findings


def load_source(path: Path) -> Template:
    template, matches = decode_str(path.read_text())
    if matches or template is None:
        raise SystemExit(f"{path}: cannot parse: {matches}")
    plain: Template = json.loads(json.dumps(template))
    return plain


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    findings = findings_for(load_source(Path(argv[1])), json.loads(Path(argv[2]).read_text()))
    for finding in findings:
        print(f"security-gate: {finding}")
    if not findings:
        print(f"security-gate: {len(TRANSFORMED_CHECKS) + 1} rule sets, no findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
