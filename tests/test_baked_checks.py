"""Run the baked project's own tooling: `make check` on a covering set of combinations,
and `sam build` for each runtime this machine has an interpreter for.

These are the slow tests (`-m slow`); `make test` runs them too. The covering set
holds every enabled value of every answer at least once (TEMPLATE_CHECK_STRENGTH=2:
every pair of values, about four times as many projects)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from support import (
    answers,
    combination_id,
    check_set,
    enabled_values,
    load_cloudformation,
)

pytestmark = pytest.mark.slow

COVERING_SET = check_set()
TIMEOUT = 1200  # seconds for one make target; a hung tool must not eat CI's whole budget
SHOWN_LINES = 120
# Lines that say what failed, shown before the tail (which is often captured log output).
VERDICT = re.compile(r"^(FAILED |ERROR |E  |Falsifying|Failing test case|You can reproduce|make(\[\d\])?: \*\*\*)|error:|Error:")
# The longest names the hook accepts: line lengths, resource names and limits must still fit.
LONGEST_NAMES = {
    "project_slug": "payments-settlement-reconciliation-svc01",
    "package_name": "payments_settlement_reconciliation_svc01",
}


def run_make(project: Path, target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make -k <target>` in the baked project: -k so that one failing check does not
    hide the others (the exit status is the same)."""
    started = time.monotonic()
    run = subprocess.run(
        ["make", "-k", "-C", str(project), target],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    (project.parent / f"make-{target}.log").write_text(run.stdout, encoding="utf-8")
    print(f"make {target} in {project.name}: exit {run.returncode} after {time.monotonic() - started:.0f}s")
    return run


def failure_report(target: str, run: subprocess.CompletedProcess[str]) -> str:
    lines = run.stdout.splitlines()
    verdicts = [line[:400] for line in lines if VERDICT.search(line)][:60]
    shown = lines[-SHOWN_LINES:]
    cut = f"[... {len(lines) - len(shown)} earlier lines cut ...]\n" if len(lines) > len(shown) else ""
    return (
        f"`make {target}` exited {run.returncode}; what failed:\n"
        + "\n".join(verdicts)
        + f"\n\nthe end of its output:\n{cut}"
        + "\n".join(shown)
    )


def with_names(index: int, combination: dict[str, str]) -> dict[str, str]:
    """Every other project of the covering set carries the longest accepted names."""
    return {**combination, **LONGEST_NAMES} if index % 2 else combination


def test_the_covering_set_covers_every_enabled_value() -> None:
    values = {(name, value) for combination in COVERING_SET for name, value in combination.items()}
    assert values == {(name, value) for name, values in enabled_values().items() for value in values}


def check_id(combination: dict[str, str]) -> str:
    choices = {name: value for name, value in combination.items() if name not in LONGEST_NAMES}
    return combination_id(choices) + ("-longest-names" if LONGEST_NAMES.keys() <= combination.keys() else "")


@pytest.mark.parametrize("combination", [with_names(i, c) for i, c in enumerate(COVERING_SET)], ids=check_id)
def test_make_check(cookies: Any, combination: dict[str, str], subprocess_env: dict[str, str]) -> None:
    result = cookies.bake(extra_context=combination)
    assert result.exception is None, result.exception
    run = run_make(result.project_path, "check", subprocess_env)
    assert run.returncode == 0, failure_report("check", run)


def interpreter_missing(runtime: str, env: dict[str, str]) -> str | None:
    """Why `sam build` cannot build this runtime here, or None when it can."""
    try:
        probe = subprocess.run(
            [runtime, "-c", "import sys; print(sys.version)"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        return f"{runtime} is not on PATH: `sam build` without a container needs the runtime's own interpreter"
    if probe.returncode != 0:
        return f"{runtime} is not usable here ({probe.stderr.strip().splitlines()[-1:]}); `sam build` needs it"
    return None


def distribution_dirs(build: Path) -> set[str]:
    """Normalised names of the distributions installed in a build directory."""
    return {
        re.sub(r"[-_.]+", "-", path.name.split("-")[0]).lower()
        for path in build.iterdir()
        if path.name.endswith(".dist-info")
    }


@pytest.mark.parametrize("runtime", enabled_values()["python_runtime"])
def test_sam_build(cookies: Any, runtime: str, subprocess_env: dict[str, str]) -> None:
    reason = interpreter_missing(runtime, subprocess_env)
    if reason:
        print(f"skipped: {reason}")
        pytest.skip(reason)
    result = cookies.bake(extra_context={"python_runtime": runtime})
    assert result.exception is None, result.exception
    project = result.project_path
    run = run_make(project, "build", subprocess_env)
    assert run.returncode == 0, failure_report("build", run)

    template = load_cloudformation(project / "template.yaml")
    functions = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions
    package = answers()["package_name"]
    requirements = (project / "src" / "requirements.txt").read_text(encoding="utf-8")
    wanted = {
        re.sub(r"[-_.]+", "-", name).lower()
        for name in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", requirements, re.MULTILINE)
    }
    layers = template.get("Globals", {}).get("Function", {}).get("Layers")
    for name, function in functions.items():
        build = project / ".aws-sam" / "build" / name
        assert (build / package / "__init__.py").is_file(), f"{name}: the handler package {package} is missing"
        missing = wanted - distribution_dirs(build)
        assert not missing, f"{name}: dependencies missing from the build: {sorted(missing)}"
        if not wanted:
            # Nothing is bundled: the dependencies must come from a layer at run time.
            assert function.get("Properties", {}).get("Layers", layers), (
                f"{name}: src/requirements.txt bundles nothing and the function has no layer"
            )
