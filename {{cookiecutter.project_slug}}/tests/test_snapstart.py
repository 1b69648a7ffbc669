"""SnapStart (docs/snapstart.md): the template asks for it exactly when the bake chose it, every
handler registers the runtime hooks, and the hooks do what a restored snapshot needs.

Lambda's ``snapshot_restore_py`` is not installed here, so the hook registers in
``snapshot``'s own list; ``run_after_restore`` runs it in Lambda's order. Nothing runs before
the snapshot: the handler module's import loads all its first event needs (test_performance.py).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from {{ cookiecutter.package_name }} import snapshot, tables

from tests.support.lambda_runtime import import_at_init

ROOT = Path(__file__).resolve().parent.parent
SNAPSTART = {{ "True" if cookiecutter.snapstart == "yes" else "False" }}  # the bake's answer


def functions() -> dict[str, dict[str, Any]]:
    decoded, errors = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not errors, errors
    return {
        name: resource.get("Properties", {})
        for name, resource in decoded["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


@pytest.mark.parametrize("function", sorted(functions()))
def test_snapstart_is_on_the_published_versions_exactly_when_chosen(function: str) -> None:
    properties = functions()[function]
    if SNAPSTART:
        assert properties.get("SnapStart") == {"ApplyOn": "PublishedVersions"}
        assert properties.get("AutoPublishAlias"), "SnapStart only applies to published versions"
        assert "ProvisionedConcurrencyConfig" not in properties, "SnapStart does not support provisioned concurrency"
        assert "FileSystemConfigs" not in properties, "SnapStart does not support EFS"
        assert properties.get("EphemeralStorage", {}).get("Size", 512) <= 512, "SnapStart: at most 512 MB"
    else:
        assert "SnapStart" not in properties


def of_the_service_package() -> list[str]:
    """The functions of src/. A Lambda authorizer has a package of its own (authorizer/) that fetches
    its issuer's keys on the first request, not at init: its snapshot holds nothing to refresh
    (tests/unit/test_authorizer_keys.py)."""
    return sorted(name for name, properties in functions().items() if properties.get("CodeUri", "src/") == "src/")


@pytest.mark.parametrize("function", of_the_service_package())
def test_every_handler_module_registers_the_after_restore_hook(function: str) -> None:
    # Lambda ignores hooks in modules the handler does not import; the package imports them.
    # A fresh interpreter, as Lambda's init: importing the handler module is all it does.
    module = functions()[function]["Handler"].rpartition(".")[0]
    probe = f"import {module}, {snapshot.__name__} as s; print([h[0].__name__ for h in s.AFTER_RESTORE])"
    command = [sys.executable, "-c", probe]
    completed = subprocess.run(command, cwd=ROOT / "src", capture_output=True, text=True, check=False)  # noqa: S603
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["['refresh']"]


def test_after_restore_the_environments_draw_different_numbers() -> None:
    snapshotted = random.getstate()  # what every restored environment starts from
    draws = []
    for _ in range(2):
        random.setstate(snapshotted)
        snapshot.run_after_restore()
        draws.append(random.getrandbits(128))
    assert draws[0] != draws[1]
    random.setstate(snapshotted)
    first = random.getrandbits(128)
    random.setstate(snapshotted)
    assert random.getrandbits(128) == first  # without the hook every environment draws the same


def test_after_restore_clients_are_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    boto3 = pytest.importorskip("boto3")

    def client(service: str) -> object:
        built.append(object())
        return built[-1]

    monkeypatch.setattr(boto3, "client", client)
    tables.dynamodb_client.cache_clear()
    try:
        before = tables.dynamodb_client()
        assert tables.dynamodb_client() is before  # one client per environment...
        snapshot.run_after_restore()
        assert tables.dynamodb_client() is not before  # ...and a new one in each restored environment
    finally:
        tables.dynamodb_client.cache_clear()  # no stub client left for the next tests


def test_on_lambda_init_builds_the_clients_and_a_restore_builds_them_again(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []

    def factory() -> object:
        built.append(object())
        return built[-1]

    monkeypatch.setattr(snapshot, "AT_INIT", [])
    monkeypatch.delenv("AWS_LAMBDA_RUNTIME_API", raising=False)
    snapshot.at_init(factory)
    assert built == [], "off Lambda (tests under moto) a client waits for first use"
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")  # what Lambda sets
    snapshot.at_init(factory)
    assert len(built) == 1, "on Lambda INIT builds it: a full vCPU, not the first event's share of one"
    snapshot.refresh()
    assert len(built) == 3, "after a restore every client of at_init is built again, before the first event"


@pytest.mark.parametrize("function", of_the_service_package())
def test_on_lambda_the_handler_modules_import_builds_its_clients(function: str) -> None:
    # As Lambda's INIT, in a fresh interpreter: the first event creates no client.
    module = functions()[function]["Handler"].rpartition(".")[0]
    built_now = "[f.__name__ for f in s.AT_INIT if f.cache_info().currsize == 1]"
    then = f"import {snapshot.__name__} as s; print({built_now}, len(s.AT_INIT))"
    output = import_at_init(module, then)
    print(f"{module} at INIT on Lambda built: {output}")
    built, registered = output.rsplit(" ", 1)
    assert registered != "0", f"{module} registers no client factory with snapshot.at_init"
    assert built.count("'") // 2 == int(registered), f"{module}: every client of at_init is built at INIT, got {built}"
