"""OData query options over entities the stateful mode holds: `$filter`, `$orderby` and `$select`.

Graph evaluates these on its side; a mock that holds entities must too, or a test's query would get
a full list back and pass by luck. So whatever cannot be evaluated here is refused with `ODataError`
naming the part (`any(...)`, `$search`, an unknown function), which the state answers as Graph's
400: a query is evaluated exactly, or not at all.

`$filter` takes `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `in`, `and`, `or`, `not`, parentheses,
`startswith`, `endswith` and `contains`, over property paths (`from/emailAddress/address`) and
literals: strings (`'it''s'`), numbers, `true`/`false`, `null`, GUIDs, dates and date-times.
String comparisons ignore case, as Graph's directory does; a date literal compares as a point in
time with a property's ISO 8601 string. Parsing is a small recursive descent, bounded in depth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

# The query options a stateful collection evaluates (paging.py does $top, $skip, $skiptoken, $count).
EVALUATED = frozenset({"$filter", "$orderby", "$select"})
# Query options it cannot evaluate: answered 400, never ignored.
REFUSED = frozenset({"$search", "$expand", "$apply", "$compute"})
MAX_DEPTH = 32  # nesting of parentheses and `not`

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PROPERTY = re.compile(r"^[A-Za-z_@][\w.@]*(/[A-Za-z_@][\w.@]*)*$")
_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
_FUNCTIONS = ("startswith", "endswith", "contains")

Predicate = Callable[[Mapping[str, Any]], bool]


class ODataError(ValueError):
    """A query option the stateful mode cannot evaluate; `part` is the piece at fault, as sent."""

    def __init__(self, option: str, part: str, why: str) -> None:
        super().__init__(f"{option}: cannot evaluate {part!r}: {why}")
        self.option = option
        self.part = part
        self.why = why


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Property:
    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path.split("/")

    def of(self, entity: Mapping[str, Any]) -> Any:
        value: Any = entity
        for name in self.path:
            if not isinstance(value, Mapping):
                return None
            value = _get(value, name)
        return value


def _get(entity: Mapping[str, Any], name: str) -> Any:
    """A property by name; Graph's property names are case-insensitive in queries."""
    if name in entity:
        return entity[name]
    folded = name.casefold()
    for key, value in entity.items():
        if key.casefold() == folded:
            return value
    return None


# ------------------------------------------------------------------------------------- $filter


def parse_filter(text: str) -> Predicate:
    """A predicate over entities for a `$filter` expression; ODataError where it cannot be evaluated."""
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    predicate = parser.expression(0)
    if parser.position < len(tokens):
        raise ODataError("$filter", tokens[parser.position], "unexpected here")
    return predicate


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise ODataError("$filter", text[position:], "not a token of a filter expression")
        tokens.append(found.group().strip())
        position = found.end()
    if not tokens:
        raise ODataError("$filter", text, "an empty expression")
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise ODataError("$filter", self.text, f"ends early{f', expected {expected!r}' if expected else ''}")
        if expected is not None and token.lower() != expected:
            raise ODataError("$filter", token, f"expected {expected!r}")
        self.position += 1
        return token

    def expression(self, depth: int) -> Predicate:
        if depth > MAX_DEPTH:
            raise ODataError("$filter", self.text, f"nests deeper than {MAX_DEPTH} levels")
        left = self.conjunction(depth)
        while (token := self.peek()) is not None and token.lower() == "or":
            self.take()
            right = self.conjunction(depth)
            left = _or(left, right)
        return left

    def conjunction(self, depth: int) -> Predicate:
        left = self.negation(depth)
        while (token := self.peek()) is not None and token.lower() == "and":
            self.take()
            right = self.negation(depth)
            left = _and(left, right)
        return left

    def negation(self, depth: int) -> Predicate:
        token = self.peek()
        if token is not None and token.lower() == "not":
            self.take()
            inner = self.negation(depth + 1)
            return lambda entity: not inner(entity)
        return self.primary(depth)

    def primary(self, depth: int) -> Predicate:
        token = self.take()
        if token == "(":
            inner = self.expression(depth + 1)
            self.take(")")
            return inner
        if self.peek() == "(":  # a function call
            name = token.lower()
            if name not in _FUNCTIONS:
                raise ODataError("$filter", f"{token}(...)", f"mockgraph evaluates only {', '.join(_FUNCTIONS)}")
            self.take("(")
            subject = self.operand(self.take())
            self.take(",")
            argument = self.operand(self.take())
            self.take(")")
            return _function(name, subject, argument, token)
        if "/any(" in token.lower() or "/all(" in token.lower() or token.lower().endswith(("/any", "/all")):
            raise ODataError("$filter", token, "lambda operators (any, all) are not evaluated by mockgraph")
        left = self.operand(token)
        operator = self.take()
        lowered = operator.lower()
        if lowered == "in":
            self.take("(")
            values = [self.operand(self.take())]
            while self.peek() == ",":
                self.take()
                values.append(self.operand(self.take()))
            self.take(")")
            return _in(left, values)
        if lowered not in _COMPARISONS:
            raise ODataError("$filter", f"{token} {operator}", f"mockgraph evaluates {', '.join(_COMPARISONS)} and in")
        right = self.operand(self.take())
        return _compare(lowered, left, right)

    def operand(self, token: str) -> _Literal | _Property:
        if token in ("(", ")", ","):
            raise ODataError("$filter", token, "expected a property or a value")
        literal = _literal(token)
        if literal is not None:
            return literal
        if "(" in token or not _PROPERTY.match(token):
            raise ODataError("$filter", token, "neither a property nor a value mockgraph reads")
        return _Property(token)


def _literal(token: str) -> _Literal | None:
    if token.startswith("'"):
        return _Literal(token[1:-1].replace("''", "'"))
    lowered = token.lower()
    if lowered in ("true", "false"):
        return _Literal(lowered == "true")
    if lowered == "null":
        return _Literal(None)
    if _NUMBER.match(token):
        return _Literal(float(token) if any(c in token for c in ".eE") else int(token))
    if _GUID.match(token):
        return _Literal(token)
    moment = _moment(token)
    if moment is not None:
        return _Literal(moment)
    return None


def _moment(text: str) -> datetime | None:
    """A date or date-time as a point in time (UTC where no offset is given); None where it is not one."""
    if not (_DATE.match(text) or _DATETIME.match(text)):
        return None
    try:
        value = datetime.fromisoformat(_trim_fraction(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _trim_fraction(text: str) -> str:
    """Graph writes seven fractional digits; Python before 3.11 reads at most six."""
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


def _value(operand: _Literal | _Property, entity: Mapping[str, Any]) -> Any:
    return operand.value if isinstance(operand, _Literal) else operand.of(entity)


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides in one kind (strings case-folded, dates as moments), or None where they differ."""
    if isinstance(left, datetime) or isinstance(right, datetime):
        left = left if isinstance(left, datetime) else _moment(left) if isinstance(left, str) else None
        right = right if isinstance(right, datetime) else _moment(right) if isinstance(right, str) else None
        return None if left is None or right is None else (left, right)
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if isinstance(left, bool) and isinstance(right, bool) else None
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return None


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    pair = _comparable(left, right)
    return pair is not None and pair[0] == pair[1]


def _compare(operator: str, left: _Literal | _Property, right: _Literal | _Property) -> Predicate:
    if operator == "eq":
        return lambda entity: _equal(_value(left, entity), _value(right, entity))
    if operator == "ne":
        return lambda entity: not _equal(_value(left, entity), _value(right, entity))
    test: Callable[[Any, Any], bool] = {
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
    }[operator]

    def ordered(entity: Mapping[str, Any]) -> bool:
        pair = _comparable(_value(left, entity), _value(right, entity))
        return pair is not None and bool(test(*pair))

    return ordered


def _in(left: _Literal | _Property, values: Sequence[_Literal | _Property]) -> Predicate:
    return lambda entity: any(_equal(_value(left, entity), _value(v, entity)) for v in values)


def _function(name: str, subject: _Literal | _Property, argument: _Literal | _Property, shown: str) -> Predicate:
    def test(entity: Mapping[str, Any]) -> bool:
        value, part = _value(subject, entity), _value(argument, entity)
        if not isinstance(value, str) or not isinstance(part, str):
            return False
        value, part = value.casefold(), part.casefold()
        if name == "startswith":
            return value.startswith(part)
        if name == "endswith":
            return value.endswith(part)
        return part in value

    return test


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda entity: left(entity) and right(entity)


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda entity: left(entity) or right(entity)


# ------------------------------------------------------------------------------ $orderby, $select


def parse_orderby(text: str) -> list[tuple[_Property, bool]]:
    """`displayName desc,createdDateTime` -> [(property, descending), ...]."""
    keys: list[tuple[_Property, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError("$orderby", part.strip() or text, "expected a property, then asc or desc")
        if not _PROPERTY.match(words[0]):
            raise ODataError("$orderby", words[0], "not a property")
        keys.append((_Property(words[0]), len(words) == 2 and words[1].lower() == "desc"))
    return keys


def _sort_key(value: Any) -> tuple[int, Any]:
    """Values of one kind compare among themselves; null is the least value, as OData orders it
    (first ascending, last descending)."""
    if value is None:
        return (-1, 0)
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        moment = _moment(value)
        return (2, moment.timestamp()) if moment is not None else (3, value.casefold())
    return (3, str(value))


def order(entities: list[dict[str, Any]], keys: list[tuple[_Property, bool]]) -> list[dict[str, Any]]:
    """Sorted by the keys, the last one first (stable sorts compose)."""
    ordered = list(entities)
    for prop, descending in reversed(keys):
        ordered.sort(key=lambda e, p=prop: _sort_key(p.of(e)), reverse=descending)  # type: ignore[misc]
    return ordered


def parse_select(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if not name or (not re.match(r"^[A-Za-z_@][\w.@]*$", name) and name != "*"):
            raise ODataError("$select", name or text, "expected property names separated by commas")
    return names


def select(entity: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """The selected properties, with the entity's OData annotations (`@odata.type`, `@odata.etag`)."""
    if "*" in names:
        return dict(entity)
    wanted = {name.casefold() for name in names}
    return {k: v for k, v in entity.items() if k.startswith("@odata.") or k.casefold() in wanted}
