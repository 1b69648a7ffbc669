"""``createItem`` with an ``idempotencyKey``: a retry gets the first answer and stores nothing new,
the same key with another input is bad input, a retry while the first still runs a Conflict;
keys are scoped by caller, as AppSync authenticated them."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import fields, repository, resolvers

from tests.conftest import IDEMPOTENCY_TABLE, stored_item_ids
from tests.support import idempotency as exactly_once  # one side effect, whatever is delivered twice
from tests.support.idempotency import IdempotencyTable, InvocationTimedOut, time_out, watch
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import logged, metrics_in_order

OUTCOME_METRICS = ("ItemCreated", "ValidationFailed")
ACCOUNT = "123456789012"
ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-service"
# What AppSync passes for a SigV4 caller (AWS_IAM): no sub.
IAM_IDENTITY = {"accountId": ACCOUNT, "sourceIp": ["203.0.113.10"], "username": "AROAEXAMPLE:session-1"}


def create(input_: dict[str, Any] | None = None, identity: dict[str, Any] | None = None) -> dict[str, Any]:
    event = load_event("create_item_idempotent.json")
    if input_ is not None:
        event["arguments"]["input"] = input_
    if identity is not None:
        event["identity"] = identity
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """An invocation with a context of its own, as each concurrent invocation has."""
    answer: dict[str, Any] = resolvers.handler(event, FakeLambdaContext())
    return answer


def test_retries_with_the_same_key_and_input_get_the_first_answer_and_store_nothing_new(
    table: Any, puts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    answers = [invoke(create()) for _ in range(3)]
    assert set(answers[0]) == {"data"}
    assert answers == [answers[0]] * 3
    assert puts == stored_item_ids(table) == [answers[0]["data"]["itemId"]]
    assert metrics_in_order(capsys.readouterr().out, OUTCOME_METRICS) == ["ItemCreated"]


def test_the_same_key_with_another_input_is_bad_input(
    table: Any, puts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = invoke(create())["data"]
    answer = invoke(create({"name": "Gadget", "quantity": 3}))
    assert answer == {
        "error": {
            "type": "BadInput",
            "message": "idempotencyKey was used with another input",
            "errors": [{"location": "idempotencyKey", "message": "A new item needs a new key"}],
        }
    }
    assert puts == stored_item_ids(table) == [first["itemId"]]
    assert metrics_in_order(capsys.readouterr().out, OUTCOME_METRICS) == ["ItemCreated", "ValidationFailed"]


def test_without_a_key_every_create_creates_an_item(table: Any) -> None:
    event = load_event("create_item.json")
    answers = [invoke(event)["data"]["itemId"] for _ in range(2)]
    assert stored_item_ids(table) == sorted(answers)
    assert answers[0] != answers[1]


def with_sub(sub: str) -> dict[str, Any]:
    identity: dict[str, Any] = load_event("create_item_idempotent.json")["identity"]
    return {**identity, "sub": sub, "claims": {**identity["claims"], "sub": sub}}


@pytest.mark.parametrize(
    ("alice", "bob"),
    [
        (with_sub("7d1f3a4e-0000-4000-8000-00000000000a"), with_sub("7d1f3a4e-0000-4000-8000-00000000000b")),
        ({**IAM_IDENTITY, "userArn": f"{ROLE}/session-1"}, {**IAM_IDENTITY, "userArn": f"{ROLE}-2/session-1"}),
        ({**IAM_IDENTITY, "userArn": f"arn:aws:iam::{ACCOUNT}:user/alice"}, {**IAM_IDENTITY, "userArn": f"{ROLE}/a"}),
        (
            {**IAM_IDENTITY, "cognitoIdentityId": "eu-west-1:a", "userArn": f"{ROLE}/CognitoIdentityCredentials"},
            {**IAM_IDENTITY, "cognitoIdentityId": "eu-west-1:b", "userArn": f"{ROLE}/CognitoIdentityCredentials"},
        ),
    ],
    ids=["user-pool-users", "roles", "user-and-role", "identity-pool-identities"],
)
def test_two_callers_keys_never_meet(table: Any, alice: dict[str, Any], bob: dict[str, Any]) -> None:
    first, second = invoke(create(identity=alice)), invoke(create(identity=bob))
    assert first["data"]["itemId"] != second["data"]["itemId"]
    assert len(stored_item_ids(table)) == 2


def test_a_role_is_one_caller_whatever_its_session(table: Any) -> None:
    # A client's credentials are renewed with a new session name; its retry is still the same create.
    first = invoke(create(identity={**IAM_IDENTITY, "userArn": f"{ROLE}/session-1"}))
    retried = invoke(create(identity={**IAM_IDENTITY, "userArn": f"{ROLE}/session-2"}))
    assert retried == first
    assert stored_item_ids(table) == [first["data"]["itemId"]]


@pytest.mark.parametrize(
    ("identity", "caller"),
    [
        ({"sub": "s-1", "userArn": f"{ROLE}/x"}, "cognito:s-1"),
        ({"cognitoIdentityId": "eu-west-1:c", "userArn": f"{ROLE}/x"}, "cognito-identity:eu-west-1:c"),
        ({"userArn": f"{ROLE}/session-1"}, f"iam:{ROLE}"),
        ({"userArn": f"arn:aws:iam::{ACCOUNT}:user/alice"}, f"iam:arn:aws:iam::{ACCOUNT}:user/alice"),
        ({"userArn": f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/r/s"}, f"iam:arn:aws-cn:sts::{ACCOUNT}:assumed-role/r"),
    ],
)
def test_the_caller_is_what_stays_the_same_across_retries(identity: dict[str, Any], caller: str) -> None:
    assert fields.caller(identity) == caller


@pytest.mark.parametrize("identity", [None, {}, {"sub": "", "userArn": ""}, {"sourceIp": ["203.0.113.10"]}])
def test_a_create_with_a_key_and_no_caller_raises_and_creates_nothing(
    table: Any, identity: dict[str, Any] | None, puts: list[str]
) -> None:
    event = create()
    event["identity"] = identity
    with pytest.raises(fields.UnknownCallerError, match="no caller identity"):
        invoke(event)
    assert puts == stored_item_ids(table) == []


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The item ids the resolver tried to write: a conditional write alone would hide a second try."""
    return watch(monkeypatch, repository.ItemRepository, "put", lambda item: item.item_id)


@pytest.fixture
def puts_held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every put waits until the event returned is set: so that concurrent creates overlap for sure."""
    released = threading.Event()
    exactly_once.hold_until(released, monkeypatch, repository.ItemRepository, "put")
    return released


@pytest.mark.usefixtures("atomic_put_item")
def test_a_duplicate_sent_concurrently_creates_one_item_and_the_other_is_told_to_retry(
    table: Any, puts: list[str], puts_held: threading.Event, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = exactly_once.deliver_concurrently(invoke, create(), copies=2, one_finished=puts_held)
    conflict = {"type": "Conflict", "message": "A createItem with this idempotencyKey is in progress; retry it shortly"}
    [created] = [answer["data"] for answer in (first, second) if isinstance(answer, dict) and "data" in answer]
    [refused] = [answer["error"] for answer in (first, second) if isinstance(answer, dict) and "error" in answer]
    assert refused == {**conflict, "errors": []}
    assert invoke(create()) == {"data": created}  # the client's retry gets the one item
    assert puts == stored_item_ids(table) == [created["itemId"]]
    assert logged(log_output, "ERROR") == []  # a duplicate is no failure of ours: no alarm
    assert metrics_in_order(capsys.readouterr().out, OUTCOME_METRICS) == ["ItemCreated"]  # nor bad input


def test_a_timed_out_create_holds_its_key_for_the_time_it_had_then_a_retry_creates(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(repository.ItemRepository, "put", time_out)
        with pytest.raises(InvocationTimedOut):
            invoke(create())
    while_it_could_still_run = invoke(create())
    IdempotencyTable(table, IDEMPOTENCY_TABLE).run_out_in_progress_time()
    after_its_time = invoke(create())
    assert while_it_could_still_run["error"]["type"] == "Conflict"
    assert stored_item_ids(table) == [after_its_time["data"]["itemId"]]


def table_down(*_args: Any) -> None:
    raise RuntimeError("table unreachable")


def test_a_create_that_fails_is_not_remembered(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(repository.ItemRepository, "put", table_down)
        with pytest.raises(fields.FieldFailedError, match=r"^RuntimeError:"):
            invoke(create())
    created = invoke(create())["data"]  # the retry creates it: no failure was stored as the answer
    assert stored_item_ids(table) == [created["itemId"]]
    assert IdempotencyTable(table, IDEMPOTENCY_TABLE).records()[0]["status"] == {"S": "COMPLETED"}
