"""What the tests of every event source share, written once.

- ``lambda_runtime``: the Lambda sandbox faked: its environment, the context object of the
  function template.yaml deploys, the sample events, fresh per-process caches.
- ``emulated_aws``: moto's clients and tables, and DynamoDB's atomic conditional write.
- ``observability``: what the handler logged and which metrics it emitted.
- ``stack``: template.yaml as the tests read it: resources, alarms, the function's environment.
- ``properties``: the Hypothesis settings and strategies of the property tests.
- ``idempotency`` (the event sources with Powertools idempotency): the idempotency table, a
  side effect watched and held, a timed-out invocation, concurrent deliveries.
- ``batches`` (SQS, DynamoDB streams): partial batch responses, and the exactly-once tests.
- ``async_invocations`` (S3, EventBridge): raising for a retry, and the exactly-once tests.
"""

import pytest

# Their asserts are the tests' own: pytest explains a failing one as it does in a test module
# (registered by name, before they are imported; this package itself holds no assert).
pytest.register_assert_rewrite(
    *(f"{__name__}.{module}" for module in ("async_invocations", "batches", "idempotency", "observability", "stack"))
)
