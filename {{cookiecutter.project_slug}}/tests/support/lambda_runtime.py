"""The Lambda sandbox, faked in-process: the environment the function gets, the context object
Lambda passes it (as template.yaml deploys it), the sample events, and caches that a warm
sandbox keeps between invocations, cleared so that every test starts cold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from scripts.security_gate import load_source

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "{{ cookiecutter.project_slug }}"

# What every function's environment holds, as template.yaml's Globals set it, with fake
# credentials so that no client can reach AWS. Each event source adds its own variables.
LAMBDA_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": STACK_NAME,
    "POWERTOOLS_METRICS_NAMESPACE": STACK_NAME,
    "POWERTOOLS_TRACE_DISABLED": "true",
}

# What Lambda sets in every execution environment: the handlers build their AWS clients and pause
# the cycle collector at INIT only where it is set (snapshot.on_lambda).
RUNTIME_API = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_REGION": REGION}


def import_at_init(module: str, then: str, on_lambda: bool = True) -> str:
    """What the statements ``then`` print after a fresh interpreter imported ``module`` from src/,
    as Lambda's INIT does (``on_lambda``), or as a test or a tool does. boto3 builds real clients:
    no call is made, so no AWS is needed."""
    environment = {"PATH": os.environ.get("PATH", ""), **LAMBDA_ENVIRONMENT, **(RUNTIME_API if on_lambda else {})}
    command = [sys.executable, "-c", f"import {module}\n{then}"]
    completed = subprocess.run(command, cwd=ROOT / "src", env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@dataclass(frozen=True)
class DeployedFunction:
    """The settings of the stack's one function that its context object reports."""

    name: str
    memory_mb: int
    timeout_seconds: int


def deployed_function(template_path: Path = ROOT / "template.yaml", logical_id: str | None = None) -> DeployedFunction:
    """The function ``logical_id`` as template.yaml deploys it; without one, the function behind the
    event source: the stack's only function, or the one of several that has Events."""
    template = load_source(template_path)
    functions = {
        n: r["Properties"] for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    if logical_id is None:
        [logical_id] = [name for name, function in functions.items() if len(functions) == 1 or "Events" in function]
    settings = template["Globals"]["Function"] | functions[logical_id]
    name = str(settings["FunctionName"]["Fn::Sub"]).replace("${AWS::StackName}", STACK_NAME)
    return DeployedFunction(name=name, memory_mb=int(settings["MemorySize"]), timeout_seconds=int(settings["Timeout"]))


FUNCTION = deployed_function()


@dataclass
class FakeLambdaContext:
    """The context object of a fresh invocation: the time left starts at the function's timeout."""

    function_name: str = FUNCTION.name
    memory_limit_in_mb: int = FUNCTION.memory_mb
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    remaining_time_in_millis: int = FUNCTION.timeout_seconds * 1000
    invoked_function_arn: str = field(init=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}:live"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


@pytest.fixture(autouse=True)
def aws_environment() -> Iterator[None]:
    """Undo whatever a test changed in the environment."""
    before = dict(os.environ)
    yield
    for name in os.environ.keys() - before.keys():
        del os.environ[name]
    os.environ.update(before)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


class Cached(Protocol):
    def cache_clear(self) -> None: ...


def cleared(*caches: Cached) -> Iterator[None]:
    """For a fixture to ``yield from``: what a warm sandbox keeps per process (clients, settings,
    the idempotency layer), cleared before the test, so that it builds them from its own
    environment under moto, and after it, so that it leaves none behind."""
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def load_event(name: str) -> dict[str, Any]:
    """A sample event of events/, as the event source delivers it."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    """The envelope Lambda delivers records in."""
    return {"Records": list(records)}
