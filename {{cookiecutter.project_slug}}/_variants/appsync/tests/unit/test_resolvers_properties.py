"""Property-based proofs: whatever arguments arrive, the resolver answers data or a typed error,
never raises (Lambda's Errors roll deployments back) and logs no error.

AppSync checks types against schema.graphql first, so the function meets only what GraphQL's
String, Int and ID allow; these draw far more than that (any JSON, any token text), and inputs
from the model's own JSON schema, which must all be created.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from {{ cookiecutter.package_name }} import resolvers
from {{ cookiecutter.package_name }}.models import CreateItemInput

from tests.support.lambda_runtime import FakeLambdaContext, load_event
from tests.support.observability import log_records, metric_names
from tests.support.properties import PROPERTY_SETTINGS, broken, json_values

INPUT_SCHEMA = CreateItemInput.model_json_schema()
FORBIDDEN_IN_ANSWERS = ("Traceback", 'File "', "Error(", "pydantic", "botocore")
FIELD_EVENTS = ("get_item.json", "list_items.json", "create_item.json", "create_item_idempotent.json")


def answer_to(sample: str, arguments: Any) -> dict[str, Any]:
    request = load_event(sample)
    request["arguments"] = arguments
    answer: dict[str, Any] = resolvers.handler(request, FakeLambdaContext())
    assert set(answer) in ({"data"}, {"error"}), answer
    if "error" in answer:
        assert answer["error"]["type"] == "BadInput"
        assert not any(marker in str(answer) for marker in FORBIDDEN_IN_ANSWERS), answer
    return answer


@PROPERTY_SETTINGS
@given(from_schema(INPUT_SCHEMA))
def test_every_input_the_model_allows_is_created(item: dict[str, Any]) -> None:
    created = answer_to("create_item.json", {"input": item})["data"]
    assert (created["name"], created["quantity"]) == (item["name"], item["quantity"])


@PROPERTY_SETTINGS
@given(st.sampled_from(FIELD_EVENTS), st.dictionaries(st.text(max_size=20), json_values, max_size=4))
def test_any_json_arguments_get_data_or_bad_input(sample: str, arguments: dict[str, Any]) -> None:
    event(sample)
    answer_to(sample, arguments)


@PROPERTY_SETTINGS
@given(st.sampled_from(FIELD_EVENTS), st.data())
def test_a_sample_with_one_argument_broken_gets_data_or_bad_input(sample: str, data: st.DataObject) -> None:
    arguments = load_event(sample)["arguments"]
    answer_to(sample, broken(arguments, data))


tokens = st.text(max_size=2000) | st.binary(max_size=300).map(lambda raw: base64.urlsafe_b64encode(raw).decode())


@PROPERTY_SETTINGS
@given(tokens, st.integers(min_value=-5, max_value=200) | st.none())
def test_any_token_and_limit_get_a_page_or_bad_input(token: str, limit: int | None) -> None:
    answer = answer_to("list_items.json", {"limit": limit, "nextToken": token})
    if "error" in answer:
        assert {detail["location"] for detail in answer["error"]["errors"]} <= {"limit", "nextToken"}


@PROPERTY_SETTINGS
@given(st.text(max_size=64))
def test_any_item_id_gets_an_item_null_or_bad_input(item_id: str) -> None:
    answer = answer_to("get_item.json", {"itemId": item_id})
    if "data" in answer:
        assert answer == {"data": None}  # an id of the right form that no item has
    else:
        assert [detail["location"] for detail in answer["error"]["errors"]] == ["itemId"]


@PROPERTY_SETTINGS
@given(sample=st.sampled_from(FIELD_EVENTS), arguments=st.dictionaries(st.text(max_size=20), json_values, max_size=4))
def test_no_refusal_is_a_failure_of_ours(
    sample: str, arguments: dict[str, Any], log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    logged_before = len(log_output.getvalue())
    answer_to(sample, arguments)
    assert "ResponseValidationFailed" not in metric_names(capsys.readouterr().out)
    records = log_records(io.StringIO(log_output.getvalue()[logged_before:]))
    assert [record for record in records if record["level"] == "ERROR" or "exception" in record] == []
