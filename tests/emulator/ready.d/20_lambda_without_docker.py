"""Stands in for Lambda's managed runtimes.

Creating a function in LocalStack pulls the runtime's Docker image and downloads its runtime
emulator from GitHub; neither exists here (no Docker, no internet). Only that preparation is
skipped: functions, versions, aliases, permissions and event source mappings are still created
and kept. Invocations cannot run (no container); the deploy tests never invoke a function.
"""

from localstack.services.lambda_.invocation import docker_runtime_executor


@classmethod
def _prepare_version(cls, function_version):
    # Unpacking the code stays: it is what proves the uploaded package is a readable zip.
    if function_version.config.code:
        function_version.config.code.prepare_for_execution()


docker_runtime_executor.DockerRuntimeExecutor.prepare_version = _prepare_version
