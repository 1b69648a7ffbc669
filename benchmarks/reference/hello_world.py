"""The reference: the `sam init` Powertools "Hello World" handler, as a peer ships it.

Logger, Tracer, Metrics and APIGatewayRestResolver with one route. The benchmark imports
this module in the same venv and Python as each baked handler, so the ratio between the
two is about the handlers' own import work.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

app = APIGatewayRestResolver()
tracer = Tracer()
logger = Logger()
metrics = Metrics(namespace="Powertools")


@app.get("/hello")
@tracer.capture_method
def hello() -> dict[str, str]:
    metrics.add_metric(name="HelloWorldInvocations", unit=MetricUnit.Count, value=1)
    logger.info("Hello world API - HTTP 200")
    return {"message": "hello world"}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:  # type: ignore[type-arg]
    return app.resolve(event, context)
