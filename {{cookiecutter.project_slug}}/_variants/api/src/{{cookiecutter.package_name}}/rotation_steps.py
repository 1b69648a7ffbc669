"""The steps of the signing secret's rotation (rotation.py is their entry point).
Secrets Manager invokes the handler once per step, with the version it is rotating to
(``ClientRequestToken``), on the schedule in template.yaml (``SigningSecretRotation``).

- ``createSecret``: a new random key from GetRandomPassword, stored as that version, AWSPENDING.
- ``setSecret``: nothing. Rotating a database password changes it in the database here; an HMAC
  key has no external system that holds a copy: the secret is the only place the key lives, and
  the API function reads it from there.
- ``testSecret``: the new key is one the API function signs with (``signing.usable_key``), so
  finishing cannot turn every create into a 500. Secrets Manager also runs this step alone when
  the schedule is set without rotating (RotateImmediatelyOnUpdate false), on a pending version
  that holds the current key.
- ``finishSecret``: AWSCURRENT moves to the new version (Secrets Manager moves AWSPREVIOUS to the
  one it leaves, which the API function still verifies with), and AWSPENDING is removed.

Every step may run again after a failure or a timeout: each one first looks at what is done
already. A version that is neither the pending one nor the current one is refused.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from . import signing
from .signing import Client
from .signing import secrets_client as secrets_client  # the client the steps use, shared with signing

CURRENT = signing.CURRENT
PENDING = "AWSPENDING"
# As the secret's GenerateSecretString in template.yaml: 64 letters and digits.
KEY_LENGTH = 64

Step = Literal["createSecret", "setSecret", "testSecret", "finishSecret"]

logger = Logger()


class RotationRefusedError(RuntimeError):
    """The request names a version this function must not rotate to."""


class RotationRequest(BaseModel):
    """The event Secrets Manager sends the rotation function."""

    model_config = ConfigDict(populate_by_name=True)

    step: Step = Field(alias="Step")
    secret_id: str = Field(alias="SecretId", min_length=1)
    token: str = Field(alias="ClientRequestToken", min_length=32, max_length=64)


def stages_of(client: Client, secret_id: str) -> dict[str, list[str]]:
    """Each version of the secret, by id, with its staging labels; refuses a secret whose
    rotation is off (the request cannot come from its schedule)."""
    metadata = client.describe_secret(SecretId=secret_id)
    if not metadata.get("RotationEnabled"):
        raise RotationRefusedError(f"rotation is not enabled for {secret_id}")
    stages: dict[str, list[str]] = metadata.get("VersionIdsToStages", {})
    return stages


def log(message: str, request: RotationRequest) -> None:
    """One line per step: which secret, which version, never a key."""
    logger.info(message, step=request.step, secret_id=request.secret_id, version=request.token)


def current_version(stages: dict[str, list[str]]) -> str:
    return next(version for version, labels in stages.items() if CURRENT in labels)


def create_secret(client: Client, request: RotationRequest) -> None:
    client.get_secret_value(SecretId=request.secret_id, VersionStage=CURRENT)  # the secret has a key to rotate from
    try:
        client.get_secret_value(SecretId=request.secret_id, VersionId=request.token, VersionStage=PENDING)
        log("New key already created", request)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    key = client.get_random_password(PasswordLength=KEY_LENGTH, ExcludePunctuation=True)["RandomPassword"]
    client.put_secret_value(
        SecretId=request.secret_id, ClientRequestToken=request.token, SecretString=key, VersionStages=[PENDING]
    )
    log("New key created", request)


def set_secret(client: Client, request: RotationRequest) -> None:
    log("Nothing to set: no external system holds the key", request)


def test_secret(client: Client, request: RotationRequest) -> None:
    pending = client.get_secret_value(SecretId=request.secret_id, VersionId=request.token, VersionStage=PENDING)
    signing.usable_key(pending.get("SecretString"))  # raises, and the rotation stops, when it is not
    log("New key tested", request)


def finish_secret(client: Client, request: RotationRequest, stages: dict[str, list[str]]) -> None:
    client.update_secret_version_stage(
        SecretId=request.secret_id,
        VersionStage=CURRENT,
        MoveToVersionId=request.token,
        RemoveFromVersionId=current_version(stages),
    )
    log("New key is current", request)
    remove_pending(client, request)


def remove_pending(client: Client, request: RotationRequest) -> None:
    client.update_secret_version_stage(
        SecretId=request.secret_id, VersionStage=PENDING, RemoveFromVersionId=request.token
    )


def rotate(request: RotationRequest, client: Client) -> None:
    stages = stages_of(client, request.secret_id)
    labels = stages.get(request.token)
    if labels is None:
        raise RotationRefusedError(f"version {request.token} is not a version of the secret")
    if CURRENT in labels:
        # Finished already (a retry): nothing left but a pending label a failed finish may have left.
        if PENDING in labels:
            remove_pending(client, request)
        log("Version is current already", request)
        return
    if PENDING not in labels:
        raise RotationRefusedError(f"version {request.token} is not the pending version")
    if request.step == "createSecret":
        create_secret(client, request)
    elif request.step == "setSecret":
        set_secret(client, request)
    elif request.step == "testSecret":
        test_secret(client, request)
    else:
        finish_secret(client, request, stages)


def handle(event: dict[str, Any]) -> None:
    rotate(RotationRequest.model_validate(event), secrets_client())
