"""The admin API under `/_mockgraph/`: first on the road, so no stub or state can shadow it.

`GET health` says the server is up and how many fixtures it serves; `GET requests` lists the
journal with its findings, `DELETE requests` clears it; `POST stubs` adds a stub (stubs.py), `GET
stubs` lists those in force, `DELETE stubs` removes them all. Any other path under the prefix passes
on, and the fixtures' miss explains it.

The journal holds what tests sent, so the admin API answers only requests addressed (by their
`Host`) to a loopback name or to the host the server was told to bind: a web page that a DNS
rebinding points at the mock cannot read it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .errors import BodyError
from .exchange import Answer, Request, graph_error
from .index import FixtureIndex
from .journal import Journal, entry_to_json, summarize
from .jsonbody import parse_json_body
from .redact import Redactor
from .stubs import Stub, StubAnswerer, StubError

if TYPE_CHECKING:
    from .state import StateAnswerer

PREFIX = "/_mockgraph/"
HEALTH_PATH = PREFIX + "health"
REQUESTS_PATH = PREFIX + "requests"
STUBS_PATH = PREFIX + "stubs"
STATE_PATH = PREFIX + "state"

_JSON = {"Content-Type": "application/json; charset=utf-8"}


def json_answer(value: object, status: int = 200) -> Answer:
    return Answer(status, _JSON, json.dumps(value).encode())


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class AdminAnswerer:
    def __init__(
        self,
        journal: Journal,
        index: FixtureIndex,
        stubs: StubAnswerer,
        redactor: Redactor,
        host: str = "127.0.0.1",
        state: StateAnswerer | None = None,
    ) -> None:
        self.state = state
        self.journal = journal
        self.index = index
        self.stubs = stubs
        self.redactor = redactor  # what an endpoint shows passes through it, as what is written does
        self.hosts = LOOPBACK_HOSTS | {host.lower().strip("[]")}
        self._routes: dict[tuple[str, str], Callable[[Request], Awaitable[Answer]]] = {
            ("GET", HEALTH_PATH): self._health,
            ("GET", REQUESTS_PATH): self._list_requests,
            ("DELETE", REQUESTS_PATH): self._clear_requests,
            ("GET", STUBS_PATH): self._list_stubs,
            ("POST", STUBS_PATH): self._add_stub,
            ("DELETE", STUBS_PATH): self._clear_stubs,
        }
        if state is not None:
            self._routes[("DELETE", STATE_PATH)] = self._clear_state

    def concerns(self, request: Request) -> bool:
        return request.target.startswith(PREFIX)

    async def answer(self, request: Request) -> Answer | None:
        route = self._routes.get((request.method, request.path))
        if route is None:
            return None
        if not self._addressed_here(request.headers.get("Host")):
            message = "The admin API answers only requests addressed to a loopback host or to the host mockgraph serves on."
            return graph_error(request, 403, "Forbidden", message)
        return await route(request)

    def _addressed_here(self, host: str | None) -> bool:
        if host is None:  # HTTP/1.0 sends none; a browser always does
            return True
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
        return name.lower().strip("[]") in self.hosts

    async def _health(self, request: Request) -> Answer:
        return json_answer({"status": "ok", "fixtures": self.index.fixture_count})

    async def _list_requests(self, request: Request) -> Answer:
        entries = list(self.journal)
        summary = summarize(f for e in entries for f in e.findings)
        return json_answer({"requests": [entry_to_json(e) for e in entries], "summary": summary})

    async def _clear_requests(self, request: Request) -> Answer:
        self.journal.clear()
        return Answer(204, {})

    async def _list_stubs(self, request: Request) -> Answer:
        return json_answer({"stubs": self.redactor.json(self.stubs.listing())})

    async def _add_stub(self, request: Request) -> Answer:
        try:
            stub = Stub.from_mapping(parse_json_body(request.body), "POST /_mockgraph/stubs")
            stub_id = self.stubs.add(stub)
        except BodyError as exc:
            return graph_error(request, 400, "BadRequest", f"POST /_mockgraph/stubs takes a JSON stub. {exc.message}")
        except StubError as exc:
            return graph_error(request, 400, "BadRequest", str(exc))
        return json_answer(self.redactor.json({"id": stub_id, **stub.to_json()}), 201)

    async def _clear_stubs(self, request: Request) -> Answer:
        self.stubs.clear()
        return Answer(204, {})

    async def _clear_state(self, request: Request) -> Answer:
        if self.state is not None:
            self.state.reset()
        return Answer(204, {})
