"""The appsync variant's unit resolver (graphql/resolver.js, APPSYNC_JS) run on node with a
stand-in for `@aws-appsync/utils`: what reaches the function, and what the caller gets back.

AppSync's runtime is not node, but the resolver uses only plain JavaScript and `util.error`,
whose contract (AppSync's APPSYNC_JS reference) the stand-in keeps: it ends the handler and
becomes the field's GraphQL error with its message, type and errorInfo. The pinned node is the
compliance audit's (installed once from the npm registry into build/node/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import TEMPLATE_DIR
from test_compliance_audit import pinned_node

RESOLVER = TEMPLATE_DIR / "_variants" / "appsync" / "graphql" / "resolver.js"

# util.error throws, as in AppSync: nothing after it runs, and the error is the field's answer.
UTILS_STAND_IN = """
export class GraphQLError extends Error {
  constructor(message, type, data, info) { super(message); this.graphql = { message, type, data: data ?? null, info: info ?? null }; }
}
export const util = { error: (message, type, data, info) => { throw new GraphQLError(message, type, data, info); } };
"""

# Runs each case through request() or response(); prints one JSON answer per case.
DRIVER = """
import { request, response } from './resolver.mjs';
const cases = JSON.parse(process.argv[2]);
const answers = cases.map(({ handler, ctx }) => {
  try {
    return { returned: (handler === 'request' ? request : response)(ctx) ?? null };
  } catch (error) {
    if (!error.graphql) { return { crashed: String(error) }; }
    return { error: error.graphql };
  }
});
console.log(JSON.stringify(answers));
"""

IDENTITY = {"sub": "0f3c3e4a-1111-4222-8333-444455556666", "username": "reader", "claims": {"token_use": "access"}}
INFO = {"parentTypeName": "Query", "fieldName": "getItem", "variables": {}, "selectionSetList": ["itemId"]}
REQUEST = {"headers": {"authorization": "eyJraWQiOiJ0b2tlbiJ9.secret", "x-api-key": "da2-secret"}}


@pytest.fixture(scope="module")
def run_resolver(tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("resolver")
    shutil.copy(RESOLVER, work / "resolver.mjs")
    utils = work / "node_modules" / "@aws-appsync" / "utils"
    utils.mkdir(parents=True)
    (utils / "package.json").write_text(json.dumps({"name": "@aws-appsync/utils", "type": "module", "main": "index.js"}))
    (utils / "index.js").write_text(UTILS_STAND_IN, encoding="utf-8")
    (work / "driver.mjs").write_text(DRIVER, encoding="utf-8")
    node = pinned_node() / "node"

    def run(*cases: dict[str, Any]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [str(node), "driver.mjs", json.dumps(list(cases))],
            cwd=work, capture_output=True, text=True, timeout=60, check=False,
            env={"PATH": os.environ.get("PATH", "")},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        answers: list[dict[str, Any]] = json.loads(done.stdout)
        return answers

    return run


def test_the_function_gets_the_field_its_arguments_and_the_caller_never_the_headers(run_resolver: Any) -> None:
    ctx = {"arguments": {"itemId": "a" * 32}, "identity": IDENTITY, "info": INFO, "request": REQUEST, "source": None}
    [answer] = run_resolver({"handler": "request", "ctx": ctx})
    assert answer == {
        "returned": {
            "operation": "Invoke",
            "payload": {
                "arguments": {"itemId": "a" * 32},
                "identity": IDENTITY,
                "info": {"parentTypeName": "Query", "fieldName": "getItem"},
            },
        }
    }
    assert "secret" not in json.dumps(answer), "a token reached the function's payload"


def test_data_passes_and_a_missing_item_is_null(run_resolver: Any) -> None:
    item = {"itemId": "a" * 32, "name": "Widget", "quantity": 3, "createdAt": "2026-12-01T00:00:00Z"}
    answers = run_resolver(
        {"handler": "response", "ctx": {"result": {"data": item}}},
        {"handler": "response", "ctx": {"result": {"data": None}}},
        {"handler": "response", "ctx": {"result": {}}},
    )
    assert answers == [{"returned": item}, {"returned": None}, {"returned": None}]


def test_a_refused_request_is_a_typed_error_naming_each_argument(run_resolver: Any) -> None:
    errors = [{"location": "input.quantity", "message": "Input should be greater than or equal to 0"}]
    refused = {"type": "BadInput", "message": "The arguments are not valid", "errors": errors}
    [answer] = run_resolver({"handler": "response", "ctx": {"result": {"error": refused}}})
    assert answer == {"error": {"message": "The arguments are not valid", "type": "BadInput", "data": None, "info": {"errors": errors}}}


@pytest.mark.parametrize(
    "ctx",
    [
        {"error": {"message": "Traceback (most recent call last): KeyError 'pk' in /var/task/repository.py", "type": "Lambda:Unhandled"}},
        {"result": None},
    ],
    ids=["function-failed", "empty-answer"],
)
def test_a_failure_tells_the_caller_nothing_of_the_function(run_resolver: Any, ctx: dict[str, Any]) -> None:
    [answer] = run_resolver({"handler": "response", "ctx": ctx})
    assert answer == {"error": {"message": "Internal error", "type": "InternalFailure", "data": None, "info": None}}
