"""The signing secret's rotation (rotation.py), driven the way Secrets Manager drives it: moto's
RotateSecret stages a pending version and invokes the rotation function once per step, here
in-process, and every step is invoked twice, as Secrets Manager retries one that failed or timed
out. Then what the API function signs and verifies across rotations."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaBackend

from {{ cookiecutter.package_name }} import rotation, rotation_steps, settings, signing

from tests.conftest import SIGNING_KEY
from tests.support.emulated_aws import client
from tests.support.lambda_runtime import FakeLambdaContext, deployed_function
from tests.support.observability import log_records
from tests.support.stack import properties, resources, rollback_alarms

ROTATION = deployed_function(logical_id="RotationFunction")
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def rotation_context() -> FakeLambdaContext:
    return FakeLambdaContext(
        function_name=ROTATION.name,
        memory_limit_in_mb=ROTATION.memory_mb,
        remaining_time_in_millis=ROTATION.timeout_seconds * 1000,
    )


@dataclass
class SecretsManager:
    """Secrets Manager's side of the rotation. Each step runs ``attempts`` times; after a step
    fails, no later step runs (Secrets Manager stops the rotation and retries it later)."""

    secret_arn: str
    function_arn: str
    attempts: int = 2
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    # What a step left behind, after each attempt: (step, the secret's versions and stages, the pending key).
    after: list[tuple[str, dict[str, list[str]], str | None]] = field(default_factory=list)

    def invoke(self, body: str) -> bytes:
        event = json.loads(body)
        self.events.append(event)
        for _ in range(self.attempts):
            if self.failures:
                break
            try:
                rotation.handler(event, rotation_context())
            except Exception as error:  # recorded, as Secrets Manager records a failed step
                self.failures.append(error)
            self.after.append((event["Step"], stages(), pending_key(event["ClientRequestToken"])))
        return b"null"

    def rotate(self, immediately: bool = True) -> str:
        """One rotation (immediately=False: the configuration test that a new schedule runs); the
        version it rotates to. moto turns rotation on only for AutomaticallyAfterDays, not for the
        template's cron() schedule, which it does not evaluate."""
        response = client("secretsmanager").rotate_secret(
            SecretId=self.secret_arn,
            RotationLambdaARN=self.function_arn,
            RotationRules={"AutomaticallyAfterDays": 30},
            RotateImmediately=immediately,
        )
        version: str = response["VersionId"]
        return version


def stages() -> dict[str, list[str]]:
    versions: dict[str, list[str]] = client("secretsmanager").describe_secret(SecretId=signing_arn())[
        "VersionIdsToStages"
    ]
    return versions


def signing_arn() -> str:
    return settings.settings().signing_secret_arn


def pending_key(version: str) -> str | None:
    secrets = client("secretsmanager")
    try:
        value: str = secrets.get_secret_value(SecretId=signing_arn(), VersionId=version, VersionStage="AWSPENDING")[
            "SecretString"
        ]
    except (secrets.exceptions.ResourceNotFoundException, secrets.exceptions.InvalidRequestException):
        return None
    return value


def key_in(stage: str) -> str:
    value: str = client("secretsmanager").get_secret_value(SecretId=signing_arn(), VersionStage=stage)["SecretString"]
    return value


def version_in(stage: str) -> str:
    return next(version for version, labels in stages().items() if stage in labels)


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsManager]:
    """The rotation function, deployed in moto behind its alias, invoked in-process."""
    role = client("iam").create_role(RoleName="rotation", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    lambdas = client("lambda")
    lambdas.create_function(
        FunctionName=ROTATION.name,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="{{ cookiecutter.package_name }}.rotation.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},  # an empty zip: moto never runs it
        Publish=True,
    )
    alias = lambdas.create_alias(FunctionName=ROTATION.name, Name="live", FunctionVersion="1")
    emulated = SecretsManager(secret_arn=signing_arn(), function_arn=alias["AliasArn"])
    monkeypatch.setattr(LambdaBackend, "invoke", lambda _backend, *_args, body, **_kwargs: emulated.invoke(body))
    for cache in (rotation_steps.secrets_client, signing.current_keys, signing.previous_keys):
        cache.cache_clear()
    yield emulated
    for cache in (rotation_steps.secrets_client, signing.current_keys, signing.previous_keys):
        cache.cache_clear()


# ------------------------------------------------------------------ the four steps


def test_a_rotation_makes_a_new_random_key_current_and_keeps_the_old_one_as_previous(
    secrets_manager: SecretsManager,
) -> None:
    version = secrets_manager.rotate()
    assert [event["Step"] for event in secrets_manager.events] == STEPS
    assert secrets_manager.failures == []
    new_key = key_in("AWSCURRENT")
    assert new_key != SIGNING_KEY
    assert len(new_key) == rotation_steps.KEY_LENGTH
    assert new_key.isalnum()  # as the secret's GenerateSecretString: letters and digits
    assert version_in("AWSCURRENT") == version
    assert key_in("AWSPREVIOUS") == SIGNING_KEY
    assert not any("AWSPENDING" in labels for labels in stages().values())


def test_create_stores_one_pending_key_however_often_it_runs(secrets_manager: SecretsManager) -> None:
    version = secrets_manager.rotate()
    created = [key for step, _, key in secrets_manager.after if step == "createSecret"]
    assert len(created) == 2
    assert created[0] is not None
    assert created[0] == created[1]  # the retry found it and made no other
    assert key_in("AWSCURRENT") == created[0]
    assert version_in("AWSCURRENT") == version


def test_set_and_test_change_nothing_and_can_run_again(secrets_manager: SecretsManager) -> None:
    secrets_manager.rotate()
    created = [versions for step, versions, _ in secrets_manager.after if step == "createSecret"][-1]
    for step in ("setSecret", "testSecret"):
        assert [versions for name, versions, _ in secrets_manager.after if name == step] == [created, created]


def test_finish_run_again_keeps_the_new_key_current_and_the_old_one_previous(secrets_manager: SecretsManager) -> None:
    version = secrets_manager.rotate()
    first, second = [versions for step, versions, _ in secrets_manager.after if step == "finishSecret"]
    assert first == second
    assert first[version] == ["AWSCURRENT"]
    assert key_in("AWSPREVIOUS") == SIGNING_KEY
    # And once more, later, for any step: the version is current, there is nothing to do.
    for step in STEPS:
        rotation.handler({"Step": step, "SecretId": signing_arn(), "ClientRequestToken": version}, rotation_context())
    assert stages() == second


def test_a_finish_interrupted_after_the_move_only_removes_the_pending_label(secrets_manager: SecretsManager) -> None:
    secrets_manager.rotate()
    version = version_in("AWSCURRENT")
    # As if the first finish died between its two calls: current, and still pending.
    client("secretsmanager").update_secret_version_stage(
        SecretId=signing_arn(), VersionStage="AWSPENDING", MoveToVersionId=version
    )
    event = {"Step": "finishSecret", "SecretId": signing_arn(), "ClientRequestToken": version}
    rotation.handler(event, rotation_context())
    assert stages()[version] == ["AWSCURRENT"]


def test_a_new_schedule_tests_the_configuration_without_rotating(secrets_manager: SecretsManager) -> None:
    before = key_in("AWSCURRENT")
    secrets_manager.rotate(immediately=False)
    assert [event["Step"] for event in secrets_manager.events] == ["testSecret"]
    assert secrets_manager.failures == []
    assert key_in("AWSCURRENT") == before


def test_a_key_the_api_would_refuse_fails_the_test_step(
    secrets_manager: SecretsManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = client("secretsmanager").create_secret(Name="weak-key", SecretString="short")  # pragma: allowlist secret
    monkeypatch.setenv("SIGNING_SECRET_ARN", weak["ARN"])
    settings.settings.cache_clear()
    secrets_manager.secret_arn = weak["ARN"]
    secrets_manager.rotate(immediately=False)  # the test step checks the pending version, which holds "short"
    [failure] = secrets_manager.failures
    assert "at least 32 characters" in str(failure)
    assert "short" not in str(failure)


# ------------------------------------------------------------------ refusals


def test_a_version_that_is_not_pending_is_refused(secrets_manager: SecretsManager) -> None:
    secrets_manager.rotate()
    previous = version_in("AWSPREVIOUS")
    before = stages()
    for step in STEPS:
        event = {"Step": step, "SecretId": signing_arn(), "ClientRequestToken": previous}
        with pytest.raises(rotation_steps.RotationRefusedError, match="not the pending version"):
            rotation.handler(event, rotation_context())
    assert stages() == before


def test_a_version_the_secret_does_not_have_is_refused(secrets_manager: SecretsManager) -> None:
    secrets_manager.rotate()
    event = {"Step": "createSecret", "SecretId": signing_arn(), "ClientRequestToken": str(uuid.uuid4())}
    with pytest.raises(rotation_steps.RotationRefusedError, match="not a version of the secret"):
        rotation.handler(event, rotation_context())


def test_a_secret_without_rotation_is_refused(secrets_manager: SecretsManager) -> None:
    event = {"Step": "createSecret", "SecretId": signing_arn(), "ClientRequestToken": version_in("AWSCURRENT")}
    with pytest.raises(rotation_steps.RotationRefusedError, match="rotation is not enabled"):
        rotation.handler(event, rotation_context())


@pytest.mark.parametrize(
    "event",
    [
        {"Step": "deleteSecret", "SecretId": "s", "ClientRequestToken": str(uuid.uuid4())},
        {"Step": "createSecret", "SecretId": "s", "ClientRequestToken": "short"},
        {"Step": "createSecret", "ClientRequestToken": str(uuid.uuid4())},
    ],
)
def test_an_event_that_is_not_a_rotation_step_is_refused(event: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        rotation.handler(event, rotation_context())


def test_the_logs_name_the_step_and_version_never_a_key(
    secrets_manager: SecretsManager, log_output: io.StringIO
) -> None:
    version = secrets_manager.rotate()
    records = log_records(log_output)
    assert {(record["step"], record["version"]) for record in records} == {(step, version) for step in STEPS}
    assert all(record["function_name"] == ROTATION.name for record in records)
    assert key_in("AWSCURRENT") not in log_output.getvalue()
    assert SIGNING_KEY not in log_output.getvalue()


# ------------------------------------------------------------------ signing and verifying across rotations


def test_what_was_signed_before_a_rotation_still_verifies(secrets_manager: SecretsManager) -> None:
    item_id = uuid.uuid4().hex
    before = signing.signature_for(item_id)
    assert signing.verify(item_id, before)  # no previous key yet: the current one verifies
    secrets_manager.rotate()
    signing_key_cache_expires()
    after = signing.signature_for(item_id)
    assert after != before  # signing uses the new current key
    assert after == signing.sign(item_id, key_in("AWSCURRENT"))
    assert signing.verify(item_id, after)
    assert signing.verify(item_id, before)  # with the previous key


def test_before_the_first_rotation_only_the_current_key_verifies(secrets_manager: SecretsManager) -> None:
    assert signing.previous_key() is None  # no AWSPREVIOUS version yet
    assert not signing.verify(uuid.uuid4().hex, "0" * 64)


def test_a_signature_verifies_for_one_rotation_only(secrets_manager: SecretsManager) -> None:
    item_id = uuid.uuid4().hex
    before = signing.signature_for(item_id)
    secrets_manager.rotate()
    secrets_manager.rotate()
    signing_key_cache_expires()
    assert not signing.verify(item_id, before)


@pytest.mark.parametrize("forged", ["", "0" * 64, "é" * 64])
def test_a_forged_signature_never_verifies(secrets_manager: SecretsManager, forged: str) -> None:
    secrets_manager.rotate()
    signing_key_cache_expires()
    assert not signing.verify(uuid.uuid4().hex, forged)


def test_keys_are_cached_as_before_and_the_previous_key_apart_from_the_current_one(
    secrets_manager: SecretsManager,
) -> None:
    before = signing.signing_key()
    secrets_manager.rotate()
    assert signing.signing_key() == before  # cached for KEY_CACHE_SECONDS, as before rotation existed
    signing_key_cache_expires()
    assert signing.signing_key() == key_in("AWSCURRENT")
    assert signing.previous_key() == before
    assert signing.signing_key() == key_in("AWSCURRENT")  # the previous key did not replace it


def test_a_key_is_read_again_once_its_cache_expires(
    secrets_manager: SecretsManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(signing, "time", SimpleNamespace(monotonic=lambda: now[0]))
    before = signing.signing_key()
    secrets_manager.rotate()
    now[0] += signing.KEY_CACHE_SECONDS - 1
    assert signing.signing_key() == before
    now[0] += 1
    assert signing.signing_key() == key_in("AWSCURRENT")


def test_a_failure_to_read_the_previous_key_is_not_taken_for_no_previous_key(
    secrets_manager: SecretsManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = signing.secrets_client()
    read = secrets.get_secret_value

    def refuse_the_previous_key(**request: Any) -> Any:
        if request.get("VersionStage") == signing.PREVIOUS:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "GetSecretValue")
        return read(**request)

    monkeypatch.setattr(secrets, "get_secret_value", refuse_the_previous_key)
    with pytest.raises(ClientError, match="AccessDenied"):
        signing.verify(uuid.uuid4().hex, "0" * 64)  # fails closed: an error, never "no previous key"


def signing_key_cache_expires() -> None:
    """What KEY_CACHE_SECONDS later looks like: the secret is read again."""
    signing.current_keys.cache_clear()
    signing.previous_keys.cache_clear()


# ------------------------------------------------------------------ template.yaml


def test_the_schedule_rotates_monthly_through_the_alias_and_never_on_a_deploy() -> None:
    schedule = properties("SigningSecretRotation")
    assert schedule["SecretId"] == {"Ref": "SigningSecret"}
    assert schedule["RotationLambdaARN"] == {"Ref": "RotationFunctionAliaslive"}
    assert schedule["RotateImmediatelyOnUpdate"] is False
    assert schedule["RotationRules"]["ScheduleExpression"].startswith("cron(")
    assert "AutomaticallyAfterDays" not in schedule["RotationRules"]
    assert resources()["SigningSecretRotation"]["DependsOn"] == "RotationFunctionSecretsManagerPermission"


def test_only_secrets_manager_of_this_account_invokes_it_for_this_secret_only() -> None:
    permission = properties("RotationFunctionSecretsManagerPermission")
    assert permission["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": "RotationFunctionAliaslive"}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"] == {"Ref": "SigningSecret"}


def test_the_rotation_role_names_only_the_secret_and_get_random_password() -> None:
    [policy] = [p for p in properties("RotationFunctionRole")["Policies"] if p["PolicyName"] == "rotate-signing-secret"]
    granted = {
        action: statement["Resource"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert granted.pop("secretsmanager:GetRandomPassword") == "*"  # no resource-level permissions
    assert all(resource == {"Ref": "SigningSecret"} for resource in granted.values())
    assert "secretsmanager:RotateSecret" not in granted


def test_a_failed_rotation_step_alarms_and_rolls_the_rotation_function_back() -> None:
    assert rollback_alarms("RotationFunction") == {"RotationFunctionErrorsAlarm"}
    alarm = properties("RotationFunctionErrorsAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
