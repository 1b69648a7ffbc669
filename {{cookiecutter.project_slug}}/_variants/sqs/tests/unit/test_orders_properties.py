"""Property-based proofs: whatever a record holds, the handler answers with a partial batch
response. Bad records are reported alone; good records next to them are accepted; no
KeyError, TypeError or AttributeError ever escapes.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from {{ cookiecutter.package_name }}.models import OrderPlaced

from tests.conftest import order, sqs_record
from tests.support.batches import reported
from tests.support.lambda_runtime import FakeLambdaContext, batch
from tests.support.properties import PROPERTY_SETTINGS, json_values

unicode_heavy = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)


def fresh_order_id() -> str:
    return f"ord-{uuid.uuid4().hex[:20]}"


def failures_around(bad_record: dict[str, Any]) -> list[str]:
    """Send the record between two valid orders; return the reported message ids."""
    event = batch(
        sqs_record(json.dumps(order(fresh_order_id())), "good-1"),
        bad_record,
        sqs_record(json.dumps(order(fresh_order_id())), "good-2"),
    )
    return reported(event, FakeLambdaContext())


@PROPERTY_SETTINGS
@given(unicode_heavy | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_any_text_body_is_reported_alone(body: str) -> None:
    assert failures_around(sqs_record(body, "bad")) == ["bad"]


@PROPERTY_SETTINGS
@given(json_values)
def test_any_json_document_is_reported_alone(document: Any) -> None:
    assert failures_around(sqs_record(json.dumps(document), "bad")) == ["bad"]


@PROPERTY_SETTINGS
@given(st.integers(min_value=0, max_value=400))
def test_a_truncated_order_is_reported_alone(cut: int) -> None:
    body = json.dumps(order(fresh_order_id()))
    assume(cut < len(body))
    assert failures_around(sqs_record(body[:cut], "bad")) == ["bad"]


@PROPERTY_SETTINGS
@given(st.sampled_from(sorted(order())), json_values | unicode_heavy)
def test_an_order_with_one_field_retyped_is_reported_alone(field: str, value: Any) -> None:
    mutated = order(fresh_order_id()) | {field: value}
    assume(mutated[field] != order()[field])
    assert failures_around(sqs_record(json.dumps(mutated), "bad")) == ["bad"]


@PROPERTY_SETTINGS
@given(st.dictionaries(st.sampled_from(sorted(sqs_record("", "x"))), json_values, max_size=6))
def test_a_record_with_broken_metadata_is_reported_alone(overrides: dict[str, Any]) -> None:
    record = sqs_record(json.dumps(order(fresh_order_id())), "bad") | overrides | {"messageId": "bad"}
    assume(record != sqs_record(record["body"], "bad"))
    assert failures_around(record) in (["bad"], [])


@PROPERTY_SETTINGS
@given(from_schema(OrderPlaced.model_json_schema()))
def test_every_order_the_schema_allows_is_accepted(document: dict[str, Any]) -> None:
    document["order_id"] = fresh_order_id()
    skus = [line["sku"] for line in document["lines"]]
    failures = failures_around(sqs_record(json.dumps(document), "generated"))
    assert failures == ([] if len(set(skus)) == len(skus) else ["generated"])
