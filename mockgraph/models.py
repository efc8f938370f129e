"""The data that flows through mockgraph: fixtures and their parts, as frozen values with no I/O.

A fixture is one documented (or recorded) example: the request a client sends, the response the
mock answers with, and the contract the request body is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

#: Any value JSON can hold once parsed.
JsonValue = dict[str, Any] | list[Any] | str | int | float | bool | None

#: Header pairs in the order they were documented or seen; a name may repeat (Set-Cookie).
Headers = tuple[tuple[str, str], ...]

GRAPH_VERSIONS = ("v1.0", "beta")

#: Graph's primitive (Edm) types, lower-case, as property tables name them; any other type is complex.
PRIMITIVE_TYPES = frozenset(
    {
        "string",
        "boolean",
        "int16",
        "int32",
        "int64",
        "byte",
        "sbyte",
        "double",
        "single",
        "decimal",
        "float",
        "datetimeoffset",
        "datetime",
        "date",
        "timeofday",
        "duration",
        "guid",
        "binary",
        "stream",
        "enumeration",
    }
)


# Body, FixtureRequest, FixtureResponse and Fixture are built for every fixture a server loads, so
# they are frozen msgspec Structs, which C builds: loading 10,000 fixtures took half the instructions
# it took with frozen dataclasses (BENCHMARKS.md). Change one with msgspec.structs.replace.
class Body(msgspec.Struct, frozen=True):
    """An HTTP body: parsed JSON where it is JSON, the text as written otherwise."""

    json: JsonValue = None
    text: str | None = None
    is_json: bool = False
    # The text as documented, where that is JSON only to a lenient reader (comments, trailing
    # commas): `json` holds what a client really sends, this what the page says, for lint.
    documented: str | None = None

    @classmethod
    def of_json(cls, value: JsonValue) -> Body:
        return cls(json=value, is_json=True)

    @classmethod
    def of_text(cls, text: str) -> Body:
        return cls(text=text)

    @property
    def empty(self) -> bool:
        return not self.is_json and not self.text


NO_BODY = Body()


@dataclass(frozen=True)
class Source:
    """Where a fixture came from, so a reviewer can find the page and line behind it."""

    kind: str  # "doc" (imported from a documentation page) or "recorded"
    page: str = ""  # the page's path as given to the importer, with forward slashes
    example: str = ""  # the example's name from its annotation
    line: int = 0  # line of the request's annotation, 1-based
    url: str = ""  # the request URL exactly as documented
    annotations: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class FixtureRequest(msgspec.Struct, frozen=True):
    """The documented request and every path it is served at."""

    method: str
    path: str  # without version prefix, e.g. "/me/onlineMeetings"
    version: str | None = None  # "v1.0", "beta", or None when the page states none
    query: str = ""
    headers: Headers = ()
    body: Body = NO_BODY
    # Path templates the example answers at: the documented path plus the page's other forms of
    # the same operation. A segment "{name}" matches any single segment.
    routes: tuple[str, ...] = ()


class FixtureResponse(msgspec.Struct, frozen=True):
    status: int
    headers: Headers = ()
    body: Body = NO_BODY


@dataclass(frozen=True)
class Property:
    """One row of a documented property table."""

    name: str
    type: str  # as documented, without "collection": "String", "DateTimeOffset", "onlineMeeting"
    collection: bool = False
    enum: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class TypeDef:
    """A documented complex type: its name as documented and its property table (inherited rows included)."""

    name: str
    properties: tuple[Property, ...]
    bases: tuple[str, ...] = ()  # the types it derives from, nearest first: ("attachment", "entity")


@dataclass(frozen=True)
class Contract:
    """What a request body is checked against: the documented type, its property table, and the
    tables of the complex types its properties use, so a fixture carries its whole contract.

    The documented request body itself is the fixture's `request.body`.
    """

    type: str | None = None  # e.g. "microsoft.graph.onlineMeeting"
    truncated: bool = False  # the documentation says its example leaves properties out
    # The table was inferred from one recorded request, not documented: a property it lacks may
    # still be valid, so it is a warning rather than an error.
    inferred: bool = False
    properties: tuple[Property, ...] = ()
    types: tuple[TypeDef, ...] = ()
    # A response contract only: the answer is a collection, `{"value": [...]}` of the documented type.
    collection: bool = False

    def type_named(self, name: str) -> TypeDef | None:
        """The nested type called `name` (any case, with or without the microsoft.graph prefix)."""
        wanted = type_key(name)
        return next((t for t in self.types if type_key(t.name) == wanted), None)


def type_key(name: str) -> str:
    """How type names compare: `#microsoft.graph.onlineMeeting` and `onlinemeeting` are one type."""
    return name.lstrip("#").lower().removeprefix("microsoft.graph.")


# range and json (a request body that is JSON only to a lenient reader): doc lint only; throttle: a
# retry before the Retry-After of a throttled answer had elapsed; status: drift only, the real
# service answered another status than the documented one; permission: a call its token's
# permissions would not allow (info: one they allow, for the summary)
FINDING_KINDS = ("type", "unknown", "missing", "enum", "format", "odata", "range", "json", "throttle", "status", "permission")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One difference between a payload and its contract."""

    kind: str  # type, unknown, missing, enum, format, odata
    severity: str  # error, warning, info
    path: str  # JSON Pointer (RFC 6901) into the payload, "" for the whole payload
    expected: str
    actual: str
    message: str


#: The caller types a Permissions table has a row for, as the fixture format names them.
CALLER_TYPES = ("delegatedWork", "delegatedPersonal", "application")

#: The permissions that let one caller type call an operation: alternatives, least privileged
#: first, any one of which is enough; an alternative may need several permissions together
#: ("Policy.Read.All and Policy.ReadWrite.ConditionalAccess"). `()` is "Not supported.", `((),)`
#: "None." (no permission needed).
Grants = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PermissionTable:
    """One documented Permissions table. A caller type the table has no readable row for is None:
    not enforced. A page with several tables scopes each: to some of the operation's path forms
    (`routes`), or to the signed-in user acting on themselves or on others (`who`)."""

    delegated_work: Grants | None = None
    delegated_personal: Grants | None = None
    application: Grants | None = None
    label: str = ""  # the heading above the table, where the page has several
    routes: tuple[str, ...] = ()  # the path forms it applies to; () = all of them
    who: str = ""  # "self", "others", or "" (anyone)

    def grants(self, caller: str) -> Grants | None:
        """The row of a caller type (one of CALLER_TYPES)."""
        return {"delegatedWork": self.delegated_work, "delegatedPersonal": self.delegated_personal, "application": self.application}[caller]


@dataclass(frozen=True)
class Drift:
    """How a recorded answer differs from the documented fixture of the same operation: real
    traffic telling where the documentation is wrong. Shapes are compared, never values."""

    fixture: str  # the documented fixture's name
    findings: tuple[Finding, ...] = ()


class Fixture(msgspec.Struct, frozen=True):
    source: Source
    request: FixtureRequest
    response: FixtureResponse
    contract: Contract = Contract()
    # The documented shape of the answer (the response type's table); None where the page names no
    # response type, and in fixtures written before response contracts existed.
    response_contract: Contract | None = None
    drift: Drift | None = None  # a recording's differences from its documented fixture
    # The operation's documented permissions; () where the page documents none we could read.
    permissions: tuple[PermissionTable, ...] = ()
