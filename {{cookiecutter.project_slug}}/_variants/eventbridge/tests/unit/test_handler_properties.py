"""Property-based proofs: whatever arrives on the bus, the handler records a valid order with
the right total, or raises one of its own, named errors. It never fails with a KeyError,
TypeError or AttributeError: an asynchronous invocation that fails ends in the failure queue,
and its error must say why."""

from __future__ import annotations

import itertools
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from hypothesis import given
from hypothesis import strategies as st

from {{ cookiecutter.package_name }} import processing, repository

from tests.conftest import Aws
from tests.support.async_invocations import outcome
from tests.support.lambda_runtime import load_event
from tests.support.properties import PROPERTY_SETTINGS, broken, json_values

# Every way the handler may fail, each of which Lambda retries and then sends to the failure queue.
NAMED_FAILURES = (processing.InvalidEventError, repository.OrderConflictError, IdempotencyValidationError)
UNIQUE = itertools.count()

# Offsets in whole minutes, as ISO 8601 writes them.
time_zones = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
plain_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
order_lines = st.fixed_dictionaries(
    {
        "sku": st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{2,31}\Z"),
        "description": plain_text,
        "quantity": st.integers(min_value=1, max_value=10_000),
        "unit_price": st.decimals(min_value=0, max_value=1_000_000, places=2).map(str),
    }
)
orders = st.fixed_dictionaries(
    {
        "order_id": st.from_regex(r"\AORD-[0-9A-Z]{8,26}\Z"),
        "customer_id": st.from_regex(r"\ACUS-[0-9]{4,12}\Z"),
        "placed_at": st.datetimes(timezones=time_zones).map(lambda moment: moment.isoformat()),
        "currency": st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY"]),
        "lines": st.lists(order_lines, min_size=1, max_size=5),
    }
)


def invoke(event: Any) -> dict[str, Any] | Exception:
    """The handler's result, or the error it raised, which must be one of its named failures."""
    return outcome(event, NAMED_FAILURES)


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_value_as_event_is_rejected_as_invalid(event: Any) -> None:
    assert isinstance(invoke(event), processing.InvalidEventError)


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_value_as_detail_is_rejected_as_invalid(detail: Any) -> None:
    event = load_event("order_placed.json")
    event["detail"] = detail
    assert isinstance(invoke(event), processing.InvalidEventError)


@PROPERTY_SETTINGS
@given(st.data())
def test_a_broken_event_is_recorded_or_fails_with_a_named_error(data: st.DataObject) -> None:
    event = load_event("order_placed.json")
    invoke(broken(event, data))


@PROPERTY_SETTINGS
@given(orders)
def test_every_valid_order_is_recorded_once_with_its_total(aws: Aws, order: dict[str, Any]) -> None:
    event = load_event("order_placed.json")
    # A fresh id per example: the same id with other content is refused (test_handler.py).
    event["detail"] = {**order, "order_id": f"{order['order_id'][:20]}{next(UNIQUE):06d}"}
    first = invoke(event)
    assert isinstance(first, dict), first
    expected = sum((Decimal(line["unit_price"]) * line["quantity"] for line in order["lines"]), Decimal(0))
    assert Decimal(first["total"]) == expected
    assert invoke(event) == first  # and a second delivery changes nothing
