"""What the tests know about the template, read from the template itself.

Nothing here lists answers by hand: the choices come from ``cookiecutter.json``, and
which of them may be baked together comes from the pre-generation hook's own tables
(``NOT_YET_AVAILABLE``, ``COMBINATIONS``), so the tests follow the template as it grows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context
from jinja2 import FileSystemLoader

ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = ROOT / "cookiecutter.json"
HOOKS = ROOT / "hooks"
VARIANTS_DIR = "_variants"
TEMPLATE_DIR = ROOT / "{{cookiecutter.project_slug}}"
STACK_PARTS_DIR = ROOT / "templates"

Answers = dict[str, str]


@cache
def raw_context() -> dict[str, Any]:
    return json.loads(COOKIECUTTER_JSON.read_text(encoding="utf-8"))


@cache
def choice_options() -> dict[str, tuple[str, ...]]:
    """Every multiple-choice answer and its values, in cookiecutter.json order."""
    return {
        name: tuple(value)
        for name, value in raw_context().items()
        if isinstance(value, list) and not name.startswith("_")
    }


def answers(**overrides: str) -> Answers:
    """The answers cookiecutter would use with --no-input, derived ones rendered."""
    return dict(_answers(tuple(sorted(overrides.items()))))


@cache
def _answers(overrides: tuple[tuple[str, str], ...]) -> Answers:
    context = generate_context(context_file=str(COOKIECUTTER_JSON), extra_context=dict(overrides))
    return {key: value for key, value in prompt_for_config(context, no_input=True).items() if not key.startswith("_")}


def stack_environment(**overrides: str) -> tuple[StrictEnvironment, dict[str, Any]]:
    """cookiecutter's own Jinja environment and loader (the project folder, then
    templates/) with the answers of a --no-input bake plus `overrides`."""
    context = {"cookiecutter": answers(**overrides)}
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    env.loader = FileSystemLoader([str(TEMPLATE_DIR), str(STACK_PARTS_DIR)])
    return env, context


def render_stack(**overrides: str) -> str:
    """The baked template.yaml of the event source the answers choose, without a bake."""
    env, context = stack_environment(**overrides)
    return env.get_template(stack_source(context["cookiecutter"])).render(**context)


def stack_source(context: Mapping[str, str]) -> str:
    """The template.yaml a bake with these answers gets: the last chosen variant folder that
    has one (an overlay's replaces its event source's)."""
    folders = post_gen_tables().overlays(dict(context))
    return next(
        f"{VARIANTS_DIR}/{folder}/template.yaml"
        for folder in reversed(folders)
        if (TEMPLATE_DIR / VARIANTS_DIR / folder / "template.yaml").is_file()
    )


# The IAM action prefix of each CloudFormation resource type's service (AWS::<Service>::...).
IAM_PREFIX = {
    "ApiGateway": "apigateway",
    "AppSync": "appsync",
    "Backup": "backup",
    "CloudFront": "cloudfront",
    "CloudWatch": "cloudwatch",
    "CodeDeploy": "codedeploy",
    "Cognito": "cognito-idp",
    "DynamoDB": "dynamodb",
    "Events": "events",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Logs": "logs",
    "Pipes": "pipes",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
    "SecretsManager": "secretsmanager",
    "WAFv2": "wafv2",
}
SAMPLE_STACK_UUID = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"  # a stack id's last part, as CloudFormation makes it


def physical_name(node: Any, stack: str, stack_uuid: str = SAMPLE_STACK_UUID) -> Any:
    """The value CloudFormation gives a name in stack `stack`: intrinsics over the stack name
    and id only (any other reference fails: a name must not depend on it)."""
    if isinstance(node, str | int):
        return node
    if isinstance(node, list):
        return [physical_name(item, stack, stack_uuid) for item in node]
    ((function, argument),) = node.items()
    if function == "Ref":
        stack_id = f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{stack}/{stack_uuid}"
        return {"AWS::StackName": stack, "AWS::StackId": stack_id}[argument]
    if function == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {"AWS::StackName": stack} | {name: physical_name(value, stack, stack_uuid) for name, value in variables.items()}
        for name, value in values.items():
            text = text.replace(f"${{{name}}}", value)
        assert "${" not in text, f"a name refers to something other than the stack: {argument}"
        return text
    if function == "Fn::Join":
        return argument[0].join(physical_name(argument[1], stack, stack_uuid))
    if function == "Fn::Split":
        return physical_name(argument[1], stack, stack_uuid).split(argument[0])
    if function == "Fn::Select":
        return physical_name(argument[1], stack, stack_uuid)[int(argument[0])]
    raise AssertionError(f"cannot evaluate {function} in a name")


def render_hook(name: str, hook_answers: Mapping[str, Any], directory: Path) -> ModuleType:
    """Render hooks/<name>.py exactly as cookiecutter does, then import it as a module.

    The hook's ``if __name__ == "__main__"`` guard keeps it from running on import.
    """
    context = {"cookiecutter": dict(hook_answers)}
    template = create_env_with_context(context).from_string((HOOKS / f"{name}.py").read_text(encoding="utf-8"))
    script = directory / f"{name}_{uuid.uuid4().hex}.py"
    script.write_text(template.render(**context), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(script.stem, script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def baked_script(name: str) -> ModuleType:
    """A script of the baked project's scripts/ (copied without rendering), imported as is."""
    path = TEMPLATE_DIR / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"baked_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    # No __pycache__ in the template's scripts/: cookiecutter would copy it into every bake.
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


@cache
def pre_gen_tables() -> ModuleType:
    """The pre-generation hook rendered with the default answers (for its tables and checks)."""
    with tempfile.TemporaryDirectory(prefix="pre-gen-hook-") as directory:
        return render_hook("pre_gen_project", answers(), Path(directory))


@cache
def post_gen_tables() -> ModuleType:
    """The post-generation hook rendered with the default answers (for its tables and functions)."""
    with tempfile.TemporaryDirectory(prefix="post-gen-hook-") as directory:
        return render_hook("post_gen_project", answers(), Path(directory))


def owned_path_cases() -> list[Answers]:
    """Every combination of the event source (whose variant the post-generation hook
    moves in) and the answers whose files it deletes."""
    names = ["event_source", *(name for name in post_gen_tables().OWNED_PATHS if name != "event_source")]
    options = [enabled_values()["event_source"], *(choice_options()[name] for name in names[1:])]
    cases = [dict(zip(names, values, strict=True)) for values in itertools.product(*options)]
    return [case for case in cases if not rejections(case)]


def rejections(combination: Mapping[str, str]) -> list[str]:
    """The hook's own verdict on a combination of choices, with default free-text answers."""
    return list(pre_gen_tables().errors_in(answers() | dict(combination)))


@cache
def all_combinations() -> tuple[Answers, ...]:
    options = choice_options()
    return tuple(dict(zip(options, values, strict=True)) for values in itertools.product(*options.values()))


@cache
def enabled_combinations() -> tuple[Answers, ...]:
    """Every combination of choices that the pre-generation hook accepts."""
    return tuple(combination for combination in all_combinations() if not rejections(combination))


@cache
def rejected_combinations() -> tuple[Answers, ...]:
    return tuple(combination for combination in all_combinations() if rejections(combination))


@cache
def enabled_values() -> dict[str, list[str]]:
    """Each choice's values that appear in at least one enabled combination."""
    values: dict[str, list[str]] = {name: [] for name in choice_options()}
    for combination in enabled_combinations():
        for name, value in combination.items():
            if value not in values[name]:
                values[name].append(value)
    return values


def covering_set(combinations: Iterable[Answers], strength: int) -> list[Answers]:
    """A small subset in which every ``strength``-tuple of values (of ``strength``
    different answers) that occurs in ``combinations`` occurs at least once: with
    strength 1 every value, with 2 every pair, with 3 every triple.

    Greedy: repeatedly take the combination that covers the most uncovered tuples;
    ties go to the earliest, except with strength 1, where they first go to the one
    covering the most uncovered pairs (a few projects, as varied as possible).
    Deterministic. Answers with a single possible value are left out of the
    tuples (they are in every combination anyway).
    """
    candidates = list(combinations)
    if not candidates:
        return []
    varying = [name for name in candidates[0] if len({c[name] for c in candidates}) > 1]
    if not 1 <= strength <= max(len(varying), 1):
        raise ValueError(f"strength must be between 1 and {len(varying)}, not {strength}")
    levels = [1, 2] if strength == 1 and len(varying) > 1 else [strength]

    def tuples(combination: Answers, size: int) -> Iterator[tuple[tuple[str, str], ...]]:
        return itertools.combinations([(name, combination[name]) for name in varying], size)

    holders: list[dict[tuple[tuple[str, str], ...], list[int]]] = [{} for _ in levels]
    gains = [[0] * len(candidates) for _ in levels]
    for index, combination in enumerate(candidates):
        for level, size in enumerate(levels):
            for item in tuples(combination, size):
                holders[level].setdefault(item, []).append(index)
                gains[level][index] += 1

    chosen: list[Answers] = []
    while any(gains[0]):
        best = max(range(len(candidates)), key=lambda index: tuple(gain[index] for gain in gains))
        chosen.append(candidates[best])
        for level, size in enumerate(levels):
            for item in tuples(candidates[best], size):
                for index in holders[level].pop(item, []):
                    gains[level][index] -= 1
    return chosen


def covered(combinations: Iterable[Answers], strength: int) -> set[tuple[tuple[str, str], ...]]:
    """Every ``strength``-tuple of (answer, value) pairs that occurs in ``combinations``."""
    return {item for c in combinations for item in itertools.combinations(sorted(c.items()), strength)}


def bake_set() -> list[Answers]:
    """The combinations test_bake bakes: a covering set of strength
    TEMPLATE_BAKE_STRENGTH (default 3: every triple of values), or every accepted
    combination with TEMPLATE_BAKE_STRENGTH=all."""
    return _bake_set(os.environ.get("TEMPLATE_BAKE_STRENGTH", "3"))


@cache
def _bake_set(strength: str) -> list[Answers]:
    if strength == "all":
        return list(enabled_combinations())
    return covering_set(enabled_combinations(), int(strength))


def check_set() -> list[Answers]:
    """The combinations whose baked project runs its own `make check`: a covering set of
    strength TEMPLATE_CHECK_STRENGTH (default 1: every value at least once)."""
    return _check_set(int(os.environ.get("TEMPLATE_CHECK_STRENGTH", "1")))


@cache
def _check_set(strength: int) -> list[Answers]:
    return covering_set(enabled_combinations(), strength)


def label(name: str, value: str) -> str:
    """A short, readable id part: ``py3.13``, ``arm64``, ``waf``, ``no-vpc``, ``no-ci``."""
    if value == "yes":
        return name.replace("_", "-")
    if value in ("no", "none"):
        return "no-" + name.replace("_", "-")
    return re.sub(r"^python", "py", value)


def combination_id(combination: Mapping[str, str]) -> str:
    return "-".join(label(name, value) for name, value in combination.items())


def tree_snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of the content ("dir" for directories)."""
    return {
        path.relative_to(root).as_posix(): "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
    }


# libyaml's loader when PyYAML has it (its wheels do): the pure-Python one is ~10x slower.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CloudFormationLoader(SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that also reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt...)."""


def load_yaml(text: str | bytes) -> Any:
    """Any YAML file of the baked project; CloudFormation tags allowed (pipeline stacks use them)."""
    return yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_cloudformation(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = load_yaml(path.read_bytes())
    return template


def every_local_python() -> str | None:
    """With pyenv, the interpreters a `sam build` may need (python3.12, python3.13...) are
    shims that only resolve for versions named in PYENV_VERSION. Name every installed
    3.x, the current one first so that `python3` stays what it was."""
    if "PYENV_VERSION" in os.environ:
        return os.environ["PYENV_VERSION"]
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    current = subprocess.run([pyenv, "version-name"], capture_output=True, text=True, check=False).stdout
    current = current.split(":")[0].strip()
    installed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, check=False).stdout
    others = [version for version in installed.split() if re.fullmatch(r"3\.\d+\.\d+", version) and version != current]
    return ":".join([current, *others]) if current else None
