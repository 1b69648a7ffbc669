"""The cold-start choices stay wired (README, Performance).

Powertools and pydantic come from the official Powertools layer, pinned to the version the
tests run with; under code signing, where Lambda refuses a layer the allowed profile did not
sign, they are bundled in the signed package instead. The X-Ray SDK is loaded only when
tracing is switched on. Everything a handler's first event needs is imported with the handler
module, at INIT, which Lambda runs with a full vCPU; an invocation gets CPU in proportion to
memory, about 0.29 vCPU at 512 MB (README, Performance). On Lambda the AWS clients are built at
INIT too (snapshot.at_init, tests/test_snapstart.py); here, under moto, on first use.
Sources: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (one vCPU at
1,769 MB) and AWS's serverlessland guide "Utilize initialization phase" (a full vCPU at INIT, up
to 10 s, for on-demand functions; none for provisioned concurrency).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from {{ cookiecutter.package_name }} import init_phase, tracing

from tests.support.first_events import FIRST_EVENTS
from tests.support.lambda_runtime import import_at_init

ROOT = Path(__file__).resolve().parent.parent
LAYER_PARAMETER = "PowertoolsLayerArn"
LAYER_PATH = re.compile(
    r"^/aws/service/powertools/python/(?P<arch>[^/]+)/(?P<runtime>[^/]+)/(?P<version>\d+\.\d+\.\d+)$"
)
HOW_TO_ATTACH = (
    "attach the Powertools layer: a Parameter PowertoolsLayerArn of Type AWS::SSM::Parameter::Value<String> with"
    " Default /aws/service/powertools/python/<arch>/<runtime>/<version of aws-lambda-powertools in uv.lock>,"
    " and Globals.Function.Layers: [!Ref PowertoolsLayerArn]"
)


def template() -> dict[str, Any]:
    decoded, errors = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not errors, errors
    return dict(decoded)


def locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return next(str(entry["version"]) for entry in lock["package"] if entry["name"] == package)


# What sam build installs into each package: src/ and, with a Lambda authorizer, authorizer/.
REQUIREMENTS = sorted(ROOT.glob("*/requirements.txt"))


def bundles(package: str, requirements: Path = ROOT / "src" / "requirements.txt") -> bool:
    text = requirements.read_text(encoding="utf-8")
    return re.search(rf"^{re.escape(package)}==", text, flags=re.MULTILINE) is not None


def signed(parsed: dict[str, Any]) -> bool:
    return any(resource["Type"] == "AWS::Lambda::CodeSigningConfig" for resource in parsed["Resources"].values())


def functions(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {
        name: resource.get("Properties", {})
        for name, resource in parsed["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert found
    return found


def test_layer_is_the_locked_powertools_for_this_runtime_and_architecture() -> None:
    parsed = template()
    parameter = parsed.get("Parameters", {}).get(LAYER_PARAMETER)
    if signed(parsed):
        assert parameter is None, "a signed stack must not offer the unsigned public layer"
        return
    assert parameter is not None, HOW_TO_ATTACH
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    match = LAYER_PATH.match(parameter["Default"])
    assert match, f"{parameter['Default']!r} is not a Powertools layer parameter; {HOW_TO_ATTACH}"
    function_globals = parsed["Globals"]["Function"]
    assert match["version"] == locked_version("aws-lambda-powertools"), "bump the layer and uv.lock together"
    assert match["runtime"] == function_globals["Runtime"]
    assert [match["arch"]] == function_globals["Architectures"]


def test_every_function_gets_powertools_from_the_layer_not_the_package() -> None:
    parsed = template()
    if signed(parsed):
        pytest.skip("code signing: Powertools is bundled, not a layer (the next test)")
    global_layers = parsed["Globals"]["Function"].get("Layers", [])
    for name, properties in functions(parsed).items():
        assert {"Ref": LAYER_PARAMETER} in properties.get("Layers", global_layers), f"{name}: {HOW_TO_ATTACH}"
    for requirements in REQUIREMENTS:
        for package in ("aws-lambda-powertools", "pydantic", "pydantic-core", "aws-xray-sdk", "botocore"):
            assert not bundles(package, requirements), f"{requirements} bundles {package}, which the layer provides"


def test_a_signed_function_has_no_layer_and_bundles_the_locked_powertools() -> None:
    parsed = template()
    if not signed(parsed):
        pytest.skip("no code signing: Powertools comes from the official layer (the previous test)")
    global_layers = parsed["Globals"]["Function"].get("Layers", [])
    for name, properties in functions(parsed).items():
        assert not properties.get("Layers", global_layers), f"{name}: Lambda refuses a layer its profile did not sign"
    for requirements in REQUIREMENTS:
        for package in ("aws-lambda-powertools", "pydantic", "pydantic-core"):
            assert bundles(package, requirements), f"{requirements} must bundle {package}: no layer under code signing"
        assert re.search(
            rf"^aws-lambda-powertools=={re.escape(locked_version('aws-lambda-powertools'))} ",
            requirements.read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )


@pytest.fixture
def reload_tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    importlib.reload(tracing)


def test_no_tracer_and_no_xray_sdk_when_tracing_is_off(reload_tracing: pytest.MonkeyPatch) -> None:
    reload_tracing.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    reloaded = importlib.reload(tracing)
    assert not reloaded.ENABLED
    assert not hasattr(reloaded, "tracer")

    def handler() -> str:
        return "handled"

    assert reloaded.capture_method(handler) is handler
    assert reloaded.capture_lambda_handler(handler) is handler


def test_tracer_when_tracing_is_on(reload_tracing: pytest.MonkeyPatch) -> None:
    reload_tracing.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    reloaded = importlib.reload(tracing)
    assert reloaded.ENABLED
    assert reloaded.capture_method == reloaded.tracer.capture_method
    assert reloaded.capture_lambda_handler == reloaded.tracer.capture_lambda_handler


@pytest.mark.parametrize("function", sorted(functions(template())))
def test_the_first_invocation_imports_nothing_init_did_not(function: str) -> None:
    # A fresh interpreter imports the handler module, as Lambda's INIT, then runs the test of
    # FIRST_EVENTS that invokes it with its sample event (tests/support/first_invocation.py).
    properties = functions(template())[function]
    module = properties["Handler"].rpartition(".")[0]
    assert module in FIRST_EVENTS, f"name the test that first invokes {module} with its sample event in FIRST_EVENTS"
    command = [sys.executable, "-m", "tests.support.first_invocation", module, FIRST_EVENTS[module]]
    code = ROOT / properties.get("CodeUri", "src")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(ROOT)])}
    completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    assert completed.returncode == 0, completed.stderr
    *output, last = completed.stdout.splitlines()
    report = json.loads(last)
    print(f"{module}, its first invocation: loaded {report['loaded']}, imported {report['imported']}")
    assert report["exit"] == 0, "\n".join(output)
    assert report["called"], f"{FIRST_EVENTS[module]} never invoked {module}.handler"
    assert report["loaded"] == [], f"the first invocation loaded {report['loaded']}: import them at module level"
    assert report["imported"] == [], f"the first invocation ran {report['imported']}: import at module level"


# The functions of src/: the authorizer (authorizer/) imports neither boto3 nor pydantic's models.
SERVICE_FUNCTIONS = sorted(name for name, p in functions(template()).items() if p.get("CodeUri", "src/") == "src/")
# Run after `import gc`: the collector's state before the package, after it, and after the
# handler module. Frozen counts are relative: Python 3.12 starts with some objects frozen.
COLLECTOR_STATES = """
import json
def state():
    return [gc.isenabled(), [g["collections"] for g in gc.get_stats()], gc.get_freeze_count()]
states = [state()]
import {package}
states.append(state())
import {module}
states.append(state())
print(json.dumps(states))
"""


def collector_states(function: str, on_lambda: bool) -> list[list[Any]]:
    module = functions(template())[function]["Handler"].rpartition(".")[0]
    then = COLLECTOR_STATES.format(package=module.partition(".")[0], module=module)
    states: list[list[Any]] = json.loads(import_at_init("gc", then, on_lambda=on_lambda))
    print(f"{module}, on Lambda: {on_lambda}; enabled, collections by generation, frozen: {states}")
    return states


@pytest.mark.parametrize("function", SERVICE_FUNCTIONS)
def test_on_lambda_the_import_runs_without_the_cycle_collector_and_freezes_what_it_built(function: str) -> None:
    start, package, handler = collector_states(function, on_lambda=True)
    assert not package[0], "on Lambda, importing the package pauses the collector for the rest of INIT"
    assert handler[1] == package[1], "no collection runs while the handler module is imported"
    assert handler[0], "the handler module must end with init_phase.finished(): otherwise no cycle is ever collected"
    assert handler[2] > start[2] + 10_000, "what the import built (boto3, pydantic, Powertools) is frozen"


@pytest.mark.parametrize("function", SERVICE_FUNCTIONS)
def test_off_lambda_the_collector_is_never_paused(function: str) -> None:
    states = collector_states(function, on_lambda=False)
    assert [enabled for enabled, _, _ in states] == [True, True, True]
    assert {frozen for _, _, frozen in states} == {states[0][2]}, "off Lambda nothing is frozen"
    assert not init_phase.PAUSED  # this test process is no Lambda either
