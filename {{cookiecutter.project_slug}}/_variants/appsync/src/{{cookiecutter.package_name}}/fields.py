"""The GraphQL fields (resolvers.py is their entry point). Each field's arguments are
parsed into its model (models.FIELDS), its rules run (logic.py), and its result is checked
against its own model, then answered as graphql/resolver.js expects:

- ``data``: the field's value.
- ``error`` (its ``type``, ``message`` and ``errors``): a request refused for what the caller sent.
  ``BadInput`` (counted as ValidationFailed) for arguments that break their model, a nextToken
  the API did not issue, or an idempotencyKey used before with another input; ``Conflict``
  while the first createItem with the same idempotencyKey is still running (retry it).
- Anything else raises, without its message (which may hold data): Lambda counts the error,
  which alarms and rolls a deployment back, and resolver.js tells the caller only "Internal
  error". A result that breaks its own model is counted as ResponseValidationFailed first: it
  is never sent (fail closed).

``createItem`` with an ``idempotencyKey`` creates once per caller and key (Powertools
idempotency, items.py): a retry with the same input gets the first answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import AppSyncResolver
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import TypeAdapter, ValidationError

from . import idempotency, items, logic, tracing
from .models import (
    FIELDS,
    Arguments,
    CreateAttempt,
    CreateItemArguments,
    CreateItemInput,
    ErrorDetail,
    FieldError,
    GetItemArguments,
    GraphQLField,
    Item,
    ItemPage,
    ListItemsArguments,
)
from .repository import InvalidTokenError, ItemRepository, dynamodb_client
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import AppSyncResolverEvent
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
BAD_INPUT = "BadInput"
CONFLICT = "Conflict"
# A role's session (arn:...:assumed-role/<role>/<session>): a retry may come from another one.
ROLE_SESSION = re.compile(r"^(arn:[^:]+:sts::\d{12}:assumed-role/[^/]+)/[^/]+$")

app = AppSyncResolver()  # type: ignore[no-untyped-call]
RESULTS = {field: TypeAdapter(field.result) for field in FIELDS}
# What resolves each field, by (type, field) name: the fields of schema.graphql, all of them.
RESOLVED: dict[tuple[str, str], Callable[..., Any]] = {}


class RefusedError(Exception):
    """A request refused for what the caller sent: answered as a typed GraphQL error."""

    def __init__(
        self, kind: str, message: str, details: list[ErrorDetail] | None = None, *, bad_input: bool = True
    ) -> None:
        super().__init__(message)
        self.error = FieldError(type=kind, message=message, errors=details or [])
        self.bad_input = bad_input  # counted as ValidationFailed; a Conflict is not


class FieldFailedError(RuntimeError):
    """A field failed (a bug or AWS): raised, never answered. Its message names no data."""


class UnknownCallerError(FieldFailedError):
    """No identity in the request: the API's authorization always gives one."""


def bad_input(message: str, location: str, detail: str) -> RefusedError:
    return RefusedError(BAD_INPUT, message, [ErrorDetail(location=location, message=detail)])


@cache
def store() -> ItemRepository:
    return ItemRepository(settings().table_name)


def parsed(field: GraphQLField, given: dict[str, Any]) -> Arguments:
    try:
        return field.arguments.model_validate(given)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False, include_context=False)
        details = [ErrorDetail(location=".".join(map(str, item["loc"])), message=item["msg"]) for item in problems]
        raise RefusedError(BAD_INPUT, "Arguments do not match the schema", details) from None


def checked(field: GraphQLField, value: Any) -> Any:
    """``value`` as JSON by GraphQL's names, once it fits the field's result model."""
    adapter = RESULTS[field]
    try:
        valid = adapter.validate_python(value)
    except ValidationError as error:
        metrics.add_metric(name="ResponseValidationFailed", unit=MetricUnit.Count, value=1)
        problems = [item["type"] for item in error.errors(include_url=False, include_input=False)]
        logger.error("Result broke its model", errors=problems)
        raise FieldFailedError(f"the result of {field.parent}.{field.name} broke its model") from None
    return adapter.dump_python(valid, mode="json", by_alias=True)


def resolves(parent: str, name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register the function as the resolver of ``parent.name``: it gets the arguments parsed
    into the field's model, and what it returns is checked against the field's result model."""
    [field] = [field for field in FIELDS if (field.parent, field.name) == (parent, name)]

    def register(resolve: Callable[[Any], Any]) -> Callable[[Any], Any]:
        traced = tracing.capture_method(resolve)

        def resolver(**given: Any) -> Any:
            logger.append_keys(field=f"{parent}.{name}")  # on every line of this invocation (resolvers.py)
            return checked(field, traced(parsed(field, given)))

        app.resolver(type_name=parent, field_name=name)(resolver)
        RESOLVED[(parent, name)] = resolve
        return resolve

    return register


@resolves("Query", "getItem")
def get_item(arguments: GetItemArguments) -> Item | None:
    return logic.get_item(arguments.item_id, store())


@resolves("Query", "listItems")
def list_items(arguments: ListItemsArguments) -> ItemPage:
    try:
        return logic.list_items(arguments, store())
    except InvalidTokenError as error:
        raise bad_input(str(error), "nextToken", "Pass the nextToken of the previous page, as it was") from None


def create(request: CreateItemInput) -> Item:
    item = logic.create_item(request, store())
    metrics.add_metric(name="ItemCreated", unit=MetricUnit.Count, value=1)
    logger.info("Item created", item_id=item.item_id)
    return item


@cache
def idempotency_config() -> IdempotencyConfig:
    return items.create_once_config()


@cache
def create_once() -> Callable[..., Item]:
    """``create`` behind Powertools idempotency, built on first use (items.py)."""
    return items.created_once(create, Item, idempotency_config(), settings().idempotency_table, dynamodb_client())


def caller(identity: dict[str, Any] | None) -> str:
    """Who called, as AppSync authenticated them, and the same on every retry, so that two
    callers' keys never meet: a user pool user's ``sub``, or the OIDC provider's (a stack trusts
    one issuer, so a ``sub`` names one user); an identity pool identity; an IAM user, or a role
    whatever its session (all of a role's sessions are one caller)."""
    identity = identity or {}
    if identity.get("sub"):
        return f"cognito:{identity['sub']}"
    if identity.get("cognitoIdentityId"):
        return f"cognito-identity:{identity['cognitoIdentityId']}"
    if identity.get("userArn"):
        return "iam:" + ROLE_SESSION.sub(r"\1", str(identity["userArn"]))
    raise UnknownCallerError("the request carries no caller identity")


def repeat_refused(error: Exception) -> RefusedError | None:
    """What a repeated idempotencyKey answers, or None: the error is not one."""
    if idempotency.is_payload_conflict(error):
        return bad_input("idempotencyKey was used with another input", "idempotencyKey", "A new item needs a new key")
    if idempotency.is_in_progress(error):
        message = "A createItem with this idempotencyKey is in progress; retry it shortly"
        return RefusedError(CONFLICT, message, bad_input=False)
    return None


@resolves("Mutation", "createItem")
def create_item(arguments: CreateItemArguments) -> Item:
    if arguments.idempotency_key is None:
        return create(arguments.input)
    # app.resolve sets both before it calls a resolver.
    event, context = cast("AppSyncResolverEvent", app.current_event), cast("LambdaContext", app.lambda_context)
    idempotency_config().register_lambda_context(context)
    who = caller(event.get("identity"))
    attempt = CreateAttempt(caller=who, key=arguments.idempotency_key, request=arguments.input)
    try:
        return create_once()(attempt=attempt)
    except Exception as error:
        refusal = repeat_refused(error)
        if refusal is None:
            raise
        raise refusal from None


def refusal_answer(refusal: RefusedError) -> dict[str, Any]:
    """A refused request: counted when it is bad input, logged at INFO without any value."""
    if refusal.bad_input:
        metrics.add_metric(name="ValidationFailed", unit=MetricUnit.Count, value=1)
    locations = [detail.location for detail in refusal.error.errors]
    logger.info("Request refused", type=refusal.error.type, reason=refusal.error.message, locations=locations)
    return {"error": refusal.error.model_dump()}


def answer(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The field's value as ``data``, a refusal as ``error``; anything else raises."""
    try:
        return {"data": app.resolve(event, context)}
    except RefusedError as refusal:
        return refusal_answer(refusal)
    except FieldFailedError as failure:
        logger.error("Field failed", reason=str(failure))  # its message names no data
        raise
    except Exception as error:
        logger.exception("Field failed")
        raise FieldFailedError(f"{type(error).__name__}: the field failed (see the function's log)") from None
