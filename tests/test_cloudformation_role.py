"""The CloudFormation execution role of pipeline/bootstrap.yaml covers what the service stack
does, action by action and ARN by ARN, for every accepted combination of answers.

What CloudFormation calls for a resource is what the resource type's handlers call: the
CloudFormation resource provider schemas list, per type, the IAM actions of the create,
update and delete handlers (`handlers.<name>.permissions`). cfn-lint ships those schemas as
package data (`cfnlint/data/schemas/providers/<region>.json` maps each type to
`resources/<hash>.json`), at the version the baked project pins. Those lists are supersets:
they name every action any property may need (S3 Tables, replication, Kinesis streaming...).
So every listed action is either

- granted by the role on the ARN the action acts on in this stack (computed from the
  SAM-transformed stack: physical names as CloudFormation makes them, ids as placeholders),
  with every condition of the granting statement met (stack tags, iam:PassedToService,
  lambda:FunctionArn, iam:PolicyARN), in every environment the bootstrap serves; or
- in EXCLUSIONS, which names the property the action belongs to and why this stack does
  not set it. A resource that sets an excluded property fails the test (the action is then
  needed), and so does an action a newer schema adds that is neither granted nor excluded.

Cheapest faithful approach: no bake. Each accepted combination's template.yaml and
bootstrap.yaml are rendered with cookiecutter's own Jinja environment (as support.render_stack
does, one environment for all), identical renders are checked once, and each distinct stack is
transformed in-process by the baked project's own scripts/sam_transform.py with the
aws-sam-translator its Makefile pins (the template repository's dev group pins the same
version, and cfn-lint's, which test_pins_follow_the_baked_project checks). Nothing calls AWS.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.resources
import json
import logging
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
from samtranslator.sdk.parameter import SamParameterValues
from samtranslator.translator import translator
from support import (
    IAM_PREFIX,
    ROOT,
    TEMPLATE_DIR,
    Answers,
    answers,
    baked_script,
    combination_id,
    enabled_combinations,
    enabled_values,
    load_yaml,
    physical_name,
    stack_environment,
    stack_source,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
ENVIRONMENTS = ("staging", "production")
SCHEMA_REGION = "us-east-1"  # the region whose schemas list the most properties and actions
HANDLERS = ("create", "update", "delete")
# Placeholder ids for what AWS generates (the role can only scope these by tag or by account).
RANDOM_SUFFIX = "A1B2C3D4E5F6G"
ARTIFACTS_BUCKET = "inventory-artifacts-bucket"
# Where scripts/sam_transform.py points every CodeUri; `sam deploy` uploads to the artifacts bucket.
PLACEHOLDER_BUCKET = "placeholder-artifacts-bucket"
# AppSync actions its service authorization reference gives no resource type: IAM matches them on "*" only.
# The security gate's table of "*"-only actions is the one list of them (the bootstrap grants them there).
APPSYNC_WITHOUT_RESOURCE_TYPE = {
    action
    for action, why in baked_script("security_gate").STAR_RESOURCE_ACTIONS.items()
    if action.startswith("appsync:") and why == "AppSync gives this action no resource type"
}
assert APPSYNC_WITHOUT_RESOURCE_TYPE, "the security gate lists no AppSync action without a resource type"
GRAPHQL_API_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3"  # AppSync API ids are 26 random characters
POWERTOOLS_LAYER = f"arn:{PARTITION}:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7"


# ---------------------------------------------------------------------------- exclusions
@dataclass(frozen=True)
class Exclusion:
    """An action the schema lists that this stack never makes CloudFormation call: it belongs
    to `prop` (a path into the resource's Properties, `[]` for every list item; `UpdatePolicy`
    for the resource attribute), which the stack does not set, or sets only to values for which
    `fine` is true. A few have no property at all (`prop` None): the schema lists them for a
    feature no property of this type turns on; those the guard cannot re-check, so keep them few."""

    prop: str | None  # None: no property of the type governs the call (the reason says why it is not made)
    why: str
    fine: Callable[[Any], bool] | None = None


def _table(*groups: tuple[str, str | None, str, tuple[str, ...]] | tuple[str, str | None, str, tuple[str, ...], Callable[[Any], bool]]) -> dict[tuple[str, str], Exclusion]:
    table: dict[tuple[str, str], Exclusion] = {}
    for group in groups:
        kind, prop, why, actions = group[:4]
        fine = group[4] if len(group) == 5 else None  # type: ignore[misc]
        for action in actions:
            assert (kind, action) not in table, f"{kind} {action} is excluded twice"
            table[(kind, action)] = Exclusion(prop, why, fine)
    return table


def _only_log_groups(destinations: Any) -> bool:
    return all(":logs:" in json.dumps(destination) for destination in destinations)


def _only_synchronous_apis(resource_arn: Any) -> bool:
    return any(service in json.dumps(resource_arn) for service in (":apigateway:", ":appsync:"))


def _only_aws_managed_rule_groups(rules: Any) -> bool:
    vendors = re.findall(r'"VendorName": "([^"]+)"', json.dumps(rules))
    return set(vendors) <= {"AWS"}


def _true(value: Any) -> bool:
    return value is True or value == "true"


EXCLUSIONS = _table(
    # AWS::ApiGateway::RestApi: the stack gives the OpenAPI definition inline (Body).
    ("AWS::ApiGateway::RestApi", "BodyS3Location", "the OpenAPI body is inline, not read from S3", ("s3:GetObject",)),
    ("AWS::ApiGateway::RestApi", None, "only integrations with credentials (a role in the OpenAPI body) pass a role; no integration here runs with a role (Lambda proxy integrations use the function's resource policy)", ("iam:PassRole",)),
    # AWS::Backup (backups=yes)
    ("AWS::Backup::BackupVault", "Notifications", "no vault notifications: failed jobs are AWS Backup's own events", ("backup:PutBackupVaultNotifications", "backup:DeleteBackupVaultNotifications")),
    ("AWS::Backup::BackupVault", "LockConfiguration", "no Vault Lock: a lock in compliance mode cannot be undone, so it is the account owner's decision (docs/deployment.md)", ("backup:PutBackupVaultLockConfiguration", "backup:DeleteBackupVaultLockConfiguration")),
    ("AWS::Backup::BackupPlan", "BackupPlan.ScanSettings", "no malware scanning of recovery points (its scanner role)", ("iam:PassRole",)),
    # AWS::Pipes::Pipe (stream_delivery=eventbridge): logs go to CloudWatch Logs only.
    ("AWS::Pipes::Pipe", "LogConfiguration.FirehoseLogDestination", "the pipe logs to CloudWatch Logs, not to Firehose", ("firehose:TagDeliveryStream",)),
    ("AWS::Pipes::Pipe", "LogConfiguration.S3LogDestination", "the pipe logs to CloudWatch Logs, not to an S3 bucket (whose policy the handler would edit)", ("s3:GetBucketPolicy", "s3:PutBucketPolicy")),
    ("AWS::Pipes::Pipe", None, "the pipe runs with its own role (RoleArn); no service-linked role is involved", ("iam:CreateServiceLinkedRole",)),
    # AWS::CodeDeploy::DeploymentGroup
    ("AWS::CodeDeploy::DeploymentGroup", "OnPremisesInstanceTagFilters", "Lambda deployments have no on-premises instances", ("codedeploy:RegisterOnPremisesInstance",)),
    # AWS::Cognito::UserPool
    ("AWS::Cognito::UserPool", "SmsConfiguration", "no SMS: MFA is TOTP only, codes go by email", ("iam:PassRole", "iam:CreateServiceLinkedRole")),
    ("AWS::Cognito::UserPool", "LambdaConfig.KMSKeyID", "no custom sender triggers, whose codes a KMS key encrypts", ("kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")),
    ("AWS::Cognito::UserPool", "Schema", "no custom attributes", ("cognito-idp:AddCustomAttributes",)),
    ("AWS::Cognito::UserPoolClient", "AnalyticsConfiguration", "no Amazon Pinpoint analytics (its role and service-linked role)", ("iam:CreateServiceLinkedRole", "iam:PassRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy")),
    # AWS::DynamoDB::Table
    ("AWS::DynamoDB::Table", "ImportSourceSpecification", "the table starts empty: no import from S3, whose progress the import logs to CloudWatch Logs", ("dynamodb:ImportTable", "dynamodb:DescribeImport", "s3:GetObject", "s3:GetObjectMetadata", "s3:ListBucket", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy", "dynamodb:BatchWriteItem", "dynamodb:PutItem")),
    ("AWS::DynamoDB::Table", "KinesisStreamSpecification", "changes reach the function through the DynamoDB stream, not Kinesis", ("dynamodb:EnableKinesisStreamingDestination", "dynamodb:DisableKinesisStreamingDestination", "dynamodb:UpdateKinesisStreamingDestination", "dynamodb:DescribeKinesisStreamingDestination", "kinesis:DescribeStream", "kinesis:PutRecords")),
    ("AWS::DynamoDB::Table", "ResourcePolicy", "access is granted by the function roles' identity policies", ("dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:GetResourcePolicy")),
    ("AWS::DynamoDB::Table", "ContributorInsightsSpecification", "no Contributor Insights", ("dynamodb:UpdateContributorInsights", "dynamodb:DescribeContributorInsights", "iam:CreateServiceLinkedRole")),
    ("AWS::DynamoDB::Table", None, "single-Region tables (AWS::DynamoDB::Table has no replicas property; its handler manages replicas of a table turned global outside CloudFormation)", ("dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica")),
    ("AWS::DynamoDB::Table", None, "CloudFormation never reads or writes items of this stack's tables (the schema lists item calls for table replicas and imports)", ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem")),
    ("AWS::DynamoDB::Table", "SSESpecification.KMSMasterKeyId", "the key is given by ARN or id, never by alias name, so no alias lookup", ("kms:ListAliases",), lambda value: "alias/" not in json.dumps(value)),
    ("AWS::DynamoDB::Table", "SSESpecification.KMSMasterKeyId", "the table's key: customer managed keys are named here, AWS managed keys need no key permission", ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:RevokeGrant")),
    # AWS::Events
    ("AWS::Events::EventBus", "Policy", "no cross-account senders: the bus has no resource policy", ("events:PutPermission", "events:RemovePermission")),
    ("AWS::Events::EventBus", "KmsKeyIdentifier", "customer managed key only: AWS owned keys need no key permission", ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")),
    ("AWS::Events::Rule", "Targets[].RoleArn", "the Lambda target is invoked through its resource policy, with no role", ("iam:PassRole",)),
    # AWS::IAM::Role
    ("AWS::IAM::Role", "PermissionsBoundary", "no permissions boundary", ("iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary")),
    ("AWS::IAM::Role", "ManagedPolicyArns", "only roles with managed policies attach them", ("iam:AttachRolePolicy", "iam:DetachRolePolicy")),
    # AWS::KMS::Key
    ("AWS::KMS::Key", "Enabled", "keys stay enabled", ("kms:DisableKey", "kms:EnableKey")),
    ("AWS::KMS::Key", "EnableKeyRotation", "rotation is always on", ("kms:DisableKeyRotation",), _true),
    # AWS::Lambda
    ("AWS::Lambda::Alias", "ProvisionedConcurrencyConfig", "no provisioned concurrency", ("lambda:PutProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig", "lambda:DeleteProvisionedConcurrencyConfig")),
    ("AWS::Lambda::Alias", "UpdatePolicy", "only aliases shifted by CodeDeploy (AutoPublishAlias + DeploymentPreference)", ("codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig", "codedeploy:GetDeploymentGroup", "codedeploy:StopDeployment")),
    ("AWS::Lambda::EventSourceMapping", "KmsKeyArn", "filter criteria are not encrypted with a customer managed key", ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey")),
    ("AWS::Lambda::Function", "VpcConfig", "only functions in a VPC (vpc=yes)", ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces")),
    ("AWS::Lambda::Function", "FileSystemConfigs", "no EFS or S3 Files mounts", ("elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets")),
    ("AWS::Lambda::Function", "KmsKeyArn", "environment variables with a customer managed key only (kms=customer-managed)", ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")),
    ("AWS::Lambda::Function", "CapacityProviderConfig", "no Lambda Managed Instances", ("lambda:PassCapacityProvider", "lambda:PutFunctionScalingConfig")),
    ("AWS::Lambda::Function", "RecursiveLoop", "recursive loop detection keeps its default (Terminate)", ("lambda:PutFunctionRecursionConfig", "lambda:GetFunctionRecursionConfig")),
    ("AWS::Lambda::Function", "RuntimeManagementConfig.RuntimeAlias", "runtimes are named, not aliased", ("lambda:AssociateRuntimeAlias",)),
    ("AWS::Lambda::Function", "CodeSigningConfigArn", "only signed functions (code_signing=yes)", ("lambda:GetCodeSigningConfig",)),
    ("AWS::Lambda::Function", "Layers", "only functions with a layer (not under code signing)", ("lambda:GetLayerVersion",)),
    ("AWS::Lambda::Function", "ReservedConcurrentExecutions", "only with reserved concurrency", ("lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency")),
    ("AWS::Lambda::Version", "ProvisionedConcurrencyConfig", "no provisioned concurrency", ("lambda:PutProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig")),
    ("AWS::Lambda::Version", "FunctionScalingConfig", "no Lambda Managed Instances", ("lambda:PutFunctionScalingConfig",)),
    ("AWS::Lambda::Version", "RuntimePolicy", "the version follows the function's runtime management", ("lambda:PutRuntimeManagementConfig", "lambda:GetRuntimeManagementConfig")),
    # AWS::Logs::LogGroup
    ("AWS::Logs::LogGroup", "DataProtectionPolicy", "no log data masking", ("logs:PutDataProtectionPolicy", "logs:DeleteDataProtectionPolicy", "logs:GetDataProtectionPolicy")),
    ("AWS::Logs::LogGroup", "FieldIndexPolicies", "no field indexes", ("logs:PutIndexPolicy", "logs:DeleteIndexPolicy", "logs:DescribeIndexPolicies")),
    ("AWS::Logs::LogGroup", "ResourcePolicyDocument", "no log group resource policy (WAF's log delivery policy is the account-level one)", ("logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies")),
    ("AWS::Logs::LogGroup", "DeletionProtectionEnabled", "log groups are kept by DeletionPolicy: Retain where it matters, not by deletion protection", ("logs:PutLogGroupDeletionProtection",)),
    ("AWS::Logs::LogGroup", "BearerTokenAuthenticationEnabled", "no bearer-token ingestion", ("logs:PutBearerTokenAuthentication",)),
    ("AWS::Logs::LogGroup", "LogGroupClass", "Standard class: no delivery to Firehose or S3 from the log group", ("logs:CreateLogDelivery", "firehose:TagDeliveryStream"), lambda value: value == "STANDARD"),
    # AWS::S3::Bucket
    ("AWS::S3::Bucket", "AnalyticsConfigurations", "no storage class analysis", ("s3:PutAnalyticsConfiguration",)),
    ("AWS::S3::Bucket", "CorsConfiguration", "no browser access", ("s3:PutBucketCORS",)),
    ("AWS::S3::Bucket", "InventoryConfigurations", "no inventory reports", ("s3:PutInventoryConfiguration",)),
    ("AWS::S3::Bucket", "MetricsConfigurations", "no request metrics", ("s3:PutMetricsConfiguration",)),
    ("AWS::S3::Bucket", "ReplicationConfiguration", "no replication (and so no replication role to pass)", ("s3:PutReplicationConfiguration", "iam:PassRole")),
    ("AWS::S3::Bucket", "WebsiteConfiguration", "not a website", ("s3:PutBucketWebsite", "s3:DeleteBucketWebsite")),
    ("AWS::S3::Bucket", "AccelerateConfiguration", "no transfer acceleration", ("s3:PutAccelerateConfiguration",)),
    ("AWS::S3::Bucket", "ObjectLockEnabled", "no object lock", ("s3:PutBucketObjectLockConfiguration", "s3:PutObjectLockConfiguration")),
    ("AWS::S3::Bucket", "IntelligentTieringConfigurations", "no Intelligent-Tiering archive tiers", ("s3:PutIntelligentTieringConfiguration",)),
    ("AWS::S3::Bucket", "AbacStatus", "no attribute-based access control on the bucket", ("s3:PutBucketAbac",)),
    ("AWS::S3::Bucket", "AccessControl", "ACLs are disabled (BucketOwnerEnforced): no canned ACL on the bucket or its objects", ("s3:PutBucketAcl", "s3:PutObjectAcl", "s3:GetBucketAcl")),
    ("AWS::S3::Bucket", "MetadataConfiguration", "no S3 Metadata tables (S3 Tables)", ("s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucketMetadataTableConfiguration", "s3:GetBucketMetadataTableConfiguration", "s3:UpdateBucketMetadataJournalTableConfiguration", "s3:UpdateBucketMetadataInventoryTableConfiguration", "s3:UpdateBucketMetadataAnnotationTableConfiguration", "s3tables:CreateNamespace", "s3tables:CreateTable", "s3tables:CreateTableBucket", "s3tables:GetTable", "s3tables:PutTableBucketPolicy", "s3tables:PutTableEncryption", "s3tables:PutTablePolicy", "s3tables:GetTableMetadataLocation", "s3tables:UpdateTableMetadataLocation")),
    ("AWS::S3::Bucket", None, "CloudFormation never empties a bucket (DeleteBucket fails on a non-empty one, whatever the DeletionPolicy) and no property of this stack writes objects", ("s3:DeleteObject",)),
    # AWS::SNS::Topic
    ("AWS::SNS::Topic", "DeliveryStatusLogging", "no delivery status logging (its IAM role)", ("iam:GetRole", "iam:PassRole")),
    ("AWS::SNS::Topic", "Subscription", "subscriptions are the operator's (docs/operations.md), not the stack's", ("sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic")),
    ("AWS::SNS::Topic", "DataProtectionPolicy", "no message data protection", ("sns:PutDataProtectionPolicy", "sns:GetDataProtectionPolicy")),
    # AWS::SecretsManager::Secret
    ("AWS::SecretsManager::Secret", "ReplicaRegions", "single-Region secrets", ("secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication")),
    ("AWS::SecretsManager::Secret", "SecretString", "the value is generated (GenerateSecretString), never read back", ("secretsmanager:GetSecretValue",)),
    ("AWS::SecretsManager::RotationSchedule", "HostedRotationLambda", "our own rotation function (RotationLambdaARN): no hosted rotation role to pass", ("iam:PassRole",)),
    # AWS::CloudFront
    ("AWS::CloudFront::Distribution", "DistributionConfig.ConnectionMode", "a standard distribution, not a multi-tenant one (no connection groups)", ("cloudfront:CreateConnectionGroup", "cloudfront:GetConnectionGroup")),
    ("AWS::CloudFront::Distribution", "DistributionConfig.Origins[].VpcOriginConfig", "the origin is the API's public regional endpoint, not a VPC origin", ("cloudfront:GetVpcOrigin",)),
    ("AWS::CloudFront::Distribution", "DistributionConfig.ContinuousDeploymentPolicyId", "no continuous deployment (staging distribution)", ("cloudfront:UpdateDistributionWithStagingConfig",)),
    ("AWS::CloudFront::Distribution", None, "not an IAM action (the service authorization reference has none of that name; cfn-lint W3037 refuses it in a policy): IAM authorizes the CreateDistributionWithTags API as cloudfront:CreateDistribution and cloudfront:TagResource, both granted", ("cloudfront:CreateDistributionWithTags",)),
    # AWS::WAFv2
    ("AWS::WAFv2::WebACL", "MonetizationConfig", "no paid rule groups or monetization", ("payments:GetConnectedAccount",)),
    ("AWS::WAFv2::WebACLAssociation", "ResourceArn", "the web ACL protects an API Gateway stage or an AppSync API only (calls() asks only the protected one's service)", ("amplify:AssociateWebACL", "amplify:DisassociateWebACL", "amplify:GetWebACLForResource", "apprunner:AssociateWebAcl", "apprunner:DescribeWebAclForService", "apprunner:DisassociateWebAcl", "bedrock-agentcore:GatewayAssociateWebACL", "bedrock-agentcore:GatewayDisassociateWebACL", "bedrock-agentcore:GatewayGetWebACLForResource", "cognito-idp:AssociateWebACL", "cognito-idp:DisassociateWebACL", "cognito-idp:GetWebACLForResource", "ec2:AssociateVerifiedAccessInstanceWebAcl", "ec2:DescribeVerifiedAccessInstanceWebAclAssociations", "ec2:DisassociateVerifiedAccessInstanceWebAcl", "ec2:GetVerifiedAccessInstanceWebAcl", "elasticloadbalancing:CreateWebACLAssociation", "elasticloadbalancing:DeleteWebACLAssociation", "elasticloadbalancing:GetLoadBalancerWebACL", "elasticloadbalancing:SetWebACL"), _only_synchronous_apis),
    ("AWS::WAFv2::WebACLAssociation", None, "the web ACL is this account's own, not one shared by Firewall Manager (whose permission policy the association would read and write)", ("wafv2:GetPermissionPolicy", "wafv2:PutPermissionPolicy")),
    ("AWS::WAFv2::LoggingConfiguration", "LogDestinationConfigs", "WAF logs go to a CloudWatch Logs group only: no Firehose stream, no S3 bucket", ("firehose:ListDeliveryStreams", "s3:GetBucketPolicy", "s3:PutBucketPolicy"), _only_log_groups),
    ("AWS::WAFv2::LoggingConfiguration", "LogDestinationConfigs", "only Firehose destinations need WAF's logging service-linked role", ("iam:CreateServiceLinkedRole",), _only_log_groups),
    ("AWS::WAFv2::LoggingConfiguration", None, "the logging configuration is this account's own, not an organization's", ("iam:DescribeOrganization",)),
)


# Names some schemas list that are API operations, not IAM actions, and the IAM action that
# authorizes each (the S3 API reference: "To use this operation, you must have permissions to
# perform the s3:PutEncryptionConfiguration action", and so on); None: no IAM action at all.
IAM_ACTION_OF: dict[str, str | None] = {
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:DeleteBucketCors": "s3:PutBucketCORS",
    "s3:DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "s3:PutBucketReplication": "s3:PutReplicationConfiguration",
    "s3:DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "s3:DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "kms:ReEncrypt": None,  # ReEncrypt is authorized by kms:ReEncryptFrom and kms:ReEncryptTo, both listed
    "backup-storage:Mount": None,  # not an IAM action (cfn-lint's IAM data knows backup-storage:MountCapsule only)
    "s3:REST.PUT.OBJECT": None,  # an S3 server access log operation name, not an action
}


# Types whose schema has no handlers because CloudFormation itself provides them: reviewed, no
# permission needed. Any other type without handlers fails the guard (review it by hand).
NO_HANDLER_TYPES = {
    "AWS::CloudFormation::WaitConditionHandle": "CloudFormation's own presigned URL; it creates nothing in another service",
}


# ---------------------------------------------------------------------------- schemas
@functools.cache
def schema(kind: str) -> dict[str, Any]:
    base = importlib.resources.files("cfnlint") / "data" / "schemas"
    index = json.loads((base / "providers" / f"{SCHEMA_REGION}.json").read_text(encoding="utf-8"))
    assert kind in index, f"cfn-lint has no provider schema for {kind}"
    loaded: dict[str, Any] = json.loads((base / "resources" / f"{index[kind]}.json").read_text(encoding="utf-8"))
    return loaded


def schema_actions(kind: str) -> set[str]:
    """The actions the create, update and delete handlers list, as the schema spells them."""
    handlers = schema(kind).get("handlers", {})
    assert handlers, f"{kind}: the schema lists no handlers (a type the registry does not manage: review it by hand)"
    return {action for name in HANDLERS for action in handlers.get(name, {}).get("permissions", [])}


def handler_actions(kind: str) -> set[str]:
    """The IAM actions those handlers need."""
    actions = {IAM_ACTION_OF.get(action, action) for action in schema_actions(kind)}
    return {action for action in actions if action is not None}


def taggable(kind: str) -> bool:
    return bool(schema(kind).get("tagging", {}).get("taggable", False))


# ---------------------------------------------------------------------------- the stack, as deployed
def lookup(node: Any, path: str) -> list[Any]:
    """The values at a dotted path; `name[]` walks every item of a list."""
    values = [node]
    for part in path.split("."):
        step = []
        for value in values:
            key, each = (part[:-2], True) if part.endswith("[]") else (part, False)
            if isinstance(value, dict) and key in value:
                step.extend(value[key] if each and isinstance(value[key], list) else [value[key]])
        values = step
    return values


class Stack:
    """A SAM-transformed service stack as CloudFormation deploys it into one environment:
    what each resource's Ref and ARN become, and which ARNs each action acts on."""

    def __init__(self, template: dict[str, Any], name: str) -> None:
        self.template = template
        self.name = name
        self.resources: dict[str, dict[str, Any]] = template["Resources"]

    # -- names and references
    def props(self, logical: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical].get("Properties", {})
        return properties

    def generated(self, logical: str, *, lower: bool = False) -> str:
        name = f"{self.name}-{logical}-{RANDOM_SUFFIX}"
        return name.lower() if lower else name

    def named(self, logical: str, prop: str, *, lower: bool = False) -> str:
        value = self.props(logical).get(prop)
        return self.generated(logical, lower=lower) if value is None else str(self.value(value))

    def value(self, node: Any) -> Any:
        """Evaluate intrinsics over this stack's resources and parameters."""
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, dict) or len(node) != 1:
            return node
        ((function, argument),) = node.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.attribute(logical, attribute)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.sub_variable(m[1], variables)), text)
        if function == "Fn::If":
            return self.value(argument[1])
        if function in ("Fn::Join", "Fn::Split", "Fn::Select"):
            return physical_name({function: self.value(argument)}, self.name)
        return node

    def sub_variable(self, name: str, variables: dict[str, Any]) -> Any:
        if name in variables:
            return self.value(variables[name])
        if "." in name and not name.startswith("AWS::"):
            logical, attribute = name.split(".", 1)
            return self.attribute(logical, attribute)
        return self.ref(name)

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}/0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        return self.ref_of(name)

    def parameter(self, name: str) -> Any:
        declared = self.template["Parameters"][name]
        if declared["Type"].startswith("AWS::SSM::Parameter::Value") and "powertools" in str(declared.get("Default")):
            return POWERTOOLS_LAYER
        if "Default" in declared:
            return declared["Default"]
        return f"{name}-value"

    def ref_of(self, logical: str) -> Any:
        kind = self.resources[logical]["Type"]
        if kind in ("AWS::Lambda::Function", "AWS::IAM::Role", "AWS::S3::Bucket", "AWS::Events::EventBus",
                    "AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentGroup", "AWS::Logs::LogGroup",
                    "AWS::ApiGateway::Stage", "AWS::CloudWatch::Alarm", "AWS::Backup::BackupVault"):
            return self.physical(logical)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical(logical)}"
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::SNS::Topic", "AWS::Lambda::CodeSigningConfig",
                    "AWS::SecretsManager::Secret", "AWS::Events::Rule"):
            return self.arns(logical)[0]
        if kind == "AWS::KMS::Key":
            return "0a1b2c3d-0000-4000-8000-000000000001"
        if kind == "AWS::Cognito::UserPool":
            return f"{REGION}_AbCdEfGhI"
        return f"{logical.lower()}id"  # API Gateway ids, event source mapping UUIDs...

    def attribute(self, logical: str, attribute: str) -> Any:
        kind = self.resources[logical]["Type"]
        if attribute == "StreamArn":
            return self.arns(logical)[0] + "/stream/2026-01-01T00:00:00.000"
        if attribute == "Arn":
            if kind == "AWS::SQS::Queue":
                return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{self.physical(logical)}"
            return self.arns(logical)[0]
        if attribute == "RootResourceId":
            return "rootid"
        if kind == "AWS::AppSync::GraphQLApi" and attribute == "ApiId":
            return GRAPHQL_API_ID
        if kind == "AWS::AppSync::DataSource" and attribute == "Name":
            return self.props(logical)["Name"]
        return f"{logical}.{attribute}"

    def physical(self, logical: str) -> str:
        """The physical name CloudFormation gives a named resource."""
        kind = self.resources[logical]["Type"]
        name_property = {
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::SNS::Topic": "TopicName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::CloudWatch::Alarm": "AlarmName",
            "AWS::CodeDeploy::Application": "ApplicationName",
            "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
            "AWS::Events::EventBus": "Name",
            "AWS::Events::Rule": "Name",
            "AWS::Pipes::Pipe": "Name",
            "AWS::SecretsManager::Secret": "Name",
            "AWS::WAFv2::WebACL": "Name",
            "AWS::ApiGateway::Stage": "StageName",
            "AWS::Backup::BackupVault": "BackupVaultName",
        }
        if kind == "AWS::S3::Bucket":
            return self.named(logical, "BucketName", lower=True)
        return self.named(logical, name_property[kind])

    # -- ARNs
    def arn(self, service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
        return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"

    def function_arn(self, reference: Any) -> str:
        """What a FunctionName property names, as an ARN (a name, a version or alias ARN)."""
        value = str(self.value(reference))
        return value if value.startswith("arn:") else self.arn("lambda", f"function:{value}")

    def apigateway(self, path: str) -> str:
        return f"arn:{PARTITION}:apigateway:{REGION}::{path}"

    def arns(self, logical: str) -> list[str]:  # noqa: C901, PLR0911, PLR0912 - one branch per type
        """The ARNs of a resource (every one of them must be allowed)."""
        kind, props = self.resources[logical]["Type"], self.props(logical)
        if kind in NO_HANDLER_TYPES:
            return []
        service = IAM_PREFIX.get(kind.split("::")[1], kind)
        match kind:
            case "AWS::Lambda::Function":
                return [self.arn("lambda", f"function:{self.physical(logical)}")]
            case "AWS::Lambda::Version":
                return [self.function_arn(props["FunctionName"]) + ":1"]
            case "AWS::Lambda::Alias":
                return [self.function_arn(props["FunctionName"]) + f":{props['Name']}"]
            case "AWS::Lambda::Permission" | "AWS::Lambda::EventInvokeConfig":
                return [self.function_arn(props["FunctionName"])]
            case "AWS::Lambda::EventSourceMapping":
                return [self.arn("lambda", "event-source-mapping:0a1b2c3d-0000-4000-8000-00000000e5a1")]
            case "AWS::Lambda::CodeSigningConfig":
                return [self.arn("lambda", "code-signing-config:csc-0a1b2c3d4e5f67890")]
            case "AWS::IAM::Role":
                return [f"arn:{PARTITION}:iam::{ACCOUNT}:role/{self.physical(logical)}"]
            case "AWS::SQS::Queue":
                return [self.attribute(logical, "Arn")]
            case "AWS::SQS::QueuePolicy":
                return [self.queue_arn(url) for url in self.value(props["Queues"])]
            case "AWS::SNS::Topic":
                return [self.arn("sns", self.physical(logical))]
            case "AWS::SNS::TopicPolicy":
                return [str(topic) for topic in self.value(props["Topics"])]
            case "AWS::DynamoDB::Table":
                return [self.arn("dynamodb", f"table/{self.physical(logical)}")]
            case "AWS::S3::Bucket":
                return [f"arn:{PARTITION}:s3:::{self.physical(logical)}"]
            case "AWS::S3::BucketPolicy":
                return [f"arn:{PARTITION}:s3:::{self.value(props['Bucket'])}"]
            case "AWS::Logs::LogGroup":
                return [self.arn("logs", f"log-group:{self.physical(logical)}:*")]
            case "AWS::KMS::Key":
                return [self.arn("kms", f"key/{self.ref_of(logical)}")]
            case "AWS::KMS::Alias":
                key = str(self.value(props["TargetKeyId"]))
                key_arn = key if key.startswith("arn:") else self.arn("kms", f"key/{key}")
                return [self.arn("kms", str(self.value(props["AliasName"]))), key_arn]
            case "AWS::CloudWatch::Alarm":
                return [self.arn("cloudwatch", f"alarm:{self.physical(logical)}")]
            case "AWS::CodeDeploy::Application":
                return [self.arn("codedeploy", f"application:{self.physical(logical)}")]
            case "AWS::CodeDeploy::DeploymentGroup":
                application = self.value(props["ApplicationName"])
                return [self.arn("codedeploy", f"deploymentgroup:{application}/{self.physical(logical)}")]
            case "AWS::Pipes::Pipe":
                return [self.arn("pipes", f"pipe/{self.physical(logical)}")]
            case "AWS::Events::EventBus":
                return [self.arn("events", f"event-bus/{self.physical(logical)}")]
            case "AWS::Events::Rule":
                bus = self.value(props.get("EventBusName", "default"))
                rule = self.physical(logical)
                return [self.arn("events", f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")]
            case "AWS::Cognito::UserPool":
                return [self.arn("cognito-idp", f"userpool/{self.ref_of(logical)}")]
            case "AWS::Cognito::UserPoolClient":
                return [self.arn("cognito-idp", f"userpool/{self.value(props['UserPoolId'])}")]
            case "AWS::SecretsManager::Secret":
                return [self.arn("secretsmanager", f"secret:{self.physical(logical)}-AbCdEf")]
            case "AWS::SecretsManager::RotationSchedule":
                return [str(self.value(props["SecretId"]))]  # its actions act on the secret
            case "AWS::WAFv2::WebACL":
                return [self.arn("wafv2", f"regional/webacl/{self.physical(logical)}/0a1b2c3d-0000-4000-8000-00000000acl1")]
            case "AWS::WAFv2::WebACLAssociation":
                return [str(self.value(props["WebACLArn"])), str(self.value(props["ResourceArn"]))]
            case "AWS::WAFv2::LoggingConfiguration":
                return [str(self.value(props["ResourceArn"]))]
            case "AWS::ApiGateway::RestApi":
                api = self.ref_of(logical)
                return [self.apigateway("/restapis"), self.apigateway(f"/restapis/{api}"), self.tags_arn(f"/restapis/{api}")]
            case "AWS::ApiGateway::Deployment":
                api = self.value(props["RestApiId"])
                return [self.apigateway(f"/restapis/{api}/deployments"), self.apigateway(f"/restapis/{api}/deployments/{self.ref_of(logical)}")]
            case "AWS::ApiGateway::Stage":
                stage = f"/restapis/{self.value(props['RestApiId'])}/stages"
                return [self.apigateway(stage), self.apigateway(f"{stage}/{self.value(props['StageName'])}"), self.tags_arn(f"{stage}/{self.value(props['StageName'])}")]
            case "AWS::ApiGateway::ApiKey":
                return [self.apigateway("/apikeys"), self.apigateway(f"/apikeys/{self.ref_of(logical)}"), self.tags_arn(f"/apikeys/{self.ref_of(logical)}")]
            case "AWS::ApiGateway::UsagePlan":
                return [self.apigateway("/usageplans"), self.apigateway(f"/usageplans/{self.ref_of(logical)}"), self.tags_arn(f"/usageplans/{self.ref_of(logical)}")]
            case "AWS::ApiGateway::UsagePlanKey":
                keys = f"/usageplans/{self.value(props['UsagePlanId'])}/keys"
                return [self.apigateway(keys), self.apigateway(f"{keys}/{self.value(props['KeyId'])}")]
            case "AWS::ApiGateway::Account":
                return [self.apigateway("/account")]
            case "AWS::Backup::BackupVault":
                return [self.arn("backup", f"backup-vault:{self.physical(logical)}")]
            # CloudFront is global: its ARNs name no Region, and its ids are random.
            case "AWS::CloudFront::Distribution":
                return [f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/E1A2B3C4D5E6F7"]
            case "AWS::CloudFront::ResponseHeadersPolicy":
                return [f"arn:{PARTITION}:cloudfront::{ACCOUNT}:response-headers-policy/0a1b2c3d-0000-4000-8000-00000000c0f1"]
            case "AWS::Backup::BackupPlan":
                return [self.arn("backup", "backup-plan:0a1b2c3d-0000-4000-8000-00000000b9a1")]
            case "AWS::Backup::BackupSelection":
                return []  # no ARN of its own: its actions act on the plan's (see calls)
            case "AWS::AppSync::GraphQLApi":
                return [self.arn("appsync", f"apis/{GRAPHQL_API_ID}")]
            case "AWS::AppSync::GraphQLSchema":
                return [self.arn("appsync", f"apis/{self.value(props['ApiId'])}")]  # AppSync authorizes schema calls on the API
            case "AWS::AppSync::DataSource":
                return [self.arn("appsync", f"apis/{self.value(props['ApiId'])}/datasources/{props['Name']}")]
            case "AWS::AppSync::Resolver":
                api, type_name, field = (self.value(props[key]) for key in ("ApiId", "TypeName", "FieldName"))
                return [self.arn("appsync", f"apis/{api}/types/{type_name}/resolvers/{field}")]
        raise AssertionError(f"{logical}: no ARN known for {kind} ({service}): add it to Stack.arns")

    def tags_arn(self, path: str) -> str:
        return self.apigateway("/tags/" + urllib.parse.quote(self.apigateway(path), safe=""))

    def queue_arn(self, url: str) -> str:
        return self.arn("sqs", url.rsplit("/", 1)[1])

    def logical_of(self, node: Any) -> str | None:
        """The resource a property refers to (Ref or GetAtt), if any."""
        if isinstance(node, dict) and "Ref" in node and node["Ref"] in self.resources:
            return str(node["Ref"])
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
        return None

    def key_arns(self, node: Any) -> list[str]:
        logical = self.logical_of(node)
        if logical is not None and self.resources[logical]["Type"] == "AWS::KMS::Key":
            return self.arns(logical)
        value = str(self.value(node))
        return [value if value.startswith("arn:") else self.arn("kms", value if value.startswith("alias/") else f"key/{value}")]

    @functools.cached_property
    def tagged_arns(self) -> set[str]:
        """The ARNs of this stack's resources that carry the stack tags."""
        return {arn for logical, resource in self.resources.items() if taggable(resource["Type"]) for arn in self.arns(logical)}

    def own_taggable(self, arn: str) -> bool:
        return arn in self.tagged_arns

    @functools.cached_property
    def owners(self) -> dict[str, set[str]]:
        """ARN -> the resources of this stack that have it (a child resource has its parent's)."""
        owners: dict[str, set[str]] = {}
        for logical in self.resources:
            for arn in self.arns(logical):
                owners.setdefault(arn, set()).add(logical)
        return owners

    def exists_before(self, logical: str, arn: str) -> bool:
        """True when `arn` belongs to another resource of this stack (created before this one)."""
        return bool(self.owners.get(arn, set()) - {logical})


@dataclass(frozen=True)
class Call:
    """One action on one ARN, with the request context the role's conditions may read."""

    arn: str
    context: tuple[tuple[str, str], ...] = ()


def calls(stack: Stack, logical: str, action: str) -> list[Call]:  # noqa: C901, PLR0911, PLR0912 - one rule per case
    """What `action` acts on when CloudFormation handles resource `logical`."""
    resource = stack.resources[logical]
    kind, props = resource["Type"], stack.props(logical)
    prefix = action.split(":")[0]

    def role(prop: str, service: str) -> list[Call]:
        return [Call(arn, (("iam:PassedToService", service),)) for node in lookup(props, prop) for arn in stack_role_arns(stack, node)]

    if action == "iam:PassRole" or (action == "iam:GetRole" and kind == "AWS::ApiGateway::Account"):
        passed = {
            ("AWS::Lambda::Function"): ("Role", "lambda.amazonaws.com"),
            ("AWS::CodeDeploy::DeploymentGroup"): ("ServiceRoleArn", "codedeploy.amazonaws.com"),
            ("AWS::ApiGateway::Account"): ("CloudWatchRoleArn", "apigateway.amazonaws.com"),
            ("AWS::Backup::BackupSelection"): ("BackupSelection.IamRoleArn", "backup.amazonaws.com"),
            ("AWS::Pipes::Pipe"): ("RoleArn", "pipes.amazonaws.com"),
            ("AWS::AppSync::GraphQLApi"): ("LogConfig.CloudWatchLogsRoleArn", "appsync.amazonaws.com"),
            ("AWS::AppSync::DataSource"): ("ServiceRoleArn", "appsync.amazonaws.com"),
        }
        assert kind in passed, f"{kind}: which role does {action} pass? add it to calls()"
        return role(*passed[kind])
    if kind == "AWS::IAM::Role" and action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        return [Call(stack.arns(logical)[0], (("iam:PolicyARN", str(stack.value(policy))),)) for policy in props["ManagedPolicyArns"]]
    if prefix == "kms":
        key = {
            "AWS::Lambda::Function": "KmsKeyArn",
            "AWS::DynamoDB::Table": "SSESpecification.KMSMasterKeyId",
            "AWS::Events::EventBus": "KmsKeyIdentifier",
            "AWS::Pipes::Pipe": "KmsKeyIdentifier",
            "AWS::Backup::BackupVault": "EncryptionKeyArn",
        }.get(kind)
        if key is not None:
            return [Call(arn) for node in lookup(props, key) for arn in stack.key_arns(node)]
    if prefix == "ec2" and action.startswith("ec2:Describe"):
        return [Call("*")]  # EC2 Describe actions have no resource-level permissions
    if kind == "AWS::Backup::BackupSelection" and prefix == "backup":
        plan = stack.logical_of(props["BackupPlanId"])  # IAM authorizes selection calls on the plan (resource type backupPlan)
        assert plan is not None
        return [Call(arn) for arn in stack.arns(plan)]
    if prefix == "backup-storage":
        return [Call("*")]  # AWS Backup's storage actions have no resource-level permissions
    if kind == "AWS::Backup::BackupSelection" and action == "iam:GetRole":
        return [Call(arn) for node in lookup(props, "BackupSelection.IamRoleArn") for arn in stack_role_arns(stack, node)]
    if kind == "AWS::Backup::BackupSelection" and action == "iam:CreateServiceLinkedRole":
        backup_role = f"arn:{PARTITION}:iam::{ACCOUNT}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
        return [Call(backup_role, (("iam:AWSServiceName", "backup.amazonaws.com"),))]
    if kind == "AWS::Lambda::Function":
        if prefix == "s3":
            bucket = ARTIFACTS_BUCKET if props["Code"]["S3Bucket"] == PLACEHOLDER_BUCKET else props["Code"]["S3Bucket"]
            return [Call(f"arn:{PARTITION}:s3:::{bucket}/{props['Code']['S3Key']}")]
        if action == "lambda:GetLayerVersion":
            return [Call(str(stack.value(layer))) for layer in props["Layers"]]
        if action == "lambda:GetCodeSigningConfig":
            return [Call(str(stack.value(props["CodeSigningConfigArn"])))]
        if action == "lambda:PutFunctionCodeSigningConfig" and "CodeSigningConfigArn" in props:
            return [Call(stack.arns(logical)[0]), Call(str(stack.value(props["CodeSigningConfigArn"])))]
    if (kind == "AWS::AppSync::GraphQLApi" and action == "appsync:CreateGraphqlApi") or action in APPSYNC_WITHOUT_RESOURCE_TYPE:
        return [Call("*")]  # no resource type in AppSync's authorization reference (and no ARN before the API exists)
    if kind in ("AWS::AppSync::GraphQLSchema", "AWS::AppSync::Resolver") and prefix == "s3":
        # sam package uploads the local file (DefinitionS3Location, CodeS3Location) to the artifacts bucket.
        return [Call(f"arn:{PARTITION}:s3:::{ARTIFACTS_BUCKET}/0a1b2c3d4e5f67890a1b2c3d4e5f6789")]
    if kind == "AWS::Lambda::EventSourceMapping" and prefix == "lambda":
        function = (("lambda:FunctionArn", stack.function_arn(props["FunctionName"])),)
        return [Call(arn, function) for arn in stack.arns(logical)]
    if kind == "AWS::Lambda::Alias" and prefix == "codedeploy":
        update = resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        application = stack.value(update["ApplicationName"])
        group_logical = stack.logical_of(update["DeploymentGroupName"])
        assert group_logical is not None
        if action == "codedeploy:GetDeploymentConfig":
            return deployment_config(stack, group_logical)
        return [Call(arn) for arn in stack.arns(group_logical)] if application else []
    if kind == "AWS::CodeDeploy::DeploymentGroup":
        if action == "codedeploy:GetDeploymentConfig":
            return deployment_config(stack, logical)
        if action in ("codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"):
            return [Call(stack.arn("codedeploy", f"application:{stack.value(props['ApplicationName'])}"))]
    if kind == "AWS::SecretsManager::RotationSchedule" and action == "lambda:InvokeFunction":
        return [Call(str(stack.value(props["RotationLambdaARN"])))]  # RotateSecret's caller may invoke the function
    if kind == "AWS::WAFv2::WebACLAssociation" and prefix in ("apigateway", "appsync"):
        protected = str(stack.value(props["ResourceArn"]))
        return [Call(protected)] if f":{prefix}:" in protected else []  # only the protected resource's service
    if kind in ("AWS::WAFv2::LoggingConfiguration", "AWS::Pipes::Pipe") and prefix == "logs":
        if action == "logs:DescribeLogGroups":
            return [Call(stack.arn("logs", "log-group:*"))]
        return [Call("*")]  # vended log delivery and account resource policies: no resource-level permissions
    if prefix == IAM_PREFIX[kind.split("::")[1]]:
        return [Call(arn) for arn in stack.arns(logical)]
    raise AssertionError(f"{kind} {logical}: what does {action} act on? add it to calls() or to EXCLUSIONS")


def deployment_config(stack: Stack, group: str) -> list[Call]:
    name = stack.value(stack.props(group)["DeploymentConfigName"])
    return [Call(stack.arn("codedeploy", f"deploymentconfig:{name}"))]


def stack_role_arns(stack: Stack, node: Any) -> list[str]:
    value = str(stack.value(node))
    return [value if value.startswith("arn:") else f"arn:{PARTITION}:iam::{ACCOUNT}:role/{value}"]


# ---------------------------------------------------------------------------- the role
@dataclass
class Role:
    """The CloudFormation execution role of one rendered bootstrap, in one environment."""

    statements: list[dict[str, Any]]
    environment: str
    tags: dict[str, str]
    verdicts: dict[tuple[str, Call, bool, bool], bool] = field(default_factory=dict)

    @classmethod
    def from_bootstrap(cls, bootstrap: dict[str, Any], environment: str, tags: dict[str, str]) -> Role:
        role = bootstrap["Resources"]["CloudFormationExecutionRole"]["Properties"]
        substitutions = {
            "AWS::Partition": PARTITION,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "EnvironmentName": environment,
            "ArtifactsBucket.Arn": f"arn:{PARTITION}:s3:::{ARTIFACTS_BUCKET}",
            "SigningProfileName": "inventory_signing",
        }

        def resolve(node: Any) -> Any:
            if isinstance(node, list):
                return [resolve(item) for item in node]
            if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
                return re.sub(r"\$\{([^}]+)\}", lambda m: substitutions[m[1]], node["Fn::Sub"])
            if isinstance(node, dict) and set(node) == {"Ref"}:
                return substitutions[node["Ref"]]
            if isinstance(node, dict) and set(node) == {"Fn::GetAtt"}:
                return substitutions[".".join(node["Fn::GetAtt"])]
            if isinstance(node, dict):
                return {key: resolve(value) for key, value in node.items()}
            return node

        statements = []
        for policy in role["Policies"]:
            document = policy["PolicyDocument"]["Statement"]
            for statement in document if isinstance(document, list) else [document]:
                assert statement["Effect"] == "Allow", "the guard does not evaluate Deny statements"
                assert not {"NotAction", "NotResource"} & set(statement), "the guard does not evaluate NotAction/NotResource"
                resolved = resolve(statement)
                resolved["patterns"] = cls._patterns(json.dumps(resolved["Action"]), json.dumps(resolved["Resource"]))
                statements.append(resolved)
        return cls(statements, environment, tags)

    def allows(self, action: str, call: Call, tagged: bool, creating: bool) -> bool:
        key = (action, call, tagged, creating)
        if key not in self.verdicts:
            self.verdicts[key] = self._any(action, call, tagged, creating)
        return self.verdicts[key]

    def _any(self, action: str, call: Call, tagged: bool, creating: bool) -> bool:
        return any(self._allows(statement, action, call, tagged, creating) for statement in self.statements)

    def _allows(self, statement: dict[str, Any], action: str, call: Call, tagged: bool, creating: bool) -> bool:
        actions, resources = statement["patterns"]
        if not actions.fullmatch(action.lower()) or not resources.fullmatch(call.arn):
            return False
        context = dict(call.context)
        if tagged:  # CloudFormation propagates the stack tags (samconfig.toml) to the resources it creates
            for key, value in self.tags.items():
                context[f"aws:RequestTag/{key}"] = value
                if not creating:
                    context[f"aws:ResourceTag/{key}"] = value
        return all(self._condition(operator, conditions, context) for operator, conditions in statement.get("Condition", {}).items())

    @staticmethod
    @functools.cache
    def _patterns(actions: str, resources: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """IAM wildcards (* and ?) as regular expressions; actions are case-insensitive."""

        def alternatives(patterns: Any, lower: bool) -> re.Pattern[str]:
            items = patterns if isinstance(patterns, list) else [patterns]
            return re.compile("|".join(fnmatch.translate(item.lower() if lower else item) for item in items))

        return alternatives(json.loads(actions), True), alternatives(json.loads(resources), False)

    @staticmethod
    def _condition(operator: str, conditions: dict[str, Any], context: dict[str, str]) -> bool:
        compare: dict[str, Callable[[str, str], bool]] = {
            "StringEquals": lambda actual, wanted: actual == wanted,
            "ArnEquals": lambda actual, wanted: actual == wanted,
            "StringLike": fnmatch.fnmatchcase,
            "ArnLike": fnmatch.fnmatchcase,
        }
        assert operator in compare, f"the guard does not evaluate {operator}"
        for key, wanted in conditions.items():
            if key not in context:
                return False
            options = wanted if isinstance(wanted, list) else [wanted]
            if not any(compare[operator](context[key], str(option)) for option in options):
                return False
        return True


# ---------------------------------------------------------------------------- rendering
def sam_transform() -> ModuleType:
    return baked_script("sam_transform")


PART_ANSWERS = ("event_source", "kms", "python_runtime")


def with_pipeline(part: tuple[str, ...]) -> list[Answers]:
    return [
        combination
        for combination in enabled_combinations()
        if combination["ci"] != "none" and tuple(combination[name] for name in PART_ANSWERS) == part
    ]


# The test runs in parts, one per event source, kms and runtime answer, that pytest-xdist spreads
# over its workers (the api's alone took 394 s in one). kms and the runtime change every stack
# (the key and what it encrypts, each function's Runtime), so no two parts transform the same stack.
PARTS = sorted({tuple(combination[name] for name in PART_ANSWERS) for combination in enabled_combinations() if combination["ci"] != "none"})


def renders(part: tuple[str, ...]) -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    """(template.yaml, bootstrap.yaml, the combinations that render them) for every accepted
    combination with a pipeline and these PART_ANSWERS."""
    env, _ = stack_environment()
    bootstrap_template = env.get_template("pipeline/bootstrap.yaml")
    base = answers()
    seen: dict[tuple[str, str], list[dict[str, str]]] = {}
    for combination in with_pipeline(part):
        context = base | combination
        stack_template = env.get_template(stack_source(context))  # an overlay's stack for its answers
        key = (stack_template.render(cookiecutter=context), bootstrap_template.render(cookiecutter=context))
        seen.setdefault(key, []).append(combination)
    for (stack_text, bootstrap_text), combinations in seen.items():
        yield stack_text, bootstrap_text, combinations


def stack_tags(environment: str) -> dict[str, str]:
    env, context = stack_environment()
    config = tomllib.loads(env.get_template("samconfig.toml").render(**context))
    return dict(re.findall(r'(\w+)="([^"]*)"', config[environment]["deploy"]["parameters"]["tags"]))


def excluded(kind: str, action: str, properties: dict[str, Any], resource: dict[str, Any]) -> tuple[Exclusion | None, list[Any]]:
    """The exclusion of `action`, and the values the resource sets that it does not allow."""
    exclusion = EXCLUSIONS.get((kind, action))
    if exclusion is None:
        return None, []
    if exclusion.prop is None:
        return exclusion, []
    root = resource if exclusion.prop.split(".")[0] == "UpdatePolicy" else properties
    values = lookup(root, exclusion.prop)
    return exclusion, [value for value in values if not (exclusion.fine and exclusion.fine(value))]


# ---------------------------------------------------------------------------- tests
@dataclass(frozen=True)
class Need:
    """One call a handler of the stack makes, and what the role must allow for it."""

    where: str  # "<type> <logical id>"
    action: str
    call: Call
    tagged: bool
    creating: bool
    note: str


def needs(stack: Stack) -> list[Need]:
    """Every call the create, update and delete handlers of the stack's resources make."""
    found = []
    for logical, resource in stack.resources.items():
        kind = resource["Type"]
        if kind in NO_HANDLER_TYPES:
            continue
        properties = resource.get("Properties", {})
        create_actions = set(schema(kind)["handlers"].get("create", {}).get("permissions", []))
        for action in sorted(handler_actions(kind)):
            exclusion, set_values = excluded(kind, action, properties, resource)
            if exclusion is not None and not set_values:
                continue
            note = f" (it sets {exclusion.prop}: {json.dumps(set_values)[:120]})" if exclusion else ""
            creates = action in create_actions and action.split(":")[1].startswith("Create")
            for call in calls(stack, logical, action):
                # A Create call on this resource carries its tags (aws:RequestTag) but the
                # resource has none yet (aws:ResourceTag); on another resource, it has them.
                creating = creates and not stack.exists_before(logical, call.arn)
                tagged = stack.own_taggable(call.arn) or (creating and taggable(kind))
                found.append(Need(f"{kind} {logical}", action, call, tagged, creating, note))
    return found


@pytest.fixture
def translator_setup_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """aws-sam-translator validates its bundled policy templates against their JSON schema,
    and builds a boto3 session only to read the region, on every transform: half of each of
    the thousands of transforms here. Both are the same each time: build them once."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # the translator wants a region; no credentials, no call
    plugin = functools.cache(translator.make_policy_template_for_function_plugin)
    monkeypatch.setattr(translator, "make_policy_template_for_function_plugin", plugin)
    session = boto3.session.Session()
    add_pseudo_parameter_values = SamParameterValues.add_pseudo_parameter_values
    monkeypatch.setattr(
        SamParameterValues, "add_pseudo_parameter_values", lambda values, given=None: add_pseudo_parameter_values(values, given or session)
    )


@functools.cache
def execution_role(bootstrap_text: str) -> tuple[str, dict[str, Any]]:
    """The CloudFormation role of a rendered bootstrap, as a key, and the parsed bootstrap:
    the combinations of a stack share a few bootstraps, parsed once each."""
    bootstrap = load_yaml(bootstrap_text)
    return json.dumps(bootstrap["Resources"]["CloudFormationExecutionRole"], sort_keys=True), bootstrap


@pytest.mark.parametrize("part", PARTS, ids=["-".join(part) for part in PARTS])
@pytest.mark.usefixtures("translator_setup_once")
def test_the_cloudformation_role_may_do_what_every_handler_of_the_stack_calls(part: tuple[str, ...]) -> None:
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    transform = sam_transform()
    slug = answers()["project_slug"]
    tags = {environment: stack_tags(environment) for environment in ENVIRONMENTS}
    stack_needs: dict[tuple[str, str], list[Need]] = {}
    roles: dict[tuple[str, str], Role] = {}
    done: set[tuple[str, str]] = set()
    problems: dict[str, dict[str, str]] = {}
    combinations_checked = 0
    for stack_text, bootstrap_text, combinations in renders(part):
        combinations_checked += len(combinations)
        # Bootstraps that differ only outside the CloudFormation role (the CI's OIDC trust) are one case.
        role_key, bootstrap = execution_role(bootstrap_text)
        if (stack_text, role_key) in done:
            continue
        done.add((stack_text, role_key))
        for environment in ENVIRONMENTS:
            if (stack_text, environment) not in stack_needs:
                # support.load_yaml reads the short-form tags as samtranslator's yaml_parse does, with libyaml.
                template = transform.transformed(load_yaml(stack_text))
                for name in ENVIRONMENTS:
                    stack_needs[(stack_text, name)] = needs(Stack(template, f"{slug}-{name}"))
            if (role_key, environment) not in roles:
                roles[(role_key, environment)] = Role.from_bootstrap(bootstrap, environment, tags[environment])
            role = roles[(role_key, environment)]
            for need in stack_needs[(stack_text, environment)]:
                if not role.allows(need.action, need.call, need.tagged, need.creating):
                    message = f"{need.where}: {need.action} on {need.call.arn.replace(environment, '<env>')}{need.note}"
                    problems.setdefault(message, combinations[0])
    assert combinations_checked
    report = [f"{message}  [e.g. {combination_id(example)}]" for message, example in sorted(problems.items())]
    assert not report, (
        f"{len(report)} handler calls the CloudFormation role does not allow: grant them in pipeline/bootstrap.yaml "
        "(scoped to the stack's resources) or add an exclusion with the property it belongs to:\n" + "\n".join(report[:80])
    )


def test_every_exclusion_is_a_schema_action() -> None:
    """An exclusion a schema no longer lists is dead weight: remove it."""
    stale = [f"{kind} {action}" for kind, action in EXCLUSIONS if action not in handler_actions(kind)]
    assert stale == []
    listed = set().union(*(schema_actions(kind) for kind, _ in EXCLUSIONS))
    assert set(IAM_ACTION_OF) <= listed, "an IAM_ACTION_OF name no schema lists any more"
    assert all(exclusion.why for exclusion in EXCLUSIONS.values())
    assert [kind for kind in NO_HANDLER_TYPES if schema(kind).get("handlers")] == [], "it has handlers now: check them"
    without_property = sorted(f"{kind} {action}" for (kind, action), e in EXCLUSIONS.items() if e.prop is None)
    assert len(without_property) <= 20, f"exclusions no property governs, which the guard cannot re-check: {without_property}"


def test_an_excluded_property_set_fails_the_guard() -> None:
    """The guard's own mechanism: a stack that sets an excluded property needs the action."""
    properties = {"ReplicationConfiguration": {"Role": "arn:aws:iam::123456789012:role/r", "Rules": []}}
    exclusion, set_values = excluded("AWS::S3::Bucket", "s3:PutReplicationConfiguration", properties, {"Properties": properties})
    assert exclusion is not None
    assert set_values
    exclusion, set_values = excluded("AWS::S3::Bucket", "s3:PutReplicationConfiguration", {}, {})
    assert exclusion is not None
    assert not set_values
    assert excluded("AWS::S3::Bucket", "s3:PutBucketLogging", {}, {}) == (None, [])


def test_pins_follow_the_baked_project() -> None:
    """The schemas and the transform are the baked project's: same cfn-lint, same translator."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["dev"]
    env, context = stack_environment()
    baked = tomllib.loads(env.get_template("pyproject.toml").render(**context))
    baked_requirements = [item for group in baked.get("dependency-groups", {}).values() for item in group if isinstance(item, str)]
    baked_requirements += baked.get("project", {}).get("dependencies", [])
    [cfn_lint] = [item for item in baked_requirements if item.startswith("cfn-lint==")]
    assert cfn_lint in root
    translator = re.search(r"--with (aws-sam-translator==\S+)", (TEMPLATE_DIR / "Makefile").read_text(encoding="utf-8"))
    assert translator, "the baked Makefile no longer pins aws-sam-translator for SAM_TRANSLATOR"
    assert translator[1] in root
