"""Property-based proofs: whatever a stream record holds, the handler answers with a partial
batch response. Bad records are reported alone; good records next to them are handled; no
KeyError, TypeError or AttributeError ever escapes; a request is written exactly when an item
crosses below its reorder level.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.conftest import RESTOCK_TABLE, stock_image, stream_record
from tests.support.batches import reported
from tests.support.lambda_runtime import FakeLambdaContext, batch
from tests.support.properties import PROPERTY_SETTINGS, json_values

unicode_heavy = st.text(alphabet=st.characters(codec="utf-8"), max_size=100)
attribute_types = st.sampled_from(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "X"])
METADATA = ["eventID", "eventName", "eventVersion", "eventSource", "awsRegion"]
counts = st.integers(min_value=0, max_value=10_000)
# Sequence numbers and event ids never repeat across examples (the tables persist between them).
sequences = itertools.count(start=10, step=10)


def next_sequence() -> int:
    return next(sequences)


def failures_around(bad_record: dict[str, Any]) -> list[str]:
    """Send the record between two harmless changes; return the reported sequence numbers."""
    harmless = [stream_record(next_sequence(), stock_image(quantity=40), stock_image(quantity=41)) for _ in range(2)]
    return reported(batch(harmless[0], bad_record, harmless[1]), FakeLambdaContext())


@PROPERTY_SETTINGS
@given(st.sampled_from(["sku", "quantity", "reorder_level", "reorder_quantity"]), json_values | unicode_heavy)
def test_any_value_in_place_of_a_watched_attribute_is_reported_alone(name: str, value: Any) -> None:
    record = stream_record(next_sequence(), stock_image() | {name: value}, stock_image(quantity=12))
    assert failures_around(record) == [record["dynamodb"]["SequenceNumber"]]


@PROPERTY_SETTINGS
@given(st.sampled_from(["quantity", "reorder_level", "reorder_quantity"]), attribute_types, json_values | unicode_heavy)
def test_any_typed_attribute_that_is_not_a_whole_number_is_reported_alone(
    name: str, attribute_type: str, value: Any
) -> None:
    assume(attribute_type != "N" or not (isinstance(value, str) and value.isdecimal() and value.isascii()))
    record = stream_record(next_sequence(), stock_image() | {name: {attribute_type: value}}, stock_image(quantity=12))
    assert failures_around(record) == [record["dynamodb"]["SequenceNumber"]]


@PROPERTY_SETTINGS
@given(json_values | unicode_heavy, json_values)
def test_any_images_are_handled_or_reported_alone(new_image: Any, old_image: Any) -> None:
    record = stream_record(next_sequence(), new_image, old_image)
    assert failures_around(record) in ([], [record["dynamodb"]["SequenceNumber"]])


@PROPERTY_SETTINGS
@given(st.dictionaries(st.sampled_from(METADATA), json_values))
def test_a_record_with_broken_metadata_is_reported_alone(overrides: dict[str, Any]) -> None:
    record = stream_record(next_sequence(), stock_image(quantity=40), stock_image(quantity=41)) | overrides
    assert failures_around(record) in ([], [record["dynamodb"]["SequenceNumber"]])


@PROPERTY_SETTINGS
@given(counts, counts, counts, st.integers(min_value=1, max_value=1_000), unicode_heavy)
def test_a_request_is_written_exactly_when_the_item_crosses_its_level(
    dynamodb: Any, before: int, after: int, level: int, lot: int, name: str
) -> None:
    number = next_sequence()
    sku = f"SKU-{number}"
    new_image = stock_image(sku, after, level, lot) | {"name": {"S": name}}
    record = stream_record(number, new_image, stock_image(sku, before, level, lot))
    assert failures_around(record) == []
    items = dynamodb.query(
        TableName=RESTOCK_TABLE,
        KeyConditionExpression="sku = :sku",
        ExpressionAttributeValues={":sku": {"S": sku}},
    )["Items"]
    crossed = after < level <= before
    assert len(items) == (1 if crossed else 0)
    if crossed:
        assert items[0]["requested_quantity"] == {"N": str(max(lot, level - after))}
