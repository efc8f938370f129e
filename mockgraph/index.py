"""The index of fixtures and the matcher: which fixture answers an incoming request, and why not.

Routes live in a trie keyed by path segment, so a lookup walks the request's segments and never
the list of fixtures: its cost does not grow with the number of fixtures. Only a miss scans, to
explain itself with the nearest routes and what differed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from .models import Fixture, JsonValue
from .paths import is_placeholder, segments, split_version

# Methods a Graph client can send; anything else is refused before matching.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Route:
    """One path template a fixture is served at."""

    name: str  # the fixture's file name, relative to the fixtures folder
    fixture: Fixture
    template: str
    pattern: tuple[str | None, ...]  # case-folded literal segments; None matches any segment
    # What tells examples of one endpoint apart: the documented body's shape, query and Prefer header.
    body_keys: frozenset[str]
    query_tokens: frozenset[str]
    prefer_tokens: frozenset[str]
    path_tokens: frozenset[str]  # the documented path's segments: example ids tell examples apart

    @property
    def method(self) -> str:
        return self.fixture.request.method

    @property
    def version(self) -> str | None:
        return self.fixture.request.version


@dataclass(frozen=True)
class Incoming:
    """What the matcher needs of an incoming request."""

    method: str
    raw_path: str  # as sent, still percent-encoded
    query: str = ""
    json: JsonValue = None  # the parsed body, where it is JSON
    prefer: str = ""  # the Prefer header: `return=representation` and `return=minimal` examples differ


@dataclass(frozen=True)
class Difference:
    field: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True)
class Match:
    route: Route
    segments: tuple[str, ...]  # the request's path segments, as compared
    # The only route for the method at this path: the method and path alone chose it, so the body,
    # query and Prefer header could not have changed the match (callers may remember it by path).
    unique: bool = False

    def __bool__(self) -> bool:
        return True

    @property
    def params(self) -> dict[str, str]:
        """Template placeholder -> the segment sent in its place; worked out only when asked for."""
        return _params(self.route, self.segments)


@dataclass(frozen=True)
class Miss:
    """No fixture answers; `allowed` is set where the path exists under other methods."""

    nearest: tuple[tuple[Route, tuple[Difference, ...]], ...] = ()
    allowed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return False


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    wildcard: _Node | None = None
    routes: list[Route] = field(default_factory=list)


class FixtureIndex:
    """Routes of a set of fixtures, looked up by method, version and path."""

    def __init__(self, fixtures: Mapping[str, Fixture]) -> None:
        self._root = _Node()
        self.routes: list[Route] = []
        for name, fixture in fixtures.items():
            for route in _routes_of(name, fixture):
                self._insert(route)
        self.fixture_count = len(fixtures)

    def add(self, name: str, fixture: Fixture) -> None:
        """Serve `fixture` as `name` from now on, in place of any fixture of that name."""
        replaced = any(route.name == name for route in self.routes)
        if replaced:
            self._remove(name)
        for route in _routes_of(name, fixture):
            self._insert(route)
        self.fixture_count += not replaced

    def _remove(self, name: str) -> None:
        self.routes = [route for route in self.routes if route.name != name]
        stack = [self._root]
        while stack:
            node = stack.pop()
            node.routes = [route for route in node.routes if route.name != name]
            stack.extend(node.literals.values())
            stack.extend([node.wildcard] if node.wildcard else [])

    def _insert(self, route: Route) -> None:
        node = self._root
        for segment in route.pattern:
            if segment is None:
                node.wildcard = node.wildcard or _Node()
                node = node.wildcard
            else:
                node = node.literals.setdefault(segment, _Node())
        node.routes.append(route)
        self.routes.append(route)

    def match(self, request: Incoming) -> Match | Miss:
        version, path = split_version(request.raw_path)
        wanted = segments(path)
        allowed: set[str] = set()
        for routes in self._leaves(self._root, wanted, 0):
            fitting = [r for r in routes if _version_fits(r.version, version)]
            same_method = [r for r in fitting if r.method == request.method]
            if same_method:
                route = _nearest_example(same_method, request, version)
                return Match(route, tuple(wanted), unique=len(same_method) == 1)
            allowed.update(r.method for r in fitting)
        return Miss(self.nearest(request), tuple(sorted(allowed)))

    def _leaves(self, node: _Node, wanted: list[str], depth: int) -> Iterator[list[Route]]:
        """Route lists of every node that matches `wanted`, literal segments before wildcards."""
        if depth == len(wanted):
            if node.routes:
                yield node.routes
            return
        child = node.literals.get(wanted[depth])
        if child is not None:
            yield from self._leaves(child, wanted, depth + 1)
        if node.wildcard is not None:
            yield from self._leaves(node.wildcard, wanted, depth + 1)

    def nearest(self, request: Incoming, limit: int = 3) -> tuple[tuple[Route, tuple[Difference, ...]], ...]:
        """The routes closest to `request` with what differs, closest first (scans: misses only)."""
        version, path = split_version(request.raw_path)
        wanted = segments(path)
        scored = []
        for route in self.routes:
            differences = tuple(_differences(route, request.method, version, path, wanted))
            scored.append((_distance(differences), route.name, route.template, route, differences))
        scored.sort(key=lambda item: item[:3])
        seen: set[tuple[str, str]] = set()
        nearest: list[tuple[Route, tuple[Difference, ...]]] = []
        for _, name, template, route, differences in scored:
            if (name, template) not in seen and len(nearest) < limit:
                seen.add((name, template))
                nearest.append((route, differences))
        return tuple(nearest)


def _routes_of(name: str, fixture: Fixture) -> Iterable[Route]:
    request = fixture.request
    templates = request.routes or (request.path,)
    keys = frozenset(_shape(request.body.json)) if request.body.is_json else frozenset()
    query = frozenset(_query_tokens(request.query))
    prefer = frozenset(_prefer_tokens(next((v for k, v in request.headers if k.lower() == "prefer"), "")))
    path_tokens = frozenset(segments(request.path))
    seen: set[tuple[str | None, ...]] = set()
    for template in templates:
        pattern = tuple(None if is_placeholder(s) else seg for s, seg in zip(_raw(template), segments(template)))
        if pattern not in seen:
            seen.add(pattern)
            yield Route(name, fixture, template, pattern, keys, query, prefer, path_tokens)


def _raw(template: str) -> list[str]:
    return [s for s in template.split("/") if s]


def _version_fits(route_version: str | None, request_version: str | None) -> bool:
    return route_version is None or request_version is None or route_version == request_version


def _params(route: Route, wanted: Sequence[str]) -> dict[str, str]:
    return {raw.strip("{}").strip(): sent for raw, sent, lit in zip(_raw(route.template), wanted, route.pattern) if lit is None}


def _nearest_example(routes: list[Route], request: Incoming, version: str | None) -> Route:
    """Among examples of one endpoint, the one whose documented body, query, Prefer header, path
    (its example ids) and version are nearest the request's; ties go to the first in name order.
    An example whose body and query are the request's own is nearest of all (recordings of one
    endpoint often differ in values only)."""
    if len(routes) == 1:
        return routes[0]
    exact = [r for r in routes if r.fixture.request.body.json == request.json and r.fixture.request.query == request.query]
    if len(exact) == 1:
        return exact[0]
    routes = exact or routes
    body = frozenset(_shape(request.json))
    query = frozenset(_query_tokens(request.query))
    prefer = frozenset(_prefer_tokens(request.prefer))
    path = frozenset(segments(split_version(request.raw_path)[1]))

    def closeness(route: Route) -> float:
        return (
            _jaccard(body, route.body_keys)
            + _jaccard(query, route.query_tokens)
            + _jaccard(prefer, route.prefer_tokens)
            + _jaccard(path, route.path_tokens)
            + 0.1 * (route.version == version)
        )

    return max(routes, key=closeness)


def _shape(value: Any, prefix: str = "") -> Iterator[str]:
    """Key paths of a JSON value; `@odata.type` values count, as they tell example variants apart."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}/{key}"
            yield path
            if key == "@odata.type":
                yield f"{path}={item}"
            yield from _shape(item, path)
    elif isinstance(value, list):
        for item in value:
            yield from _shape(item, prefix + "/*")


def _query_tokens(query: str) -> Iterator[str]:
    """`$select=a,b&$top=5` -> $select, $select=a, $select=b, $top, $top=5 (case-folded, decoded)."""
    for part in query.split("&"):
        name, _, value = unquote_plus(part).partition("=")
        if name:
            yield name.casefold()
            for item in value.split(","):
                if item.strip():
                    yield f"{name}={item.strip()}".casefold()


def _prefer_tokens(prefer: str) -> Iterator[str]:
    for part in prefer.split(","):
        if part.strip():
            yield part.strip().casefold()


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _differences(route: Route, method: str, version: str | None, path: str, wanted: list[str]) -> Iterator[Difference]:
    if route.method != method:
        yield Difference("method", route.method, method)
    if not _version_fits(route.version, version):
        yield Difference("version", route.version or "any", version or "none")
    if len(route.pattern) != len(wanted):
        yield Difference("path", f"{route.template} ({len(route.pattern)} segments)", f"{path} ({len(wanted)} segments)")
    for position, (literal, sent) in enumerate(zip(route.pattern, wanted), start=1):
        if literal is not None and literal != sent:
            yield Difference(f"path segment {position}", repr(literal), repr(sent))


def _distance(differences: tuple[Difference, ...]) -> int:
    weights = {"method": 2, "version": 3, "path": 4}
    return sum(weights.get(d.field, 2) for d in differences)
