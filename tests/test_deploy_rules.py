"""Deploy-time rules that the offline scanners do not know: stacks that every gate accepts
but that a real account refuses, or that deploy and then refuse every request, or let in
callers they should not. Each test renders the stacks of the answers concerned (no bake)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from bake_covering_set import LONGEST_NAMES
from support import (
    SAMPLE_STACK_UUID,
    TEMPLATE_DIR,
    baked_script,
    enabled_values,
    load_yaml,
    physical_name,
    rejections,
    render_stack,
    stack_environment,
)

API_CASES = [
    {"event_source": "api", "api_auth": auth, "api_endpoint": endpoint}
    for auth in enabled_values()["api_auth"]
    for endpoint in enabled_values()["api_endpoint"]
]


def case_id(case: dict[str, str]) -> str:
    return f"{case['api_auth']}-{case['api_endpoint']}"


def resource_policy(case: dict[str, str]) -> list[dict[str, Any]]:
    template = load_yaml(render_stack(**case))
    statements: list[dict[str, Any]] = template["Resources"]["Api"]["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"]
    return statements


@pytest.mark.parametrize("case", API_CASES, ids=case_id)
def test_a_private_api_never_conditions_on_the_public_source_ip(case: dict[str, str]) -> None:
    # Requests through an interface VPC endpoint carry aws:VpcSourceIp, not aws:SourceIp, and
    # a negated condition (NotIpAddress) on an absent key is true: the Deny would refuse
    # every request of a private API that deployed without any error.
    keys = {key for statement in resource_policy(case) for test in statement.get("Condition", {}).values() for key in test}
    if case["api_endpoint"] == "private":
        assert "aws:SourceIp" not in keys
        assert {"aws:VpcSourceIp", "aws:SourceVpce"} <= keys
    else:
        assert "aws:SourceIp" in keys


@pytest.mark.parametrize("case", API_CASES, ids=case_id)
def test_an_iam_authorized_api_allows_only_this_accounts_principals(case: dict[str, str]) -> None:
    # With SigV4 authorization, an Allow for Principal "*" lets in a principal of any AWS
    # account whose own IAM policy allows execute-api:Invoke; an API key is no authorization.
    allows = [statement for statement in resource_policy(case) if statement["Effect"] == "Allow"]
    assert len(allows) == 1
    principal = allows[0]["Principal"]
    if case["api_auth"] == "iam":
        assert principal == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    else:
        assert principal == "*", "a Cognito token authorizes the caller; the policy only limits the network"


# --------------------------------------------------------------------------------------
# Physical names within their service's limits, for every samconfig environment

# (resource type, property) -> (most characters, pattern), from each service's API reference.
# A named property that is not here fails the test: add its documented limit.
NAME_LIMITS: dict[tuple[str, str], tuple[int | None, str]] = {
    ("AWS::S3::Bucket", "BucketName"): (63, r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
    ("AWS::SQS::Queue", "QueueName"): (80, r"[A-Za-z0-9_-]+"),
    ("AWS::Serverless::Function", "FunctionName"): (64, r"[A-Za-z0-9_-]+"),
    ("AWS::Serverless::Function", "RuleName"): (64, r"[.\-_A-Za-z0-9]+"),  # an EventBridgeRule event
    ("AWS::Events::EventBus", "Name"): (256, r"[/.\-_A-Za-z0-9]+"),
    ("AWS::Pipes::Pipe", "Name"): (64, r"[.\-_A-Za-z0-9]+"),  # EventBridge Pipes API reference, CreatePipe
    ("AWS::KMS::Alias", "AliasName"): (256, r"alias/[A-Za-z0-9/_-]+"),
    ("AWS::Logs::LogGroup", "LogGroupName"): (512, r"[.\-_/#A-Za-z0-9]+"),
    ("AWS::Cognito::UserPool", "UserPoolName"): (128, r"[\w\s+=,.@-]+"),
    ("AWS::Cognito::UserPoolClient", "ClientName"): (128, r"[\w\s+=,.@-]+"),
    ("AWS::WAFv2::WebACL", "Name"): (128, r"[\w-]+"),
    ("AWS::WAFv2::WebACL", "MetricName"): (255, r"[\w#:.\-/]+"),
    ("AWS::SNS::Topic", "DisplayName"): (100, r".+"),
    ("AWS::Serverless::Api", "Name"): (None, r".+"),  # API Gateway documents no length limit for a REST API name
    ("AWS::AppSync::GraphQLApi", "Name"): (None, r".+"),  # AppSync's API model gives a GraphQL API name no limit
    ("AWS::AppSync::DataSource", "Name"): (65536, r"[_A-Za-z][_0-9A-Za-z]*"),  # the DataSource resource schema
    ("AWS::Backup::BackupVault", "BackupVaultName"): (50, r"[a-zA-Z0-9\-\_]{2,50}"),
    ("AWS::Backup::BackupPlan", "BackupPlanName"): (50, r"[a-zA-Z0-9\-\_\.]{1,50}"),  # 50 in the console, 200 through the API
    # Account-wide, not regional (the name holds the stack instance); the API reference gives no limit:
    # held to the 128 characters and characters of the other CloudFront policy names.
    ("AWS::CloudFront::ResponseHeadersPolicy", "Name"): (128, r"[A-Za-z0-9_-]+"),
}


def environment_stack_names(overrides: dict[str, str]) -> list[str]:
    """Every stack_name the rendered samconfig.toml gives (default, staging, production)."""
    env, context = stack_environment(**overrides)
    rendered = env.get_template("samconfig.toml").render(**context)
    return sorted({section["deploy"]["parameters"]["stack_name"] for section in tomllib.loads(rendered).values() if isinstance(section, dict) and "deploy" in section})


def named_properties(resource: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Properties whose name ends in Name (at any depth, events included), built from the stack."""

    def walk(node: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("Name") and "AWS::Stack" in json.dumps(value):
                    yield key, value
                elif key not in ("Variables", "Dimensions"):  # environment values and metric dimensions are not names
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(resource.get("Properties", {}))


NAME_CASES = [
    {"event_source": source, "waf": "yes" if source in ("api", "appsync") else "no", "api_auth": "cognito", **LONGEST_NAMES}
    for source in enabled_values()["event_source"]
] + [
    {"event_source": "dynamodb", "stream_delivery": "eventbridge", "waf": "no", "api_auth": "cognito", **LONGEST_NAMES},
    # The token authorizer's function has the longest name of any function (<stack>-authorizer).
    {"event_source": "api", "waf": "yes", "api_auth": "oidc", **LONGEST_NAMES},
    {"event_source": "api", "cdn": "yes", "waf": "yes", "api_auth": "cognito", **LONGEST_NAMES},
]


def name_case_id(case: dict[str, str]) -> str:
    extras = (["oidc"] if case["api_auth"] == "oidc" else []) + (["cdn"] if case.get("cdn") == "yes" else [])
    return "-".join([case["event_source"], *case.get("stream_delivery", "").split(), *extras])


@pytest.mark.parametrize("case", NAME_CASES, ids=name_case_id)
def test_every_physical_name_fits_its_limit_in_every_environment(case: dict[str, str]) -> None:
    template = load_yaml(render_stack(**case))
    stacks = environment_stack_names(case)
    assert max(map(len, stacks)) > len(case["project_slug"]), stacks
    checked, problems = 0, []
    for logical_id, resource in template["Resources"].items():
        for prop, value in named_properties(resource):
            limit = NAME_LIMITS.get((resource["Type"], prop))
            assert limit, f"{logical_id}.{prop} ({resource['Type']}) is named from the stack: add its documented limit to NAME_LIMITS"
            most, pattern = limit
            for stack in stacks:
                name = physical_name(value, stack)
                checked += 1
                if (most is not None and len(name) > most) or not re.fullmatch(pattern, name):
                    problems.append(f"{logical_id}.{prop} = {name!r} ({len(name)} characters; at most {most}, {pattern})")
    print(f"{case['event_source']}: {checked} names checked over stacks {stacks}")
    assert checked
    assert not problems, "\n".join(problems)


RECREATED_STACK_UUID = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"  # the same stack name, created again
# Names an account may hold twice, so a retained one cannot collide: CreateUserPool lists no
# "name exists" error (Cognito API reference), and pools are told apart by their ids.
NAMES_NOT_UNIQUE = {("AWS::Cognito::UserPool", "UserPoolName")}


@pytest.mark.parametrize("case", NAME_CASES, ids=name_case_id)
def test_a_retained_resource_never_blocks_the_stacks_next_create(case: dict[str, str]) -> None:
    # CloudFormation keeps Retain and RetainExceptOnCreate resources when the stack is deleted;
    # a kept log group or queue still owns its name, and the next create of the same stack
    # fails ("already exists") unless the name differs for each stack instance.
    template = load_yaml(render_stack(**case))
    retained = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    }
    assert retained
    checked = []
    for logical_id, resource in retained.items():
        for prop, value in named_properties(resource):
            if (resource["Type"], prop) in NAMES_NOT_UNIQUE:
                continue
            first, again = (physical_name(value, "orders-production", uuid) for uuid in (SAMPLE_STACK_UUID, RECREATED_STACK_UUID))
            assert first != again, f"{logical_id}.{prop} is {first!r} for every instance of the stack"
            checked.append(logical_id)
    assert checked


API_ACCOUNT_CASES = [{"event_source": "api", "api_auth": "cognito"}, {"event_source": "api", "api_auth": "iam", "waf": "yes"}]


@pytest.mark.parametrize("case", API_ACCOUNT_CASES, ids=lambda case: case["api_auth"])
def test_the_api_gateway_account_setting_is_set_only_when_the_deployer_says_so(case: dict[str, str]) -> None:
    # AWS::ApiGateway::Account is one setting per account and region: "To avoid overwriting
    # other roles, you should only have one AWS::ApiGateway::Account resource per region per
    # account" (CloudFormation reference). And a stage with logging fails until the account
    # names a role, so the stage waits for the setting when this stack makes it.
    template = load_yaml(render_stack(**case))
    parameter = template["Parameters"]["ApiGatewayAccountLogging"]
    assert parameter["AllowedValues"] == ["set-by-this-stack", "already-set"]
    assert parameter["Default"] == "set-by-this-stack", "a new account has no role: the first deploy must set one"
    assert template["Conditions"]["SetsApiGatewayAccount"] == {
        "Fn::Equals": [{"Ref": "ApiGatewayAccountLogging"}, "set-by-this-stack"]
    }
    resources = template["Resources"]
    for logical_id in ("ApiGatewayAccount", "ApiGatewayCloudWatchRole"):
        assert resources[logical_id]["Condition"] == "SetsApiGatewayAccount"
    handle = resources["ApiGatewayAccountReady"]
    assert "Condition" not in handle
    assert handle["Metadata"]["AccountSetting"] == {
        "Fn::If": ["SetsApiGatewayAccount", {"Ref": "ApiGatewayAccount"}, "already-set"]
    }
    assert resources["Api"]["DependsOn"] == "ApiGatewayAccountReady"
    # No resource waits on the conditional one by name: CloudFormation refuses a DependsOn on
    # a resource whose condition is false.
    depending = [r.get("DependsOn") for r in resources.values()]
    assert all("ApiGatewayAccount" not in (d if isinstance(d, list) else [d]) for d in depending)


# --------------------------------------------------------------------------------------
# Code signing: every layer must be signed by an allowed profile


@pytest.mark.parametrize("source", enabled_values()["event_source"])
def test_a_signed_stack_uses_no_layer_and_bundles_powertools(source: str) -> None:
    # "When you enable code signing for a function, any layers that you add to the function
    # must also be signed by an allowed signing profile" (Lambda developer guide): the public
    # Powertools layer is not, so a signed stack with it fails to create under Enforce.
    signed = load_yaml(render_stack(event_source=source, code_signing="yes"))
    assert "CodeSigningConfig" in signed["Resources"]
    assert "PowertoolsLayerArn" not in signed["Parameters"]
    functions = [r for r in signed["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions
    for function in functions:
        assert not function["Properties"].get("Layers", signed["Globals"]["Function"].get("Layers"))
    env, context = stack_environment(event_source=source, code_signing="yes")
    bundled = env.get_template("src/requirements.txt").render(**context)
    assert re.search(r"^aws-lambda-powertools==", bundled, flags=re.MULTILINE)
    assert re.search(r"^pydantic-core==", bundled, flags=re.MULTILINE)
    unsigned = load_yaml(render_stack(event_source=source, code_signing="no"))
    assert unsigned["Globals"]["Function"]["Layers"] == [{"Ref": "PowertoolsLayerArn"}]


# --------------------------------------------------------------------------------------
# Parameter combinations that CloudFormation accepts and the service then refuses


def test_sqs_refuses_large_batches_without_a_batching_window_before_creating_anything() -> None:
    # Lambda: "When you set BatchSize to a value greater than 10, you must set
    # MaximumBatchingWindowInSeconds to at least 1" (SQS event source mapping).
    template = load_yaml(render_stack(event_source="sqs"))
    rule = template["Rules"]["LargeBatchesNeedABatchingWindow"]
    small = rule["RuleCondition"]["Fn::Not"][0]["Fn::Contains"][0]
    assert small == [str(size) for size in range(1, 11)]
    assert rule["RuleCondition"]["Fn::Not"][0]["Fn::Contains"][1] == {"Ref": "BatchSize"}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "MaximumBatchingWindowInSeconds"}, "0"]}]}
    assert template["Parameters"]["BatchSize"]["MaxValue"] > 10


# --------------------------------------------------------------------------------------
# The backup vault (backups=yes): it outlives the stack and never blocks its next create


@pytest.mark.parametrize("case", NAME_CASES, ids=name_case_id)
def test_a_backup_vault_outlives_the_stack_and_never_blocks_its_next_create(case: dict[str, str]) -> None:
    # "You can delete a backup vault only if it is empty" (AWS Backup): a vault that holds
    # recovery points fails its delete, and sam delete would end in DELETE_FAILED; the backups
    # must outlive the stack anyway. So it is retained, except after a failed first create,
    # when it is still empty. A retained vault keeps its name: the name must change with each
    # instance of the stack, and fit BackupVaultName (2-50 letters, digits, '-', '_') for
    # every environment, which a stack name plus the instance does not (the longest stack
    # name alone is 50 characters): it is the project slug and the stack instance.
    template = load_yaml(render_stack(**case, backups="yes"))
    vault = template["Resources"]["BackupVault"]
    assert vault["DeletionPolicy"] == "RetainExceptOnCreate"
    assert vault["UpdateReplacePolicy"] == "Retain"
    value = vault["Properties"]["BackupVaultName"]
    stacks = environment_stack_names(case)
    assert max(map(len, stacks)) + len("-0a1b2c3d") > 50, "a stack name plus the instance would not fit"
    for stack in stacks:
        first, again = (physical_name(value, stack, uuid) for uuid in (SAMPLE_STACK_UUID, RECREATED_STACK_UUID))
        assert first != again
        assert re.fullmatch(r"[a-zA-Z0-9\-\_]{2,50}", first), first
        # The pipeline's CloudFormation role scopes vaults to <slug>-* (pipeline/bootstrap.yaml).
        assert first.startswith(case["project_slug"] + "-"), first


ENCRYPTED_BUS_CASES = {
    "eventbridge": {"event_source": "eventbridge", "kms": "customer-managed"},
    "pipe": {"event_source": "dynamodb", "stream_delivery": "eventbridge", "kms": "customer-managed"},
}
# What EventBridge asks of whoever creates or updates a bus encrypted with a customer managed key
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-event-bus-cmkey.html).
BUS_CREATOR_ACTIONS = {
    "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey",
}


@pytest.mark.parametrize("case", ENCRYPTED_BUS_CASES.values(), ids=ENCRYPTED_BUS_CASES.keys())
def test_an_encrypted_bus_can_be_created_and_checked(case: dict[str, str]) -> None:
    """CloudFormation's role creates the bus through EventBridge, which calls KMS with the role's
    rights: the key policy must allow those calls through events (IAM alone does not), and
    EventBridge's own DescribeKey check, which names no bus."""
    statements = load_yaml(render_stack(**case))["Resources"]["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
    account = next(s for s in statements if s["Sid"] == "AccountUsesTheKeyOnlyThroughTheseServices")
    assert BUS_CREATOR_ACTIONS <= set(account["Action"])
    assert {"Fn::Sub": "events.${AWS::Region}.amazonaws.com"} in account["Condition"]["StringEquals"]["kms:ViaService"]
    checks = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"} and s["Action"] == "kms:DescribeKey"]
    assert [set(check["Condition"]["StringEquals"]) for check in checks] == [{"aws:SourceAccount"}]


def test_the_pipe_may_check_and_use_the_key_under_either_spelling_of_its_context_key() -> None:
    """AWS's pipes page names the encryption context key aws:pipes:arn in its prose and
    aws:pipe:arn in its example policy; the pipe needs DescribeKey too
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-pipes-cmkey.html)."""
    resources = load_yaml(render_stack(**ENCRYPTED_BUS_CASES["pipe"]))["Resources"]
    key_statements = resources["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
    role_statements = [s for policy in resources["StockChangesPipeRole"]["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    for statements in (key_statements, role_statements):
        contexts = {key for s in statements for key in s.get("Condition", {}).get("ArnLike", {}) if key.startswith("kms:EncryptionContext:aws:pipe")}
        assert contexts == {"kms:EncryptionContext:aws:pipes:arn", "kms:EncryptionContext:aws:pipe:arn"}
    assert any(s["Action"] == "kms:DescribeKey" and "Condition" not in s for s in role_statements)


# --------------------------------------------------------------------------------------
# AppSync: what a request must pass before the function runs, and who may invoke it

GRAPHQL_CASES = [
    {"event_source": "appsync", "api_auth": auth, "api_endpoint": endpoint, "waf": waf, "kms": kms}
    for auth in enabled_values()["api_auth"]
    for endpoint in enabled_values()["api_endpoint"]
    for waf in ("no", "yes")
    for kms in enabled_values()["kms"]
    if not (endpoint == "private" and waf == "yes")  # the hook refuses it
    and not rejections({"event_source": "appsync", "api_auth": auth, "api_endpoint": endpoint, "waf": waf, "kms": kms})
]


def graphql_case_id(case: dict[str, str]) -> str:
    return "-".join(f"{name}={case[name]}" for name in ("api_auth", "api_endpoint", "waf", "kms"))


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == kind}


def transformed_stack(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The stack as CloudFormation receives it: after the SAM transform (the baked script, in-process)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the translator wants one; no call is made
    transformed: dict[str, Any] = baked_script("sam_transform").transformed(load_yaml(render_stack(**case)))
    return transformed


@pytest.mark.parametrize("case", GRAPHQL_CASES, ids=graphql_case_id)
def test_a_graphql_request_is_authorized_and_bounded_before_a_resolver_runs(
    case: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # AppSync checks the authorization mode, parses and validates the query against the
    # schema, and applies the depth and resolver limits before it invokes any resolver
    # ("Configuring GraphQL run complexity, query depth, and introspection").
    template = transformed_stack(case, monkeypatch)
    [(_, api)] = of_type(template, "AWS::AppSync::GraphQLApi").items()
    properties = api["Properties"]
    assert not of_type(template, "AWS::AppSync::ApiKey"), "an API key is no authorization"
    assert "AdditionalAuthenticationProviders" not in properties, "one mode for every field: none left public"
    if case["api_auth"] == "cognito":
        assert properties["AuthenticationType"] == "AMAZON_COGNITO_USER_POOLS"
        pool = properties["UserPoolConfig"]
        assert pool["UserPoolId"] == {"Ref": "UserPool"}
        assert pool["AppIdClientRegex"] == {"Fn::Sub": "^${UserPoolClient}$"}, "tokens of this stack's client only"
    elif case["api_auth"] == "oidc":
        # The issuer and audience are the deployer's: parameters, never baked in.
        assert properties["AuthenticationType"] == "OPENID_CONNECT"
        assert properties["OpenIDConnectConfig"] == {
            "Issuer": {"Ref": "OidcIssuerUrl"},
            "ClientId": {"Fn::Sub": "^${OidcAudience}$"},
        }, "tokens for this audience only, the whole of it"
        issuer = template["Parameters"]["OidcIssuerUrl"]
        assert "Default" not in issuer and issuer["AllowedPattern"].startswith("^https://"), "no provider is assumed"
    else:
        assert properties["AuthenticationType"] == "AWS_IAM"
    parameters = template["Parameters"]
    for limit, most in (("QueryDepthLimit", 75), ("ResolverCountLimit", 10000)):
        assert properties[limit] == {"Ref": limit}
        assert 1 <= parameters[limit]["MinValue"] <= parameters[limit]["Default"] <= parameters[limit]["MaxValue"] <= most
    assert parameters["QueryDepthLimit"]["Default"] <= 5, "a shallow default: the schema's deepest query has depth 3"
    assert properties["IntrospectionConfig"] == {"Ref": "Introspection"}
    assert parameters["Introspection"]["Default"] == "DISABLED"
    assert properties["Visibility"] == ("PRIVATE" if case["api_endpoint"] == "private" else "GLOBAL")
    assert properties["LogConfig"]["FieldLogLevel"] == "ERROR"
    assert properties["LogConfig"]["ExcludeVerboseContent"] is True, "no headers, context or payloads in the logs"
    associations = of_type(template, "AWS::WAFv2::WebACLAssociation")
    assert bool(associations) == (case["waf"] == "yes")
    for association in associations.values():
        assert "appsync" in json.dumps(association["Properties"]["ResourceArn"])


@pytest.mark.parametrize("case", GRAPHQL_CASES[:2], ids=graphql_case_id)
def test_only_this_graphql_api_may_invoke_the_live_alias(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The data source's role is how AppSync invokes the function: "SourceArn and SourceAccount
    # keys can be used in these conditions" (AppSync developer guide, Attaching a data source).
    template = transformed_stack(case, monkeypatch)
    assert not of_type(template, "AWS::Lambda::Permission"), "no resource policy: only the data source's role invokes"
    [(_, source)] = of_type(template, "AWS::AppSync::DataSource").items()
    assert source["Properties"]["Type"] == "AWS_LAMBDA"
    assert source["Properties"]["LambdaConfig"]["LambdaFunctionArn"] == {"Ref": "GraphqlFunctionAliaslive"}
    role_name = source["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]
    role = template["Resources"][role_name]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "appsync.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["GraphqlApi", "Arn"]}},
    }
    statements = [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    assert statements == [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Ref": "GraphqlFunctionAliaslive"}}]


def test_every_resolver_waits_for_the_schema_and_passes_no_headers() -> None:
    # A resolver on a field the schema does not have yet fails to create; the unit resolver's
    # request carries the arguments and the caller, never the request headers (tokens).
    template = load_yaml(render_stack(event_source="appsync"))
    resolvers = of_type(template, "AWS::AppSync::Resolver")
    assert {(r["Properties"]["TypeName"], r["Properties"]["FieldName"]) for r in resolvers.values()} == {
        ("Query", "getItem"), ("Query", "listItems"), ("Mutation", "createItem")
    }
    code = set()
    for resolver in resolvers.values():
        assert resolver["DependsOn"] == "GraphqlSchema"
        assert resolver["Properties"]["Runtime"] == {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
        code.add(resolver["Properties"]["CodeS3Location"])
    assert code == {"graphql/resolver.js"}
    text = (TEMPLATE_DIR / "_variants" / "appsync" / "graphql" / "resolver.js").read_text(encoding="utf-8")
    assert "ctx.request" not in text and "ctx.arguments" in text
    assert "util.error('Internal error', 'InternalFailure')" in text, "a failure tells the caller nothing of the function's"


@pytest.mark.parametrize("kms", ["customer-managed"])
def test_the_key_lets_cloudwatch_logs_encrypt_this_apis_log_group_only(kms: str) -> None:
    template = load_yaml(render_stack(event_source="appsync", kms=kms))
    statements = template["Resources"]["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
    [logs] = [statement for statement in statements if statement["Sid"] == "CloudWatchLogsEncryptsThisStacksLogGroups"]
    arns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    appsync = [arn["Fn::Sub"] for arn in arns if "appsync" in arn["Fn::Sub"]]
    assert appsync == ["arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/appsync/apis/${GraphqlApi.ApiId}"]
    group = template["Resources"]["GraphqlApiLogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/appsync/apis/${GraphqlApi.ApiId}"}, "the group AppSync writes to"


# --------------------------------------------------------------------------------------
# api_auth=oidc: your provider's tokens, checked by a Lambda TOKEN authorizer before the function

OIDC_CASES = [
    {"event_source": "api", "api_auth": "oidc", "api_endpoint": endpoint, "waf": waf}
    for endpoint in ("regional", "private")
    for waf in ("no", "yes")
    if not (endpoint == "private" and waf == "yes")  # the hook refuses it
]
AUTHORIZER_ALIAS = {"Ref": "AuthorizerFunctionAliaslive"}


def oidc_case_id(case: dict[str, str]) -> str:
    return f"{case['api_endpoint']}-waf={case['waf']}"


def api_methods(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """VERB/path (a path parameter as `*`, as in an execute-api ARN) -> the method's OpenAPI operation."""
    body = template["Resources"]["Api"]["Properties"]["Body"]
    return {
        f"{verb.upper()}{re.sub(r'{[^}]+}', '*', path)}": operation
        for path, methods in body["paths"].items()
        for verb, operation in methods.items()
    }


STAGE_CASES = [
    {"event_source": "api", "api_auth": "cognito", "api_endpoint": "regional", "cdn": "yes", "waf": "yes"},
    {"event_source": "api", "api_auth": "iam", "api_endpoint": "private", "cdn": "no", "waf": "no"},
]


@pytest.mark.parametrize("case", STAGE_CASES, ids=lambda case: f"{case['api_auth']}-cdn={case['cdn']}")
def test_the_api_has_one_stage_the_one_its_defenses_name(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Without OpenApiVersion, SAM's deployment also creates a stage named "Stage" (the
    # Deployment's StageName), which answers beside live without its web ACL, access logs and
    # throttling: behind CloudFront, a way around the origin check.
    template = transformed_stack(case, monkeypatch)
    deployments = of_type(template, "AWS::ApiGateway::Deployment")
    assert deployments and all("StageName" not in d["Properties"] for d in deployments.values()), "no implicit stage"
    [(name, stage)] = of_type(template, "AWS::ApiGateway::Stage").items()
    assert stage["Properties"]["StageName"] == "live"
    for association in of_type(template, "AWS::WAFv2::WebACLAssociation").values():
        assert name in json.dumps(association["Properties"]["ResourceArn"]), "the web ACL guards that one stage"


@pytest.mark.parametrize("case", OIDC_CASES, ids=oidc_case_id)
def test_every_method_requires_the_token_authorizer_and_an_api_key(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # API Gateway runs a TOKEN authorizer only when the header matches its validation expression
    # ("Input to an API Gateway Lambda authorizer"); anything else is a 401 that costs no invocation.
    template = transformed_stack(case, monkeypatch)
    methods = api_methods(template)
    assert set(methods) == {"GET/items/*", "POST/items"}
    for operation in methods.values():
        assert sorted(scheme for requirement in operation["security"] for scheme in requirement) == ["OidcAuthorizer", "api_key"]
    scheme = template["Resources"]["Api"]["Properties"]["Body"]["securityDefinitions"]["OidcAuthorizer"]
    assert (scheme["in"], scheme["name"]) == ("header", "Authorization")
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "token"
    assert authorizer["authorizerUri"]["Fn::Sub"][1] == {"__FunctionArn__": AUTHORIZER_ALIAS}, "the live alias, which CodeDeploy shifts"
    expression = re.compile(authorizer["identityValidationExpression"])
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl-_"
    for header in (f"Bearer {token}", f"bearer {token}"):
        assert expression.fullmatch(header), header
    unsigned = token.rpartition(".")[0] + "."  # alg none: no signature
    for header in ("", token, f"Basic {token}", f"Bearer  {token}", f"Bearer {unsigned}", "Bearer a.b", f"Bearer {token}.x", f"Bearer {token}\n"):
        assert not expression.fullmatch(header), header
    assert template["Resources"]["Api"]["Properties"].get("ApiKeySourceType", "HEADER") == "HEADER"


@pytest.mark.parametrize("case", OIDC_CASES[:1], ids=oidc_case_id)
def test_only_this_apis_authorizers_may_invoke_the_authorizer_alias(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # API Gateway invokes a Lambda authorizer under the function's resource policy; SAM writes a
    # permission whose SourceArn is the API's authorizers (arn:...:execute-api:region:account:api-id/authorizers/*).
    template = transformed_stack(case, monkeypatch)
    permissions = of_type(template, "AWS::Lambda::Permission")
    on_authorizer = [p["Properties"] for p in permissions.values() if "Authorizer" in json.dumps(p["Properties"]["FunctionName"])]
    assert len(on_authorizer) == 1
    [permission] = on_authorizer
    assert permission["FunctionName"] == AUTHORIZER_ALIAS, "the alias API Gateway invokes, not the unqualified function"
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    arn, values = permission["SourceArn"]["Fn::Sub"]
    assert arn == "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*"
    assert values == {"__ApiId__": {"Ref": "Api"}}


def transformed_with(case: dict[str, str], parameters: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The transform as CloudFormation runs it at deploy time: with the stack's parameter values."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    script = baked_script("sam_transform")
    source = script.with_placeholder_code(load_yaml(render_stack(**case)))
    transformed: dict[str, Any] = script.transform(source, parameters, script.NoManagedPolicies(), passthrough_metadata=True)
    return transformed


@pytest.mark.parametrize(("given", "cached"), [({}, 300), ({"AuthorizerResultTtl": 60}, 60), ({"AuthorizerResultTtl": 0}, 0)])
def test_the_authorizer_result_ttl_is_the_deploy_parameter(given: dict[str, int], cached: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # SAM resolves a parameter's Ref in an Api's Auth with the values the stack is deployed with
    # (the transform runs in CloudFormation, per change set), so the OpenAPI body holds the number.
    # API Gateway caches a policy 0 to 3600 seconds (authorizerResultTtlInSeconds).
    case = OIDC_CASES[0]
    source = load_yaml(render_stack(**case))
    identity = source["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["OidcAuthorizer"]["Identity"]
    assert identity["ReauthorizeEvery"] == {"Ref": "AuthorizerResultTtl"}
    parameter = source["Parameters"]["AuthorizerResultTtl"]
    assert (parameter["MinValue"], parameter["Default"], parameter["MaxValue"]) == (0, 300, 3600)
    body = transformed_with(case, given, monkeypatch)["Resources"]["Api"]["Properties"]["Body"]
    assert body["securityDefinitions"]["OidcAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == cached


SCOPE_VALUES = ["items:read", "items:read items:write", "api://inventory/Items.Read", "{x}", "a'b", "${AWS::Region}", "!#[]~", ""]
NOT_SCOPES = ['a"b', "a\\b", "a  b", " a", "a ", "é", "a\tb"]


def test_required_scopes_name_every_method_and_no_scope_breaks_their_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # The authorizer's policy allows the methods whose scopes the token has and denies the rest
    # of REQUIRED_SCOPES; API Gateway applies a cached policy to every method, so a method missing
    # from REQUIRED_SCOPES would be neither allowed nor denied, and the resource policy's Allow
    # would let it through (API Gateway's policy evaluation, "Table A").
    case = OIDC_CASES[0]
    template = transformed_stack(case, monkeypatch)
    function = template["Resources"]["AuthorizerFunction"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["OIDC_ISSUER"] == {"Ref": "OidcIssuerUrl"}
    assert variables["OIDC_AUDIENCE"] == {"Ref": "OidcAudience"}
    text = variables["REQUIRED_SCOPES"]["Fn::Sub"]
    parameters = template["Parameters"]
    for name in ("ReadScopes", "WriteScopes"):
        pattern = re.compile(parameters[name]["AllowedPattern"])
        assert pattern.fullmatch(parameters[name]["Default"])
        assert not [value for value in NOT_SCOPES if pattern.fullmatch(value)]
        for value in SCOPE_VALUES:
            assert pattern.fullmatch(value), value
            scopes = json.loads(text.replace("${" + name + "}", value).replace("${ReadScopes}", "r").replace("${WriteScopes}", "w"))
            assert value in scopes.values()
    scopes = json.loads(text.replace("${ReadScopes}", "r").replace("${WriteScopes}", "w"))
    assert set(scopes) == set(api_methods(template))
    assert scopes == {"GET/items/*": "r", "POST/items": "w"}, "reading needs ReadScopes, writing WriteScopes"
    assert function["Handler"] == "inventory_service_authorizer.handler.handler", "its own package (CodeUri authorizer/)"


ISSUERS = [
    "https://dev-123456.okta.com/oauth2/default",  # Okta, custom authorization server
    "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",  # Entra ID, v2.0 tokens
    "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/",  # Entra ID, v1.0 tokens
    "https://example.eu.auth0.com/",  # Auth0 (the trailing slash is part of iss)
    "https://sso.example.com/realms/inventory",  # Keycloak
    "https://keycloak.internal:8443/realms/inventory",
    "https://accounts.google.com",  # Google
    "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",  # another Cognito user pool
]
NOT_ISSUERS = ["http://example.com", "https://", "https://example.com?x=1", "https://example.com/#a", "https://exa mple.com", "example.com", ""]


def test_the_issuer_parameter_takes_the_providers_issuers_and_only_https() -> None:
    # OpenID Connect Discovery 1.0, 3: the issuer is an https URL with no query or fragment.
    parameters = load_yaml(render_stack(**OIDC_CASES[0]))["Parameters"]
    issuer = re.compile(parameters["OidcIssuerUrl"]["AllowedPattern"])
    assert "Default" not in parameters["OidcIssuerUrl"], "nothing about a provider is baked in"
    assert "Default" not in parameters["OidcAudience"]
    assert [value for value in ISSUERS if not issuer.fullmatch(value)] == []
    assert [value for value in NOT_ISSUERS if issuer.fullmatch(value)] == []
    audience = re.compile(parameters["OidcAudience"]["AllowedPattern"])
    assert audience.fullmatch("api://inventory") and audience.fullmatch("0oa1b2c3d4E5f6G7h8i9")
    assert not audience.fullmatch("") and not audience.fullmatch("two words")


# --------------------------------------------------------------------------------------
# cdn=yes: only CloudFront reaches the API, and what it forwards still authorizes

CDN_CASES = [
    {"event_source": "api", "api_auth": "cognito", "api_endpoint": "regional", "cdn": "yes", "waf": waf, "kms": kms}
    for waf in ("no", "yes")
    for kms in enabled_values()["kms"]
] + [{"event_source": "api", "api_auth": "oidc", "api_endpoint": "regional", "cdn": "yes", "waf": "yes", "kms": "customer-managed"}]
# CloudFront's managed policies, by the ids of the CloudFront Developer Guide.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ORIGIN_HEADER = "x-origin-verify"


def cdn_case_id(case: dict[str, str]) -> str:
    return f"waf={case['waf']}-kms={case['kms']}"


def both_branches(node: Any) -> list[Any]:
    """The values a property takes: both branches of a top-level Fn::If, or the value."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _, when_true, when_false = node["Fn::If"]
        return [when_true, when_false]
    return [node]


def distribution(template: dict[str, Any]) -> dict[str, Any]:
    [(_, resource)] = of_type(template, "AWS::CloudFront::Distribution").items()
    config: dict[str, Any] = resource["Properties"]["DistributionConfig"]
    return config


def stage_web_acl(template: dict[str, Any]) -> dict[str, Any]:
    """The web ACL associated with the API's stage (the transformed stack's own Stage)."""
    [(stage, _)] = of_type(template, "AWS::ApiGateway::Stage").items()
    associations = [
        association["Properties"]
        for association in of_type(template, "AWS::WAFv2::WebACLAssociation").values()
        if "/restapis/${Api}/stages/" in json.dumps(association["Properties"]["ResourceArn"])
    ]
    assert len(associations) == 1, f"one web ACL on the stage {stage}"
    acl_name = associations[0]["WebACLArn"]["Fn::GetAtt"][0]
    acl: dict[str, Any] = template["Resources"][acl_name]["Properties"]
    return acl


def header_match(statement: dict[str, Any]) -> Any:
    """The value an EXACTLY ByteMatch on the origin header requires, untransformed."""
    match = statement["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"SingleHeader": {"Name": ORIGIN_HEADER}}
    assert match["PositionalConstraint"] == "EXACTLY"
    assert match["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    return match["SearchString"]


@pytest.mark.parametrize("case", CDN_CASES, ids=cdn_case_id)
def test_a_request_that_bypasses_cloudfront_is_refused_before_the_function(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # API Gateway runs the stage's web ACL before the resource policy, the authorizer and
    # the integration ("Use AWS WAF to protect your REST APIs"); a resource policy cannot
    # read headers, and CloudFront's addresses cannot be pinned in one. So the web ACL's
    # first rule blocks every request whose origin header is not CloudFront's secret value.
    template = transformed_stack(case, monkeypatch)
    acl = stage_web_acl(template)
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    first = min(acl["Rules"], key=lambda rule: rule["Priority"])
    assert first["Action"] == {"Block": {}}
    refused = first["Statement"]["NotStatement"]["Statement"]
    rotating, steady = both_branches(refused)
    accepted_while_rotating = [header_match(statement) for statement in rotating["OrStatement"]["Statements"]]
    accepted = header_match(steady)
    # CloudFront sends exactly what the rule accepts: the same reference to the same secret.
    [origin] = distribution(template)["Origins"]
    [header] = origin["OriginCustomHeaders"]
    assert header["HeaderName"].lower() == ORIGIN_HEADER
    sent_while_rotating, sent = both_branches(header["HeaderValue"])
    assert sent == accepted == {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"}
    assert sent_while_rotating == accepted_while_rotating[0], "during a rotation CloudFront sends the new version"
    assert accepted_while_rotating[1] == {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString::AWSPREVIOUS}}"}
    assert template["Resources"]["OriginVerifySecret"]["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    # Behind CloudFront every request comes from CloudFront's addresses: a rate limit per IP
    # at the stage would block all callers together. Rate limits are the edge's.
    assert "RateBasedStatement" not in json.dumps(acl["Rules"])
    # Nor may the resource policy condition on the source address: it is CloudFront's.
    api = json.dumps(template["Resources"]["Api"])
    assert "execute-api:Invoke" in api and "aws:SourceIp" not in api
    # The header's value never reaches the WAF logs.
    [logging] = of_type(template, "AWS::WAFv2::LoggingConfiguration").values()
    assert {"SingleHeader": {"Name": ORIGIN_HEADER}} in logging["Properties"]["RedactedFields"]


@pytest.mark.parametrize("case", CDN_CASES, ids=cdn_case_id)
def test_cloudfront_forwards_what_the_api_authorizes_and_caches_nothing(case: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    template = transformed_stack(case, monkeypatch)
    config = distribution(template)
    behavior = config["DefaultCacheBehavior"]
    # Nothing authorized is ever cached; with caching disabled, AllViewerExceptHostHeader
    # forwards every viewer header, Authorization and x-api-key included, but Host: API
    # Gateway answers 403 to a Host that is not its own (CloudFront Developer Guide,
    # managed origin request policies; re:Post, forwarding the Authorization header).
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert "ForwardedValues" not in behavior, "legacy cache settings would override the policies"
    assert {"POST", "GET", "OPTIONS"} <= set(behavior["AllowedMethods"])
    # HTTPS to viewers and to the origin, the stage's path included.
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    [origin] = config["Origins"]
    assert origin["DomainName"] == {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origin["OriginPath"] == "/live"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    custom_domain, default = both_branches(config["ViewerCertificate"])
    assert custom_domain["MinimumProtocolVersion"] == "TLSv1.2_2021" and custom_domain["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    # The security headers on every response.
    policy_name = behavior["ResponseHeadersPolicyId"]["Ref"]
    headers = template["Resources"][policy_name]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] is True and hsts["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert "default-src 'none'" in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert headers["ContentTypeOptions"]["Override"] is True
    # The edge web ACL (waf=yes) comes from us-east-1, the only Region of CLOUDFRONT web ACLs.
    if case["waf"] == "yes":
        assert config["WebACLId"] == {"Ref": "EdgeWebAclArn"}
        pattern = template["Parameters"]["EdgeWebAclArn"]["AllowedPattern"]
        assert re.fullmatch(pattern, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/svc-edge-waf/0a1b2c3d-0000-4000-8000-00000000a1c1")
        assert not re.fullmatch(pattern, "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/svc-api/0a1b2c3d-0000-4000-8000-00000000a1c1")
    else:
        assert "WebACLId" not in config


@pytest.mark.parametrize("case", CDN_CASES[:2], ids=cdn_case_id)
def test_the_edge_logs_reach_a_bucket_cloudfront_can_deliver_to(case: dict[str, str]) -> None:
    # Standard logging (legacy) needs ACLs on the bucket (not BucketOwnerEnforced), sets the
    # log delivery grant with the deployer's credentials, and delivers to no opt-in Region.
    template = load_yaml(render_stack(**case))
    bucket = template["Resources"]["EdgeLogsBucket"]["Properties"]
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [expiry] = bucket["LifecycleConfiguration"]["Rules"]
    assert expiry["ExpirationInDays"] == {"Ref": "LogRetentionInDays"}
    assert distribution(template)["Logging"]["Bucket"] == {"Fn::GetAtt": ["EdgeLogsBucket", "DomainName"]}
    regions = template["Rules"]["EdgeLogsCanBeDelivered"]["Assertions"][0]["Assert"]["Fn::Not"][0]["Fn::Contains"][0]
    assert {"af-south-1", "ap-east-1", "eu-south-1", "me-south-1"} <= set(regions) and "eu-west-1" not in regions
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    if case["kms"] == "customer-managed":
        statements = template["Resources"]["ServiceKey"]["Properties"]["KeyPolicy"]["Statement"]
        assert any(statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"} for statement in statements)
        assert encryption["SSEAlgorithm"] == "aws:kms"
    else:
        assert encryption == {"SSEAlgorithm": "AES256"}, "log delivery cannot use the AWS managed key aws/s3"
    # A custom domain comes with its certificate, or neither.
    [assertion] = template["Rules"]["EdgeDomainNeedsItsCertificate"]["Assertions"]
    assert "EdgeCertificateArn" in json.dumps(assertion) and "EdgeDomainName" in json.dumps(assertion)
    pattern = template["Parameters"]["EdgeCertificateArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001")
    assert not re.fullmatch(pattern, "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001")


def test_the_pipeline_role_may_resolve_the_origin_secret_and_grant_log_delivery() -> None:
    # CloudFormation resolves {{resolve:secretsmanager:...}} with the deploying role's
    # credentials; CloudFront sets the log bucket's ACL with them. Neither call is in the
    # resource schemas that test_cloudformation_role reads.
    env, context = stack_environment(event_source="api", cdn="yes", waf="yes", ci="github")
    bootstrap = load_yaml(env.get_template("pipeline/bootstrap.yaml").render(**context))
    statements = bootstrap["Resources"]["CloudFormationExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    def granted(action: str) -> list[str]:
        return [json.dumps(statement["Resource"]) for statement in statements if statement["Effect"] == "Allow" and action in json.dumps(statement["Action"])]

    assert any("secret:OriginVerifySecret-*" in resource for resource in granted("secretsmanager:GetSecretValue"))
    assert any("-cf-*" in resource for resource in granted("s3:PutBucketAcl"))
    assert any("-cf-*" in resource for resource in granted("s3:GetBucketAcl"))
    # The secret's generated name starts with its logical id, which the grant names.
    assert "OriginVerifySecret" in load_yaml(render_stack(event_source="api", cdn="yes"))["Resources"]
