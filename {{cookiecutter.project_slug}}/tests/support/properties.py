"""What the property tests draw from, and how they break a sample event.

Example counts and randomness come from the Hypothesis profile (conftest.py at the root)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Fixtures (moto, caches) are set up once per test, not per example: on purpose.
PROPERTY_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

DELETE = object()  # in place of a value: the key goes


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index in a JSON document, depth first."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    found = []
    for part, child in children:
        found += [(*prefix, part), *paths(child, (*prefix, part))]
    return found


def mutated(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``event`` with the value at ``path`` replaced, or deleted (``DELETE``)."""
    copy: dict[str, Any] = json.loads(json.dumps(event))
    parent: Any = copy
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


def broken(event: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``event`` with one key or index, drawn from all of them, deleted or given any JSON value."""
    path = data.draw(st.sampled_from(paths(event)), label="path")
    value = data.draw(st.just(DELETE) | json_values, label="value")
    return mutated(event, path, value)
