"""Stateful mode: entities a test creates live in memory, so what it reads back is what it wrote.

Replay answers every `GET /users/{id}` with the documented Adele Vance; a test of code that creates
a user and reads it back learns nothing from that. In stateful mode this answerer, placed after the
stubs and before the fixtures, keeps the entities a test writes: `POST` to a collection creates one
(the documented answer, the posted properties merged in, a new id, fresh server timestamps), `GET`
reads it or lists the collection (`$filter`, `$orderby`, `$select` by odata.py, paging by paging.py),
`PATCH` merges, `PUT` replaces, `DELETE` removes; an id the store does not hold is Graph's 404.

Which paths are collections and entities is learnt from the documented routes, never listed by
hand (`Model`): a route whose last segment is a key (`/users/{id}`) is an entity path and its
parent (`/users`) a collection; a documented `POST` to a collection is a create; `.../$ref` adds a
reference to a collection of references (`/groups/{id}/members/$ref`). `/me` is `/users/{signed-in
id}`, and the store starts with the signed-in user as documented. Anything else (functions,
actions such as `/sendMail`) passes to the fixtures, which answer as documented.

Writes still answer as their documented operation does (status, headers, `204` or the entity), and
their payloads are checked by the fixtures (`FixtureAnswerer.inspect`): a write the documentation
does not describe passes on, and the fixtures' miss explains it. The store is bounded
(`state-limit` entities): past it a create is answered `507 quotaLimitReached`.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from multidict import CIMultiDict, CIMultiDictProxy

from . import odata, paging
from .errors import BodyError
from .exchange import CONTRACT_HEADER, Answer, Request, graph_error
from .index import Route
from .journal import contract_summary
from .jsonbody import parse_json_body
from .paths import is_directory_collection, segments, split_version

if TYPE_CHECKING:
    from .replay import FixtureAnswerer, Inspected

DEFAULT_LIMIT = 10_000
# Server-set timestamps: refreshed on create (the `created` ones) or on every write (`lastModified`),
# where the documented answer has them.
CREATED_STAMPS = ("createdDateTime", "creationDateTime")
MODIFIED_STAMPS = ("lastModifiedDateTime",)
REF = "$ref"
READ_MEMO = 1024  # documented reads remembered, by collection path (see `_read_fixture`)
_JSON = {"Content-Type": "application/json"}
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "date", "request-id", "client-request-id"})

Pattern = tuple[str | None, ...]  # case-folded literal segments; None is a key
Key = tuple[str, ...]  # a collection's concrete path, case-folded: ("users", "<id>", "onlinemeetings")


# ---------------------------------------------------------------------------------- the model


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    wildcard: _Node | None = None
    pattern: Pattern | None = None


class Model:
    """What the documented routes say about paths: which are collections (and which of those a POST
    creates in), which are entities, which hold references. Literal segments win over keys, as in
    the index, so `/users/delta` stays the function it is."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.entities: set[Pattern] = set()
        self.collections: set[Pattern] = set()
        self.creatable: set[Pattern] = set()
        self.references: set[Pattern] = set()  # collections of references (members)
        known: set[Pattern] = set()
        posts: set[Pattern] = set()
        for route in routes:
            pattern = normalized(route.pattern)
            known.add(pattern)
            if route.method == "POST":
                posts.add(pattern)
            if pattern and pattern[-1] == REF:
                self.references.add(pattern[:-2] if len(pattern) > 1 and pattern[-2] is None else pattern[:-1])
            elif len(pattern) > 1 and pattern[-1] is None:
                self.entities.add(pattern)
                self.collections.add(pattern[:-1])
        self.creatable = {p for p in posts if p in self.collections}
        self._root = _Node()
        for pattern in known | self.collections | self.references | {(*p, REF) for p in self.references}:
            self._insert(pattern)

    def _insert(self, pattern: Pattern) -> None:
        node = self._root
        for segment in pattern:
            if segment is None:
                node.wildcard = node.wildcard or _Node()
                node = node.wildcard
            else:
                node = node.literals.setdefault(segment, _Node())
        node.pattern = pattern

    def match(self, wanted: list[str]) -> Pattern | None:
        """The pattern `wanted` (normalized segments) fits, literal segments first."""
        return _walk(self._root, wanted, 0)


def _walk(node: _Node, wanted: list[str], depth: int) -> Pattern | None:
    if depth == len(wanted):
        return node.pattern
    child = node.literals.get(wanted[depth])
    if child is not None and (found := _walk(child, wanted, depth + 1)) is not None:
        return found
    if node.wildcard is not None and not wanted[depth].startswith("$"):
        return _walk(node.wildcard, wanted, depth + 1)
    return None


def normalized(pattern: Pattern) -> Pattern:
    """`/me/...` is `/users/{signed-in id}/...`."""
    return ("users", None, *pattern[1:]) if pattern[:1] == ("me",) else pattern


# ---------------------------------------------------------------------------------- the store


@dataclass
class _Entry:
    entity: dict[str, Any]
    etag: str


class Store:
    """Entities by collection and id (ids case-folded), in creation order; references by collection."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.collections: dict[Key, dict[str, _Entry]] = {}
        self.references: dict[Key, dict[str, None]] = {}
        self.aliases: dict[Key, dict[str, str]] = {}  # userPrincipalName -> id, both case-folded
        self.where: dict[str, Key] = {}  # id -> its collection, for resolving references
        self.count = 0
        self._versions = itertools.count(1)

    def clear(self) -> None:
        self.collections.clear()
        self.references.clear()
        self.aliases.clear()
        self.where.clear()
        self.count = 0

    def etag(self) -> str:
        return f'W/"{next(self._versions)}"'

    def get(self, key: Key, id_: str) -> _Entry | None:
        held = self.collections.get(key)
        return held.get(id_.casefold()) if held else None

    def put(self, key: Key, entity: dict[str, Any]) -> _Entry:
        id_ = str(entity["id"]).casefold()
        held = self.collections.setdefault(key, {})
        if id_ not in held:
            self.count += 1
        entry = held[id_] = _Entry(entity, self.etag())
        if "@odata.etag" in entity:
            entity["@odata.etag"] = entry.etag
        self.where[id_] = key
        upn = entity.get("userPrincipalName")
        if isinstance(upn, str):
            self.aliases.setdefault(key, {})[upn.casefold()] = id_
        return entry

    def forget_alias(self, key: Key, entity: Mapping[str, Any]) -> None:
        upn = entity.get("userPrincipalName")
        if isinstance(upn, str):
            self.aliases.get(key, {}).pop(upn.casefold(), None)

    def remove(self, key: Key, id_: str) -> None:
        id_ = id_.casefold()
        entry = self.collections.get(key, {}).pop(id_, None)
        if entry is None:
            return
        self.count -= 1
        self.where.pop(id_, None)
        self.forget_alias(key, entry.entity)
        below = (*key, id_)  # what lived under it goes with it
        for child in [k for k in self.collections if k[: len(below)] == below]:
            self.count -= len(self.collections.pop(child))
        for child in [k for k in self.references if k[: len(below)] == below]:
            self.count -= len(self.references.pop(child))

    def resolve(self, wanted: list[str]) -> list[str]:
        """Segments with every alias (a userPrincipalName) replaced by the id it names."""
        if not self.aliases:
            return wanted
        out = list(wanted)
        for i in range(1, len(out)):
            names = self.aliases.get(tuple(out[:i]))
            if names and out[i] in names:
                out[i] = names[out[i]]
        return out


# ---------------------------------------------------------------------------------- the answerer


class StateAnswerer:
    """Answers what the store models; passes the rest (None) to the fixtures."""

    def __init__(self, fixtures: FixtureAnswerer, limit: int = DEFAULT_LIMIT) -> None:
        self.fixtures = fixtures
        self.model = Model(fixtures.lookup.index.routes)
        self.store = Store(limit)
        self.me = ""
        self._reads: dict[tuple[str | None, Key], str | None] = {}
        self._me_entity: dict[str, Any] = {}
        self._seed()

    def _seed(self) -> None:
        """The signed-in user, as `GET /me` is documented (a bare id where it is not)."""
        inspected = self.fixtures.inspect(_synthetic("GET", "/v1.0/me"))
        documented = None if inspected is None or isinstance(inspected, Answer) else _body_of(inspected.route)
        entity = _entity(documented) if isinstance(documented, dict) else {}
        entity.setdefault("id", str(uuid.uuid4()))
        self._me_entity = entity
        self.reset()

    def reset(self) -> None:
        """An empty store but for the signed-in user."""
        self.store.clear()
        entry = self.store.put(("users",), json.loads(json.dumps(self._me_entity)))
        self.me = str(entry.entity["id"]).casefold()

    def concerns(self, request: Request) -> bool:
        return True

    async def answer(self, request: Request) -> Answer | None:
        version, rest = split_version(request.path)
        wanted = segments(rest)
        if not wanted:
            return None
        if wanted[0] == "me":
            wanted = ["users", self.me, *wanted[1:]]
        pattern = self.model.match(wanted)
        if pattern is None:
            return None
        method = request.method
        wanted = self.store.resolve(wanted)
        if pattern[-1] == REF:
            return self._reference(request, pattern, wanted)
        is_entity = pattern in self.model.entities
        if not is_entity and pattern not in self.model.collections and pattern not in self.model.references:
            return None  # a function, an action, a single resource: as documented
        if method not in ("GET", "POST", "PATCH", "PUT", "DELETE") or (is_entity and method == "POST"):
            return None
        if not is_entity and method not in ("GET", "POST"):
            return None
        missing = self._missing_parent(request, pattern, wanted)
        if is_entity:
            if missing is not None:
                return missing
            return await self._on_entity(request, tuple(wanted[:-1]), wanted[-1])
        if method == "POST":
            if pattern not in self.model.creatable:
                return None
            return missing or self._create(request, tuple(wanted))
        return missing or self._list(request, tuple(wanted), version, pattern in self.model.references)

    # ----------------------------------------------------------------------------- reads

    async def _on_entity(self, request: Request, key: Key, id_: str) -> Answer | None:
        entry = self.store.get(key, id_)
        if request.method == "GET":
            if entry is None:
                return self._not_found(request, key, id_)
            try:
                entity = _selected(entry.entity, _options(request))
            except odata.ODataError as exc:
                return self._unevaluated(request, exc)
            return _json_answer(200, entity, {"ETag": entry.etag}, fixture=self._read_fixture(request, key))
        inspected = self.fixtures.inspect(request)
        if isinstance(inspected, Answer):
            return inspected
        if inspected is None:
            return None  # a write the documentation does not describe: the miss says so
        if entry is None:
            return self._not_found(request, key, id_)._replace(fixture=inspected.route.name, findings=inspected.findings)
        stale = _stale(request, entry)
        if stale is not None:
            return stale._replace(fixture=inspected.route.name, findings=inspected.findings)
        if request.method == "DELETE":
            self.store.remove(key, id_)
            return self._documented(request, inspected, None)
        payload = _payload(request)
        if request.method == "PATCH":
            entity = _merged(entry.entity, payload)
        else:  # PUT replaces, keeping what the server sets
            entity = {**{k: v for k, v in entry.entity.items() if k in CREATED_STAMPS or k == "@odata.etag"}, **payload}
            entity["id"] = entry.entity["id"]
        _stamp(entity, MODIFIED_STAMPS)
        self.store.forget_alias(key, entry.entity)
        entry = self.store.put(key, entity)
        return self._documented(request, inspected, entry)

    def _list(self, request: Request, key: Key, version: str | None, references: bool) -> Answer:
        if references:
            items = [self._referenced(id_) for id_ in self.store.references.get(key, {})]
        else:
            items = [entry.entity for entry in self.store.collections.get(key, {}).values()]
        options = _options(request)
        try:
            refused = next((name for name in options if name in odata.REFUSED), None)
            if refused is not None:
                raise odata.ODataError(refused, f"{refused}={options[refused]}", "mockgraph's stateful mode does not evaluate it")
            if "$filter" in options:
                keep = odata.parse_filter(options["$filter"])
                items = [item for item in items if keep(item)]
            if "$orderby" in options:
                items = odata.order(items, odata.parse_orderby(options["$orderby"]))
            names = odata.parse_select(options["$select"]) if "$select" in options else None
        except odata.ODataError as exc:
            return self._unevaluated(request, exc)
        context = f"{request.base_url}/{version or 'v1.0'}/$metadata#{'/'.join(key)}"
        body = paging.page({"@odata.context": context, "value": items}, request, self.fixtures.page_size)
        if isinstance(body, Answer):
            return body._replace(by="state")
        if names is not None:
            body["value"] = [odata.select(item, names) for item in body["value"]]
        return _json_answer(200, body, fixture=self._read_fixture(request, key))

    def _read_fixture(self, request: Request, key: Key) -> str | None:
        """The documented read a GET stands for, named in the journal (and coverage); a read has no
        payload to check, so the name is remembered by the collection's path and version."""
        memo = (split_version(request.path)[0], key)
        if memo not in self._reads:
            if len(self._reads) >= READ_MEMO:
                self._reads.pop(next(iter(self._reads)))
            inspected = self.fixtures.inspect(_synthetic("GET", request.path))
            self._reads[memo] = inspected.route.name if inspected is not None and not isinstance(inspected, Answer) else None
        return self._reads[memo]

    def _referenced(self, id_: str) -> dict[str, Any]:
        key = self.store.where.get(id_)
        entry = self.store.get(key, id_) if key is not None else None
        return entry.entity if entry is not None else {"@odata.type": "#microsoft.graph.directoryObject", "id": id_}

    # ----------------------------------------------------------------------------- writes

    def _create(self, request: Request, key: Key) -> Answer | None:
        inspected = self.fixtures.inspect(request)
        if isinstance(inspected, Answer):
            return inspected
        if inspected is None:
            return None
        if self.store.count >= self.store.limit:
            return self._full(request)._replace(fixture=inspected.route.name, findings=inspected.findings)
        documented = _body_of(inspected.route)
        entity = _merged(_entity(documented) if isinstance(documented, dict) else {}, _payload(request))
        entity["id"] = str(uuid.uuid4())
        _stamp(entity, CREATED_STAMPS + MODIFIED_STAMPS, documented)
        entry = self.store.put(key, entity)
        answer = self._documented(request, inspected, entry)
        if any(name.lower() == "location" for name in answer.headers):
            headers = {k: v for k, v in answer.headers.items() if k.lower() != "location"}
            headers["Location"] = f"{request.base_url}{request.path}/{entity['id']}"
            answer = answer._replace(headers=headers)
        return answer

    def _reference(self, request: Request, pattern: Pattern, wanted: list[str]) -> Answer | None:
        """`POST .../members/$ref` adds the `@odata.id` it names; `DELETE .../members/{id}/$ref` removes it."""
        inspected = self.fixtures.inspect(request)
        if isinstance(inspected, Answer):
            return inspected
        if inspected is None:
            return None
        if request.method == "POST" and pattern[-2] is not None:
            key = tuple(wanted[:-1])
            target = _payload(request).get("@odata.id")
            if not isinstance(target, str) or not target.rstrip("/"):
                message = 'A reference must name its object: {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}.'
                return graph_error(request, 400, "BadRequest", message)._replace(by="state", findings=inspected.findings)
            if self.store.count >= self.store.limit:
                return self._full(request)
            held = self.store.references.setdefault(key, {})
            id_ = target.rstrip("/").rsplit("/", 1)[-1].casefold()
            if id_ not in held:
                held[id_] = None
                self.store.count += 1
            return self._documented(request, inspected, None)
        if request.method == "DELETE" and pattern[-2] is None:
            key, id_ = tuple(wanted[:-2]), wanted[-2]
            held = self.store.references.get(key, {})
            if id_ not in held:
                return self._not_found(request, key, id_)._replace(fixture=inspected.route.name)
            del held[id_]
            self.store.count -= 1
            return self._documented(request, inspected, None)
        return None

    def _documented(self, request: Request, inspected: Inspected, entry: _Entry | None) -> Answer:
        """The documented status and headers; the entity as the body where a JSON body is documented."""
        response = inspected.route.fixture.response
        headers = {name: value for name, value in response.headers if name.lower() not in _NOT_REPLAYED}
        body = b""
        if entry is not None and response.body.is_json and isinstance(response.body.json, dict):
            shown = dict(entry.entity)
            context = response.body.json.get("@odata.context")
            if isinstance(context, str):
                shown = {"@odata.context": context, **shown}
            body = json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        elif not response.body.is_json and response.body.text:
            body = response.body.text.encode()
        if entry is not None:
            headers["ETag"] = entry.etag
        if inspected.checked:
            headers[CONTRACT_HEADER] = contract_summary(inspected.findings)
        return Answer(response.status, headers, body, inspected.route.name, inspected.findings, unchecked=inspected.unchecked, by="state")

    # ----------------------------------------------------------------------------- refusals

    def _missing_parent(self, request: Request, pattern: Pattern, wanted: list[str]) -> Answer | None:
        """Graph's 404 for a path under an entity the store could hold but does not (`/users/{gone}/...`)."""
        for i in range(1, len(pattern) - 1):
            if pattern[i] is None and pattern[:i] in self.model.creatable:
                key = tuple(wanted[:i])
                if self.store.get(key, wanted[i]) is None:
                    return self._not_found(request, key, wanted[i])
        return None

    def _not_found(self, request: Request, key: Key, id_: str) -> Answer:
        if is_directory_collection(key):
            message = f"Resource '{id_}' does not exist or one of its queried reference-property objects are not present."
            return graph_error(request, 404, "Request_ResourceNotFound", message)._replace(by="state")
        return graph_error(request, 404, "ResourceNotFound", f"The requested resource '{id_}' does not exist.")._replace(by="state")

    def _full(self, request: Request) -> Answer:
        message = (
            f"mockgraph's state holds {self.store.limit} entities, its state-limit; delete some, "
            "or reset the state (DELETE /_mockgraph/state), or raise state-limit."
        )
        return graph_error(request, 507, "quotaLimitReached", message)._replace(by="state")

    def _unevaluated(self, request: Request, exc: odata.ODataError) -> Answer:
        message = f"Invalid {exc.option} clause: mockgraph's stateful mode cannot evaluate '{exc.part}': {exc.why}."
        return graph_error(request, 400, "BadRequest", message, None, code="invalidQueryOption", part=exc.part)._replace(by="state")


# ---------------------------------------------------------------------------------- helpers


def _synthetic(method: str, target: str) -> Request:
    return Request(method, target, CIMultiDictProxy(CIMultiDict()), b"", "", "")


def _body_of(route: Route) -> Any:
    body = route.fixture.response.body
    return body.json if body.is_json else None


def _entity(documented: Mapping[str, Any]) -> dict[str, Any]:
    """A documented answer as an entity: a deep copy, without its `@odata.context`."""
    copied: dict[str, Any] = json.loads(json.dumps(documented))
    copied.pop("@odata.context", None)
    return copied


def _payload(request: Request) -> dict[str, Any]:
    """The posted properties the store keeps: write-only ones (passwords) are never read back, as
    in Graph, so they are not kept either."""
    if not request.body:
        return {}
    try:
        value = parse_json_body(request.body)
    except BodyError:
        return {}
    return _readable(value) if isinstance(value, dict) else {}


WRITE_ONLY = frozenset({"password", "newpassword", "currentpassword"})  # compared case-blind


def _readable(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _readable(v) if isinstance(v, dict) else v for k, v in value.items() if k.lower() not in WRITE_ONLY}


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in, objects merged property by property, as PATCH does."""
    out = dict(base)
    for name, value in changes.items():
        old = out.get(name)
        out[name] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _stamp(entity: dict[str, Any], names: Iterable[str], documented: Any = None) -> None:
    """Fresh server timestamps where the entity (or its documented answer) has them."""
    now = _now()
    for name in names:
        if name in entity or (isinstance(documented, dict) and name in documented):
            entity[name] = now


def _stale(request: Request, entry: _Entry) -> Answer | None:
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*" or entry.etag in (t.strip() for t in wanted.split(",")):
        return None
    message = f"The entity has changed since it was read: If-Match {wanted}, its ETag is now {entry.etag}."
    return graph_error(request, 412, "PreconditionFailed", message)._replace(by="state")


def _options(request: Request) -> dict[str, str]:
    """The query options, names lower-cased, the first of a repeated one winning; on beta the `$`
    is optional (query-parameters.md)."""
    beta = request.path.lower().startswith("/beta/")
    out: dict[str, str] = {}
    for part in request.query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = unquote_plus(name).strip().lower()
        if beta and not name.startswith("$") and f"${name}" in odata.EVALUATED | odata.REFUSED | paging.PAGING_OPTIONS:
            name = f"${name}"
        out.setdefault(name, unquote_plus(value))
    return out


def _selected(entity: Mapping[str, Any], options: Mapping[str, str]) -> dict[str, Any]:
    refused = next((name for name in options if name in odata.REFUSED), None)
    if refused is not None:
        raise odata.ODataError(refused, f"{refused}={options[refused]}", "mockgraph's stateful mode does not evaluate it")
    if "$select" in options:
        return odata.select(entity, odata.parse_select(options["$select"]))
    return dict(entity)


def _json_answer(status: int, body: Any, headers: Mapping[str, str] | None = None, fixture: str | None = None) -> Answer:
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Answer(status, {**_JSON, **(headers or {})}, encoded, fixture, by="state")
