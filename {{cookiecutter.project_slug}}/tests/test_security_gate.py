"""The security gate's rules, each shown to fire on a template that breaks it and to stay
quiet on one that does not. `make gate` runs the same rules on this project's template."""

from __future__ import annotations

from typing import Any

import pytest

from scripts import security_gate as gate

ROLE = "AWS::IAM::Role"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def with_resources(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def role(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": ROLE, "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": policy(*statements)}]}}


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def complete_function() -> dict[str, Any]:
    return with_resources(
        Fn={
            "Type": "AWS::Lambda::Function",
            "Properties": {"TracingConfig": {"Mode": "Active"}, "LoggingConfig": {"LogGroup": {"Ref": "FnLogGroup"}}},
        },
        FnLogGroup={"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 365}},
        FnAlias={"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}}},
    )


@pytest.mark.parametrize("action", ["*", "s3:*", "dynamodb:Get*", ["logs:PutLogEvents", "sqs:*"]])
def test_wildcard_actions_are_findings(action: Any) -> None:
    assert gate.star_action_findings(with_resources(R=role(allow(action, "arn:aws:s3:::b/*"))))


def test_star_resource_needs_a_listed_reason() -> None:
    assert gate.star_resource_findings(with_resources(R=role(allow("s3:GetObject", "*"))))
    assert not gate.star_resource_findings(with_resources(R=role(allow("xray:PutTraceSegments", "*"))))


def test_key_policies_may_use_star_resource() -> None:
    key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": policy(allow("kms:Decrypt", "*"))}}
    assert not gate.star_resource_findings(with_resources(Key=key))


def test_permissions_need_a_source_arn() -> None:
    bare = {"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com"}}
    scoped = {"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com", "SourceArn": "a"}}
    assert gate.permission_findings(with_resources(P=bare))
    assert not gate.permission_findings(with_resources(P=scoped))


def test_a_complete_function_passes() -> None:
    assert gate.function_findings(complete_function()) == []


@pytest.mark.parametrize("missing", ["FnLogGroup", "FnAlias"])
def test_a_function_without_log_group_or_alias_fails(missing: str) -> None:
    template = complete_function()
    del template["Resources"][missing]
    assert gate.function_findings(template)


def test_a_function_without_tracing_fails() -> None:
    template = complete_function()
    del template["Resources"]["Fn"]["Properties"]["TracingConfig"]
    assert gate.function_findings(template) == ["Fn: function without active X-Ray tracing"]


def test_a_function_logging_to_a_group_without_retention_fails() -> None:
    template = complete_function()
    del template["Resources"]["FnLogGroup"]["Properties"]["RetentionInDays"]
    assert gate.function_findings(template) == [
        "Fn: function without its own log group with retention (LoggingConfig.LogGroup)"
    ]


INSTANCE = {"Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]}]}


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate"])
def test_a_retained_resource_with_a_fixed_name_fails(policy: str) -> None:
    # sam delete leaves it behind, and the next create of the same stack fails: "already exists".
    def queue(name: Any, deletion_policy: str = policy) -> dict[str, Any]:
        resource = {"Type": "AWS::SQS::Queue", "DeletionPolicy": deletion_policy, "Properties": {"QueueName": name}}
        return with_resources(Api={"Type": "AWS::ApiGateway::RestApi", "Properties": {}}, Queue=resource)

    assert gate.retained_name_findings(queue({"Fn::Sub": "${AWS::StackName}-dlq"}))
    assert gate.retained_name_findings(queue("orders-dlq"))
    assert not gate.retained_name_findings(queue({"Fn::Sub": ["${AWS::StackName}-dlq-${I}", {"I": INSTANCE}]}))
    assert not gate.retained_name_findings(queue({"Fn::Sub": "API-Gateway-Execution-Logs_${Api}/live"}))
    assert not gate.retained_name_findings(queue({"Fn::Sub": "${AWS::StackName}-dlq"}, deletion_policy="Delete"))
    generated = queue(None)
    del generated["Resources"]["Queue"]["Properties"]["QueueName"]
    assert not gate.retained_name_findings(generated)


def test_api_methods_need_an_authorizer_and_an_api_key() -> None:
    def api(security: list[dict[str, list[str]]]) -> dict[str, Any]:
        body = {"paths": {"/items": {"post": {"security": security}}}}
        return with_resources(Api={"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}})

    assert len(gate.api_method_findings(api([]))) == 2
    assert gate.api_method_findings(api([{"api_key": []}])) == ["Api: POST /items has no authorizer"]
    assert gate.api_method_findings(api([{"CognitoAuthorizer": []}, {"api_key": []}])) == []


AUTHORIZER_ALIAS = {"Ref": "AuthorizerFunctionAliaslive"}
EXECUTE_API = "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}"
AUTHORIZERS_OF_THIS_API = {"Fn::Sub": [EXECUTE_API + ":${__ApiId__}/authorizers/*", {"__ApiId__": {"Ref": "Api"}}]}


def token_authorized_api(**changes: Any) -> dict[str, Any]:
    """A REST API with a TOKEN authorizer on its method and the permission SAM writes for it."""
    authorizer = {
        "type": "token",
        "identityValidationExpression": "^Bearer [-0-9A-Za-z_.]+$",
        "authorizerUri": {
            "Fn::Sub": [".../functions/${__FunctionArn__}/invocations", {"__FunctionArn__": AUTHORIZER_ALIAS}]
        },
    }
    authorizer.update(changes.get("authorizer", {}))
    schemes = {
        "OidcAuthorizer": {"x-amazon-apigateway-authtype": "custom", "x-amazon-apigateway-authorizer": authorizer}
    }
    security = changes.get("security", [{"OidcAuthorizer": []}, {"api_key": []}])
    body = {"securityDefinitions": schemes, "paths": {"/items": {"post": {"security": security}}}}
    permission = {
        "Action": "lambda:InvokeFunction",
        "FunctionName": AUTHORIZER_ALIAS,
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": changes.get("source_arn", AUTHORIZERS_OF_THIS_API),
    }
    return with_resources(
        Api={"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}},
        AuthorizerPermission={"Type": "AWS::Lambda::Permission", "Properties": permission},
    )


def test_a_token_authorizer_on_every_method_invoked_by_this_api_only_passes() -> None:
    assert gate.lambda_authorizer_findings(token_authorized_api()) == []


@pytest.mark.parametrize(
    ("changes", "finding"),
    [
        ({"security": [{"api_key": []}]}, "Api: POST /items has no Lambda authorizer"),
        ({"authorizer": {"identityValidationExpression": ""}}, "OidcAuthorizer has no ValidationExpression"),
        ({"source_arn": "arn:aws:execute-api:eu-west-1:123456789012:*/authorizers/*"}, "not scoped"),  # any API
        ({"source_arn": {"Fn::Sub": EXECUTE_API + ":${Api}/*"}}, "not scoped"),  # the API's methods, not authorizers
        ({"authorizer": {"authorizerUri": "arn:aws:apigateway:...:function:other/invocations"}}, "no permission lets"),
    ],
)
def test_a_lambda_authorizer_missing_unchecked_or_invocable_by_other_apis_fails(changes: Any, finding: str) -> None:
    findings = gate.lambda_authorizer_findings(token_authorized_api(**changes))
    assert len(findings) == 1
    assert finding in findings[0]


def tls_policy(kind: str, target_key: str, target: str) -> dict[str, Any]:
    deny = {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    return {"Type": kind, "Properties": {target_key: [{"Ref": target}], "PolicyDocument": policy(deny)}}


def test_queues_must_be_encrypted_and_tls_only() -> None:
    queue: dict[str, Any] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    assert len(gate.messaging_findings(with_resources(Q=queue))) == 2
    queue["Properties"]["KmsMasterKeyId"] = "alias/aws/sqs"
    secured = with_resources(Q=queue, QP=tls_policy("AWS::SQS::QueuePolicy", "Queues", "Q"))
    assert gate.messaging_findings(secured) == []


def test_topic_encryption_skip_needs_the_gate_metadata() -> None:
    topic: dict[str, Any] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    template = with_resources(T=topic, TP=tls_policy("AWS::SNS::TopicPolicy", "Topics", "T"))
    assert gate.messaging_findings(template) == ["T: topic is not encrypted at rest"]
    topic["Metadata"] = {"security-gate": {"skip": [{"id": "topic-encryption", "comment": "x" * 30}]}}
    assert gate.messaging_findings(template) == []


@pytest.mark.parametrize(
    "metadata",
    [
        {"checkov": {"skip": [{"id": "CKV_AWS_1"}]}},
        {"checkov": {"skip": [{"id": "CKV_AWS_1", "comment": "because"}]}},
        {"security-gate": {"skip": [{"id": "topic-encryption", "comment": ""}]}},
        {"cfn-lint": {"config": {"ignore_checks": ["W1001"]}}},
        {"compliance": {"skip": [{"id": "CT.LAMBDA.PR.3"}]}},
    ],
)
def test_suppressions_without_a_written_reason_are_findings(metadata: dict[str, Any]) -> None:
    assert gate.suppression_findings(with_resources(R={"Type": "AWS::SNS::Topic", "Metadata": metadata}))


def test_suppressions_with_a_reason_pass() -> None:
    metadata = {"checkov": {"skip": [{"id": "CKV_AWS_1", "comment": "a reason that explains the choice"}]}}
    assert gate.suppression_findings(with_resources(R={"Type": "AWS::SNS::Topic", "Metadata": metadata})) == []


def test_poll_based_mappings_report_batch_failures_and_streams_have_on_failure() -> None:
    stream = {"EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]}, "FunctionResponseTypes": []}
    findings = gate.mapping_findings(
        with_resources(M={"Type": "AWS::Lambda::EventSourceMapping", "Properties": stream})
    )
    assert len(findings) == 2


def test_queues_need_a_redrive_policy_unless_they_are_the_dead_letter_queue() -> None:
    template = with_resources(
        Q={"Type": "AWS::SQS::Queue", "Properties": {}},
        QDeadLetterQueue={"Type": "AWS::SQS::Queue", "Properties": {}},
    )
    assert gate.redrive_findings(template) == ["Q: queue without a redrive policy to a dead-letter queue"]


def test_rule_targets_need_a_dlq_and_a_retry_policy() -> None:
    rule = {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "Fn", "Arn": "a"}]}}
    assert gate.rule_target_findings(with_resources(R=rule))


def test_async_invoked_functions_need_an_on_failure_destination() -> None:
    permission = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {"Principal": "events.amazonaws.com", "FunctionName": {"Ref": "FnAliaslive"}, "SourceArn": "a"},
    }
    config = {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {"FunctionName": {"Ref": "Fn"}, "DestinationConfig": {"OnFailure": {"Destination": "q"}}},
    }
    assert gate.invoke_config_findings(with_resources(P=permission))
    assert gate.invoke_config_findings(with_resources(P=permission, C=config)) == []


def rest_api(statement: dict[str, Any], *, private: bool = False, sigv4: bool = False) -> dict[str, Any]:
    schemes = {"api_key": {"type": "apiKey"}}
    if sigv4:
        schemes["AWS_IAM"] = {"type": "apiKey", "x-amazon-apigateway-authtype": "awsSigv4"}
    body = {"securityDefinitions": schemes, "x-amazon-apigateway-policy": policy(statement)}
    properties: dict[str, Any] = {"Body": body}
    if private:
        properties["EndpointConfiguration"] = {"Types": ["PRIVATE"]}
    return with_resources(Api={"Type": "AWS::ApiGateway::RestApi", "Properties": properties})


def deny_outside(key: str) -> dict[str, Any]:
    condition = {"NotIpAddress": {key: "10.0.0.0/8"}}
    return {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Condition": condition}


def test_a_private_api_must_not_condition_on_the_public_source_ip() -> None:
    assert gate.api_policy_findings(rest_api(deny_outside("aws:SourceIp"), private=True))
    assert not gate.api_policy_findings(rest_api(deny_outside("aws:VpcSourceIp"), private=True))
    assert not gate.api_policy_findings(rest_api(deny_outside("aws:SourceIp")))


ANYONE = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke"}
THIS_ACCOUNT = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "execute-api:Invoke",
}


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_an_iam_authorized_api_must_not_allow_every_account(principal: Any) -> None:
    assert gate.api_policy_findings(rest_api({**ANYONE, "Principal": principal}, sigv4=True))


def test_an_iam_authorized_api_may_allow_this_account_or_an_account_condition() -> None:
    assert not gate.api_policy_findings(rest_api(THIS_ACCOUNT, sigv4=True))
    scoped = {**ANYONE, "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}}
    assert not gate.api_policy_findings(rest_api(scoped, sigv4=True))
    assert not gate.api_policy_findings(rest_api(ANYONE))  # a token authorizer decides who passes


def signed_function(*layers: Any, **extra: dict[str, Any]) -> dict[str, Any]:
    properties = {"CodeSigningConfigArn": {"Ref": "CodeSigningConfig"}, "Layers": list(layers)}
    return with_resources(Fn={"Type": "AWS::Lambda::Function", "Properties": properties}, **extra)


def test_a_signed_function_takes_no_layer_its_profile_did_not_sign() -> None:
    public = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:1"
    assert gate.signed_layer_findings(signed_function(public))
    assert gate.signed_layer_findings(signed_function({"Ref": "PowertoolsLayerArn"}))
    own = {"Type": "AWS::Lambda::LayerVersion", "Properties": {}}
    assert not gate.signed_layer_findings(signed_function({"Ref": "OwnLayer"}, OwnLayer=own))
    assert not gate.signed_layer_findings(signed_function())
    unsigned = with_resources(Fn={"Type": "AWS::Lambda::Function", "Properties": {"Layers": [public]}})
    assert not gate.signed_layer_findings(unsigned)


def graphql_api(**changes: Any) -> dict[str, Any]:
    properties = {
        "AuthenticationType": "AWS_IAM",
        "QueryDepthLimit": 4,
        "ResolverCountLimit": 10,
        "IntrospectionConfig": "DISABLED",
        "LogConfig": {"FieldLogLevel": "ERROR", "ExcludeVerboseContent": True},
    }
    properties.update(changes)
    return with_resources(GraphqlApi={"Type": "AWS::AppSync::GraphQLApi", "Properties": properties})


def test_a_bounded_graphql_api_without_api_keys_passes() -> None:
    assert gate.graphql_findings(graphql_api()) == []
    oidc = {"Issuer": "https://idp.example.com/", "ClientId": "^service$"}
    assert gate.graphql_findings(graphql_api(AuthenticationType="OPENID_CONNECT", OpenIDConnectConfig=oidc)) == []


@pytest.mark.parametrize(
    ("changes", "finding"),
    [
        ({"AuthenticationType": "API_KEY"}, "API_KEY"),
        ({"AdditionalAuthenticationProviders": [{"AuthenticationType": "API_KEY"}]}, "API_KEY"),
        ({"LogConfig": {"FieldLogLevel": "ALL"}}, "ExcludeVerboseContent"),
        ({"LogConfig": {"FieldLogLevel": "NONE", "ExcludeVerboseContent": True}}, "no field logs"),
        ({"AuthenticationType": "OPENID_CONNECT", "OpenIDConnectConfig": {"Issuer": "https://idp"}}, "any client"),
        ({"AdditionalAuthenticationProviders": [{"AuthenticationType": "OPENID_CONNECT"}]}, "any client"),
    ],
)
def test_a_graphql_api_keyed_or_logging_bodies_fails(changes: dict[str, Any], finding: str) -> None:
    findings = gate.graphql_findings(graphql_api(**changes))
    assert len(findings) == 1, findings
    assert finding in findings[0]


@pytest.mark.parametrize("setting", sorted(gate.GRAPHQL_SETTINGS))
def test_a_graphql_api_without_its_limits_fails(setting: str) -> None:
    template = graphql_api()
    del template["Resources"]["GraphqlApi"]["Properties"][setting]
    assert gate.graphql_findings(template) == [f"GraphqlApi: no {setting}: {gate.GRAPHQL_SETTINGS[setting]}"]


def test_an_appsync_api_key_fails() -> None:
    template = graphql_api()
    template["Resources"]["Key"] = {"Type": "AWS::AppSync::ApiKey", "Properties": {"ApiId": "x"}}
    assert gate.graphql_findings(template) == ["Key: an API key is not authorization"]


def edge_stack(acl_statement: dict[str, Any], sent: Any = "secret-ref") -> dict[str, Any]:
    """A distribution in front of an API stage whose web ACL's first rule is `acl_statement`."""
    origin = {
        "DomainName": {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
        "OriginCustomHeaders": [{"HeaderName": "X-Origin-Verify", "HeaderValue": sent}],
    }
    rule = {"Priority": 0, "Action": {"Block": {}}, "Statement": acl_statement}
    return with_resources(
        Edge={"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {"Origins": [origin]}}},
        Acl={"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [rule]}},
        Association={
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                "ResourceArn": {"Fn::Sub": "arn:aws:apigateway:r::/restapis/${Api}/stages/live"},
                "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]},
            },
        },
    )


def header_equals(value: Any, constraint: str = "EXACTLY") -> dict[str, Any]:
    field = {"SingleHeader": {"Name": "x-origin-verify"}}
    return {
        "ByteMatchStatement": {
            "FieldToMatch": field,
            "PositionalConstraint": constraint,
            "SearchString": value,
            "TextTransformations": [],
        }
    }


def test_an_api_behind_cloudfront_that_blocks_requests_without_its_header_passes() -> None:
    assert not gate.edge_origin_findings(edge_stack({"NotStatement": {"Statement": header_equals("secret-ref")}}))
    rotating = {
        "Fn::If": [
            "Rotating",
            {"OrStatement": {"Statements": [header_equals("new"), header_equals("old")]}},
            header_equals("secret-ref"),
        ]
    }
    assert not gate.edge_origin_findings(
        edge_stack({"NotStatement": {"Statement": rotating}}, {"Fn::If": ["Rotating", "new", "secret-ref"]})
    )


@pytest.mark.parametrize(
    "statement",
    [
        header_equals("secret-ref"),  # blocks the callers that do come through CloudFront
        {"NotStatement": {"Statement": header_equals("another-value")}},  # CloudFront's own requests are blocked
        {"NotStatement": {"Statement": header_equals("secret-ref", "CONTAINS")}},  # any value containing it passes
    ],
)
def test_an_api_reachable_without_cloudfront_fails(statement: dict[str, Any]) -> None:
    assert gate.edge_origin_findings(edge_stack(statement))


def test_an_api_behind_cloudfront_without_a_stage_web_acl_fails() -> None:
    template = edge_stack({"NotStatement": {"Statement": header_equals("secret-ref")}})
    del template["Resources"]["Association"]
    assert gate.edge_origin_findings(template)
