"""The admin API under `/_mockgraph/`: first on the road, so no stub or state can shadow it.

`GET health` says the server is up and how many fixtures it serves; `GET requests` lists the
journal with its findings, `DELETE requests` clears it. Any other path under the prefix passes on,
and the fixtures' miss explains it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from .exchange import Answer, Request
from .index import FixtureIndex
from .journal import Journal, entry_to_json, summarize

PREFIX = "/_mockgraph/"
HEALTH_PATH = PREFIX + "health"
REQUESTS_PATH = PREFIX + "requests"

_JSON = {"Content-Type": "application/json; charset=utf-8"}


def json_answer(value: object, status: int = 200) -> Answer:
    return Answer(status, _JSON, json.dumps(value).encode())


class AdminAnswerer:
    def __init__(self, journal: Journal, index: FixtureIndex) -> None:
        self.journal = journal
        self.index = index
        self._routes: dict[tuple[str, str], Callable[[Request], Awaitable[Answer]]] = {
            ("GET", HEALTH_PATH): self._health,
            ("GET", REQUESTS_PATH): self._list_requests,
            ("DELETE", REQUESTS_PATH): self._clear_requests,
        }

    async def answer(self, request: Request) -> Answer | None:
        if not request.target.startswith(PREFIX):
            return None
        route = self._routes.get((request.method, request.path))
        return await route(request) if route is not None else None

    async def _health(self, request: Request) -> Answer:
        return json_answer({"status": "ok", "fixtures": self.index.fixture_count})

    async def _list_requests(self, request: Request) -> Answer:
        entries = list(self.journal)
        summary = summarize(f for e in entries for f in e.findings)
        return json_answer({"requests": [entry_to_json(e) for e in entries], "summary": summary})

    async def _clear_requests(self, request: Request) -> Answer:
        self.journal.clear()
        return Answer(204, {})
