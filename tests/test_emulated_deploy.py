"""A real deploy cycle of every event source, into an emulator on 127.0.0.1 (issue 12).

For each event source the hook enables: bake (python3.13: `sam build` needs the runtime's own
interpreter and no python3.14 can be installed on these machines), `make build` (the baked
project's own `sam build`), then the real SAM CLI, run as an isolated tool exactly as the baked
Makefile runs it, deploys the unmodified template and samconfig into LocalStack:

1. `sam deploy` reaches CREATE_COMPLETE (managed bucket, upload, change set, as against AWS);
2. `sam deploy --parameter-overrides LogRetentionInDays=30` reaches UPDATE_COMPLETE with the
   stack's parameter changed (the emulator's log groups ignore retention itself);
3. `sam delete --no-prompts`, then `sam deploy` of the same stack name reaches CREATE_COMPLETE
   again: retained resources (tables, keys, log groups) stay behind, as in AWS, and a fixed
   name among them would collide on the recreate.

After the first create and after the recreate, the wiring the emulator keeps is compared with
the SAM-transformed template: SQS and stream mappings (filter, partial batch responses, maximum
concurrency, redrive or on-failure destination), EventBridge rules (pattern, DLQ, retry policy),
S3 notifications (prefix, suffix), and the REST API refusing a call without an API key (403).

What the emulator accepts only as a placeholder ("not supported but was deployed as a
fallback") is printed for each variant (visible with -s or -rA, and in every failure message).
IAM, KMS key policies, code signing, deletion protection, Cognito and CodeDeploy are not
enforced there: this proves the stack's shape and its update and delete cycle, not its
permissions. LocalStack, its pins and its init hooks live in tests/emulator/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter
from emulator.localstack_session import EmulatorError, file_lock, install, shared_localstack
from support import ROOT, enabled_values

pytestmark = pytest.mark.slow

RUNTIME = "python3.13"  # no python3.14 interpreter exists on these machines; sam build needs one
REGION = "eu-west-1"
SAM = ["tool", "run", "--quiet", "--from", "aws-sam-cli==1.170.0", "sam"]  # as the baked Makefile
CHANGED_PARAMETER = ("LogRetentionInDays", "30")
INSPECT = Path(__file__).with_name("emulator") / "inspect_stack.py"
TIMEOUT = 600  # seconds for one SAM command
RETAINED = {"Retain", "RetainExceptOnCreate"}
# Resources for which retention is checked after the delete (types inspect_stack can look up).
RETAINED_TYPES = {"AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::SQS::Queue"}


ALREADY_EXISTS = ("AlreadyExists", "already exists")
# Answers the emulated bakes override, with the reason each test prints. LocalStack community
# has no AWS Backup: it creates AWS::Backup::* only as placeholders ("not supported but was
# deployed as a fallback", seen with backups=yes), so a vault, plan and selection there prove
# nothing. They are checked against CloudFormation's resource schemas instead (cfn-lint, in
# every baked `make check`) and by tests/test_stack_parts.py and tests/test_deploy_rules.py.
EMULATOR_OVERRIDES = {
    "backups": ("no", "LocalStack community has no AWS Backup (AWS::Backup::* resources are placeholders only)"),
    # The default already; written out so that the reason is printed with the others.
    "stream_delivery": (
        "lambda",
        "the pinned LocalStack community has no EventBridge Pipes: no pipes service provider and no AWS::Pipes::Pipe"
        " resource provider (test_stream_delivery_eventbridge_is_not_deployed_here checks the installed one),"
        " so stream_delivery=eventbridge is proven in-process (the bake's tests/unit/test_pipe.py) and in moto"
        " (tests/test_moto_stacks.py)",
    ),
    # The default already; written out so that the reason is printed with the others.
    "cdn": (
        "no",
        "the pinned LocalStack community has no CloudFront: no cloudfront service provider and no"
        " AWS::CloudFront::* resource provider (test_cdn_is_not_deployed_here checks the installed one), so"
        " cdn=yes is proven on the SAM-transformed stack (tests/test_deploy_rules.py: the stage's web ACL"
        " refuses requests without CloudFront's origin secret), its handlers' IAM in"
        " tests/test_cloudformation_role.py, and by the bake's security gate",
    ),
}


# Deployed variants beyond one per event source: name -> (answers, the deploy parameters that
# have no default, given on every deploy as a pipeline's parameter_overrides would).
EXTRA_VARIANTS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # api_auth=oidc: the token authorizer's own function and package (authorizer/), its alias and
    # the permission for this API's authorizers. The issuer is never called: nothing here sends a token.
    "api-oidc": (
        {"event_source": "api", "api_auth": "oidc"},
        ("OidcIssuerUrl=https://issuer.example.com/", "OidcAudience=api://inventory"),
    ),
}


# The default bake of an event source that an extra variant deploys in its stead: api-oidc has
# the api stack (REST API, stage, API key, rotation, alarms, CodeDeploy) plus the authorizer; the
# default api bake adds only the Cognito user pool, which the emulator keeps as a placeholder.
# One deploy of about 3.5 minutes instead of two keeps the suite within its 30 minutes.
DEPLOYED_IN_STEAD = {"api": "api-oidc"}


def deployed_variants() -> list[str]:
    sources = [value for value in enabled_values()["event_source"] if value not in NOT_EMULATED]
    return [value for value in sources if value not in DEPLOYED_IN_STEAD] + sorted(EXTRA_VARIANTS)


def variant_answers(variant: str) -> dict[str, str]:
    return EXTRA_VARIANTS[variant][0] if variant in EXTRA_VARIANTS else {"event_source": variant}


def required_parameters(variant: str) -> tuple[str, ...]:
    return EXTRA_VARIANTS[variant][1] if variant in EXTRA_VARIANTS else ()


class RecreateCollision(AssertionError):
    """The recreate after `sam delete` failed on a name that a retained resource still holds:
    CloudFormation keeps Retain and RetainExceptOnCreate resources when a stack is deleted, so
    a retained resource needs a name that differs for each instance of the stack."""


class Emulator:
    def __init__(self, state: dict[str, Any], python: Path, shared: Path, env: dict[str, str]) -> None:
        self.endpoint = f"http://localhost:{state['port']}"
        self.pid = int(state["pid"])
        self.log = Path(str(state["log"]))
        self.python = python
        self.shared = shared
        # Fake credentials only; no profile or config file of this machine is read.
        empty = shared / "no-aws-config"
        empty.touch()
        self.env = {key: value for key, value in env.items() if not key.startswith("AWS_")}
        self.env |= {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "SAM_CLI_TELEMETRY": "0",
        }


@pytest.fixture(scope="session")
def emulator(
    tmp_path_factory: pytest.TempPathFactory, uv: str, subprocess_env: dict[str, str], worker_id: str
) -> Iterator[Emulator]:
    """One LocalStack for every xdist worker of the session (see tests/emulator/)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "emulator"
    shared.mkdir(exist_ok=True)
    try:
        paths = install(uv, subprocess_env)
        with shared_localstack(paths, shared, f"{worker_id}-{os.getpid()}", subprocess_env) as state:
            yield Emulator(state, paths["python"], shared, subprocess_env)
    except EmulatorError as error:
        pytest.fail(f"the emulator cannot run here: {error}")


class Variant:
    """One baked variant's deploy cycle, with a record of each step for the failure messages."""

    def __init__(self, name: str, project: Path, emulator: Emulator, uv: str) -> None:
        self.name = name
        self.project = project
        self.emulator = emulator
        self.uv = uv
        self.stack = project.name  # the samconfig's stack_name is the project slug
        self.steps: list[str] = []
        self.placeholders: list[str] = []

    def run(self, command: list[str], what: str) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            command,
            cwd=self.project,
            env=self.emulator.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        (self.project.parent / f"{what.replace(' ', '-')}.log").write_text(done.stdout, encoding="utf-8")
        self.steps.append(f"{what}: exit {done.returncode} after {time.monotonic() - started:.0f}s")
        return done

    def sam(self, *arguments: str, what: str) -> subprocess.CompletedProcess[str]:
        return self.run([self.uv, *SAM, *arguments], what)

    def deploy(self, *arguments: str, what: str) -> subprocess.CompletedProcess[str]:
        # confirm_changeset is true in the default samconfig environment: nobody answers here.
        return self.sam("deploy", "--no-confirm-changeset", "--no-progressbar", *arguments, what=what)

    def inspect(self, retained: list[str] | None = None) -> dict[str, Any]:
        done = subprocess.run(
            [str(self.emulator.python), str(INSPECT), self.emulator.endpoint, self.stack, *(retained or [])],
            env=self.emulator.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"inspect_stack failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        self.placeholders = sorted(set(self.placeholders) | set(report.get("placeholders", [])))
        return report

    def record(self, output: subprocess.CompletedProcess[str] | None = None) -> str:
        """Every step so far, the placeholders, and the end of a failed command's output."""
        text = (
            f"{self.name} ({self.stack}):\n  "
            + "\n  ".join(self.steps)
            + f"\n  accepted only as placeholders: {', '.join(self.placeholders) or 'none'}"
        )
        if output is not None:
            text += "\n--- output ---\n" + output.stdout[-8000:]
        return text


def bake(variant: str, directory: Path, config: Path) -> Path:
    return Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            # A slug per variant: stack names (and names built from them) never meet.
            extra_context=variant_answers(variant) | {"python_runtime": RUNTIME, "project_slug": f"emulated-{variant}"}
            | {name: value for name, (value, _) in EMULATOR_OVERRIDES.items()},
            output_dir=str(directory),
            config_file=str(config),
        )
    )


# Run in the emulator's interpreter: the services and CloudFormation resource types LocalStack provides.
PROVIDERS = """
import json
from importlib.metadata import entry_points
services = sorted({point.name.split(":")[0] for point in entry_points(group="localstack.aws.provider")})
resources = sorted(point.name for point in entry_points(group="localstack.cloudformation.resource_providers"))
print(json.dumps([services, resources]))
"""


def emulator_providers(uv: str, subprocess_env: dict[str, str]) -> tuple[list[str], list[str]]:
    """The services and CloudFormation resource types the installed LocalStack provides."""
    try:
        paths = install(uv, subprocess_env)
    except EmulatorError as error:
        pytest.fail(f"the emulator cannot be installed here: {error}")
    listed = subprocess.run(
        [str(paths["python"]), "-c", PROVIDERS], env=subprocess_env, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    services, resources = json.loads(listed.stdout)
    assert "sqs" in services and "aws::sqs::queue" in resources, "no providers listed: nothing would be proven"
    return services, resources


def test_stream_delivery_eventbridge_is_not_deployed_here(uv: str, subprocess_env: dict[str, str]) -> None:
    """The emulated bakes keep stream_delivery=lambda. Why is checked on the installed
    LocalStack, then given as this test's skip reason, so every run's summary (-ra) says it."""
    services, resources = emulator_providers(uv, subprocess_env)
    assert "pipes" not in services and not [name for name in resources if name.startswith("aws::pipes::")], (
        "the pinned LocalStack now provides EventBridge Pipes: deploy stream_delivery=eventbridge here too"
        " and drop EMULATOR_OVERRIDES['stream_delivery']"
    )
    pytest.skip(f"stream_delivery=eventbridge is not deployed here: {EMULATOR_OVERRIDES['stream_delivery'][1]}")


def test_cdn_is_not_deployed_here(uv: str, subprocess_env: dict[str, str]) -> None:
    """The emulated bakes keep cdn=no: checked on the installed LocalStack, then given as the skip reason."""
    services, resources = emulator_providers(uv, subprocess_env)
    assert "cloudfront" not in services and not [name for name in resources if name.startswith("aws::cloudfront::")], (
        "the pinned LocalStack now provides CloudFront: deploy cdn=yes here too and drop EMULATOR_OVERRIDES['cdn']"
    )
    pytest.skip(f"cdn=yes is not deployed here: {EMULATOR_OVERRIDES['cdn'][1]}")


# Event sources whose stack the pinned LocalStack cannot create, and what proves them instead.
NOT_EMULATED = {
    "appsync": (
        "the pinned LocalStack community has no AppSync: no appsync service provider and no AWS::AppSync::*"
        " resource provider (AppSync is in LocalStack Pro); the transformed stack is checked against cfn-lint's"
        " resource schemas in the bake's make check, its handlers' IAM in tests/test_cloudformation_role.py,"
        " and the resolver in-process by the bake's tests"
    ),
}


def test_a_variant_deployed_in_stead_refines_that_event_source() -> None:
    """What stands in for a default bake must bake the same event source, or that source goes undeployed."""
    for source, variant in DEPLOYED_IN_STEAD.items():
        assert variant in EXTRA_VARIANTS, f"{variant} stands in for {source} but is not deployed"
        assert variant_answers(variant)["event_source"] == source, f"{variant} does not bake event_source={source}"


@pytest.mark.parametrize("variant", sorted(NOT_EMULATED))
def test_event_sources_the_emulator_lacks_are_not_deployed_here(variant: str, uv: str, subprocess_env: dict[str, str]) -> None:
    """Checked on the installed LocalStack, then given as the skip reason, so every run's summary says it."""
    services, resources = emulator_providers(uv, subprocess_env)
    assert variant not in services and not [name for name in resources if name.startswith(f"aws::{variant}::")], (
        f"the pinned LocalStack now provides {variant}: deploy event_source={variant} here too and drop NOT_EMULATED[{variant!r}]"
    )
    pytest.skip(f"event_source={variant} is not deployed here: {NOT_EMULATED[variant]}")


@pytest.mark.parametrize("variant", deployed_variants())
def test_deploy_update_delete_recreate(
    variant: str,
    emulator: Emulator,
    tmp_path: Path,
    cookiecutter_config: Path,
    subprocess_env: dict[str, str],
    uv: str,
) -> None:
    project = bake(variant, tmp_path, cookiecutter_config)
    deployment = Variant(variant, project, emulator, uv)
    required = required_parameters(variant)
    # One value of space-separated Key=Value pairs, as samconfig's parameter_overrides.
    overrides = ["--parameter-overrides", " ".join(required)] if required else []
    deployment.steps += [f"baked with {name}={value}: {reason}" for name, (value, reason) in EMULATOR_OVERRIDES.items()]
    for target in ("build", "transform"):
        made = subprocess.run(
            ["make", target], cwd=project, env=subprocess_env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        assert made.returncode == 0, f"make {target}:\n{(made.stdout + made.stderr)[-6000:]}"
    template: dict[str, Any] = json.loads((project / "build" / "template.transformed.json").read_text(encoding="utf-8"))

    # 1. Create. The first deploy of a fresh emulator also creates SAM's managed bucket stack:
    # one worker at a time, or two would race to create it.
    marker = emulator.shared / f"managed-stack-{emulator.pid}.ready"
    with file_lock(emulator.shared / "managed-stack.lock"):
        created = deployment.deploy(*overrides, what="create")
        if created.returncode == 0:
            marker.touch()
    report = deployment.inspect()
    assert created.returncode == 0 and report["status"] == "CREATE_COMPLETE", deployment.record(created)
    check_wiring(variant, template, report, emulator, deployment.record())

    # 2. Update one parameter.
    name, value = CHANGED_PARAMETER
    updated = deployment.deploy("--parameter-overrides", " ".join([f"{name}={value}", *required]), what="update")
    report = deployment.inspect()
    assert updated.returncode == 0 and report["status"] == "UPDATE_COMPLETE", deployment.record(updated)
    # The emulator's log group ignores RetentionInDays (its provider sets no retention policy):
    # the stack's parameter is what shows the update went through.
    assert report["parameters"][name] == value, deployment.record()

    # 3. Delete, then create the same stack name again.
    retained = [
        report["resources"][logical]["physical_id"]
        for logical, resource in template["Resources"].items()
        if resource.get("DeletionPolicy") in RETAINED and resource["Type"] in RETAINED_TYPES and logical in report["resources"]
    ]
    deleted = deployment.sam("delete", "--no-prompts", what="delete")
    gone = deployment.inspect(retained)
    assert deleted.returncode == 0, deployment.record(deleted)
    assert gone["status"] == "DELETE_COMPLETE" or gone["status"].startswith("absent"), deployment.record(deleted)
    kept = sorted(physical for physical, exists in gone["retained"].items() if exists)
    deployment.steps.append(f"retained after the delete: {', '.join(kept) or 'none'}")
    recreated = deployment.deploy(*overrides, what="recreate")
    if recreated.returncode != 0 and any(text in recreated.stdout for text in ALREADY_EXISTS):
        raise RecreateCollision(deployment.record(recreated))
    report = deployment.inspect()
    assert recreated.returncode == 0 and report["status"] == "CREATE_COMPLETE", deployment.record(recreated)
    check_wiring(variant, template, report, emulator, deployment.record())
    print(deployment.record())


# ------------------------------------------------------------------ wiring checks


def resolve(value: Any, report: dict[str, Any]) -> Any:
    """A template value as the emulator's stack holds it: Ref of a parameter, GetAtt Arn of a queue."""
    if isinstance(value, dict) and list(value) == ["Ref"] and value["Ref"] in report["parameters"]:
        return report["parameters"][value["Ref"]]
    if isinstance(value, dict) and list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"][1] == "Arn":
        url = report["resources"][value["Fn::GetAtt"][0]]["physical_id"]
        [arn] = [arn for arn, queue in report["queues"].items() if queue["url"] == url]
        return arn
    return value


def declared(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource.get("Properties", {}) for name, resource in template["Resources"].items() if resource["Type"] == resource_type
    }


def check_wiring(variant: str, template: dict[str, Any], report: dict[str, Any], emulator: Emulator, record: str) -> None:
    checks = {
        "sqs": mappings_are_wired,
        "dynamodb": mappings_are_wired,
        "eventbridge": rules_are_wired,
        "s3": notifications_are_wired,
        "api": api_refuses_calls_without_a_key,
        "api-oidc": api_refuses_calls_without_a_key_or_token,
    }
    assert variant in checks, f"no wiring check for event source {variant!r}: add one"
    checks[variant](template, report, emulator, record)


def mappings_are_wired(template: dict[str, Any], report: dict[str, Any], _: Emulator, record: str) -> None:
    wanted = declared(template, "AWS::Lambda::EventSourceMapping")
    live = report["event_source_mappings"]
    assert wanted and len(live) == len(wanted), f"mappings {live} for {list(wanted)}\n{record}"
    for name, properties in wanted.items():
        patterns = [json.loads(entry["Pattern"]) for entry in properties["FilterCriteria"]["Filters"]]
        found = [m for m in live if [json.loads(f["Pattern"]) for f in (m.get("FilterCriteria") or {}).get("Filters", [])] == patterns]
        assert len(found) == 1, f"{name}: no mapping with the filter {patterns}: {live}\n{record}"
        [mapping] = found
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], f"{name}: {mapping}\n{record}"
        assert mapping["FunctionArn"].endswith(":live"), f"{name}: the mapping must invoke the alias: {mapping}\n{record}"
        assert str(mapping["BatchSize"]) == str(resolve(properties["BatchSize"], report)), f"{name}: {mapping}\n{record}"
        source = properties["EventSourceArn"]["Fn::GetAtt"][0]
        if template["Resources"][source]["Type"] == "AWS::SQS::Queue":
            queue_arn = resolve(properties["EventSourceArn"], report)
            assert mapping["EventSourceArn"] == queue_arn, f"{name}: {mapping}\n{record}"
            concurrency = resolve(properties["ScalingConfig"]["MaximumConcurrency"], report)
            assert str(mapping["ScalingConfig"]["MaximumConcurrency"]) == str(concurrency), f"{name}: {mapping}\n{record}"
            # An SQS mapping has no on-failure destination: failed messages go through the redrive policy.
            redrive_declared = template["Resources"][source]["Properties"]["RedrivePolicy"]
            redrive = json.loads(report["queues"][queue_arn]["RedrivePolicy"])
            assert redrive["deadLetterTargetArn"] == resolve(redrive_declared["deadLetterTargetArn"], report), record
            assert str(redrive["maxReceiveCount"]) == str(resolve(redrive_declared["maxReceiveCount"], report)), record
        else:
            table = report["resources"][source]["physical_id"]
            assert f":table/{table}/stream/" in mapping["EventSourceArn"], f"{name}: {mapping}\n{record}"
            destination = resolve(properties["DestinationConfig"]["OnFailure"]["Destination"], report)
            assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == destination, f"{name}: {mapping}\n{record}"
            assert mapping["BisectBatchOnFunctionError"] is True, f"{name}: {mapping}\n{record}"
            retries = resolve(properties["MaximumRetryAttempts"], report)
            assert str(mapping["MaximumRetryAttempts"]) == str(retries), f"{name}: {mapping}\n{record}"


def rules_are_wired(template: dict[str, Any], report: dict[str, Any], _: Emulator, record: str) -> None:
    wanted = declared(template, "AWS::Events::Rule")
    assert wanted, f"the template declares no EventBridge rule\n{record}"
    for name, properties in wanted.items():
        found = [rule for rule in report["rules"] if json.loads(rule["EventPattern"]) == properties["EventPattern"]]
        assert len(found) == 1, f"{name}: no rule with the pattern {properties['EventPattern']}: {report['rules']}\n{record}"
        [rule] = found
        assert len(rule["Targets"]) == len(properties["Targets"]), f"{name}: {rule}\n{record}"
        for want, have in zip(properties["Targets"], rule["Targets"], strict=True):
            assert have["Arn"].endswith(":live"), f"{name}: the rule must invoke the alias: {have}\n{record}"
            assert have["DeadLetterConfig"]["Arn"] == resolve(want["DeadLetterConfig"]["Arn"], report), f"{name}: {have}\n{record}"
            policy = {key: str(resolve(value, report)) for key, value in want["RetryPolicy"].items()}
            assert {key: str(value) for key, value in have["RetryPolicy"].items()} == policy, f"{name}: {have}\n{record}"


def notifications_are_wired(template: dict[str, Any], report: dict[str, Any], _: Emulator, record: str) -> None:
    wanted = {
        name: properties["NotificationConfiguration"]
        for name, properties in declared(template, "AWS::S3::Bucket").items()
        if "NotificationConfiguration" in properties
    }
    assert wanted, f"the template declares no bucket notification\n{record}"
    for name, configuration in wanted.items():
        bucket = report["resources"][name]["physical_id"]
        live = report["bucket_notifications"][bucket].get("LambdaFunctionConfigurations", [])
        expected = configuration["LambdaConfigurations"]
        assert len(live) == len(expected), f"{name}: {live}\n{record}"
        for want, have in zip(expected, live, strict=True):
            rules = {rule["Name"].lower(): rule["Value"] for rule in want["Filter"]["S3Key"]["Rules"]}
            assert {"prefix", "suffix"} <= set(rules), f"{name}: the notification needs a prefix and a suffix\n{record}"
            assert {r["Name"].lower(): r["Value"] for r in have["Filter"]["Key"]["FilterRules"]} == rules, f"{name}: {have}\n{record}"
            assert have["Events"] == [want["Event"]], f"{name}: {have}\n{record}"
            assert have["LambdaFunctionArn"].endswith(":live"), f"{name}: the bucket must invoke the alias: {have}\n{record}"


def api_refuses_calls_without_a_key(
    template: dict[str, Any], report: dict[str, Any], emulator: Emulator, record: str, refusals: frozenset[int] = frozenset({403})
) -> None:
    assert report["rest_apis"], f"no REST API in the stack\n{record}"
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", "0001", path).lstrip("/"))
        for properties in declared(template, "AWS::ApiGateway::RestApi").values()
        for path, methods in properties["Body"]["paths"].items()
        for method in methods
        if method.lower() in {"get", "post", "put", "patch", "delete"}
    ]
    assert operations, f"the REST API declares no operation\n{record}"
    for api, stages in report["rest_apis"].items():
        assert stages, f"{api}: no stage\n{record}"
        for stage in stages:
            for method, path in operations:
                body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
                url = f"{emulator.endpoint}/_aws/execute-api/{api}/{stage}/{path}"
                request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})  # noqa: S310
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                        status = answer.status
                except urllib.error.HTTPError as error:
                    status = error.code
                assert status in refusals, f"{method} {url} without an API key answered {status}, not {sorted(refusals)}\n{record}"


def api_refuses_calls_without_a_key_or_token(template: dict[str, Any], report: dict[str, Any], emulator: Emulator, record: str) -> None:
    # Without an Authorization header AWS answers 401 before the API key check; an emulator that
    # does not run Lambda authorizers answers 403 for the missing key. Either way, refused.
    api_refuses_calls_without_a_key(template, report, emulator, record, refusals=frozenset({401, 403}))
