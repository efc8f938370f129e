"""The replay server: an aiohttp application that answers each request with its fixture's response.

Responses are rendered to bytes once, when the application is built, so the request path does
only what must happen per request: read the body, look the route up, check the payload against
the fixture's contract, stamp fresh request ids, note it all in the journal. Bad input never
reaches a traceback: it is answered with a Graph-style JSON error and a 4xx.
"""

from __future__ import annotations

import json
import logging
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
from .differ import ContractChecker
from .index import KNOWN_METHODS, FixtureIndex, Incoming, Miss, Route
from .journal import Journal, JournalEntry, entry_to_json, finding_to_json, summarize
from .models import Body, Finding, FixtureResponse, JsonValue

log = logging.getLogger("mockgraph")

HEALTH_PATH = "/_mockgraph/health"
REQUESTS_PATH = "/_mockgraph/requests"
CONTRACT_HEADER = "mockgraph-contract"

# Headers a documented or recorded response carries that must be the server's own, not replayed.
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "date", "request-id", "client-request-id"})


@dataclass(frozen=True)
class PreparedResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class ServerState:
    index: FixtureIndex
    settings: Settings
    responses: dict[str, PreparedResponse]  # by fixture name
    journal: Journal
    checkers: dict[str, ContractChecker | None] = field(default_factory=dict)  # made on first use

    def checker(self, route: Route) -> ContractChecker | None:
        """The contract checker of a route's fixture; None where the fixture documents no contract."""
        if route.name not in self.checkers:
            fixture = route.fixture
            example = fixture.request.body.json if fixture.request.body.is_json else None
            has_contract = example is not None or fixture.contract.properties
            self.checkers[route.name] = (
                ContractChecker(fixture.contract, example, self.settings.severity) if has_contract else None
            )
        return self.checkers[route.name]


STATE = web.AppKey("mockgraph", ServerState)


class GraphError(Exception):
    """An outcome to answer with a Graph-style error body, as `{"error": {code, message, innerError}}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **inner: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner = inner


def create_app(index: FixtureIndex, settings: Settings) -> web.Application:
    """The replay application for `index`."""
    app = web.Application(client_max_size=settings.max_body_bytes)
    responses = {route.name: prepare_response(route.fixture.response) for route in index.routes}
    journal = Journal(settings.journal_limit, settings.journal)
    app[STATE] = ServerState(index=index, settings=settings, responses=responses, journal=journal)
    app.on_cleanup.append(lambda _: _close(journal))
    app.router.add_get(HEALTH_PATH, _health)
    app.router.add_get(REQUESTS_PATH, _list_requests)
    app.router.add_delete(REQUESTS_PATH, _clear_requests)
    app.router.add_route("*", "/{tail:.*}", _replay)
    return app


async def _close(journal: Journal) -> None:
    journal.close()


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


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response({"status": "ok", "fixtures": state.index.fixture_count})


async def _list_requests(request: web.Request) -> web.Response:
    entries = list(request.app[STATE].journal)
    summary = summarize(f for e in entries for f in e.findings)
    return web.json_response({"requests": [entry_to_json(e) for e in entries], "summary": summary})


async def _clear_requests(request: web.Request) -> web.Response:
    request.app[STATE].journal.clear()
    return web.Response(status=204)


async def _replay(request: web.Request) -> web.Response:
    state = request.app[STATE]
    ids = _request_ids(request)
    payload: JsonValue = None
    route: Route | None = None
    findings: tuple[Finding, ...] = ()
    try:
        if request.method not in KNOWN_METHODS:
            raise GraphError(405, "BadRequest", f"The HTTP method {request.method!r} is not supported.")
        payload = await _read_json(request, state.settings.max_body_bytes)
        route = _route_for(state, request, payload)
        checker = state.checker(route) if payload is not None else None
        findings = checker.check(payload) if checker is not None else ()
        if state.settings.strict and any(f.severity == "error" for f in findings):
            raise _contract_error(findings)
        prepared = state.responses[route.name]
        headers = {**prepared.headers, **ids, CONTRACT_HEADER: contract_summary(findings)} if checker else {**prepared.headers, **ids}
        response = web.Response(status=prepared.status, headers=headers, body=prepared.body)
    except GraphError as error:
        if findings:
            error.headers[CONTRACT_HEADER] = contract_summary(findings)
        response = graph_error_response(error, ids)
    except Exception:  # a bug of ours: still answer in Graph's shape, and say so in the log
        log.exception("mockgraph failed on %s %s", request.method, request.rel_url)
        error = GraphError(500, "generalException", "mockgraph failed on this request; see its log.")
        response = graph_error_response(error, ids)
    journal = state.journal
    journal.add(
        JournalEntry(
            seq=journal.next_seq(),
            time=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            method=request.method,
            path=str(request.rel_url),
            status=response.status,
            fixture=route.name if route else None,
            body=payload,
            findings=findings,
        )
    )
    return response


def _route_for(state: ServerState, request: web.Request, payload: JsonValue) -> Route:
    method = request.method
    path = request.rel_url.raw_path
    prefer = request.headers.get("Prefer", "")
    outcome = state.index.match(Incoming(method, path, request.rel_url.raw_query_string, payload, prefer))
    if isinstance(outcome, Miss):
        raise _miss_error(method, path, outcome)
    return outcome.route


def contract_summary(findings: tuple[Finding, ...]) -> str:
    """`2 errors, 1 warning` for the contract header; `0 errors` when the payload conforms."""
    counts = summarize(findings)
    parts = [
        f"{n} {word if n == 1 else plural}"
        for n, word, plural in (
            (counts["errors"], "error", "errors"),
            (counts["warnings"], "warning", "warnings"),
            (counts["info"], "info", "info"),
        )
        if n
    ]
    return ", ".join(parts) or "0 errors"


def _contract_error(findings: tuple[Finding, ...]) -> GraphError:
    errors = [f for f in findings if f.severity == "error"]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return GraphError(
        400,
        "BadRequest",
        f"The payload breaks the documented contract: {first.message} at {first.path or '/'}{more}.",
        findings=[finding_to_json(f) for f in findings],
    )


async def _read_json(request: web.Request, limit: int) -> JsonValue:
    """The request's JSON payload, or None where it sends none; refuses what Graph would refuse."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if not request.body_exists:
        return None
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(limit) from None
    if not raw or "json" not in request.content_type:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
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


def _request_ids(request: web.Request) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    return {"request-id": request_id, "client-request-id": request.headers.get("client-request-id", request_id)}


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


class MockRunner(web.AppRunner):
    """An AppRunner whose connections answer unparseable requests with Graph-style errors.

    aiohttp offers no public hook for those answers, so the server it builds is given the class
    above; tests/test_server.py covers it through a real socket.
    """

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _GraphErrorsServer
        return server


@asynccontextmanager
async def running(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve `app` on `host:port` (0: a free port) and yield its base URL, e.g. http://127.0.0.1:8080."""
    runner = MockRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        await runner.cleanup()
