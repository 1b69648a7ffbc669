"""Runs inside the runtime venv: invokes one handler in-process and prints timings as JSON.

Usage: ``python probe.py SPEC.json``. The spec names the handler (``module``,
``function``), the events (``events``: label -> event file), how many invocations to
time, and the canned answers of the AWS calls (``aws``: service -> operation -> response).

AWS is stubbed, not emulated: ``boto3.session.Session.client`` (which ``boto3.client`` and
Powertools' providers go through) still creates the real client, so that loading the service
model and endpoint rules (about 60 ms of CPU for the first client of a session) is paid where
the handler pays it, but then returns a client that answers each call from ``aws`` at once,
so the numbers are about the handler, not about an emulator. The patch is installed before
the handler is imported, without importing boto3 early: a module that creates clients at
import time gets a stub too, and boto3's import cost stays where the handler puts it.

Modes:
- ``warm``: import, then per event ``warmup`` untimed and ``iterations`` timed invocations;
  prints p50/p99 in microseconds and the status codes seen.
- ``first``: the cold-start path of one execution environment: import, then one invocation
  of the first event; prints both times in milliseconds, wall and CPU (this process's).

Standard output is sent to /dev/null while the handler runs (Powertools writes its logs
and metrics there, as on Lambda), so formatting them is measured but no pipe is.
"""

from __future__ import annotations

import copy
import functools
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    memory_limit_in_mb: int = 512
    log_group_name: str = "/aws/lambda/benchmark"
    log_stream_name: str = "2024/01/01/[$LATEST]benchmark"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-1:123456789012:function:{self.function_name}:live"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class StubClient:
    """Answers every operation from the canned responses; unknown operations return {}."""

    def __init__(self, service: str, responses: dict[str, Any]) -> None:
        self._service = service
        self._responses = responses
        self.calls: list[str] = []
        events = SimpleNamespace(register=_ignore, register_first=_ignore, register_last=_ignore, unregister=_ignore)
        self.meta = SimpleNamespace(events=events, region_name="eu-west-1", service_model=SimpleNamespace(service_name=service))

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("__"):
            raise AttributeError(operation)

        def call(**_: Any) -> Any:
            self.calls.append(operation)
            return materialize(copy.deepcopy(self._responses.get(operation, {})))

        return call


@functools.cache
def file_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def materialize(response: Any) -> Any:
    """{"__file__": path} becomes a streaming body (like botocore's) of that file's bytes."""
    if isinstance(response, dict):
        if set(response) == {"__file__"}:
            return io.BytesIO(file_bytes(response["__file__"]))
        return {key: materialize(value) for key, value in response.items()}
    return response


def _ignore(*_: Any, **__: Any) -> None:
    return None


class PatchBoto3OnImport(importlib.abc.MetaPathFinder):
    """Replaces Session.client as soon as boto3.session is executed, whoever imports it."""

    def __init__(self, aws: dict[str, dict[str, Any]]) -> None:
        self.aws = aws

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if name != "boto3.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module
        aws = self.aws

        def exec_module(module: ModuleType) -> None:
            original(module)
            create = module.Session.client

            def client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> StubClient:
                create(session, service_name, *args, **kwargs)  # its cost is real; its calls would not be
                return StubClient(service_name, aws.get(service_name, {}))

            module.Session.client = client  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def status_of(result: Any) -> str:
    if isinstance(result, dict):
        if "statusCode" in result:
            return str(result["statusCode"])
        if result.get("batchItemFailures"):
            return f"{len(result['batchItemFailures'])} failed"
    return "ok"


def invoke(handler: Callable[..., Any], raw: str, context: LambdaContext) -> tuple[int, str]:
    event = json.loads(raw)
    start = time.perf_counter_ns()
    try:
        outcome = status_of(handler(event, context))
    except Exception as error:  # an async handler may raise on purpose (retry, DLQ)
        outcome = f"raised {type(error).__name__}"
    return time.perf_counter_ns() - start, outcome


def main(spec_path: str) -> int:
    spec = json.loads(open(spec_path, encoding="utf-8").read())
    sys.meta_path.insert(0, PatchBoto3OnImport(spec.get("aws", {})))
    events = {label: open(path, encoding="utf-8").read() for label, path in spec["events"].items()}
    context = LambdaContext(function_name=spec.get("function_name", "benchmark"))
    real_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the whole run, like Lambda's log pipe

    start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
    handler = getattr(importlib.import_module(spec["module"]), spec["function"])
    import_ns, import_cpu_ns = time.perf_counter_ns() - start, time.process_time_ns() - cpu_start

    if spec.get("mode") == "first":
        cpu_start = time.process_time_ns()
        elapsed, outcome = invoke(handler, next(iter(events.values())), context)
        report: dict[str, Any] = {
            "import_ms": import_ns / 1e6,
            "first_invoke_ms": elapsed / 1e6,
            "import_cpu_ms": import_cpu_ns / 1e6,
            "first_invoke_cpu_ms": (time.process_time_ns() - cpu_start) / 1e6,
            "status": outcome,
        }
    else:
        report = {}
        for label, raw in events.items():
            for _ in range(spec.get("warmup", 50)):
                invoke(handler, raw, context)
            timings, outcomes = [], set()
            for _ in range(spec.get("iterations", 1000)):
                elapsed, outcome = invoke(handler, raw, context)
                timings.append(elapsed / 1e3)
                outcomes.add(outcome)
            report[label] = {
                "p50_us": statistics.median(timings),
                "p99_us": percentile(timings, 0.99),
                "status": ",".join(sorted(outcomes)),
            }
    sys.stdout = real_stdout
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
