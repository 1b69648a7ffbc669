"""The GraphQL API's contract: each field's arguments and result, validated on the way in and
out (fields.py).

AppSync checks every request against schema.graphql before the function runs; that schema is
generated from these models (``make schema``, scripts/graphql_schema.py) and a test fails when
the two drift. GraphQL can say "a string" or "an Int" but not "1 to 100 characters": those rules
are the resolver's, and the schema's descriptions state them for clients.

Python names are snake_case; GraphQL's are their camelCase aliases, the only names arguments
are accepted by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .items import ITEM_ID_PATTERN, ItemName, Quantity

# The AppSync scalar of a string whose JSON schema type alone does not say it (graphql_schema.py).
ID = Field(json_schema_extra={"graphql": "ID"})

ItemId = Annotated[str, Field(pattern=ITEM_ID_PATTERN), ID]
PageSize = Annotated[int, Field(ge=1, le=100, strict=True)]
DEFAULT_PAGE_SIZE = 20
# What repository.py issues: URL-safe base64 of the table's last key, without padding.
NextToken = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z0-9_-]+$")]
# As an Idempotency-Key header of the REST API: printable ASCII without spaces, e.g. a UUID.
IdempotencyKey = Annotated[str, Field(pattern=r"^[!-~]{1,255}$")]


class Arguments(BaseModel):
    """A field's arguments, by their GraphQL names only, and nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


class GetItemArguments(Arguments):
    item_id: ItemId


class ListItemsArguments(Arguments):
    limit: PageSize | None = Field(default=None, description=f"Items in the page; {DEFAULT_PAGE_SIZE} when not given")
    next_token: NextToken | None = Field(
        default=None, description="The previous page's nextToken; none for the first page"
    )


class CreateItemInput(BaseModel):
    """The item to create."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ItemName
    quantity: Quantity


class CreateItemArguments(Arguments):
    input: CreateItemInput
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="One unique key per item you mean to create, the same on every retry of it: "
        "a retry gets the first answer",
    )


class Result(BaseModel):
    """What a field answers. Instances are validated again too: one built without validation
    must not reach a caller."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, validate_by_name=True, revalidate_instances="always"
    )


class Item(Result):
    """An item of the inventory."""

    item_id: ItemId
    name: ItemName
    quantity: Quantity
    created_at: AwareDatetime = Field(description="When it was created, with its UTC offset")


class ItemPage(Result):
    """A page of items, in the table's order (not sorted)."""

    items: list[Item]
    next_token: NextToken | None = Field(default=None, description="Pass it to get the next page; null on the last")


class CreateAttempt(BaseModel):
    """What makes two creates the same: one caller, one key, one input (idempotency in fields.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    caller: str
    key: IdempotencyKey
    request: CreateItemInput


@dataclass(frozen=True)
class GraphQLField:
    """A field of the schema's Query or Mutation type, resolved by the function."""

    parent: str
    name: str
    arguments: type[Arguments]
    result: Any  # the type of the result, e.g. Item | None (None: null)
    description: str


FIELDS = (
    GraphQLField("Query", "getItem", GetItemArguments, Item | None, "The item with this id; null when there is none."),
    GraphQLField("Query", "listItems", ListItemsArguments, ItemPage, "A page of the items."),
    GraphQLField("Mutation", "createItem", CreateItemArguments, Item, "Creates an item."),
)


class ErrorDetail(BaseModel):
    location: str  # an argument, e.g. input.quantity
    message: str


class FieldError(BaseModel):
    """A request the function refuses: the GraphQL error's type, message and details, never
    a stack trace (graphql/resolver.js turns it into the error the caller gets)."""

    type: str
    message: str
    errors: list[ErrorDetail] = []
