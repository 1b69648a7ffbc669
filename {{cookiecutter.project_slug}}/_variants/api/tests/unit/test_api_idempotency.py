"""``POST /items`` with an ``Idempotency-Key``: a retry gets the first answer and stores nothing
new, the same key with another body is a 422, a retry while the first still runs a 409."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from {{ cookiecutter.package_name }} import api, repository, routes

from tests.conftest import IDEMPOTENCY_TABLE, TABLE_NAME
from tests.support.emulated_aws import table_items
from tests.support.idempotency import (
    IdempotencyTable,
    InvocationTimedOut,
    deliver_concurrently,
    hold_until,
    time_out,
    watch,
)
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import logged, metrics_in_order

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
OUTCOME_METRICS = ("ItemCreated", "ValidationFailed", "ProcessingFailed")


def create(key: str | None = KEY, body: dict[str, Any] | None = None, caller: str = "alice") -> dict[str, Any]:
    event = load_event("create_item.json")
    if key is not None:
        event["headers"]["Idempotency-Key"] = key
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    event["requestContext"]["authorizer"]["claims"]["sub"] = caller
    if body is not None:
        event["body"] = json.dumps(body)
    return event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """An invocation with a context of its own, as each concurrent invocation has."""
    response = api.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def stored(dynamodb: Any) -> list[str]:
    return sorted(item["pk"]["S"] for item in table_items(dynamodb, TABLE_NAME))


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The item ids the handler tried to write: a conditional write alone would hide a second try."""
    return watch(monkeypatch, repository.ItemRepository, "put", lambda item: item.item_id)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_stores_nothing_new(
    table: Any, puts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = invoke(create())
    retried = invoke(create())
    assert first[0] == retried[0] == 201
    assert retried == first
    assert puts == stored(table) == [first[1]["item_id"]]
    assert metrics_in_order(capsys.readouterr().out, OUTCOME_METRICS) == ["ItemCreated"]


def test_the_same_key_with_another_body_is_422(table: Any, puts: list[str]) -> None:
    status, first = invoke(create())
    assert status == 201
    status, body = invoke(create(body={"name": "Gadget", "quantity": 3}))
    assert status == 422
    assert body["message"] == "Idempotency-Key was used with another body"
    assert puts == stored(table) == [first["item_id"]]


def test_without_a_key_every_request_creates_an_item(table: Any) -> None:
    answers = [invoke(create(key=None)) for _ in range(2)]
    assert [status for status, _ in answers] == [201, 201]
    assert stored(table) == sorted(body["item_id"] for _, body in answers)


def test_two_callers_keys_never_meet(table: Any) -> None:
    alice, bob = invoke(create(caller="alice")), invoke(create(caller="bob"))
    assert alice[0] == bob[0] == 201
    assert alice[1]["item_id"] != bob[1]["item_id"]
    assert len(stored(table)) == 2


def lambda_authorized(caller: str) -> dict[str, Any]:
    """As API Gateway passes a Lambda authorizer's result on: its principalId and context, no claims."""
    event = create()
    event["requestContext"]["authorizer"] = {"principalId": caller, "sub": caller, "scope": "items:write"}
    return event


def test_two_callers_of_a_lambda_authorizer_keys_never_meet(table: Any) -> None:
    alice, bob = invoke(lambda_authorized("alice")), invoke(lambda_authorized("bob"))
    assert alice[0] == bob[0] == 201
    assert alice[1]["item_id"] != bob[1]["item_id"]
    assert invoke(lambda_authorized("alice")) == alice


@pytest.mark.parametrize(
    ("request_context", "caller"),
    [
        ({"authorizer": {"claims": {"sub": "cognito-sub"}}}, "cognito-sub"),  # api_auth=cognito
        ({"authorizer": {"principalId": "oidc-sub", "sub": "oidc-sub"}}, "oidc-sub"),  # api_auth=oidc
        ({"identity": {"userArn": "arn:aws:iam::123456789012:role/caller"}}, "arn:aws:iam::123456789012:role/caller"),
        ({}, ""),
    ],
)
def test_the_caller_is_who_the_authorizer_established(
    request_context: dict[str, Any], caller: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("create_item.json") | {"requestContext": request_context}
    # The event the resolver is handling, for this test only (the next resolve must not inherit it).
    monkeypatch.setattr(routes.app, "current_event", APIGatewayProxyEvent(event), raising=False)
    assert routes.caller() == caller


@pytest.mark.parametrize("key", ["", "with space", "ünïcode", "k" * 256, "tab\tkey"])
def test_a_malformed_key_is_422_naming_the_header(key: str, table: Any) -> None:
    status, body = invoke(create(key=key))
    assert status == 422
    assert [error["location"] for error in body["errors"]] == ["header.idempotency-key"]
    assert stored(table) == []


def test_two_keys_in_one_request_are_422(table: Any) -> None:
    event = create()
    event["multiValueHeaders"]["Idempotency-Key"] = [KEY, "another"]
    assert invoke(event)[0] == 422
    assert stored(table) == []


@pytest.mark.usefixtures("atomic_put_item")
def test_a_duplicate_sent_concurrently_creates_one_item(
    table: Any,
    puts: list[str],
    monkeypatch: pytest.MonkeyPatch,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one_finished = threading.Event()
    hold_until(one_finished, monkeypatch, repository.ItemRepository, "put")

    outcomes = deliver_concurrently(invoke, create(), copies=2, one_finished=one_finished)

    answers = {status: body for status, body in (outcome for outcome in outcomes if isinstance(outcome, tuple))}
    assert sorted(answers) == [201, 409]
    assert answers[409]["message"] == "A request with this Idempotency-Key is in progress"
    created = answers[201]
    assert invoke(create()) == (201, created)  # the client's retry
    assert puts == stored(table) == [created["item_id"]]
    assert logged(log_output, "ERROR") == []  # a duplicate is no failure of ours: no alarm
    assert metrics_in_order(capsys.readouterr().out, OUTCOME_METRICS) == ["ItemCreated"]


def test_a_timed_out_create_locks_its_key_only_for_the_time_it_had(
    table: Any, puts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(repository.ItemRepository, "put", time_out)
        with pytest.raises(InvocationTimedOut):
            invoke(create())
    assert invoke(create())[0] == 409  # the lock holds for the time the invocation had
    IdempotencyTable(table, IDEMPOTENCY_TABLE).run_out_in_progress_time()
    status, created = invoke(create())
    assert status == 201
    assert puts == stored(table) == [created["item_id"]]
