"""Lambda SnapStart runtime hooks: what a restored snapshot must not share.

Under ``snapstart=yes`` (template.yaml: ``SnapStart: ApplyOn: PublishedVersions``) Lambda runs
the handler module's import once per published version, snapshots the memory, and resumes
every new execution environment of that version from the same snapshot (docs/snapstart.md).
Whatever the import made unique would then be shared by all of them. Here nothing unique is
made at import: AWS clients, the idempotency store, the signing key and the settings are
built on first use, behind ``functools.cache``. After a restore this module still:

- reseeds ``random`` (Python seeds it once, at interpreter start: every restored environment
  would draw the same numbers; ``uuid4`` and ``secrets`` read the OS and need nothing);
- empties every ``functools.cache`` of this package, so that a client, connection or cached
  credential that a hook or a test built before the snapshot is built again after it.

Before the snapshot it imports what the handlers load lazily (boto3, Powertools
idempotency, and the modules a handler defers to its first event with ``warm``: models,
pydantic, Powertools' batch utility), so that a restored environment does not pay for it:
imports hold no connection and nothing unique.

The hooks come from ``snapshot_restore_py``, which Lambda's Python runtimes ship (3.12 and
later) and which no requirement installs: without SnapStart Lambda never calls them. Where
the library is missing (tests, a laptop), registration falls back to this module's own lists,
and ``run_before_snapshot`` / ``run_after_restore`` run them as Lambda would: before the
snapshot in the reverse order of registration, after a restore in that order.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys
from collections.abc import Callable
from typing import Any

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
BEFORE_SNAPSHOT: list[Hook] = []
AFTER_RESTORE: list[Hook] = []

# What the handlers import on first use; imported before the snapshot when it is there.
PRELOAD = ("boto3", "aws_lambda_powertools.utilities.idempotency")
# This package's modules that a handler imports on its first event (``warm``).
DEFERRED: list[str] = []

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
except ImportError:  # not on Lambda: the same registration, kept here

    def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        BEFORE_SNAPSHOT.append((func, args, kwargs))
        return func

    def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        AFTER_RESTORE.append((func, args, kwargs))
        return func


def run_before_snapshot() -> None:
    """What Lambda does before it takes the snapshot (local registration only)."""
    for func, args, kwargs in reversed(BEFORE_SNAPSHOT):
        func(*args, **kwargs)


def run_after_restore() -> None:
    """What Lambda does after it resumes an environment from the snapshot (local registration only)."""
    for func, args, kwargs in AFTER_RESTORE:
        func(*args, **kwargs)


def warm(module: str) -> None:
    """``module`` is imported on the first event, not at cold start: import it before the snapshot."""
    DEFERRED.append(module)


def preload() -> None:
    for name in PRELOAD:
        if importlib.util.find_spec(name.partition(".")[0]) is not None:  # a function may not bundle it
            importlib.import_module(name)
    for name in DEFERRED:
        importlib.import_module(name)


def package_caches() -> list[Any]:  # functools._lru_cache_wrapper, of any signature
    """The ``functools.cache`` wrappers of this package's loaded modules."""
    package = __name__.rpartition(".")[0]
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(f"{package}.")):
            continue
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and callable(value):
                found.append(value)
    return found


def refresh() -> None:
    """After a restore: new randomness, and every cached client and setting built again."""
    random.seed()
    for cached in package_caches():
        cached.cache_clear()


register_before_snapshot(preload)
register_after_restore(refresh)
