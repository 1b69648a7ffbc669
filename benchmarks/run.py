"""Cold start, warm latency, package size and bake-to-green time of every baked variant.

``make bench`` runs this with the template repository's own venv (cookiecutter, PyYAML and
uv come from there). For every event source that the pre-generation hook allows, it bakes
a project and measures:

- cold import: ``python -B -c "import <handler module>; os._exit(0)"`` in a fresh
  interpreter (no teardown: Lambda's process lives on), median of ``--runs`` runs (wall ms,
  CPU ms, peak RSS MiB), next to ``python -c pass`` and to the references imported from the
  same venv in the same rounds: the Powertools hello world (``reference/hello_world.py``)
  and its twin that also loads boto3, a DynamoDB client and pydantic
  (``reference/hello_world_with_work.py``). The handler module comes from the baked template.yaml
  ``Handler`` properties. Each package is measured the way it is deployed: the handler's
  code from ``CodeUri`` without bytecode (``sam build`` ships none), its dependencies with
  bytecode when the template takes them from the Powertools layer (the layer ships it)
  and without when ``sam build`` bundles them. The other packagings are measured too.
- first invoke: import plus the first invocation, in one fresh interpreter, interleaved with
  the reference's own import plus first invocation (``reference/hello_event.json``, GET
  /hello) from the same venv.
- cold start on Lambda, modelled: Lambda gives an on-demand function a full vCPU during INIT
  and, during invocations, CPU in proportion to its memory (one vCPU at 1,769 MB). So the
  cold start is the import's CPU time plus the first invocation's CPU time times
  1769 / MemorySize: what a handler leaves to its first event costs 3.5 times as much at
  512 MB. The cold-start budget is on this figure, against the twin's.
- warm invoke: p50/p99 in microseconds of in-process invocations with a valid and a
  rejected event from the variant's ``events/`` (AWS answered by stubs, see probe.py).
- package: ``make build`` (``sam build``), then the size of each function's artifact,
  unzipped and zipped as ``sam deploy`` zips it.
- bake time, and the time of ``make check`` right after the bake (warm uv cache).

It prints a table and writes JSON (``--json``), checks the budgets and exits 1 when one is
missed, printing which. Nothing here reaches AWS.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH_DIR = Path(__file__).resolve().parent
TEMPLATE_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(TEMPLATE_ROOT / "tests"))
from support import every_local_python  # noqa: E402  (the interpreters `sam build` needs, found as the tests find them)
REFERENCE = BENCH_DIR / "reference" / "hello_world.py"
REFERENCE_EVENT = BENCH_DIR / "reference" / "hello_event.json"
PROBE = BENCH_DIR / "probe.py"

# Budgets (issue: "Performance budgets"). Timed tests do not check them; this script does.
# The cold-start budget is on the modelled cold start on Lambda (CPU time: INIT at a full vCPU,
# the first invocation at the memory's share, below), of figures measured in the same rounds,
# against the reference from the same venv (same interpreter, same dependencies with bytecode)
# that also loads what validating and writing to DynamoDB needs (boto3 with a client, pydantic:
# reference/hello_world_with_work.py): a service that validates more than hello world must
# start no slower than hello world doing the same work. Printed beside it: hello world as is,
# and as `sam init` deploys it (bundled in the package, which has no bytecode: /var/task is
# read-only, so every cold start compiles it).
WORK_MATCHED_MAX_RATIO = 1.0
REFERENCE_AS_SHIPPED = "reference, as sam init ships it"
REFERENCE_SAME_VENV = "reference hello world"
REFERENCE_WITH_WORK = "reference + boto3, client, a model"
REFERENCES = ("python -c pass", REFERENCE_SAME_VENV, REFERENCE_WITH_WORK, REFERENCE_AS_SHIPPED)
# Lambda's CPU: "On-demand Lambda functions use a full vCPU (non-throttled) but is limited to
# 10 seconds during its initialization phase" (AWS's serverlessland guide, "Utilize
# initialization phase"); otherwise "At 1,769 MB, a function has the equivalent of one vCPU",
# in proportion to memory (Lambda developer guide, configuration-memory). Not under
# provisioned concurrency, which has no INIT burst (its INIT runs before any request).
ONE_VCPU_MB = 1769
PACKAGE_ZIPPED_MAX_MB = 2.0
# The token authorizer (api_auth=oidc) must bundle PyJWT and cryptography: no AWS layer has
# them, and verifying RS/PS/ES signatures without cryptography would be crypto of our own.
# cryptography 50's manylinux wheel alone is 4.75 MB zipped (cffi 0.22, PyJWT 0.03); its
# budget is those plus its code, so anything else it starts bundling still fails.
PACKAGE_ZIPPED_MAX_MB_BY_FUNCTION = {"AuthorizerFunction": 6.0}
# A cold import ends with the import: Lambda's process lives on after INIT, so its exit is no
# part of a cold start. os._exit skips the interpreter's teardown, which took 0 to 150 ms of
# CPU after our handlers' import (freeing boto3's and pydantic's objects) and less after hello
# world's: timing it made the handlers look slower by a cost Lambda never pays.
INIT_ONLY = "import {module}; import os; os._exit(0)"
WARM_P50_MAX_US = 1000.0

# The Lambda environment every function sees; Powertools reads LAMBDA_TASK_ROOT to know it
# runs on Lambda (its Tracer turns itself off elsewhere).
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "1",
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",  # pragma: allowlist secret - not a credential
    "AWS_SESSION_TOKEN": "benchmark",
    # Set by Lambda in every execution environment; the handlers create their AWS clients at
    # INIT only where it is set (src/<package>/tables.py), as on Lambda.
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
}
# What `sam init`'s hello world template sets for the reference.
REFERENCE_ENVIRONMENT = {"POWERTOOLS_SERVICE_NAME": "hello-world", "POWERTOOLS_METRICS_NAMESPACE": "Powertools"}

# Which events/ files are the valid and the rejected case, and what AWS answers, per event
# source. A source without an entry falls back to file names (see pick_events) and to
# empty answers.
SIGNING_SECRET = {"SecretString": "k" * 48, "Name": "signing", "ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing"}  # pragma: allowlist secret - a stub value
# The rotation function's own events (benchmarks/events/): finishing the pending version the
# stubbed describe_secret names, and a step Secrets Manager never sends.
ROTATION_TOKEN = "4e3c9b2a-6f1d-4a8e-9b7c-2d5f8e1a3c6b"
ROTATION_STAGES = {"RotationEnabled": True, "VersionIdsToStages": {ROTATION_TOKEN: ["AWSPENDING"], "0b9e1f2a-3c4d-4e5f-8a6b-7c8d9e0f1a2b": ["AWSCURRENT"]}}
API_FUNCTIONS = {"RotationFunction": {"valid": "rotation_finish_secret.json", "rejected": "rotation_unknown_step.json"}}
API_AWS = {
    "dynamodb": {"put_item": {}},
    "secretsmanager": {"get_secret_value": SIGNING_SECRET, "describe_secret": ROTATION_STAGES, "update_secret_version_stage": {}},
}
VARIANTS: dict[str, dict[str, Any]] = {
    "api": {
        "valid": "create_item.json",
        "rejected": "create_item_wrong_type.json",
        "aws": API_AWS,
        # Events of a function other than the event source's (by logical id): names in the
        # project's events/ or in benchmarks/events/.
        "functions": API_FUNCTIONS,
    },
    "s3": {
        "valid": "document_created.json",
        "rejected": "document_created_truncated.json",
        # {"__file__": path in the project}: a streaming body with that file's bytes.
        "aws": {"s3": {"get_object": {"Body": {"__file__": "events/documents/invoice.json"}}}},
    },
    "eventbridge": {"valid": "order_placed.json", "rejected": "order_placed_wrong_types.json"},
    "sqs": {"valid": "order_placed.json", "rejected": "order_missing_field.json"},
    "dynamodb": {"valid": "stock_dropped_below_reorder_level.json", "rejected": "stock_invalid_image.json"},
    "appsync": {"valid": "create_item.json", "rejected": "create_item_invalid.json", "aws": {"dynamodb": {"put_item": {}}}},
    # An answer that refines an event source with files of its own (post_gen_project.py
    # VARIANT_OVERLAYS) is a variant here too: its answers, then its events.
    "dynamodb-eventbridge": {
        "answers": ["event_source=dynamodb", "stream_delivery=eventbridge"],
        "valid": "stock_level_changed.json",
        "rejected": "stock_level_changed_unknown_version.json",
    },
    # The token authorizer: only a rejection is timed (the sample token is a placeholder, refused
    # before any key is fetched); an accepted token needs the issuer's keys over HTTPS, which the
    # probe does not serve. The bake's tests cover every verdict (tests/unit/test_authorizer.py).
    "api-oidc": {
        "answers": ["event_source=api", "api_auth=oidc"],
        "valid": "create_item.json",
        "rejected": "create_item_wrong_type.json",
        "aws": API_AWS,
        "functions": {**API_FUNCTIONS, "AuthorizerFunction": {"rejected": "authorizer_token.json"}},
    },
}
REJECTED_WORDS = re.compile(r"malformed|missing|wrong|invalid|reject|poison|bad|unknown")

# What !Ref returns for the resource types a function's environment refers to.
REF_FORMATS = {
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:{id}-AbCdEf",
    "AWS::SNS::Topic": "arn:aws:sns:eu-west-1:123456789012:{id}",
    "AWS::SQS::Queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/{id}",
    "AWS::KMS::Key": "1234abcd-12ab-34cd-56ef-1234567890ab",
}


@dataclass
class Function:
    logical_id: str
    module: str
    attribute: str
    code_uri: str
    environment: dict[str, str]
    uses_powertools_layer: bool
    memory_mb: int = 128  # Lambda's default, as for the reference's own template


@dataclass
class Cold:
    wall_ms: float
    cpu_ms: float
    rss_mib: float


@dataclass
class Result:
    variant: str
    answers: list[str]
    bake_s: float = 0.0
    check_s: float | None = None
    check_passed: bool | None = None
    packaging: str = ""
    compiled_package: bool = False
    cold: dict[str, dict[str, Cold]] = field(default_factory=dict)  # packaging -> label -> numbers
    first_invoke: dict[str, Any] = field(default_factory=dict)  # module -> medians; REFERENCE_SAME_VENV too
    warm: dict[str, Any] = field(default_factory=dict)
    package: dict[str, dict[str, float]] = field(default_factory=dict)
    runtime: str = ""
    memory_mb: dict[str, int] = field(default_factory=dict)  # module -> MemorySize (the CPU it buys)
    # The code_signing=yes bake (Powertools and pydantic bundled, bytecode compiled by `make
    # build`): its cold imports next to the reference as shipped, and its package sizes.
    signed_cold: dict[str, Cold] = field(default_factory=dict)
    signed_package: dict[str, dict[str, float]] = field(default_factory=dict)
    # artifact ("OrdersFunction", "signed OrdersFunction") -> its modules without bytecode for
    # the runtime, where the Makefile compiles: each one compiled again by every cold start.
    uncompiled: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the template


def hook_literal(template: Path, name: str) -> Any:
    """A literal assigned in hooks/pre_gen_project.py (the hook's own tables decide)."""
    tree = ast.parse((template / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8"))
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == name and node.value is not None:
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} not found in the pre-generation hook")


def enabled_event_sources(template: Path) -> list[str]:
    unavailable = hook_literal(template, "NOT_YET_AVAILABLE")
    return [source for source in hook_literal(template, "CHOICES")["event_source"] if ("event_source", source) not in unavailable]


def runtime_choices(template: Path) -> list[str]:
    return list(hook_literal(template, "CHOICES")["python_runtime"])


class CfnLoader(yaml.SafeLoader):
    """template.yaml with its intrinsic functions kept as {"!Tag": value}."""


def _tagged(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"!{suffix}": value}


CfnLoader.add_multi_constructor("!", _tagged)


def resolve(value: Any, template: Mapping[str, Any], stack: str) -> Any:
    """A plausible value for what CloudFormation would resolve in a function's environment."""
    if not isinstance(value, dict):
        return value if isinstance(value, list) else str(value)
    ((tag, argument),) = value.items()
    resources, parameters = template.get("Resources", {}), template.get("Parameters", {})
    pseudo = {
        "AWS::Region": "eu-west-1",
        "AWS::AccountId": "123456789012",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack,
        "AWS::StackId": f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{stack}/0a1b2c3d-4e5f-6a7b-8c9d-0a1b2c3d4e5f",
    }

    def ref(name: str) -> str:
        logical_id, _, attribute = name.partition(".")
        if name in pseudo:
            return pseudo[name]
        if name in parameters:
            return str(parameters[name].get("Default", name))
        resource_type = resources.get(logical_id, {}).get("Type", "")
        if attribute == "Arn":
            service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "lambda"
            return f"arn:aws:{service}:eu-west-1:123456789012:{logical_id}"
        if attribute:
            return logical_id
        return REF_FORMATS.get(resource_type, "{id}").format(id=logical_id)

    if tag == "!Ref":
        return ref(argument)
    if tag == "!GetAtt":
        return ref(argument if isinstance(argument, str) else ".".join(argument))
    if tag == "!Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {name: str(resolve(value, template, stack)) for name, value in variables.items()}
        return re.sub(r"\$\{([^}]+)\}", lambda match: values.get(match.group(1)) or ref(match.group(1)), text)
    if tag == "!Join":
        return str(argument[0]).join(str(resolve(part, template, stack)) for part in resolve(argument[1], template, stack))
    if tag == "!Split":
        return str(resolve(argument[1], template, stack)).split(argument[0])
    if tag == "!Select":
        return resolve(argument[1], template, stack)[int(argument[0])]
    if tag == "!If":
        return resolve(argument[1], template, stack)
    return str(argument)


def functions_of(project: Path) -> list[Function]:
    template = yaml.load((project / "template.yaml").read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass
    resources = template.get("Resources", {})
    globals_ = template.get("Globals", {}).get("Function", {})
    shared_env = globals_.get("Environment", {}).get("Variables", {})
    found = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        module, _, attribute = properties["Handler"].rpartition(".")
        variables = {**shared_env, **properties.get("Environment", {}).get("Variables", {})}
        layers = json.dumps(properties.get("Layers", []) + globals_.get("Layers", [])) + json.dumps(template.get("Parameters", {}))
        found.append(
            Function(
                logical_id=logical_id,
                module=module,
                attribute=attribute,
                code_uri=str(properties.get("CodeUri", globals_.get("CodeUri", "."))),
                environment={name: str(resolve(value, template, project.name)) for name, value in variables.items()},
                uses_powertools_layer="AWSLambdaPowertoolsPython" in layers or "/aws/service/powertools/" in layers,
                memory_mb=int(properties.get("MemorySize", globals_.get("MemorySize", 128))),
            )
        )
    if not found:
        raise LookupError("template.yaml has no AWS::Serverless::Function")
    return found


# ------------------------------------------------------------------ processes


def run(command: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, cwd=cwd, env=dict(env) if env else None, text=True, capture_output=True, check=False)  # noqa: S603
    if check and completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed


def timed_child(command: list[str], env: Mapping[str, str]) -> Cold:
    start = time.perf_counter()
    process = subprocess.Popen(command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return Cold(wall_ms=wall * 1000, cpu_ms=(usage.ru_utime + usage.ru_stime) * 1000, rss_mib=usage.ru_maxrss / 1024)


def median_cold(samples: list[Cold]) -> Cold:
    return Cold(
        wall_ms=statistics.median(s.wall_ms for s in samples),
        cpu_ms=statistics.median(s.cpu_ms for s in samples),
        rss_mib=statistics.median(s.rss_mib for s in samples),
    )


def find_uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv or not Path(uv).exists():
        raise SystemExit("uv not found: run through `make bench`, or set UV")
    return uv


def runtime_python(template: Path) -> tuple[str | None, str]:
    """The first Lambda runtime of the template whose interpreter runs here (sam build needs it)."""
    for runtime in runtime_choices(template):
        path = shutil.which(runtime)
        if path and subprocess.run([path, "-c", "pass"], capture_output=True, check=False).returncode == 0:  # noqa: S603
            return runtime, path
    return None, sys.executable


# ------------------------------------------------------------------ measurements


def bake(template: Path, out: Path, answers: list[str]) -> tuple[Path, float]:
    start = time.perf_counter()
    run([sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(out), str(template), *answers])
    elapsed = time.perf_counter() - start
    (project,) = [path for path in out.iterdir() if path.is_dir()]
    return project, elapsed


def lock_version(project: Path, package: str) -> str | None:
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return next((p["version"] for p in lock.get("package", []) if p["name"] == package), None)


def runtime_requirements(project: Path, uv: str) -> list[str]:
    """What runs on Lambda: the locked runtime and layer dependencies, the runtime's boto3, and
    Powertools with its Tracer extra for the reference (the versions the lock has)."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    groups = [name for name in pyproject.get("dependency-groups", {}) if name != "dev"]
    command = [uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-annotate", "--no-emit-project", "--no-default-groups"]
    for group in groups:
        command += ["--group", group]
    lines = [line.strip() for line in run(command, cwd=project).stdout.splitlines()]
    requirements = [line for line in lines if line and not line.startswith(("#", "-"))]
    for package, extra in (("boto3", ""), ("aws-lambda-powertools", "[tracer]")):
        version = lock_version(project, package)
        requirements.append(f"{package}{extra}=={version}" if version else f"{package}{extra}")
    return requirements


def make_venv(directory: Path, python: str, requirements: list[str], uv: str, bytecode: bool) -> Path:
    run([uv, "venv", "--quiet", "--python", python, str(directory)])
    interpreter = directory / "bin" / "python"
    requirements_file = directory / "requirements.txt"
    requirements_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    command = [uv, "pip", "install", "--quiet", "--python", str(interpreter), "-r", str(requirements_file)]
    run(command + (["--compile-bytecode"] if bytecode else []))
    return interpreter


def task_dir(source: Path, destination: Path, bytecode: bool, python: Path) -> Path:
    """The function's code as Lambda unpacks it at /var/task."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if bytecode:
        run([str(python), "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(destination)])
    return destination


ImportJob = tuple[str, list[str], dict[str, str]]  # label, command, environment


def reference_environment() -> dict[str, str]:
    return {**base_environment(), **LAMBDA_ENVIRONMENT, **REFERENCE_ENVIRONMENT, "AWS_LAMBDA_FUNCTION_NAME": "hello-world"}


def function_environment(function: Function) -> dict[str, str]:
    return {**base_environment(), **LAMBDA_ENVIRONMENT, **function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.logical_id}


def import_job(label: str, interpreter: Path, module: str, env: dict[str, str], code: Path | None = None) -> ImportJob:
    """One cold import of ``module``, ended before the interpreter's teardown (INIT_ONLY)."""
    with_code = env if code is None else {**env, "PYTHONPATH": str(code)}
    return (label, [str(interpreter), "-B", "-c", INIT_ONLY.format(module=module)], with_code)


def baseline_job(interpreter: Path) -> ImportJob:
    return import_job("python -c pass", interpreter, "os", base_environment())


def function_jobs(functions: list[Function], project: Path, work: Path, tag: str, compiled: bool, interpreter: Path) -> list[ImportJob]:
    """Each function's cold import from its own task directory (``work/task-<tag>-<id>``)."""
    jobs = []
    for function in functions:
        code = task_dir(project / function.code_uri, work / f"task-{tag}-{function.logical_id}", compiled, interpreter)
        jobs.append(import_job(function.module, interpreter, function.module, function_environment(function), code))
    return jobs


def cold_imports(jobs: list[ImportJob], runs: int) -> dict[str, Cold]:
    """Interleaved rounds, rotated, so that every label sees the same machine load."""
    samples: dict[str, list[Cold]] = {label: [] for label, _, _ in jobs}
    for round_ in range(runs):
        rotation = round_ % len(jobs)
        for label, command, env in jobs[rotation:] + jobs[:rotation]:
            samples[label].append(timed_child(command, env))
    return {label: median_cold(values) for label, values in samples.items()}


def function_events(project: Path, variant: str, function: Function) -> dict[str, Path]:
    """The function's own events when the variant names them, else the event source's."""
    own = VARIANTS.get(variant, {}).get("functions", {}).get(function.logical_id)
    if own is None:
        return pick_events(project, variant)
    return {label: next(p for p in (project / "events" / name, BENCH_DIR / "events" / name) if p.exists()) for label, name in own.items()}


def pick_events(project: Path, variant: str) -> dict[str, Path]:
    events = sorted((project / "events").glob("*.json"))
    spec = VARIANTS.get(variant, {})
    valid = spec.get("valid") or next((e.name for e in events if not REJECTED_WORDS.search(e.stem)), None)
    rejected = spec.get("rejected") or next((e.name for e in events if REJECTED_WORDS.search(e.stem)), None)
    return {label: project / "events" / name for label, name in (("valid", valid), ("rejected", rejected)) if name}


def probe(python: Path, code: Path, function: Function, events: dict[str, Path], variant: str, env: dict[str, str], mode: str, work: Path, project: Path) -> dict[str, Any]:
    spec = {
        "module": function.module,
        "function": function.attribute,
        "function_name": function.logical_id,
        "events": {label: str(path) for label, path in events.items()},
        "aws": json.loads(json.dumps(VARIANTS.get(variant, {}).get("aws", {})).replace('"__file__": "', f'"__file__": "{project}/')),
        "mode": mode,
        "iterations": 2000,
        "warmup": 100,
    }
    spec_file = work / f"probe-{function.logical_id}-{mode}.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    completed = run([str(python), "-B", str(PROBE), str(spec_file)], env={**env, "PYTHONPATH": str(code)})
    return json.loads(completed.stdout.strip().splitlines()[-1])


def archive_size(directory: Path) -> tuple[float, float]:
    """Unzipped and zipped MB (10^6 bytes), zipped the way `sam deploy` zips (deflate)."""
    buffer, raw = io.BytesIO(), 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            data = path.read_bytes()
            raw += len(data)
            archive.writestr(zipfile.ZipInfo(str(path.relative_to(directory))), data, compress_type=zipfile.ZIP_DEFLATED)
    return raw / 1e6, len(buffer.getvalue()) / 1e6


def base_environment() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYENV_VERSION", "PYENV_ROOT", "UV_CACHE_DIR", "XDG_CACHE_HOME", "SSL_CERT_FILE"}
    return {name: value for name, value in os.environ.items() if name in keep}


# ------------------------------------------------------------------ one variant


def measure(variant: str, template: Path, work: Path, args: argparse.Namespace, uv: str) -> Result:
    runtime, python = runtime_python(template)
    own = VARIANTS.get(variant, {}).get("answers", [f"event_source={variant}"])
    answers = own + ([f"python_runtime={runtime}"] if runtime else []) + args.answer
    result = Result(variant=variant, answers=answers, runtime=runtime or f"none found; cold/warm on {Path(python).name}")
    log(f"[{variant}] bake {' '.join(answers)}")
    project, result.bake_s = bake(template, work / "bake", answers)
    tools_env = {**base_environment(), "UV": uv}

    if not args.skip_check:
        log(f"[{variant}] make check")
        start = time.perf_counter()
        completed = run(["make", "check", f"UV={uv}"], cwd=project, env=tools_env, check=False)
        result.check_s = time.perf_counter() - start
        result.check_passed = completed.returncode == 0
        if not result.check_passed:
            log_file = args.logs / f"make-check-{variant}.log"
            log_file.parent.mkdir(parents=True, exist_ok=True)
            log_file.write_text(completed.stdout + completed.stderr, encoding="utf-8")
            result.errors.append(f"make check failed ({log_file}): " + " | ".join(completed.stdout.strip().splitlines()[-2:]))

    functions = functions_of(project)
    result.memory_mb = {function.module: function.memory_mb for function in functions}
    result.packaging = "powertools layer" if all(f.uses_powertools_layer for f in functions) else "bundled"
    requirements = runtime_requirements(project, uv)
    log(f"[{variant}] runtime venvs ({Path(python).name}): {len(requirements)} packages")
    venvs = {
        "deps bytecode": make_venv(work / "venv-bytecode", python, requirements, uv, bytecode=True),
        "deps source": make_venv(work / "venv-source", python, requirements, uv, bytecode=False),
    }
    packagings = {
        # name: (venv, task code compiled?)
        "layer (deps bytecode)": ("deps bytecode", False),
        "layer + compiled package": ("deps bytecode", True),
        "bundled (no bytecode)": ("deps source", False),
    }
    # `make build` byte-compiles the artifacts when the Makefile says so: then the deployed
    # package has bytecode for our code and for whatever it bundles.
    result.compiled_package = "compileall" in (project / "Makefile").read_text(encoding="utf-8")
    deployed = deployed_mode(result)
    for name, (venv_name, compiled) in packagings.items():
        interpreter = venvs[venv_name]
        tag = name.split(" ")[0] + ("-pyc" if compiled else "")
        reference_code = task_dir(REFERENCE.parent, work / f"task-{tag}-reference", compiled, interpreter)
        jobs = [
            baseline_job(interpreter),
            import_job(REFERENCE_SAME_VENV, interpreter, "hello_world", reference_environment(), reference_code),
            import_job(REFERENCE_WITH_WORK, interpreter, "hello_world_with_work", reference_environment(), reference_code),
            *function_jobs(functions, project, work, tag, compiled, interpreter),
        ]
        if name == deployed:
            shipped = task_dir(REFERENCE.parent, work / "task-shipped-reference", False, venvs["deps source"])
            jobs.append(import_job(REFERENCE_AS_SHIPPED, venvs["deps source"], "hello_world", reference_environment(), shipped))
        runs = args.runs if name == deployed else max(3, args.runs // 2)
        log(f"[{variant}] cold imports, {name}: {runs} rounds")
        result.cold[name] = cold_imports(jobs, runs)

    venv_name, compiled = packagings[deployed]
    tag = f"{deployed.split(' ')[0]}{'-pyc' if compiled else ''}"
    first_invokes(result, functions, venvs[venv_name], work, tag, project, args.runs)
    for function in functions:
        env = function_environment(function)
        log(f"[{variant}] warm invokes of {function.module}")
        result.warm[function.module] = probe(venvs["deps bytecode"], work / f"task-{tag}-{function.logical_id}", function, function_events(project, variant, function), variant, env, "warm", work, project)

    if not args.skip_signed:
        measure_signed(result, template, work, args, uv, venvs, runtime, tools_env)

    if args.skip_build:
        result.errors.append("package size not measured (--skip-build)")
    elif runtime is None:
        result.errors.append("package size not measured: no interpreter for any Lambda runtime on PATH (sam build needs one; see README)")
    else:
        log(f"[{variant}] make build ({runtime})")
        completed = run(["make", "build", f"UV={uv}"], cwd=project, env=tools_env, check=False)
        if completed.returncode != 0:
            result.errors.append("make build failed: " + " | ".join((completed.stdout + completed.stderr).strip().splitlines()[-3:]))
        else:
            for function in functions:
                unzipped, zipped = archive_size(project / ".aws-sam" / "build" / function.logical_id)
                result.package[function.logical_id] = {"unzipped_mb": unzipped, "zipped_mb": zipped}
                if result.compiled_package:
                    result.uncompiled[function.logical_id] = modules_without_bytecode(project / ".aws-sam" / "build" / function.logical_id, runtime)
    return result


def first_invokes(result: Result, functions: list[Function], interpreter: Path, work: Path, tag: str, project: Path, runs: int) -> None:
    """Import + first invocation in a fresh interpreter, as deployed, each round also the
    reference's (its GET /hello), so the two see the same machine load."""
    reference = Function("hello-world", "hello_world", "lambda_handler", "", REFERENCE_ENVIRONMENT, True)
    reference_env = reference_environment()
    samples: dict[str, list[dict[str, Any]]] = {}
    log(f"[{result.variant}] first invokes, {runs} rounds with the reference's")
    for _ in range(runs):
        for function in functions:
            env = function_environment(function)
            code = work / f"task-{tag}-{function.logical_id}"
            events = function_events(project, result.variant, function)
            samples.setdefault(function.module, []).append(probe(interpreter, code, function, events, result.variant, env, "first", work, project))
        code = work / f"task-{tag}-reference"
        sample = probe(interpreter, code, reference, {"valid": REFERENCE_EVENT}, "reference", reference_env, "first", work, project)
        samples.setdefault(REFERENCE_SAME_VENV, []).append(sample)
    for label, firsts in samples.items():
        result.first_invoke[label] = {
            "import_ms": statistics.median(f["import_ms"] for f in firsts),
            "first_invoke_ms": statistics.median(f["first_invoke_ms"] for f in firsts),
            "total_ms": statistics.median(f["import_ms"] + f["first_invoke_ms"] for f in firsts),
            "total_cpu_ms": statistics.median(f["import_cpu_ms"] + f["first_invoke_cpu_ms"] for f in firsts),
            "first_invoke_cpu_ms": statistics.median(f["first_invoke_cpu_ms"] for f in firsts),
            "status": firsts[0]["status"],
        }


def measure_signed(
    result: Result, template: Path, work: Path, args: argparse.Namespace, uv: str, venvs: dict[str, Path], runtime: str | None, tools_env: dict[str, str]
) -> None:
    """The code_signing=yes bake of the same answers: no layer, Powertools and pydantic in the
    package, and `make build` compiles the whole artifact for the runtime. Timed as shipped:
    the signed bake's code over the dependencies with bytecode (unchecked hashes), next to the
    reference as `sam init` ships it (no bytecode), in the same interleaved rounds. The
    artifact itself cannot be imported here (its binary wheels are for the bake's
    architecture, arm64 by default), so it is checked instead: every module it holds must
    have bytecode for the runtime, or a cold start would compile it."""
    answers = [answer for answer in result.answers if not answer.startswith("code_signing=")] + ["code_signing=yes"]
    log(f"[{result.variant}] signed bake {' '.join(answers)}")
    project, _ = bake(template, work / "bake-signed", answers)
    functions = functions_of(project)
    interpreter = venvs["deps bytecode"]
    jobs = [
        baseline_job(interpreter),
        import_job(REFERENCE_AS_SHIPPED, venvs["deps source"], "hello_world", reference_environment(), work / "task-shipped-reference"),
        import_job(REFERENCE_WITH_WORK, interpreter, "hello_world_with_work", reference_environment(), work / "task-layer-pyc-reference"),
        *function_jobs(functions, project, work, "signed", True, interpreter),
    ]
    log(f"[{result.variant}] cold imports, signed package: {args.runs} rounds")
    result.signed_cold = cold_imports(jobs, args.runs)
    if args.skip_build or runtime is None:
        result.errors.append("signed package size not measured (--skip-build, or no interpreter for a Lambda runtime)")
        return
    log(f"[{result.variant}] make build, signed ({runtime})")
    completed = run(["make", "build", f"UV={uv}"], cwd=project, env=tools_env, check=False)
    if completed.returncode != 0:
        result.errors.append("signed make build failed: " + " | ".join((completed.stdout + completed.stderr).strip().splitlines()[-3:]))
        return
    for function in functions:
        artifact = project / ".aws-sam" / "build" / function.logical_id
        unzipped, zipped = archive_size(artifact)
        result.signed_package[function.logical_id] = {"unzipped_mb": unzipped, "zipped_mb": zipped}
        result.uncompiled[f"signed {function.logical_id}"] = modules_without_bytecode(artifact, runtime)


def modules_without_bytecode(artifact: Path, runtime: str) -> list[str]:
    """The artifact's .py files with no ``__pycache__/<name>.cpython-3XY.pyc`` for ``runtime``
    (``python3.13``): each one would be compiled by every cold start that imports it."""
    cache_tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    return sorted(
        str(source.relative_to(artifact))
        for source in artifact.rglob("*.py")
        if not (source.parent / "__pycache__" / f"{source.stem}.{cache_tag}.pyc").is_file()
    )


# ------------------------------------------------------------------ report


def deployed_mode(result: Result) -> str:
    if result.compiled_package:
        return "layer + compiled package"  # dependencies and code with bytecode, bundled or not
    return "layer (deps bytecode)" if result.packaging == "powertools layer" else "bundled (no bytecode)"


def vcpu_factor(memory_mb: int) -> float:
    """How much longer CPU work takes in an invocation than at INIT, where it has a full vCPU."""
    return max(1.0, ONE_VCPU_MB / memory_mb)


@dataclass
class ColdStart:
    init_cpu_ms: float
    first_cpu_ms: float
    memory_mb: int

    @property
    def modelled_ms(self) -> float:
        return self.init_cpu_ms + self.first_cpu_ms * vcpu_factor(self.memory_mb)


def cold_starts(result: Result, cold: Mapping[str, Cold]) -> dict[str, dict[str, ColdStart]]:
    """handler module -> label -> its cold start and each reference's, modelled at the
    handler's memory (the references' first invocation is hello world's GET /hello)."""
    reference_first = result.first_invoke.get(REFERENCE_SAME_VENV, {}).get("first_invoke_cpu_ms")
    found: dict[str, dict[str, ColdStart]] = {}
    for module, memory in result.memory_mb.items():
        first = result.first_invoke.get(module, {}).get("first_invoke_cpu_ms")
        if module not in cold or first is None or reference_first is None:
            continue
        found[module] = {module: ColdStart(cold[module].cpu_ms, first, memory)}
        for label in REFERENCES[1:]:
            if label in cold:
                found[module][label] = ColdStart(cold[label].cpu_ms, reference_first, memory)
    return found


def ratio_misses(what: str, starts: Mapping[str, Mapping[str, ColdStart]], reference: str, budget: float) -> list[str]:
    misses = []
    for module, labels in starts.items():
        if reference not in labels:
            misses.append(f"{what}: {reference} was not measured")
            continue
        ratio = labels[module].modelled_ms / labels[reference].modelled_ms
        if ratio > budget:
            misses.append(f"{what}: the modelled cold start of {module} is {ratio:.2f}x the {reference}'s (budget {budget}x)")
    return misses


def package_budget_mb(logical_id: str) -> float:
    return PACKAGE_ZIPPED_MAX_MB_BY_FUNCTION.get(logical_id, PACKAGE_ZIPPED_MAX_MB)


def budget_misses(result: Result) -> list[str]:
    starts = cold_starts(result, result.cold.get(deployed_mode(result), {}))
    if not starts:
        return [f"{result.variant}: no cold start was modelled (cold imports or first invocations missing)"]
    misses = ratio_misses(result.variant, starts, REFERENCE_WITH_WORK, WORK_MATCHED_MAX_RATIO)
    if result.signed_cold:
        misses += ratio_misses(f"{result.variant}, signed", cold_starts(result, result.signed_cold), REFERENCE_WITH_WORK, WORK_MATCHED_MAX_RATIO)
    for logical_id, size in result.package.items():
        budget = package_budget_mb(logical_id)
        if size["zipped_mb"] > budget:
            misses.append(f"{result.variant}: {logical_id} package is {size['zipped_mb']:.2f} MB zipped (budget {budget} MB)")
    for artifact, modules in result.uncompiled.items():
        if modules:
            misses.append(f"{result.variant}: {artifact} has {len(modules)} modules without {result.runtime} bytecode, e.g. {modules[0]}")
    for module, events in result.warm.items():
        for label, numbers in events.items():
            if numbers["p50_us"] > WARM_P50_MAX_US:
                misses.append(f"{result.variant}: warm p50 of {module} ({label}) is {numbers['p50_us']:.0f} us (budget {WARM_P50_MAX_US:.0f} us)")
    return misses


def cold_start_table(title: str, starts: Mapping[str, Mapping[str, ColdStart]]) -> Iterator[str]:
    for module, labels in starts.items():
        own = labels[module]
        yield (
            f"{title} {module}, modelled at {own.memory_mb} MB (INIT CPU at a full vCPU + first invocation CPU"
            f" x {vcpu_factor(own.memory_mb):.2f}):"
        )
        yield f"  {'':36} {'INIT cpu ms':>11} {'first cpu ms':>12} {'modelled ms':>11} {'x it':>7}"
        for label, start in labels.items():
            ratio = own.modelled_ms / start.modelled_ms
            budget = WORK_MATCHED_MAX_RATIO if label == REFERENCE_WITH_WORK else None
            note = "" if label == module else f"{ratio:7.2f}" + (f" (budget {budget})" if budget else "")
            yield f"  {label:36} {start.init_cpu_ms:11.0f} {start.first_cpu_ms:12.1f} {start.modelled_ms:11.0f} {note}"


def modelled(result: Result) -> dict[str, Any]:
    return {
        packaging: {module: {label: {**asdict(start), "modelled_ms": start.modelled_ms} for label, start in labels.items()} for module, labels in cold_starts(result, cold).items()}
        for packaging, cold in {**result.cold, "signed": result.signed_cold}.items()
    }


def table(result: Result) -> Iterator[str]:
    yield (
        f"\n== {result.variant}  ({' '.join(result.answers)}; packaging: {result.packaging}"
        f"{', compiled' if result.compiled_package else ''}; runtime: {result.runtime}; as deployed: {deployed_mode(result)})"
    )
    yield f"bake {result.bake_s:.1f} s; make check after bake: " + (
        "skipped" if result.check_s is None else f"{result.check_s:.0f} s, {'green' if result.check_passed else 'FAILED'}"
    )
    for name, cold in result.cold.items():
        reference = cold["reference hello world"]
        shipped = cold.get(REFERENCE_AS_SHIPPED)
        yield f"cold import, {name}{' (as deployed)' if shipped else ''}:"
        yield (
            f"  {'':34} {'wall ms':>9} {'cpu ms':>8} {'RSS MiB':>8} {'x ref (wall)':>13} {'x ref (cpu)':>12}"
            + (f" {'x shipped ref':>14}" if shipped else "")
        )
        for label, numbers in cold.items():
            yield (
                f"  {label:34} {numbers.wall_ms:9.0f} {numbers.cpu_ms:8.0f} {numbers.rss_mib:8.1f}"
                f" {numbers.wall_ms / reference.wall_ms:13.2f} {numbers.cpu_ms / reference.cpu_ms:12.2f}"
                + (f" {numbers.wall_ms / shipped.wall_ms:14.2f}" if shipped else "")
            )
    reference = result.first_invoke.get(REFERENCE_SAME_VENV)
    for module, first in result.first_invoke.items():
        yield (
            f"first invoke of {module} (fresh interpreter, as deployed): import {first['import_ms']:.0f} ms + first invocation"
            f" {first['first_invoke_ms']:.0f} ms = {first['total_ms']:.0f} ms ({first['total_cpu_ms']:.0f} ms CPU; {first['status']})"
            + (
                f", {first['total_ms'] / reference['total_ms']:.2f}x the reference's ({first['total_cpu_ms'] / reference['total_cpu_ms']:.2f}x CPU)"
                if reference
                else ""
            )
        )
    yield from cold_start_table("cold start of", cold_starts(result, result.cold.get(deployed_mode(result), {})))
    for module, events in result.warm.items():
        for label, numbers in events.items():
            yield f"warm invoke {module} {label:9}: p50 {numbers['p50_us']:7.0f} us  p99 {numbers['p99_us']:7.0f} us  ({numbers['status']})"
    for logical_id, size in result.package.items():
        budget = package_budget_mb(logical_id)
        yield f"package {logical_id}: {size['unzipped_mb']:.2f} MB unzipped, {size['zipped_mb']:.3f} MB zipped (budget {budget} MB)"
    if result.signed_cold:
        shipped = result.signed_cold[REFERENCE_AS_SHIPPED]
        yield "cold import, signed package (code_signing=yes: dependencies bundled, bytecode from make build):"
        yield f"  {'':34} {'wall ms':>9} {'cpu ms':>8} {'RSS MiB':>8} {'x shipped ref':>14}"
        for label, numbers in result.signed_cold.items():
            yield f"  {label:34} {numbers.wall_ms:9.0f} {numbers.cpu_ms:8.0f} {numbers.rss_mib:8.1f} {numbers.wall_ms / shipped.wall_ms:14.2f}"
    if result.signed_cold:
        yield from cold_start_table("signed cold start of", cold_starts(result, result.signed_cold))
    for logical_id, size in result.signed_package.items():
        yield f"signed package {logical_id}: {size['unzipped_mb']:.2f} MB unzipped, {size['zipped_mb']:.3f} MB zipped (no size budget: it bundles its dependencies)"
    for error in result.errors:
        yield f"note: {error}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE_ROOT, help="template repository to bake (default: this one)")
    parser.add_argument("--variant", action="append", default=[], help="event source or refinement (dynamodb-eventbridge) to measure (default: every enabled one)")
    parser.add_argument("--answer", action="append", default=[], help="extra cookiecutter answer, e.g. --answer architecture=x86_64")
    parser.add_argument("--runs", type=int, default=15, help="cold-import rounds for the deployed packaging (default 15)")
    parser.add_argument("--skip-check", action="store_true", help="do not time `make check`")
    parser.add_argument("--skip-build", action="store_true", help="do not run `sam build`")
    parser.add_argument("--skip-signed", action="store_true", help="do not measure the code_signing=yes bake")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--logs", type=Path, default=TEMPLATE_ROOT / "build", help="where a failed make check leaves its log")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)

    template = args.template.resolve()
    uv = find_uv()
    local_pythons = every_local_python()
    if local_pythons:
        os.environ["PYENV_VERSION"] = local_pythons  # python3.12, python3.13... resolve through pyenv
    sources = enabled_event_sources(template)
    refinements = [name for name, spec in VARIANTS.items() if "answers" in spec and spec["answers"][0].removeprefix("event_source=") in sources]
    variants = args.variant or sources + refinements
    results = []
    root = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        for variant in variants:
            work = root / variant
            work.mkdir()
            results.append(measure(variant, template, work, args, uv))
    finally:
        if args.keep:
            log(f"work directory kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    misses = [miss for result in results for miss in budget_misses(result)]
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.platform()}; bench on Python {platform.python_version()};"
        f" load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at the end. Absolute figures are this"
        " machine's; budgets are ratios of figures from the same interleaved rounds."
    )
    for result in results:
        print("\n".join(table(result)))
    report = {
        "budgets": {"work_matched_max_ratio": WORK_MATCHED_MAX_RATIO, "one_vcpu_mb": ONE_VCPU_MB, "package_zipped_max_mb": PACKAGE_ZIPPED_MAX_MB, "package_zipped_max_mb_by_function": PACKAGE_ZIPPED_MAX_MB_BY_FUNCTION, "warm_p50_max_us": WARM_P50_MAX_US},
        "machine": {"cpus": os.cpu_count(), "architecture": platform.machine(), "python": platform.python_version(), "load_average": os.getloadavg()},
        "results": [{**asdict(result), "cold_starts": modelled(result)} for result in results],
        "budget_misses": misses,
    }
    print("\n" + json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if misses:
        print("\nBUDGETS MISSED:\n  " + "\n  ".join(misses), file=sys.stderr)
        return 1
    print("\nall budgets met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
