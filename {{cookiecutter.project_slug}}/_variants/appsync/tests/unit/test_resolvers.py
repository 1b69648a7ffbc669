"""The resolver function invoked in-process with AppSync's payloads (graphql/resolver.js), as in
events/: each field's answer, the arguments it refuses, and what it raises instead of answering."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import fields, items, logic, repository, resolvers
from {{ cookiecutter.package_name }}.models import Item

from tests.conftest import TABLE_NAME, stored_item_ids
from tests.support.lambda_runtime import EVENTS, FakeLambdaContext, load_event
from tests.support.observability import log_records, logged, logged_once, metrics_in_order

FAILURE_METRICS = ("ValidationFailed", "ResponseValidationFailed")
ABSENT_ID = "00000000000000000000000000000001"


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = resolvers.handler(event, FakeLambdaContext())
    return answer


def field_event(parent: str, name: str, arguments: Any) -> dict[str, Any]:
    """A sample event of events/, for another field or other arguments."""
    event = load_event("get_item.json")
    event["info"] = {"parentTypeName": parent, "fieldName": name}
    event["arguments"] = arguments
    return event


def create(name: str = "Widget", quantity: int = 3) -> dict[str, Any]:
    answer = invoke(field_event("Mutation", "createItem", {"input": {"name": name, "quantity": quantity}}))
    item: dict[str, Any] = answer["data"]
    return item


def refusal(answer: dict[str, Any]) -> tuple[str, str, list[str]]:
    """The error's type, message and the locations it names; an answer with anything else fails."""
    assert set(answer) == {"error"}, answer
    error = answer["error"]
    assert set(error) == {"type", "message", "errors"}
    assert all(set(detail) == {"location", "message"} and detail["message"] for detail in error["errors"])
    return error["type"], error["message"], [detail["location"] for detail in error["errors"]]


# ------------------------------------------------------------------ the fields


def test_create_then_get_item(table: Any) -> None:
    answer = invoke(load_event("create_item.json"))
    created = answer["data"]
    assert set(created) == {"itemId", "name", "quantity", "createdAt"}
    assert (created["name"], created["quantity"]) == ("Widget", 3)
    assert len(created["itemId"]) == 32
    assert datetime.fromisoformat(created["createdAt"]).utcoffset() is not None  # AWSDateTime needs the offset
    assert stored_item_ids(table) == [created["itemId"]]

    fetched = invoke(field_event("Query", "getItem", {"itemId": created["itemId"]}))
    assert fetched == {"data": created}


def test_an_item_that_does_not_exist_is_null(table: Any) -> None:
    assert invoke(load_event("get_item.json")) == {"data": None}


def test_list_items_answers_a_page_and_the_token_of_the_next(table: Any) -> None:
    ids = {create(f"Item {number}")["itemId"] for number in range(3)}
    first = invoke(load_event("list_items.json"))["data"]  # limit 2
    assert len(first["items"]) == 2
    assert first["nextToken"]
    event = load_event("list_items.json")
    event["arguments"]["nextToken"] = first["nextToken"]
    second = invoke(event)["data"]
    assert {item["itemId"] for item in first["items"] + second["items"]} == ids
    assert second["nextToken"] is None


def test_an_empty_table_is_one_empty_page(table: Any) -> None:
    assert invoke(field_event("Query", "listItems", {})) == {"data": {"items": [], "nextToken": None}}


def test_without_a_limit_a_page_holds_twenty_items(table: Any) -> None:
    for number in range(21):
        create(f"Item {number}")
    page = invoke(field_event("Query", "listItems", {"limit": None}))["data"]
    assert len(page["items"]) == 20
    assert page["nextToken"]


@pytest.mark.parametrize(("count", "limit"), [(7, 3), (6, 3), (5, 1), (4, 100), (1, 1)])
def test_paging_through_the_list_meets_every_item_exactly_once(table: Any, count: int, limit: int) -> None:
    ids = sorted(create(f"Item {number}")["itemId"] for number in range(count))
    seen: list[str] = []
    token = None
    for _ in range(count + 2):  # bounded: a token that never ends fails the test
        page = invoke(field_event("Query", "listItems", {"limit": limit, "nextToken": token}))["data"]
        assert len(page["items"]) <= limit
        seen += [item["itemId"] for item in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    assert token is None
    assert sorted(seen) == ids


def test_a_well_formed_token_of_a_key_never_issued_only_moves_the_start(table: Any) -> None:
    # Any caller may list every item: a made-up position reveals nothing more (repository.py).
    create()
    token = repository.token_of({"pk": {"S": "f" * 32}})
    answer = invoke(field_event("Query", "listItems", {"nextToken": token}))
    assert set(answer) == {"data"}
    assert answer["data"]["nextToken"] is None


# ------------------------------------------------------------------ refused arguments

ARGUMENTS_REFUSED = "Arguments do not match the schema"


@pytest.mark.parametrize(
    ("parent", "name", "arguments", "locations"),
    [
        ("Query", "getItem", {"itemId": "not-an-id"}, ["itemId"]),
        ("Query", "getItem", {"itemId": "A" * 32}, ["itemId"]),
        ("Query", "getItem", {}, ["itemId"]),
        ("Query", "getItem", {"itemId": ABSENT_ID, "admin": True}, ["admin"]),
        ("Query", "getItem", {"item_id": ABSENT_ID}, ["itemId", "item_id"]),  # GraphQL's names only
        ("Query", "listItems", {"limit": 0}, ["limit"]),
        ("Query", "listItems", {"limit": 101}, ["limit"]),
        ("Query", "listItems", {"limit": "5"}, ["limit"]),
        ("Query", "listItems", {"limit": 2.0}, ["limit"]),
        ("Query", "listItems", {"limit": True}, ["limit"]),
        ("Query", "listItems", {"nextToken": ""}, ["nextToken"]),
        ("Query", "listItems", {"nextToken": "a" * 1025}, ["nextToken"]),
        ("Query", "listItems", {"nextToken": "not a token"}, ["nextToken"]),
        ("Mutation", "createItem", {}, ["input"]),
        ("Mutation", "createItem", {"input": None}, ["input"]),
        ("Mutation", "createItem", {"input": {"name": "", "quantity": 1}}, ["input.name"]),
        ("Mutation", "createItem", {"input": {"name": "x" * 101, "quantity": 1}}, ["input.name"]),
        ("Mutation", "createItem", {"input": {"name": "line\nbreak", "quantity": 1}}, ["input.name"]),
        ("Mutation", "createItem", {"input": {"name": "x", "quantity": -1}}, ["input.quantity"]),
        ("Mutation", "createItem", {"input": {"name": "x", "quantity": 1_000_001}}, ["input.quantity"]),
        ("Mutation", "createItem", {"input": {"name": "x", "quantity": "3"}}, ["input.quantity"]),
        ("Mutation", "createItem", {"input": {"name": "x", "quantity": 1, "price": 2}}, ["input.price"]),
        ("Mutation", "createItem", {"input": {"name": "x", "quantity": 1}, "idempotencyKey": ""}, ["idempotencyKey"]),
        (
            "Mutation",
            "createItem",
            {"input": {"name": "x", "quantity": 1}, "idempotencyKey": "a b"},
            ["idempotencyKey"],
        ),
        (
            "Mutation",
            "createItem",
            {"input": {"name": "x", "quantity": 1}, "idempotencyKey": "k" * 256},
            ["idempotencyKey"],
        ),
    ],
)
def test_arguments_that_break_their_model_are_bad_input_naming_each_argument(
    table: Any, parent: str, name: str, arguments: dict[str, Any], locations: list[str]
) -> None:
    answer = invoke(field_event(parent, name, arguments))
    assert refusal(answer) == ("BadInput", ARGUMENTS_REFUSED, locations)
    assert stored_item_ids(table) == []


def test_the_invalid_sample_is_refused_for_each_of_its_problems(table: Any) -> None:
    answer = invoke(load_event("create_item_invalid.json"))  # what GraphQL's String and Int let through
    assert refusal(answer) == ("BadInput", ARGUMENTS_REFUSED, ["input.name", "input.quantity"])
    assert [detail["message"] for detail in answer["error"]["errors"]] == [
        "String should have at most 100 characters",
        "Input should be greater than or equal to 0",
    ]
    assert stored_item_ids(table) == []


def test_a_refusal_is_counted_and_logged_without_the_values_sent(
    table: Any, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(field_event("Mutation", "createItem", {"input": {"name": "SENT-NAME" * 20, "quantity": 1}}))
    record = logged_once(log_output, "Request refused")
    assert (record["level"], record["type"], record["locations"]) == ("INFO", "BadInput", ["input.name"])
    assert record["field"] == "Mutation.createItem"
    assert "SENT-NAME" not in log_output.getvalue()
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ValidationFailed"]


BAD_TOKENS = [
    "a",  # not base64: one character past a multiple of four
    "bm90LWpzb24",  # base64 of text that is not JSON
    "_w",  # base64 of a byte that is not UTF-8
    repository.token_of({"pk": {"S": "x"}}),  # JSON of a key, but not an item id
    repository.token_of({"pk": {"N": "1"}}),
    repository.token_of({"pk": {"S": ABSENT_ID}, "sk": {"S": "x"}}),  # a key of another table
    repository.token_of({"pk": {"S": ABSENT_ID, "N": "1"}}),
    "W10",  # []
]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_token_that_is_no_key_of_the_table_is_bad_input(table: Any, token: str) -> None:
    create()
    answer = invoke(field_event("Query", "listItems", {"nextToken": token}))
    assert refusal(answer) == ("BadInput", "nextToken is not a token this API issued", ["nextToken"])


def test_the_bad_token_sample_is_bad_input(table: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(invoke(load_event("list_items_bad_token.json")))[::2] == ("BadInput", ["nextToken"])
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ValidationFailed"]


# ------------------------------------------------------------------ failures: raised, never answered


def unreachable_table(*_args: Any) -> Item:
    raise RuntimeError("table unreachable, LEAKED-DETAIL")


def item_breaking_its_model(*_args: Any) -> Item:
    return Item.model_construct(item_id="not-an-id", name="LEAKED-NAME", quantity=-5, created_at=datetime.now(UTC))


def test_an_unexpected_failure_raises_without_its_message(
    table: Any, monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logic, "get_item", unreachable_table)
    with pytest.raises(fields.FieldFailedError) as raised:
        invoke(load_event("get_item.json"))
    assert "LEAKED" not in str(raised.value)  # what Lambda, AppSync and their logs get
    assert str(raised.value).startswith("RuntimeError:")
    failed = logged_once(log_output, "Field failed")  # the function's own log keeps the traceback
    assert failed["level"] == "ERROR"
    assert "RuntimeError" in failed["exception"]
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == []


def test_a_result_that_breaks_its_model_is_counted_and_raised_never_sent(
    table: Any, monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logic, "get_item", item_breaking_its_model)
    with pytest.raises(fields.FieldFailedError, match=r"the result of Query\.getItem broke its model"):
        invoke(load_event("get_item.json"))
    broke = logged_once(log_output, "Result broke its model")
    assert (broke["level"], broke["field"]) == ("ERROR", "Query.getItem")
    assert "LEAKED" not in log_output.getvalue()
    assert metrics_in_order(capsys.readouterr().out, FAILURE_METRICS) == ["ResponseValidationFailed"]


def test_a_stored_item_that_breaks_the_model_raises_without_its_content(table: Any) -> None:
    table.put_item(TableName=TABLE_NAME, Item={"pk": {"S": ABSENT_ID}, "name": {"S": "LEAKED-NAME"}})
    with pytest.raises(fields.FieldFailedError) as raised:
        invoke(load_event("get_item.json"))
    assert "LEAKED" not in str(raised.value)
    assert str(raised.value).startswith("ValidationError:")


@pytest.mark.parametrize(
    "info",
    [
        {"parentTypeName": "Query", "fieldName": "deleteItem"},
        {"parentTypeName": "Subscription", "fieldName": "getItem"},
    ],
)
def test_a_field_without_a_resolver_raises(table: Any, info: dict[str, str]) -> None:
    event = load_event("get_item.json")
    event["info"] = info
    with pytest.raises(fields.FieldFailedError, match=r"^ValueError:"):
        invoke(event)


def test_an_existing_item_is_never_overwritten(table: Any) -> None:
    # Ids are random: a second write of one is a bug, refused by the conditional put.
    table_of_items = repository.ItemRepository(TABLE_NAME)
    first = Item(item_id=ABSENT_ID, name="Widget", quantity=1, created_at=datetime.now(UTC))
    table_of_items.put(first)
    with pytest.raises(items.ItemExistsError, match=ABSENT_ID):
        table_of_items.put(first.model_copy(update={"name": "Gadget"}))
    assert table_of_items.get(ABSENT_ID) == first


# ------------------------------------------------------------------ the sample events


def answered_data(kind: Callable[[Any], bool]) -> Callable[[dict[str, Any]], bool]:
    return lambda answer: set(answer) == {"data"} and kind(answer["data"])


def is_item(data: Any) -> bool:
    return isinstance(data, dict) and set(data) == {"itemId", "name", "quantity", "createdAt"}


SAMPLES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "get_item.json": answered_data(lambda data: data is None),
    "list_items.json": answered_data(lambda data: set(data) == {"items", "nextToken"}),
    "list_items_bad_token.json": lambda answer: refusal(answer)[0] == "BadInput",
    "create_item.json": answered_data(is_item),
    "create_item_invalid.json": lambda answer: refusal(answer)[0] == "BadInput",
    "create_item_idempotent.json": answered_data(is_item),
}


def test_every_sample_event_has_an_expected_answer() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_event_is_answered_as_its_name_says(table: Any, name: str, log_output: io.StringIO) -> None:
    event = load_event(name)
    assert set(event) == {"arguments", "identity", "info"}  # what graphql/resolver.js sends, no headers
    answer = invoke(event)
    assert SAMPLES[name](answer), answer
    assert json.loads(json.dumps(answer)) == answer  # plain JSON, as Lambda returns it
    assert logged(log_output, "ERROR") == []


def test_each_log_line_names_the_field_of_its_own_invocation_only(table: Any, log_output: io.StringIO) -> None:
    create()
    invoke(field_event("Query", "listItems", {"nextToken": "a"}))
    with pytest.raises(fields.FieldFailedError):
        invoke(field_event("Query", "unknownField", {}))
    fields_logged = {record["message"]: record.get("field") for record in log_records(log_output)}
    assert fields_logged == {
        "Item created": "Mutation.createItem",
        "Request refused": "Query.listItems",
        "Field failed": None,  # no field resolved it: nothing left from the invocation before
    }


def test_creates_count_and_log_the_item_id_only(
    table: Any, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    item = create(name="LOGGED-NAME")
    assert logged_once(log_output, "Item created")["item_id"] == item["itemId"]
    assert "LOGGED-NAME" not in log_output.getvalue()
    assert metrics_in_order(capsys.readouterr().out, ("ItemCreated", *FAILURE_METRICS)) == ["ItemCreated"]
