"""Lambda SnapStart runtime hooks: what a restored snapshot must not share.

Under ``snapstart=yes`` (template.yaml: ``SnapStart: ApplyOn: PublishedVersions``) Lambda runs
the handler module's import once per published version, snapshots the memory, and resumes
every new execution environment of that version from the same snapshot (docs/snapstart.md).
Whatever the import made unique would then be shared by all of them. The import loads every
module the handlers need (INIT has a full vCPU, the invocation its memory's share) and, on
Lambda, builds the AWS clients (``at_init``), which hold credentials and connections; the
idempotency store, the signing key and the settings are built on first use, behind
``functools.cache``. After a restore this module:

- reseeds ``random`` (Python seeds it once, at interpreter start: every restored environment
  would draw the same numbers; ``uuid4`` and ``secrets`` read the OS and need nothing);
- empties every ``functools.cache`` of this package, so that a client, connection or cached
  credential that a hook or a test built before the snapshot is built again after it.

Nothing needs to run before the snapshot: the handler module's import has loaded everything.

On Lambda the AWS clients are built at INIT too (``at_init``): loading a client's service model
and endpoint rules costs some 60 ms of CPU, three and a half times as long in an invocation at
512 MB. After a restore ``refresh`` builds them again, so that no restored environment uses
credentials or connections from the snapshot. Elsewhere (tests under moto, tools) they wait for
first use, inside the test's emulated AWS.

The hook comes from ``snapshot_restore_py``, which Lambda's Python runtimes ship (3.12 and
later) and which no requirement installs: without SnapStart Lambda never calls it. Where the
library is missing (tests, a laptop), registration falls back to this module's own list, and
``run_after_restore`` runs it as Lambda would, in the order of registration.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from typing import Any, TypeVar

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
AFTER_RESTORE: list[Hook] = []
Factory = TypeVar("Factory", bound=Callable[[], Any])
# The cached client factories that INIT calls on Lambda, and a restore calls again.
AT_INIT: list[Callable[[], Any]] = []

try:
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
except ImportError:  # not on Lambda: the same registration, kept here

    def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        AFTER_RESTORE.append((func, args, kwargs))
        return func


def run_after_restore() -> None:
    """What Lambda does after it resumes an environment from the snapshot (local registration only)."""
    for func, args, kwargs in AFTER_RESTORE:
        func(*args, **kwargs)


def on_lambda() -> bool:
    """Lambda sets AWS_LAMBDA_RUNTIME_API in every execution environment; tests and tools do not."""
    return "AWS_LAMBDA_RUNTIME_API" in os.environ


def at_init(factory: Factory) -> Factory:
    """Decorates a ``functools.cache`` client factory: on Lambda it is called now, at INIT, where
    Lambda gives a full vCPU, not by the first event, which gets the memory's share of one."""
    AT_INIT.append(factory)
    if on_lambda():
        factory()
    return factory


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
    """After a restore: new randomness, and every cached client and setting built again (the
    clients of ``at_init`` right away, the rest on first use)."""
    random.seed()
    for cached in package_caches():
        cached.cache_clear()
    if on_lambda():
        for factory in AT_INIT:
            factory()


register_after_restore(refresh)
