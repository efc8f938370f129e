"""The mock server: the road every request takes, and the aiohttp server it runs on.

A request is read into a plain value at the edge, then offered to the answerers in order until one
answers; the journal notes it once, and the edge writes the answer. The order of the road:

    admin        /_mockgraph/ endpoints (never journaled)
    batch        POST /$batch: each item goes down the rest of the road, journaled on its own (batch.py)
    permissions  the bearer token against the operation's documented permissions (access.py)
    stubs        answers a test wrote: canned responses, errors, throttling (stubs.py)
    state        stateful mode only: entities written, read back (state.py)
    recording    record modes: forward upstream and record (proxy.py)
    fixtures     the matching fixture's response, payload checked against its contract (replay.py)
    miss         the nearest fixtures and what differed, as Graph's 404 or 405 (replay.py)

An answerer that lets a request by may still have something to say of it (a permission the token
lacks, in report mode): its findings travel in a `Pass`, and the road adds them to the answer.

Bad input never reaches a traceback: it is answered with a Graph-style JSON error and a 4xx.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

from . import edge
from .access import permission_answerers
from .admin import PREFIX as ADMIN_PREFIX
from .admin import AdminAnswerer
from .batch import BatchAnswerer
from .config import Settings
from .exchange import Answer, Answerer, Pass, Request, RequestIds, graph_error
from .index import FixtureIndex
from .journal import Journal
from .models import Finding, Fixture
from .proxy import recording_for
from .redact import DEFAULT_PSEUDONYM_KEY, Redactor
from .replay import FixtureAnswerer, Lookup, MissAnswerer
from .requestlog import RequestLog
from .state import StateAnswerer
from .stubs import StubAnswerer
from .wire import Wire, WireResponse

log = logging.getLogger("mockgraph")

# The road as the server walks it: each answerer's `concerns` and `answer`.
Steps = tuple[tuple[Callable[[Request], bool], Callable[[Request], Awaitable[Answer | Pass | None]]], ...]


class MockServer:
    """The road and what it keeps (journal, fixtures); `running` serves it on aiohttp's low-level
    server. mockgraph routes every request itself, so aiohttp's router would be pure cost."""

    def __init__(self, index: FixtureIndex, settings: Settings) -> None:
        key = os.environ.get("MOCKGRAPH_PSEUDONYM_KEY", DEFAULT_PSEUDONYM_KEY) if settings.pseudonymize else None
        redactor = Redactor(settings.redact, key)
        self.settings = settings
        self.index = index
        self._redactor = redactor
        self.journal = Journal(settings.journal_limit, settings.journal, redactor)
        lookup = Lookup(index, redactor)
        self._fixtures = FixtureAnswerer(lookup, settings)
        self._recording = recording_for(settings, self._fixtures, redactor)
        self._miss = MissAnswerer(lookup)
        self._ids = RequestIds()
        self._request_log = RequestLog(redactor)  # one line a request, handed to logging in batches
        self._wire = Wire()  # answers written as bytes, shared answers' headers kept as text
        self.stubs = StubAnswerer(settings.stubs, settings.severity, self._fixtures)
        self._batch = BatchAnswerer(self._after_batch, self._ids, settings)
        # Stateful mode (state.py): after the stubs, so a test's stub still wins over the store.
        self.state = StateAnswerer(self._fixtures, settings.state_limit) if settings.stateful else None
        # The road, in order; the miss answers whatever the others pass.
        self._road: tuple[Answerer, ...] = ()
        self._steps: Steps = ()  # the road's methods, looked up once (see `answerers`)
        self._steps_after_batch: Steps = ()
        self.answerers = (
            AdminAnswerer(self.journal, index, self.stubs, redactor, settings.host, self.state),
            self._batch,
            *permission_answerers(lookup, settings),
            self.stubs,
            *((self.state,) if self.state is not None else ()),
            *((self._recording,) if self._recording is not None else ()),
            self._fixtures,
        )

    async def dispatch(self, http: web.BaseRequest) -> web.StreamResponse | WireResponse:
        started = time.perf_counter()
        request, refusal = edge.read_request(http, self._ids.next(), self.settings.max_body_bytes)
        if refusal is edge.ARRIVING:  # a body that did not come whole with the head
            request, refusal = await edge.read_body(http, request, self.settings.max_body_bytes)
        answer = refusal or await self._ask(request, self._steps)
        if answer.stream is None:
            response: web.StreamResponse | WireResponse
            response, answer = edge.respond(http, request, answer, self._wire)  # sent by aiohttp, next
        else:  # an upstream's answer, sent as it arrives; journaled with what its recording was and found
            response = await edge.stream(http, request, answer)
            answer = answer.settled()
        if not request.target.startswith(ADMIN_PREFIX):
            seconds = time.perf_counter() - started
            self.journal.record(request, answer)
            self._request_log.note(request, answer, seconds)
            for item, item_answer in answer.parts:  # a batch's items are journaled one by one, after it
                self.journal.record(item, item_answer)
                self._request_log.note(item, item_answer, seconds)
        return response

    @property
    def answerers(self) -> Sequence[Answerer]:
        """The road, in order (the miss, last, is not among them)."""
        return self._road

    @answerers.setter
    def answerers(self, road: Sequence[Answerer]) -> None:
        for answerer in road:  # asked on every request, so a missing one would fail every request
            if not callable(getattr(answerer, "concerns", None)) or not callable(getattr(answerer, "answer", None)):
                raise TypeError(f"{answerer!r} is not an answerer: it needs concerns(request) and async answer(request)")
        self._road = tuple(road)
        # Bound once here rather than looked up on every request: ten lookups a request otherwise.
        self._steps = tuple((answerer.concerns, answerer.answer) for answerer in self._road)
        after = self._road.index(self._batch) + 1 if self._batch in self._road else 0
        self._steps_after_batch = self._steps[after:]

    async def answer(self, request: Request) -> Answer:
        """The first answer of the road; a bug of ours is still answered in Graph's shape, and logged."""
        return await self._ask(request, self._steps)

    async def _after_batch(self, request: Request) -> Answer:
        """A batch item's answer: the road after the batch, the same as for a direct call."""
        return await self._ask(request, self._steps_after_batch)

    async def _ask(self, request: Request, steps: Steps) -> Answer:
        try:
            notes: tuple[Finding, ...] = ()  # from answerers that let the request by
            for concerns, answer_of in steps:
                if not concerns(request):
                    continue
                answer = await answer_of(request)
                if answer is None:
                    continue
                if not isinstance(answer, Pass):
                    break
                notes += answer.findings
            else:
                answer = await self._miss.answer(request)
            return answer._replace(findings=answer.findings + notes) if notes else answer
        except Exception:
            log.exception("mockgraph failed on %s %s", request.method, self._redactor.text(request.target))
            return graph_error(request, 500, "generalException", "mockgraph failed on this request; see its log.")

    @property
    def record_mode(self) -> str:
        """The record mode in effect: `once` has become `all` or `none` by now."""
        return self._recording.mode if self._recording else "none"

    def reset(self) -> None:
        """Forget the requests seen so far, and the stubs added since the start (the configured ones
        stay); in stateful mode, every entity but the signed-in user as documented."""
        self.journal.clear()
        self.stubs.reset()
        if self.state is not None:
            self.state.reset()

    def add_fixture(self, name: str, fixture: Fixture) -> None:
        """Serve `fixture` from now on, as `name` (replacing a fixture of that name)."""
        self._fixtures.add(name, fixture)

    async def close(self) -> None:
        self._request_log.flush()
        if self._recording is not None:
            await self._recording.close()
        self.journal.close()


def create_server(index: FixtureIndex, settings: Settings) -> MockServer:
    """The mock server for `index`; start it with `running`."""
    return MockServer(index, settings)


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
            answer = graph_error(None, 405, "BadRequest", "The HTTP method is not supported.")
        else:
            answer = graph_error(None, status, "BadRequest", f"The request could not be read: {message or exc}")
        response = web.Response(status=answer.status, headers=answer.headers, body=answer.body)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kwargs: Any) -> None:
        """A body the client broke off or encoded wrongly was answered already (edge.py); aiohttp,
        reading what is left of it, would log the same failure as an error of the server's."""
        exc = kwargs.get("exc_info")
        if isinstance(exc, (RequestPayloadError, ConnectionError)):
            self.log_debug(*args, **kwargs)
        else:
            super().log_exception(*args, **kwargs)


class _GraphErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _GraphErrorsHandler(self, loop=self._loop, **self._kwargs)


# A connection must bring a whole request head within this many seconds of opening, or of its
# previous answer; an idle one is closed after as long. aiohttp's own default is an hour.
IDLE_SECONDS = 30.0
# Requests still in progress at stop (a client stuck mid-body) get this long before they are cut.
STOP_SECONDS = 3.0


@asynccontextmanager
async def running(server: MockServer, host: str = "127.0.0.1", port: int = 0, idle_seconds: float = IDLE_SECONDS) -> AsyncIterator[str]:
    """Serve on `host:port` (0: a free port) and yield the base URL, e.g. http://127.0.0.1:8080."""
    # aiohttp asks a response only to prepare, write_eof and tell keep_alive: a WireResponse does (wire.py).
    handler = _GraphErrorsServer(server.dispatch, access_log=None, keepalive_timeout=idle_seconds)  # type: ignore[arg-type]
    runner = web.ServerRunner(handler, handle_signals=False, shutdown_timeout=STOP_SECONDS)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        await runner.cleanup()
        await server.close()
