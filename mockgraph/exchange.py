"""The two values a request's road is made of: the `Request` as read, and the `Answer` given to it.

Both are plain immutable values, free of aiohttp: the server reads an aiohttp request into a
`Request` at its edge and writes an `Answer` back there, so anything that can build a `Request`
(a batch item, a test) travels the same road. Each step of that road is an `Answerer`: it answers,
or passes to the next one (None, or a `Pass` carrying findings for whatever answer comes). Graph's
errors are answers too, all built by `graph_error`.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple, Protocol

from multidict import CIMultiDictProxy, istr

from .models import Finding

# Headers that are the server's to set on every answer: framing, the date and the request ids. A
# documented, recorded or stubbed response never supplies them.
SERVER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "request-id", "client-request-id"})

# The header of an answer checked against a contract that sums up the findings: `0 errors`, `2
# errors, 1 info`, or `unchecked` where the fixture documents no contract. An istr, like every name
# of a prepared answer (replay.py).
CONTRACT_HEADER = istr("mockgraph-contract")


# Header names as `istr`s, for lookups on every request: a case-insensitive lookup by a plain str
# folds its case first, 500 instructions a lookup more.
AUTHORIZATION = istr("Authorization")
CONTENT_TYPE = istr("Content-Type")
PREFER = istr("Prefer")
REQUEST_ID = istr("request-id")
CLIENT_REQUEST_ID = istr("client-request-id")


class Request(NamedTuple):
    """A request as the client sent it, body read whole, with the ids Graph gives it."""

    method: str
    target: str  # path and query as sent, still percent-encoded: `/v1.0/users?$top=2`
    headers: CIMultiDictProxy[str]  # case-insensitive and read-only: aiohttp's, or one made for a batch item
    body: bytes
    request_id: str
    client_request_id: str  # the client's own, echoed; else the request id
    base_url: str = ""  # where the client reached the mock, `http://127.0.0.1:8080`: links it follows stay here

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def ids(self) -> dict[str, str]:
        """The id headers every answer carries."""
        return {"request-id": self.request_id, "client-request-id": self.client_request_id}


class Stream(Protocol):
    """An answer body that arrives while it is sent (an upstream's); iterated once, by the edge."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    @property
    def fixture(self) -> str | None:
        """The fixture recorded from the answer, known once it was sent whole."""
        ...

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What the recording found (its drift from the documented answer), known once it was sent whole."""
        ...


class StreamBroken(Exception):
    """A streamed answer broke off after its head was sent: too late for an error answer, so the
    edge cuts the client's connection, and the client sees a broken answer rather than a short one."""


class Answer(NamedTuple):
    """How a request is answered, and what the journal keeps of it. Request ids are stamped on at
    the edge, so one answer can serve many identical requests."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    fixture: str | None = None  # the fixture that answered, for the journal
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # a Graph error's message
    unchecked: bool = False  # a JSON payload whose fixture documents no contract
    stream: Stream | None = None  # the body, where it arrives while it is sent (then `body` is empty)
    by: str = ""  # who answered, where the journal must know: "stub", "upstream", "miss" (see JournalEntry.answered_by)
    parts: tuple[tuple[Request, Answer], ...] = ()  # a batch's items and their answers, journaled one by one

    @property
    def forwarded(self) -> bool:
        return self.by == "upstream"

    def settled(self) -> Answer:
        """The answer as the journal keeps it once its stream was sent (or read) whole: with the
        fixture the stream was recorded as, and what the recording found beside what was found before."""
        if self.stream is None:
            return self
        return self._replace(fixture=self.stream.fixture, findings=self.findings + self.stream.findings, stream=None)


class Pass(NamedTuple):
    """An answerer lets the request by, but has something to say of it: findings that whatever
    answer the road gives carries (a permission the token lacks, in report mode)."""

    findings: tuple[Finding, ...]


class Answerer(Protocol):
    """One step of the road: an answer to `request`, or None (or a Pass) to let the next answerer try."""

    def concerns(self, request: Request) -> bool:
        """Whether the answerer may have anything to say of `request`: a cheap look (a path prefix,
        a header, whether any stub is set), so the road passes an idle answerer by without
        awaiting it. Awaiting one costs ten times as much, and most answerers are idle most of the time."""
        return True

    async def answer(self, request: Request) -> Answer | Pass | None:
        """Asked only where `concerns(request)` is true."""
        ...


def graph_error(
    request: Request | None,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    /,
    **inner: Any,  # more innerError members; positional-only above, so `code` or `status` can be among them
) -> Answer:
    """An answer in Graph's error shape, `{"error": {code, message, innerError: {date, request-id,
    client-request-id, ...}}}`. `request` is None only where none could be read: the answer then
    carries fresh ids in its headers too, since no request will stamp them on."""
    ids = request.ids if request is not None else RequestIds.fresh()
    details = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), **ids, **inner}
    body = {"error": {"code": code, "message": message, "innerError": details}}
    return Answer(
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {}), **({} if request is not None else ids)},
        json.dumps(body, ensure_ascii=False).encode(),
        error=message,
    )


class RequestIds:
    """Graph-style request ids: GUIDs from a random per-server prefix and a 12-digit hex counter,
    unique and cheap (a uuid4 per request costs more than the rest of a remembered answer).

    `next()` is C all the way down: the counter's last three digits come from a table, and the
    other nine are formatted once every 4,096 ids. A Python method formatting each id cost 2,500
    instructions a request more (BENCHMARKS.md).
    """

    def __init__(self) -> None:
        prefix = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-yxxx-": version 4 kept
        blocks = (map(f"{prefix}{block:09x}".__add__, _LAST_DIGITS) for block in itertools.count())
        self.next: Callable[[], str] = itertools.chain.from_iterable(blocks).__next__

    @staticmethod
    def fresh() -> dict[str, str]:
        request_id = str(uuid.uuid4())
        return {"request-id": request_id, "client-request-id": request_id}


_LAST_DIGITS = [f"{n:03x}" for n in range(16**3)]
