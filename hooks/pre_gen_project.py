"""Validate every cookiecutter answer before anything is written.

Values are read through ``tojson`` so that quotes, backslashes and newlines in an
answer stay data. Every rejection prints ``ERROR: <answer>: <what is wrong>; <what is
valid>`` and exits 1; cookiecutter then removes the half-made project directory.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable

ANSWERS: dict[str, str] = json.loads(
    r"""{{ {
        "project_name": cookiecutter.project_name,
        "project_slug": cookiecutter.project_slug,
        "package_name": cookiecutter.package_name,
        "description": cookiecutter.description,
        "author_name": cookiecutter.author_name,
        "author_email": cookiecutter.author_email,
        "event_source": cookiecutter.event_source,
        "python_runtime": cookiecutter.python_runtime,
        "architecture": cookiecutter.architecture,
        "api_auth": cookiecutter.api_auth,
        "api_endpoint": cookiecutter.api_endpoint,
        "waf": cookiecutter.waf,
        "cdn": cookiecutter.cdn,
        "vpc": cookiecutter.vpc,
        "kms": cookiecutter.kms,
        "code_signing": cookiecutter.code_signing,
        "backups": cookiecutter.backups,
        "snapstart": cookiecutter.snapstart,
        "dependency_bot": cookiecutter.dependency_bot,
        "ci": cookiecutter.ci,
        "stream_delivery": cookiecutter.stream_delivery,
    } | tojson }}"""
)

# Names a package must not shadow: the handler imports these at run time.
SHADOWED_PACKAGES = frozenset(
    {"aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore", "pydantic", "moto", "tests", "src"}
)

# (answer, regex the whole value must match, what is valid). Free text is limited to a
# safe character set because it lands in YAML, TOML and Markdown files.
PATTERNS: list[tuple[str, str, str]] = [
    (
        "project_name",
        r"[A-Za-z][A-Za-z0-9 ._-]{1,63}",
        "2-64 ASCII characters: letters, digits, spaces, '.', '_' or '-', starting with a letter",
    ),
    (
        "project_slug",
        r"[a-z](?:[a-z0-9]|-(?!-)){1,38}[a-z0-9]",
        "3-40 characters: lowercase letters, digits and single hyphens, starting with a letter"
        " (it becomes the CloudFormation stack and function name prefix)",
    ),
    (
        "package_name",
        r"[a-z][a-z0-9_]{1,39}",
        "2-40 characters: lowercase letters, digits and underscores, starting with a letter",
    ),
    (
        "description",
        r"[A-Za-z0-9 .,:;()/'&+_-]{1,200}",
        "1-200 characters of plain text: letters, digits, spaces and . , : ; ( ) / ' & + _ -",
    ),
    (
        "author_name",
        r"[A-Za-z][A-Za-z0-9 .'_-]{0,99}",
        "1-100 characters: letters, digits, spaces, '.', apostrophes, '_' or '-'",
    ),
    (
        "author_email",
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        "an e-mail address such as team@example.com",
    ),
]

CHOICES: dict[str, tuple[str, ...]] = {
    "event_source": ("api", "s3", "eventbridge", "sqs", "dynamodb", "appsync"),
    "python_runtime": ("python3.14", "python3.13", "python3.12"),
    "architecture": ("arm64", "x86_64"),
    "api_auth": ("cognito", "iam", "oidc"),
    "api_endpoint": ("regional", "private"),
    "waf": ("no", "yes"),
    "cdn": ("no", "yes"),
    "vpc": ("no", "yes"),
    "kms": ("customer-managed", "aws-managed"),
    "code_signing": ("no", "yes"),
    "backups": ("yes", "no"),
    "snapstart": ("no", "yes"),
    "dependency_bot": ("dependabot", "renovate"),
    "ci": ("github", "gitlab", "none"),
    "stream_delivery": ("lambda", "eventbridge"),
}

# Choices that exist in cookiecutter.json but are not built yet, one per line.
NOT_YET_AVAILABLE: set[tuple[str, str]] = set()

# Lambda SnapStart supports Python 3.12 and later, and no provisioned concurrency, EFS or
# ephemeral storage above 512 MB, none of which a stack of this template has
# (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html).
SNAPSTART_MINIMUM_PYTHON = (3, 12)


def supports_snapstart(runtime: str) -> bool:
    version = runtime.removeprefix("python").split(".")
    return all(part.isdigit() for part in version) and tuple(map(int, version)) >= SNAPSTART_MINIMUM_PYTHON


# (answer, value, requirement, message): the value only fits when requirement(answers) holds.
# The event sources that are APIs: a caller waits for the answer.
SYNCHRONOUS_APIS = ("api", "appsync")
API_ONLY = "only applies to event_source 'api' or 'appsync'"
COMBINATIONS: list[tuple[str, str, Callable[[dict[str, str]], bool], str]] = [
    (
        "snapstart",
        "yes",
        lambda answers: supports_snapstart(answers["python_runtime"]),
        "needs a runtime Lambda SnapStart supports (Python 3.12 and later); use 'no', or python_runtime python3.12 or later",
    ),
    ("waf", "yes", lambda answers: answers["event_source"] in SYNCHRONOUS_APIS, f"{API_ONLY}; use 'no'"),
    ("api_endpoint", "private", lambda answers: answers["event_source"] in SYNCHRONOUS_APIS, f"{API_ONLY}; use 'regional'"),
    (
        "waf",
        "yes",
        lambda answers: not (answers["event_source"] == "appsync" and answers["api_endpoint"] == "private"),
        "is not offered for a private AppSync API (api_endpoint 'private'): AWS documents web ACLs for AppSync"
        " but not for its private APIs, whose callers are inside your VPC; use 'no', or api_endpoint 'regional'",
    ),
    ("cdn", "yes", lambda answers: answers["event_source"] == "api", "only applies to event_source 'api'; use 'no'"),
    (
        "cdn",
        "yes",
        lambda answers: answers["api_endpoint"] != "private",
        "needs api_endpoint 'regional': CloudFront cannot reach a private API, whose callers are inside your VPC;"
        " use 'no', or api_endpoint 'regional'",
    ),
    (
        "cdn",
        "yes",
        lambda answers: answers["api_auth"] != "iam",
        "does not work with api_auth 'iam': a SigV4 signature covers the Host header, which CloudFront replaces"
        " with the API's own; use 'no', or api_auth 'cognito' or 'oidc'",
    ),
    (
        "stream_delivery",
        "eventbridge",
        lambda answers: answers["event_source"] == "dynamodb",
        "only applies to event_source 'dynamodb' (it publishes the table's stream); use 'lambda'",
    ),
]


def pattern_errors(answers: dict[str, str]) -> list[str]:
    return [
        f"{name}: {answers[name]!r} is not valid; use {valid}"
        for name, pattern, valid in PATTERNS
        if not re.fullmatch(pattern, answers[name])
    ]


def choice_errors(answers: dict[str, str]) -> list[str]:
    errors = []
    for name, allowed in CHOICES.items():
        value = answers[name]
        if value not in allowed:
            errors.append(f"{name}: {value!r} is not a choice; use one of {', '.join(allowed)}")
        elif (name, value) in NOT_YET_AVAILABLE:
            available = [choice for choice in allowed if (name, choice) not in NOT_YET_AVAILABLE]
            errors.append(f"{name}: {value!r} is not available yet; use one of {', '.join(available)}")
    return errors


def combination_errors(answers: dict[str, str]) -> list[str]:
    return [
        f"{name}: {value!r} {message}"
        for name, value, requirement, message in COMBINATIONS
        if answers[name] == value and not requirement(answers)
    ]


def package_name_errors(answers: dict[str, str]) -> list[str]:
    name = answers["package_name"]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [f"package_name: {name!r} is a Python keyword; choose another name"]
    if name in sys.stdlib_module_names or name in SHADOWED_PACKAGES:
        return [f"package_name: {name!r} would shadow the module of that name; choose another name"]
    return []


def errors_in(answers: dict[str, str]) -> list[str]:
    errors = pattern_errors(answers) + choice_errors(answers)
    if not errors:
        errors += combination_errors(answers)
    if not any(error.startswith("package_name:") for error in errors):
        errors += package_name_errors(answers)
    return errors


def main() -> int:
    errors = errors_in(ANSWERS)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
