"""The restock handler invoked in-process with StockLevelChanged events, DynamoDB emulated by moto."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import handler, processing, repository

from tests.conftest import RESTOCK_TABLE
from tests.support.idempotency import watch
from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import metric_names

CHANGE_ID = "change-widget-blue-0001"


@pytest.fixture
def adds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every restock request written: the side effect that must happen once."""
    return watch(monkeypatch, repository.RestockRepository, "add", key=lambda request: request.request_id)


def with_detail(**changes: Any) -> dict[str, Any]:
    event = load_event("stock_level_changed.json")
    event["detail"] = {**event["detail"], **changes}
    return event


def stored(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=RESTOCK_TABLE)["Items"]
    return items


def test_a_drop_below_the_reorder_level_requests_a_restock(dynamodb: Any, lambda_context: FakeLambdaContext) -> None:
    handled = handler.handler(load_event("stock_level_changed.json"), lambda_context)

    assert handled["change_id"] == CHANGE_ID
    assert handled["restock"]["requested_quantity"] == 50
    [item] = stored(dynamodb)
    assert item["request_id"] == {"S": CHANGE_ID}
    assert item["sku"] == {"S": "WIDGET-BLUE"}


def test_a_change_that_stays_above_the_reorder_level_requests_nothing(
    dynamodb: Any, lambda_context: FakeLambdaContext, adds: list[str]
) -> None:
    event = with_detail(after={"quantity": "11", "reorder_level": "10", "reorder_quantity": "50"})

    assert handler.handler(event, lambda_context) == {"change_id": CHANGE_ID, "restock": None}
    assert adds == []


def test_the_same_change_delivered_twice_is_requested_once(
    dynamodb: Any, lambda_context: FakeLambdaContext, adds: list[str]
) -> None:
    first = load_event("stock_level_changed.json")
    again = copy.deepcopy(first)
    again["id"] = "a-new-eventbridge-id-after-a-pipe-retry"  # the pipe put the same record twice

    assert handler.handler(first, lambda_context) == handler.handler(again, lambda_context)
    assert adds == [CHANGE_ID]
    assert len(stored(dynamodb)) == 1


@pytest.mark.parametrize(
    "poison",
    [
        pytest.param(load_event("stock_level_changed_unknown_version.json"), id="unknown-schema-version"),
        pytest.param(
            with_detail(after={"quantity": "-4", "reorder_level": "10", "reorder_quantity": "50"}), id="negative"
        ),
        pytest.param(
            with_detail(after={"quantity": 4, "reorder_level": "10", "reorder_quantity": "50"}), id="not-text"
        ),
        pytest.param(with_detail(sku="<script>"), id="bad-sku"),
        pytest.param(with_detail(extra="field"), id="unknown-field"),
        pytest.param({**load_event("stock_level_changed.json"), "source": "com.example.other"}, id="other-source"),
        pytest.param({**load_event("stock_level_changed.json"), "detail-type": "StockLevelRemoved"}, id="other-type"),
    ],
)
def test_a_poison_event_is_rejected_and_writes_nothing(
    poison: dict[str, Any],
    dynamodb: Any,
    lambda_context: FakeLambdaContext,
    adds: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(processing.InvalidEventError) as raised:
        handler.handler(poison, lambda_context)

    assert "<script>" not in str(raised.value)  # the message names the problem, never the content
    assert adds == []
    assert "StockChangeRejected" in metric_names(capsys.readouterr().out)
