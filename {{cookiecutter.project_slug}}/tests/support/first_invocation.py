"""A handler's first invocation in a fresh interpreter, as a cold Lambda sandbox runs it: first
the import of the handler module (INIT), then one test that invokes the handler with its sample
event, AWS emulated by moto. What the first call imports is reported as JSON on the last line:

- ``loaded``: the modules of the watched packages that appeared in ``sys.modules`` during it;
- ``imported``: the import statements the function's own package ran during it. The test's
  own imports (pytest, moto, fixtures) come between INIT and the call and may load part of what
  the call needs, which would hide a lazy import from ``loaded``; never from this list.

Run as ``python -m tests.support.first_invocation <handler module> <pytest node id>``; it imports
nothing of the watched packages before the handler module.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# What INIT must have imported: each costs tens of milliseconds of CPU or more (README, Performance).
WATCHED = ("pydantic", "pydantic_core", "boto3", "botocore", "aws_lambda_powertools", "jwt", "cryptography")


def of(package: str, module: str) -> bool:
    return module == package or module.startswith(f"{package}.")


@contextmanager
def import_statements(package: str) -> Iterator[set[str]]:
    """The import statements that modules of ``package`` run while the block runs, loaded or not."""
    found: set[str] = set()
    original = builtins.__import__

    def recording(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        importer = str((globals or {}).get("__name__", ""))
        if of(package, importer):
            found.add(f"{importer}: import {'.' * level}{name}")
        return original(name, globals, locals, fromlist, level)

    builtins.__import__ = recording
    try:
        yield found
    finally:
        builtins.__import__ = original


def watching_the_first_call(handler: Callable[..., Any], package: str, report: dict[str, Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def first_call(event: Any, context: Any) -> Any:
        if report["called"]:
            return handler(event, context)
        report["called"] = True
        before = set(sys.modules)
        with import_statements(package) as imported:
            try:
                return handler(event, context)
            finally:
                new = set(sys.modules) - before
                report["loaded"] = sorted(m for m in new if of(package, m) or m.partition(".")[0] in WATCHED)
                report["imported"] = sorted(imported)

    return first_call


def main(module_name: str, node: str) -> int:
    subject: Any = importlib.import_module(module_name)  # INIT
    report: dict[str, Any] = {"called": False, "loaded": [], "imported": []}
    subject.handler = watching_the_first_call(subject.handler, module_name.partition(".")[0], report)
    import pytest  # after INIT, as everything else the test brings

    # No coverage, no cache: one test, as it runs in the suite otherwise.
    report["exit"] = int(pytest.main([node, "-q", "-p", "no:cacheprovider", "-o", "addopts=--strict-markers"]))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
