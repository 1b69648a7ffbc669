from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support import ROOT, bake_set, check_set, enabled_combinations, every_local_python


def pytest_configure(config: pytest.Config) -> None:
    # pytest-cookies bakes the template named by --template (default "."): make it the
    # repository root whatever directory pytest was started from.
    config.option.template = str(ROOT)
    # Let every interpreter the suite starts (xdist workers, the baked projects' tools and tests)
    # cache its bytecode: with PYTHONDONTWRITEBYTECODE set, as some CI images set it, each of the
    # hundreds of processes compiles all it imports again (checkov: 11 s of CPU instead of 7).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_report_header() -> str:
    return (
        f"template: {len(enabled_combinations())} combinations of answers accepted by the hook;"
        f" test_bake bakes {len(bake_set())} (TEMPLATE_BAKE_STRENGTH={os.environ.get('TEMPLATE_BAKE_STRENGTH', '3')},"
        f" 'all' bakes every one); `make check` runs on {len(check_set())}"
        f" (TEMPLATE_CHECK_STRENGTH={os.environ.get('TEMPLATE_CHECK_STRENGTH', '1')})"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests first, so that pytest-xdist spreads them over the workers
    and the many quick bakes fill the gaps, instead of one worker ending alone on them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _contained_tempdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """cookiecutter writes each rendered hook to a temporary file it never removes:
    keep those thousands of files inside pytest's own temporary directory."""
    previous = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("cookiecutter-hook-scripts"))
    yield
    tempfile.tempdir = previous


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user config for direct cookiecutter calls, so that no ~/.cookiecutterrc steers
    the answers and no replay file is written to the home directory."""
    user_dir = tmp_path_factory.mktemp("cookiecutter-user")
    config = user_dir / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"cookiecutters_dir": str(user_dir / "cookiecutters"), "replay_dir": str(user_dir / "replay")}
        ),
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="session")
def uv() -> str:
    """The pinned uv: $UV from the Makefile, else the one next to this interpreter."""
    beside = Path(sys.executable).parent / "uv"
    found = os.environ.get("UV") or (str(beside) if beside.exists() else shutil.which("uv"))
    if not found:
        pytest.fail("no uv found: run the tests through `make test`, which installs the pinned uv")
    return found


@pytest.fixture(scope="session")
def subprocess_env(uv: str) -> dict[str, str]:
    """The environment for a baked project's make: the pinned uv, no make state leaking
    in from the outer `make test`, every local interpreter visible, no prompts."""
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    env.pop("VIRTUAL_ENV", None)
    env["UV"] = uv
    env["NO_COLOR"] = "1"
    pyenv_version = every_local_python()
    if pyenv_version:
        env["PYENV_VERSION"] = pyenv_version
    return env
