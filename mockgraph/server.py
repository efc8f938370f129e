"""The replay server: answers each request with its fixture's response, on aiohttp's low-level server.

Responses are rendered to bytes once, when the server is built, and the answer to a request
(match, contract findings, response) is remembered for the next identical one, so the request path
does only what must happen per request: read the body, stamp fresh request ids, note it in the
journal. Bad input never reaches a traceback: it is answered with a Graph-style JSON error and a 4xx.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod
from aiohttp.web_protocol import RequestHandler

from .config import Settings
from .differ import ContractChecker, checker_for
from .index import KNOWN_METHODS, FixtureIndex, Incoming, Miss, Route
from .journal import Journal, counted, entry_to_json, finding_to_json, summarize
from .models import Body, Finding, Fixture, FixtureResponse, JsonValue
from .recorder import RECORDED_KIND, Interaction, Recorder
from .redact import DEFAULT_PSEUDONYM_KEY, Redactor
from .upstream import Upstream, UpstreamError

log = logging.getLogger("mockgraph")

ADMIN_PREFIX = "/_mockgraph/"
HEALTH_PATH = ADMIN_PREFIX + "health"
REQUESTS_PATH = ADMIN_PREFIX + "requests"
CONTRACT_HEADER = "mockgraph-contract"
# Identical requests are answered from memory: how many answers, for bodies up to what size.
MEMO_ANSWERS = 1024
MEMO_BODY_BYTES = 64 * 1024
# Route matches remembered where the body cannot change them (see `Match.unique`).
MEMO_MATCHES = 1024

# Headers a documented or recorded response carries that must be the server's own, not replayed.
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "date", "request-id", "client-request-id"})


@dataclass(frozen=True)
class PreparedResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Recording:
    """Record mode at work: where requests are forwarded, and who writes what comes back."""

    mode: str  # "new" or "all"; "once" is decided at start, "none" has no Recording
    upstream: Upstream
    recorder: Recorder


@dataclass
class ServerState:
    index: FixtureIndex
    settings: Settings
    responses: dict[str, PreparedResponse]  # by fixture name
    journal: Journal
    redactor: Redactor
    recording: Recording | None = None
    recorded: bool = False  # whether any fixture is a recording (whose requests are redacted)
    checkers: dict[str, ContractChecker | None] = field(default_factory=dict)  # made on first use
    answers: dict[tuple[str, str, str, str, bytes], _Answer] = field(default_factory=dict)
    matches: dict[tuple[str, str, str], Route] = field(default_factory=dict)  # (method, raw path, Prefer)
    clean: dict[tuple[str, bool], _Answer] = field(default_factory=dict)  # by (fixture, checked): see `_answer_for`
    ids: RequestIds = field(default_factory=lambda: RequestIds())

    def remember(self, key: tuple[str, str, str, str, bytes], answer: _Answer) -> None:
        """Keep an answer for the next identical request; bounded in count and body size."""
        if len(key[-1]) > MEMO_BODY_BYTES:
            return
        if len(self.answers) >= MEMO_ANSWERS:
            self.answers.pop(next(iter(self.answers)))
        self.answers[key] = answer

    def remember_match(self, key: tuple[str, str, str], route: Route) -> None:
        """Keep a route match for the next request to the same path, whatever its body; bounded."""
        if len(self.matches) >= MEMO_MATCHES:
            self.matches.pop(next(iter(self.matches)))
        self.matches[key] = route

    def checker(self, route: Route) -> ContractChecker | None:
        """The contract checker of a route's fixture; None where the fixture documents no contract."""
        if route.name not in self.checkers:
            self.checkers[route.name] = checker_for(route.fixture, self.settings.severity)
        return self.checkers[route.name]


class GraphError(Exception):
    """An outcome to answer with a Graph-style error body, as `{"error": {code, message, innerError}}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **inner: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner = inner
        self.fixture: str | None = None  # for the journal, where a fixture matched
        self.findings: tuple[Finding, ...] = ()


class MockServer:
    """The replay server's state and its dispatch; `running` serves it on aiohttp's low-level server.

    mockgraph routes every request itself (the index), so aiohttp's application router would be
    pure cost on each request.
    """

    def __init__(self, index: FixtureIndex, settings: Settings) -> None:
        responses = {route.name: prepare_response(route.fixture.response) for route in index.routes}
        key = os.environ.get("MOCKGRAPH_PSEUDONYM_KEY", DEFAULT_PSEUDONYM_KEY) if settings.pseudonymize else None
        redactor = Redactor(settings.redact, key)
        journal = Journal(settings.journal_limit, settings.journal, redactor)
        recorded = any(route.fixture.source.kind == RECORDED_KIND for route in index.routes)
        recording = _recording(index, settings, redactor, recorded)
        self.state = ServerState(index, settings, responses, journal, redactor, recording, recorded)

    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.raw_path.startswith(ADMIN_PREFIX):
            admin = _ADMIN.get((request.method, request.path))
            if admin is not None:
                return admin(self.state)
        return await _replay(request, self.state)

    # The surface the pytest plugin, the CLI and verify use; `state` is the server's own.

    @property
    def journal(self) -> Journal:
        return self.state.journal

    @property
    def index(self) -> FixtureIndex:
        return self.state.index

    def reset(self) -> None:
        """Forget the requests seen so far."""
        self.state.journal.clear()

    def add_fixture(self, name: str, fixture: Fixture) -> None:
        """Serve `fixture` from now on, as `name` (replacing a fixture of that name)."""
        _add_fixture(self.state, name, fixture)

    @property
    def record_mode(self) -> str:
        """The record mode in effect: `once` has become `all` or `none` by now."""
        return self.state.recording.mode if self.state.recording else "none"

    async def close(self) -> None:
        if self.state.recording is not None:
            await self.state.recording.upstream.close()
        self.state.journal.close()


def _recording(index: FixtureIndex, settings: Settings, redactor: Redactor, recorded: bool) -> Recording | None:
    mode = settings.record
    if mode == "once":  # record the first time, replay every time after
        mode = "none" if recorded else "all"
    if mode == "none" or settings.upstream is None:
        return None
    upstream = Upstream(settings.upstream, settings.upstream_timeout, settings.max_body_bytes)
    recorder = Recorder(settings.fixtures, redactor, settings.upstream)
    recorder.load_known(route.fixture for route in index.routes)
    return Recording(mode, upstream, recorder)


def create_server(index: FixtureIndex, settings: Settings) -> MockServer:
    """The replay server for `index`; start it with `running`."""
    return MockServer(index, settings)


def prepare_response(response: FixtureResponse) -> PreparedResponse:
    headers = {name: value for name, value in response.headers if name.lower() not in _NOT_REPLAYED}
    body = encode_body(response.body)
    if response.body.is_json and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return PreparedResponse(response.status, headers, body)


def encode_body(body: Body) -> bytes:
    if body.is_json:
        return json.dumps(body.json, ensure_ascii=False, separators=(",", ":")).encode()
    return (body.text or "").encode()


def _health(state: ServerState) -> web.Response:
    return web.json_response({"status": "ok", "fixtures": state.index.fixture_count})


def _list_requests(state: ServerState) -> web.Response:
    entries = list(state.journal)
    summary = summarize(f for e in entries for f in e.findings)
    return web.json_response({"requests": [entry_to_json(e) for e in entries], "summary": summary})


def _clear_requests(state: ServerState) -> web.Response:
    state.journal.clear()
    return web.Response(status=204)


_ADMIN = {
    ("GET", HEALTH_PATH): _health,
    ("GET", REQUESTS_PATH): _list_requests,
    ("DELETE", REQUESTS_PATH): _clear_requests,
}


@dataclass(frozen=True)
class _Answer:
    """How a request is answered, request ids aside. The same request (method, path, headers that
    matter, body bytes) always gets the same answer, so it is computed once and remembered."""

    status: int
    headers: dict[str, str]
    body: bytes
    fixture: str
    findings: tuple[Finding, ...]


async def _replay(request: web.BaseRequest, state: ServerState) -> web.StreamResponse:
    method = request.method
    raw_path = request.raw_path
    ids = state.ids.next(request.headers.get("client-request-id"))
    body = b""
    fixture: str | None = None
    findings: tuple[Finding, ...] = ()
    try:
        if method not in KNOWN_METHODS:
            raise GraphError(405, "BadRequest", f"The HTTP method {method!r} is not supported.")
        body = await _read_body(request, state.settings.max_body_bytes)
        headers = request.headers
        key = (method, raw_path, headers.get("Content-Type", ""), headers.get("Prefer", ""), body)
        answer = state.answers.get(key)
        if answer is None:
            if state.recording is not None and _goes_upstream(state, state.recording, method, raw_path, key[2], body):
                return await _forward(request, body, state, state.recording, ids)
            answer = _answer(state, method, raw_path, key[2], key[3], body)
            state.remember(key, answer)
        fixture, findings = answer.fixture, answer.findings
        response = web.Response(status=answer.status, headers={**answer.headers, **ids}, body=answer.body)
    except GraphError as error:
        fixture, findings = error.fixture, error.findings
        response = graph_error_response(error, ids)
    except Exception:  # a bug of ours: still answer in Graph's shape, and say so in the log
        log.exception("mockgraph failed on %s %s", method, raw_path)
        response = graph_error_response(GraphError(500, "generalException", "mockgraph failed on this request; see its log."), ids)
    state.journal.record(method, raw_path, response.status, fixture, body, findings)
    return response


def _goes_upstream(state: ServerState, recording: Recording, method: str, raw_path: str, content_type: str, body: bytes) -> bool:
    """Whether a request is forwarded: all of them in `all` mode; in `new` mode, those that no
    documented fixture answers and that were not recorded before (a recording answers its own
    request only, never another one that happens to share its path)."""
    if recording.mode == "all":
        return True
    if recording.recorder.identity(method, raw_path, body, content_type) in recording.recorder.known:
        return False
    path, _, query = raw_path.partition("?")
    outcome = state.index.match(Incoming(method, path, query))
    return isinstance(outcome, Miss) or outcome.route.fixture.source.kind == RECORDED_KIND


async def _forward(
    request: web.BaseRequest, body: bytes, state: ServerState, recording: Recording, ids: dict[str, str]
) -> web.StreamResponse:
    """Forward upstream, answer with what comes back, record it; a Graph-style 502/504 where the
    upstream fails, and nothing recorded."""
    names: list[str] = []

    async def keep(interaction: Interaction) -> None:
        try:
            recorded = await recording.recorder.save(interaction)
        except OSError as exc:  # a full disk, a read-only folder: the client still gets its answer
            log.error("could not record %s %s: %s", request.method, request.raw_path, exc)
            return
        if recorded is not None:
            _add_fixture(state, *recorded)
            names.append(recorded[0])

    try:
        response = await recording.upstream.forward(request, body, keep)
    except UpstreamError as error:
        response = graph_error_response(GraphError(error.status, error.code, error.message), ids)
    state.journal.record(request.method, request.raw_path, response.status, next(iter(names), None), body, (), forwarded=True)
    return response


def _add_fixture(state: ServerState, name: str, fixture: Fixture) -> None:
    """Serve a new recording from now on (replacing an earlier recording of the same request)."""
    state.index.add(name, fixture)
    state.recorded = True
    state.responses[name] = prepare_response(fixture.response)
    state.checkers.pop(name, None)
    state.answers.clear()  # a remembered answer may come from the recording this one replaces
    state.matches.clear()  # and a remembered match may now have rivals that the body decides between
    state.clean.clear()  # and so may an answer shared by conforming payloads


def _answer(state: ServerState, method: str, raw_path: str, content_type: str, prefer: str, body: bytes) -> _Answer:
    """Match, check and render the answer to a request not seen before; GraphError where it fails."""
    payload = _parse_json(body) if body and "json" in content_type.lower() else None
    route = _route(state, method, raw_path, prefer, payload)
    checker = state.checker(route) if payload is not None else None
    findings = checker.check(payload) if checker is not None else ()
    if state.settings.strict and any(f.severity == "error" for f in findings):
        raise _contract_error(route.name, findings)
    return _answer_for(state, route.name, checker is not None, findings)


def _answer_for(state: ServerState, name: str, checked: bool, findings: tuple[Finding, ...]) -> _Answer:
    """A fixture's answer depends on the findings alone, so every payload without findings (the
    usual case) shares one, built once. Answers with findings are built each time: their findings
    seldom repeat (enum and format findings quote the value), and hashing them costs more than it saves."""
    if not findings and (answer := state.clean.get((name, checked))) is not None:
        return answer
    prepared = state.responses[name]
    headers = {**prepared.headers, CONTRACT_HEADER: contract_summary(findings)} if checked else prepared.headers
    answer = _Answer(prepared.status, headers, prepared.body, name, findings)
    if not findings:
        state.clean[(name, checked)] = answer  # two a fixture at most: no bound needed
    return answer


def _route(state: ServerState, method: str, raw_path: str, prefer: str, payload: JsonValue) -> Route:
    """The route that answers; remembered by method, path and Prefer where no other route competes
    for it, so that requests differing only in their body skip the match."""
    key = (method, raw_path, prefer)
    route = state.matches.get(key)
    if route is not None:
        return route
    path, _, query = raw_path.partition("?")
    incoming = Incoming(method, path, query, payload, prefer)
    if state.recorded:  # recordings hold redacted requests: look them up by the same
        r = state.redactor
        incoming = Incoming(method, r.path(path), r.query(query), r.json(payload), prefer)
    outcome = state.index.match(incoming)
    if isinstance(outcome, Miss):
        raise _miss_error(method, path, outcome)
    if outcome.unique:
        state.remember_match(key, outcome.route)
    return outcome.route


def contract_summary(findings: tuple[Finding, ...]) -> str:
    """`2 errors, 1 warning` for the contract header; `0 errors` when the payload conforms."""
    counts = summarize(findings)
    words = (("errors", "error"), ("warnings", "warning"), ("info", "info"))
    return ", ".join(counted(counts[key], word) for key, word in words if counts[key]) or "0 errors"


def _contract_error(fixture: str, findings: tuple[Finding, ...]) -> GraphError:
    errors = [f for f in findings if f.severity == "error"]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    error = GraphError(
        400,
        "BadRequest",
        f"The payload breaks the documented contract: {first.message} at {first.path or '/'}{more}.",
        headers={CONTRACT_HEADER: contract_summary(findings)},
        findings=[finding_to_json(f) for f in findings],
    )
    error.fixture, error.findings = fixture, findings
    return error


async def _read_body(request: web.BaseRequest, limit: int) -> bytes:
    """The request body, refused past `limit` bytes whether its length is declared or not."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if not request.body_exists:
        return b""
    content = request.content
    chunks = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if content.is_eof():  # the usual case, a body that came whole: no second await
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _parse_json(body: bytes) -> JsonValue:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            detail=str(exc),
        ) from None


def _too_large(limit: int) -> GraphError:
    return GraphError(413, "RequestEntityTooLarge", f"The request body is larger than the limit of {limit} bytes.")


def _miss_error(method: str, path: str, miss: Miss) -> GraphError:
    nearest = [
        {
            "fixture": route.name,
            "method": route.method,
            "route": route.template,
            "version": route.version,
            "differences": [str(d) for d in differences],
        }
        for route, differences in miss.nearest
    ]
    if miss.allowed:
        return GraphError(
            405,
            "BadRequest",
            f"No fixture answers {method} {path}; this path answers {', '.join(miss.allowed)}.",
            headers={"Allow": ", ".join(miss.allowed)},
            nearest=nearest,
        )
    hint = f" Nearest: {nearest[0]['method']} {nearest[0]['route']} ({nearest[0]['fixture']})." if nearest else ""
    return GraphError(404, "ResourceNotFound", f"mockgraph has no fixture for {method} {path}.{hint}", nearest=nearest)


class RequestIds:
    """Graph-style request ids: GUIDs from a random per-server prefix and a counter, unique and
    cheap (a uuid4 per request costs more than the rest of a remembered answer)."""

    def __init__(self) -> None:
        self._prefix = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-yxxx-": version 4 kept
        self._count = itertools.count(1)

    def next(self, client_request_id: str | None) -> dict[str, str]:
        request_id = f"{self._prefix}{next(self._count):012x}"
        return {"request-id": request_id, "client-request-id": client_request_id or request_id}


def graph_error_response(error: GraphError, ids: dict[str, str]) -> web.Response:
    inner = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": ids["request-id"],
        "client-request-id": ids["client-request-id"],
        **error.inner,
    }
    body = {"error": {"code": error.code, "message": error.message, "innerError": inner}}
    return web.json_response(body, status=error.status, headers={**error.headers, **ids})


# ------------------------------------------------------------------------------------ running it


class _GraphErrorsHandler(RequestHandler):
    """Answers requests aiohttp cannot parse (an unknown method, a broken request line) in Graph's
    JSON error shape, where aiohttp itself would answer in text/plain."""

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if not 400 <= status < 500 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, BadHttpMethod):
            error = GraphError(405, "BadRequest", "The HTTP method is not supported.")
        else:
            error = GraphError(status, "BadRequest", f"The request could not be read: {message or exc}")
        request_id = str(uuid.uuid4())
        response = graph_error_response(error, {"request-id": request_id, "client-request-id": request_id})
        response.force_close()
        return response


class _GraphErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _GraphErrorsHandler(self, loop=self._loop, **self._kwargs)


@asynccontextmanager
async def running(server: MockServer, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve on `host:port` (0: a free port) and yield the base URL, e.g. http://127.0.0.1:8080."""
    runner = web.ServerRunner(_GraphErrorsServer(server.dispatch, access_log=None), handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        await runner.cleanup()
        await server.close()
