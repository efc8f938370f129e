"""A complete answer sent as the bytes of its HTTP/1.x response, written in one go.

aiohttp's `web.Response` is built for every kind of answer (cookies, compression, chunking, hooks),
and building one and sending it costs a dozen Python calls and coroutines a request. A
`WireResponse` is the answer's status line, headers and body as bytes, which aiohttp's protocol
sends when it asks the response to `prepare`; with a shared answer's headers kept as text, a
remembered answer costs 192,000 instructions instead of 250,000 (bare aiohttp: 231,000;
BENCHMARKS.md). It holds what aiohttp would write for the same answer, header for header:
the request's HTTP version, Content-Length, a default Content-Type, Date, Server, and Connection
where the version's default does not hold.

Answers it does not cover go to `web.Response` as before: HEAD requests and 1xx, 204 and 304
answers (no body, and rules of their own for Content-Length), headers aiohttp would refuse, and
requests from an aiohttp that does not expose its parsed message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NamedTuple

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from .exchange import CLIENT_REQUEST_ID, REQUEST_ID

# A shared answer (a fixture's, sent to every payload without findings) has its headers written out
# once: that many answers' headers are kept, each at most this long as text (so 2 MB at most).
HEADS = 256
HEAD_CHARS = 8 * 1024
# A body up to this size is joined to its head and sent in one write; a larger one follows it.
JOIN_BYTES = 64 * 1024

# aiohttp refuses these in a header name or value (RFC 9110 section 5.5): a line break would end a
# header early. mockgraph's own headers never hold them; a fixture file might.
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_STATUS_LINES = {status: f"HTTP/1.1 {status} {reason}\r\n" for status, reason in _REASONS.items()}
_SERVER = f"Server: {SERVER_SOFTWARE}\r\n"
_UNTYPED = "Content-Type: application/octet-stream\r\n"  # aiohttp's default for a body of no stated type


class WireResponse:
    """What aiohttp's protocol asks of a response, for one already serialized: `prepare` sends it,
    `write_eof` has nothing left to send, `keep_alive` says whether the connection stays open."""

    __slots__ = ("_body", "_head", "keep_alive")
    __http_exception__ = False  # aiohttp asks each response; an attribute missing would cost a raise

    def __init__(self, head: bytes, body: bytes, keep_alive: bool) -> None:
        self._head = head
        self._body = body
        self.keep_alive = keep_alive

    async def prepare(self, request: web.BaseRequest) -> None:
        # One write, so one packet for most answers; a large body is not copied to join it.
        if len(self._body) <= JOIN_BYTES:
            await request.writer.write(self._head + self._body)
        else:
            await request.writer.write(self._head)
            await request.writer.write(self._body)

    async def write_eof(self, data: bytes = b"") -> None:
        return None


class Wire:
    """Writes answers as `WireResponse`s, keeping the headers of the shared ones as text."""

    def __init__(self) -> None:
        # By the headers' id: the entry holds the headers, so the id cannot be reused while kept,
        # and answers are immutable values, so headers kept never change.
        self._heads: dict[int, tuple[Mapping[str, str], Head | None]] = {}

    def response(
        self, http: web.BaseRequest, status: int, headers: Mapping[str, str], body: bytes, request_id: str, client_request_id: str
    ) -> WireResponse | web.Response | None:
        """The answer, with the request's id headers after its own, as a `WireResponse` where it
        can be one, else as aiohttp's own response; None where a header could not be sent as it
        is (a line break in it would end the head early)."""
        kept = self._heads.get(id(headers))
        head = kept[1] if kept is not None and kept[0] is headers else self._write_out(headers)
        if head is None:
            return None
        message: Any = getattr(http, "_message", None)
        if message is None or message.method == "HEAD" or status < 200 or status in (204, 304):
            headers = {**headers, REQUEST_ID: request_id, CLIENT_REQUEST_ID: client_request_id}
            return web.Response(status=status, headers=headers, body=body)
        keep_alive = not message.should_close
        version = message.version
        if version == (1, 1):
            status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
            connection = "" if keep_alive else "Connection: close\r\n"
        else:
            status_line = f"HTTP/{version[0]}.{version[1]} {status} {_REASONS.get(status, '')}\r\n"
            connection = "Connection: keep-alive\r\n" if keep_alive else ""
        untyped = _UNTYPED if body and not head.typed else ""
        text = (
            f"{status_line}{head.fields}request-id: {request_id}\r\nclient-request-id: {client_request_id}\r\n"
            f"Content-Length: {len(body)}\r\n{untyped}Date: {http_date()}\r\n{_SERVER}{connection}\r\n"
        )
        return WireResponse(text.encode(), body, keep_alive)

    def _write_out(self, headers: Mapping[str, str]) -> Head | None:
        """The headers as text; None where one holds a control character or cannot be encoded.
        Kept for the next answer that shares them."""
        fields = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
        typed = any(name.lower() == "content-type" for name in headers)
        unsafe = _UNSAFE.search("".join(headers)) or _UNSAFE.search("".join(headers.values())) or not _encodes(fields)
        head = None if unsafe else Head(fields, typed)
        if len(fields) <= HEAD_CHARS:
            if len(self._heads) >= HEADS:
                del self._heads[next(iter(self._heads))]
            self._heads[id(headers)] = (headers, head)
        return head


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8, decoded with surrogateescape
        return False
    return True


class Head(NamedTuple):
    """An answer's own headers as text, and whether they state the body's type."""

    fields: str
    typed: bool


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_date: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header's value for now (RFC 9110's IMF-fixdate, in English whatever the locale),
    formatted once a second."""
    global _date
    now = int(time.time())
    if now != _date[0]:
        t = time.gmtime(now)
        text = f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon]} {t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
        _date = (now, text)
    return _date[1]
