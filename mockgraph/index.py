"""The index of fixtures and the matcher: which fixture answers an incoming request, and why not.

Routes live in a trie keyed by path segment, so a lookup walks the request's segments and never
the list of fixtures: its cost does not grow with the number of fixtures. Only a miss scans, to
explain itself with the nearest routes and what differed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote_plus

import msgspec

from .models import Fixture, Headers, JsonValue
from .paths import is_placeholder, segments, split_version

# Methods a Graph client can send; anything else is refused before matching.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Request headers Graph's answer depends on, so documented examples differ by them: an upload
#: fragment's `Content-Range` (202, more to come; 201, the last one), a localised branding's
#: `Accept-Language`, advanced queries' `ConsistencyLevel`, conditional writes' `If-Match`. Prefer
#: is matched too, through `Incoming.prefer`.
MATCHED_HEADERS = (
    "accept-language",
    "consistencylevel",
    "content-language",
    "content-range",
    "if-match",
    "if-none-match",
    "range",
)


class Route(msgspec.Struct, frozen=True, dict=True):
    """One path template a fixture is served at. What tells examples of one endpoint apart (the
    documented body's shape, query, headers and path) is worked out on first use: only an endpoint
    with several examples, or a miss, asks, and a server of 10,000 fixtures starts sooner without it.
    A Struct, built in C, as the fixture is; `dict=True` gives the worked-out tokens a place."""

    name: str  # the fixture's file name, relative to the fixtures folder
    fixture: Fixture
    template: str
    pattern: tuple[str | None, ...]  # case-folded literal segments; None matches any segment

    @cached_property
    def body_keys(self) -> frozenset[str]:
        body = self.fixture.request.body
        return frozenset(_shape(body.json)) if body.is_json else _NONE

    @cached_property
    def query_tokens(self) -> frozenset[str]:
        query = self.fixture.request.query
        return frozenset(_query_tokens(query)) if query else _NONE

    @cached_property
    def prefer_tokens(self) -> frozenset[str]:
        prefer = next((v for k, v in self.fixture.request.headers if k.lower() == "prefer"), "")
        return frozenset(_prefer_tokens(prefer)) if prefer else _NONE

    @cached_property
    def path_tokens(self) -> frozenset[str]:
        """The documented path's segments: example ids tell examples apart."""
        return frozenset(segments(self.fixture.request.path))

    @cached_property
    def header_tokens(self) -> frozenset[str]:
        """The documented MATCHED_HEADERS (see `_header_tokens`)."""
        documented = tuple((k.lower(), v) for k, v in self.fixture.request.headers if k.lower() in MATCHED_HEADERS)
        return frozenset(_header_tokens(documented)) if documented else _NONE

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
    # The request's MATCHED_HEADERS, (lower-case name, value) pairs: `FixtureIndex.matched_headers`.
    headers: Headers = ()


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
    # query and headers could not have changed the match (callers may remember it by path).
    unique: bool = False
    # The examples of the endpoint `route` was chosen from (every route for the method at the
    # path's most literal leaf): what `Prefer: example=` and `code=` choose from (`choose_example`).
    candidates: tuple[Route, ...] = ()
    request: Incoming | None = field(default=None, compare=False)

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


class _Node(msgspec.Struct):  # a Struct copies its empty {} and [] for each node, as default_factory would
    literals: dict[str, _Node] = {}
    wildcard: _Node | None = None
    routes: list[Route] = []


class FixtureIndex:
    """Routes of a set of fixtures, looked up by method, version and path."""

    def __init__(self, fixtures: Mapping[str, Fixture]) -> None:
        self._root = _Node()
        self.routes: list[Route] = []
        self._header_names: tuple[str, ...] | None = None  # worked out on first use
        for name, fixture in fixtures.items():
            for route in _routes_of(name, fixture):
                self._insert(route)
        self.fixture_count = len(fixtures)

    @property
    def header_names(self) -> tuple[str, ...]:
        """The MATCHED_HEADERS some fixture documents: only those can change a match. Worked out
        once, and again after an `add`."""
        if self._header_names is None:
            # Names only: working out each route's header tokens here took most of creating a server.
            documented = {name.lower() for route in self.routes for name, _ in route.fixture.request.headers}
            self._header_names = tuple(name for name in MATCHED_HEADERS if name in documented)
        return self._header_names

    def matched_headers(self, headers: Mapping[str, str]) -> Headers:
        """What of a request's headers (a case-insensitive mapping, such as aiohttp's) the matcher
        weighs: the MATCHED_HEADERS that some fixture documents, as (lower-case name, value)."""
        names = self.header_names
        if not names:  # the usual case: no fixture tells its examples apart by a header
            return ()
        return tuple((name, value) for name in names if (value := headers.get(name)) is not None)

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
                child = node.literals.get(segment)
                if child is None:  # not setdefault, which would build a node for every segment of every route
                    child = node.literals[segment] = _Node()
                node = child
        node.routes.append(route)
        self.routes.append(route)
        self._header_names = None

    def match(self, request: Incoming) -> Match | Miss:
        version, path = split_version(request.raw_path)
        wanted = segments(path)
        allowed: set[str] = set()
        for routes in self._leaves(self._root, wanted, 0):
            fitting = [r for r in routes if _version_fits(r.version, version)]
            same_method = [r for r in fitting if r.method == request.method]
            if same_method:
                route = _nearest_example(same_method, request, version)
                return Match(route, tuple(wanted), len(same_method) == 1, tuple(same_method), request)
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


def _routes_of(name: str, fixture: Fixture) -> list[Route]:
    # Run for every fixture at start (10,000 in the benchmark): lists, not generators, which cost more.
    routes: list[Route] = []
    patterns: list[tuple[str | None, ...]] = []  # a page's forms of one operation may share a pattern
    for template in fixture.request.routes or (fixture.request.path,):
        folded = segments(template)
        if "{" in template:  # placeholders match any segment: None in their place
            pattern = tuple([None if is_placeholder(s) else seg for s, seg in zip(_raw(template), folded)])
        else:
            pattern = tuple(folded)
        if pattern not in patterns:
            patterns.append(pattern)
            routes.append(Route(name, fixture, template, pattern))
    return routes


_NONE: frozenset[str] = frozenset()


def _raw(template: str) -> list[str]:
    return list(filter(None, template.split("/")))


def _version_fits(route_version: str | None, request_version: str | None) -> bool:
    return route_version is None or request_version is None or route_version == request_version


def _params(route: Route, wanted: Sequence[str]) -> dict[str, str]:
    return {raw.strip("{}").strip(): sent for raw, sent, lit in zip(_raw(route.template), wanted, route.pattern) if lit is None}


def _nearest_example(routes: Sequence[Route], request: Incoming, version: str | None) -> Route:
    """Among examples of one endpoint, the one whose documented body, query, headers (Prefer and the
    MATCHED_HEADERS), path (its example ids) and version are nearest the request's; ties go to the
    first in name order. An example whose body, query and headers are the request's own is nearest
    of all (recordings of one endpoint often differ in values only), and one that documents the very
    ids sent beats one documenting others or placeholders."""
    if len(routes) == 1:
        return routes[0]
    path = frozenset(segments(split_version(request.raw_path)[1]))
    literal = [r for r in routes if r.path_tokens == path]
    if literal and len(literal) < len(routes):
        routes = literal  # the ids sent are the ones these examples document
        if len(routes) == 1:
            return routes[0]
    headers = frozenset(_header_tokens(request.headers))
    exact = [
        r
        for r in routes
        if r.fixture.request.body.json == request.json and r.fixture.request.query == request.query and r.header_tokens == headers
    ]
    if len(exact) == 1:
        return exact[0]
    routes = exact or routes
    body = frozenset(_shape(request.json))
    query = frozenset(_query_tokens(request.query))
    prefer = frozenset(_prefer_tokens(request.prefer))

    def closeness(route: Route) -> float:
        return (
            _jaccard(body, route.body_keys)
            + _jaccard(query, route.query_tokens)
            + _jaccard(prefer, route.prefer_tokens)
            + _jaccard(headers, route.header_tokens)
            + _jaccard(path, route.path_tokens)
            + 0.1 * (route.version == version)
        )

    return max(routes, key=closeness)


# ------------------------------------------------------------------------ choosing an example


@dataclass(frozen=True)
class Unchosen:
    """`Prefer: example=` or `code=` chose no example of the endpoint: why, and the examples (or
    statuses) the request could choose instead. Falsy, like a Miss; the answer is a 400."""

    message: str
    choices: tuple[str, ...]

    def __bool__(self) -> bool:
        return False


def preference(prefer: str) -> tuple[str | None, str | None]:
    """The `example=` and `code=` preferences of a Prefer header (RFC 7240: comma-separated,
    values optionally quoted, parameters after `;`), as (example, code); None where absent."""
    found: dict[str, str] = {}
    for part in prefer.split(","):
        name, equals, value = part.partition("=")
        name = name.strip().casefold()
        if equals and name in ("example", "code") and name not in found:
            found[name] = value.partition(";")[0].strip().strip('"').strip()
    return found.get("example"), found.get("code")


def choose_example(match: Match, prefer: str) -> Route | Unchosen:
    """The route that answers `match`'s request given its Prefer header: the matcher's own choice,
    unless `example=<name>` (an example's annotation name, or its fixture's name) or `code=<status>`
    picks another of the endpoint's examples (both together: an example with that name and status).
    Several fitting examples: the nearest. None: an Unchosen listing what would have fitted."""
    example, code = preference(prefer) if prefer else (None, None)
    if example == "":
        example = None
    if example is None and code is None:
        return match.route
    routes = list(match.candidates) or [match.route]
    if example is not None:
        routes = [r for r in routes if _named(r, example)]
        if not routes:
            names = example_labels(match.candidates or (match.route,))
            return Unchosen(f"No example named {example!r} answers this request; it matches {_listed(names)}.", names)
    if code is not None:
        fitting = [r for r in routes if str(r.fixture.response.status) == code]
        if not fitting:
            codes = tuple(sorted({str(r.fixture.response.status) for r in routes}))
            which = f"example {example!r}" if example is not None else "this request"
            return Unchosen(f"No example of status {code!r} answers {which}; documented: {', '.join(codes)}.", codes)
        routes = fitting
    if match.route in routes:
        return match.route
    if len(routes) == 1 or match.request is None:
        return routes[0]
    return _nearest_example(routes, match.request, split_version(match.request.raw_path)[0])


def example_labels(routes: Sequence[Route]) -> tuple[str, ...]:
    """What `Prefer: example=` calls each of `routes` so that it picks that one alone: its
    annotation name where no other route answers to it, else the shortest end of its fixture's
    name (`recent_notebooks-2`, `beta/page/recent_notebooks`) that only it has."""
    return tuple(dict.fromkeys(_label(route, routes) for route in routes))


def _label(route: Route, routes: Sequence[Route]) -> str:
    parts = route.name.removesuffix(".json").split("/")
    tried = [route.fixture.source.example] if route.fixture.source.example else []
    tried += ["/".join(parts[k:]) for k in range(len(parts) - 1, -1, -1)]
    for label in tried:
        if [r.name for r in routes if _named(r, label)] == [route.name]:
            return label
    return route.name.removesuffix(".json")


def _named(route: Route, wanted: str) -> bool:
    """Whether `Prefer: example=<wanted>` names the route: its annotation name, its fixture's name
    or an end of it at a `/` (`.json` optional), compared without case."""
    wanted = wanted.casefold().removesuffix(".json")
    name = route.name.casefold().removesuffix(".json")
    return wanted == route.fixture.source.example.casefold() or name == wanted or name.endswith("/" + wanted)


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "no named example"


def signature(request: Incoming) -> Hashable:
    """All the matcher sees of a request: two requests of one signature reach the same example,
    whatever the rules, so only `Prefer: example=` can tell their examples apart."""
    version, path = split_version(request.raw_path)
    return (
        request.method,
        version,
        tuple(segments(path)),
        frozenset(_query_tokens(request.query)),
        json.dumps(request.json, sort_keys=True),
        frozenset(_header_tokens(request.headers)),
        frozenset(_prefer_tokens(request.prefer)),
    )


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
    """Prefer's preferences, less `example=` and `code=`, which choose an example, not match one."""
    for part in prefer.split(","):
        token = part.strip().casefold()
        if token and not token.startswith(("example=", "code=")):
            yield token


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _header_tokens(headers: Headers) -> Iterator[str]:
    """`Accept-Language: fr-FR` -> accept-language, accept-language=fr-fr; each item of a list
    value its own token, parameters (`;q=0.8`) left out. An upload fragment's Content-Range also
    says whether it is the last (`content-range:last`) or more follow (`content-range:more`), so a
    client's own ranges find the 202 or the 201 example."""
    for name, value in headers:
        name = name.lower()
        yield name
        folded = " ".join(value.split()).casefold()
        yield f"{name}={folded}"
        if name == "content-range":
            if m := _CONTENT_RANGE.fullmatch(folded):
                yield f"{name}:last" if m[3] != "*" and int(m[2]) + 1 == int(m[3]) else f"{name}:more"
        elif "," in folded or ";" in folded:
            for item in folded.split(","):
                if item := item.partition(";")[0].strip():
                    yield f"{name}={item}"


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
