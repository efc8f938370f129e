"""Where aiohttp meets the road: an aiohttp request read into a `Request`, an `Answer` written back.

Nothing past this module sees an aiohttp object. Reading refuses what cannot be a Graph request
(an unknown method, a body over the limit) as answers, so the road only ever sees requests it can
work on; writing stamps every answer with its request ids and streams a body that is still
arriving (an upstream's), cutting the connection where that stream breaks off.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.hdrs import HOST
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestPayloadError

from .exchange import CLIENT_REQUEST_ID, Answer, Request, StreamBroken, graph_error
from .index import KNOWN_METHODS
from .wire import Wire, WireResponse

log = logging.getLogger("mockgraph")


def read_request(http: web.BaseRequest, request_id: str, max_body_bytes: int) -> tuple[Request, Answer | None]:
    """The request as a value, and the answer that refuses it where it cannot be worked on. A body
    still arriving is not waited for here: the request comes without it, with `ARRIVING` as its
    answer, and `read_body` finishes it. Most bodies come whole with the head, and awaiting this
    as a coroutine would cost every request."""
    # aiohttp's parsed message, read directly: the request's properties for it cost a Python call
    # each on every request (BENCHMARKS.md). An aiohttp without it takes the public way.
    message = getattr(http, "_message", None)
    if message is not None:
        method, target, headers = message.method, message.path, message.headers
    else:
        method, target, headers = http.method, http.raw_path, http.headers
    # Both are sent back (the id in a header, the host in links), so only as printable ASCII:
    # bytes that were not UTF-8 would fail to encode, and a control character has no place there.
    client_id = headers.get(CLIENT_REQUEST_ID)
    if not client_id or not (client_id.isascii() and client_id.isprintable()):
        client_id = request_id
    host = headers.get(HOST)
    if not host or not (host.isascii() and host.isprintable()):
        host = _local_address(http)
    base_url = "http://" + host  # `running` serves plain HTTP only
    refusal: Refusal | None = None
    if not target.startswith("/"):  # absolute-form (`GET http://host/x`) or `OPTIONS *`: not a Graph path
        refusal = (400, "The request target must be a path, such as /v1.0/me.")
    elif method not in KNOWN_METHODS:
        refusal = (405, f"The HTTP method {method!r} is not supported.")
    body = b""
    if refusal is None:
        arrived = _arrived(getattr(http, "_payload", None))
        if arrived is not None:  # the usual case: the body came whole with the head
            if len(arrived) > max_body_bytes:  # chunked, with no length to refuse it by
                refusal = _too_large(max_body_bytes)
            else:
                body = arrived
        elif (length := http.content_length) is not None and length > max_body_bytes:
            refusal = _too_large(max_body_bytes)  # refused before it is read
    # Made with tuple.__new__: the NamedTuple's own __new__ is a Python function, and this runs on
    # every request.
    request = tuple.__new__(Request, (method, target, headers, body, request_id, client_id, base_url))
    if refusal is None and not body and http.body_exists:
        return request, ARRIVING
    return request, (None if refusal is None else _refused(request, *refusal))


async def read_body(http: web.BaseRequest, request: Request, max_body_bytes: int) -> tuple[Request, Answer | None]:
    """`request` with its body, read as it arrives, or with the answer that refuses it."""
    body, refusal = await _read_body(http, max_body_bytes)
    request = request._replace(body=body)
    return request, (None if refusal is None else _refused(request, *refusal))


def _local_address(http: web.BaseRequest) -> str:
    """Where the client reached the mock, for a request with no Host (HTTP/1.0), an empty one or one
    that cannot be sent back: links in answers must lead back here. aiohttp's own `host` would give
    the machine's name, with no port, or nothing."""
    address = http.transport.get_extra_info("sockname") if http.transport is not None else None
    if not address:
        return http.host
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _arrived(content: StreamReader | None) -> bytes | None:
    """The body, if it came whole with the head and is small; None where it must be read.

    Looks into aiohttp's buffer instead of calling `read_nowait()`: that would also resume the
    connection's reading, which was never paused for a body under the stream's low-water mark (it
    pauses above twice that), and the resumption costs eight Python calls, 12,000 instructions a
    request (BENCHMARKS.md). An attribute that an aiohttp version lacks sends the body down the
    public path. The bytes stay in the buffer, which aiohttp drops with the request.
    """
    if type(content) is not StreamReader:  # no body (EmptyStreamReader), a reader of another kind, or none found
        return None
    try:
        if (
            not content._eof
            or content._exception is not None
            or content._buffer_offset
            or content._size >= content._low_water
            or content._protocol._reading_paused
        ):
            return None
        chunks = content._buffer
    except AttributeError:  # an aiohttp whose reader is built otherwise
        return None
    if len(chunks) == 1 and type(chunks[0]) is bytes:
        return chunks[0]
    return b"".join(chunks)


# Why a request is refused: the status, and the message of its Graph error.
Refusal = tuple[int, str]


async def _read_body(http: web.BaseRequest, max_body_bytes: int) -> tuple[bytes, Refusal | None]:
    if http.headers.get("Expect", "").lower() == "100-continue":  # the client waits for leave to send its body
        await http.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    content = http.content
    chunks = []
    size = 0
    try:
        while chunk := await content.readany():
            size += len(chunk)
            if size > max_body_bytes:
                return b"", _too_large(max_body_bytes)
            chunks.append(chunk)
            if content.is_eof():  # the usual case, a body that came whole: no second await
                break
    except RequestPayloadError as exc:  # a Content-Encoding the bytes do not follow, a broken chunked body
        reason = getattr(exc.__cause__, "message", None) or str(exc)
        return b"", (400, f"The request body could not be read: {' '.join(reason.split())}.")
    except ConnectionResetError:  # the client's doing, not a failure of ours
        log.debug("%s %s: the client closed the connection before its body arrived", http.method, http.path)
        return b"", (CLIENT_CLOSED.status, "")
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), None


def _too_large(limit: int) -> Refusal:
    return 413, f"The request body is larger than the limit of {limit} bytes."


def _refused(request: Request, status: int, message: str) -> Answer:
    if status == CLIENT_CLOSED.status:
        return CLIENT_CLOSED
    if status == 405:  # an unknown method: no fixture could answer it
        return graph_error(request, 405, "BadRequest", message)._replace(by="miss")
    code = "RequestEntityTooLarge" if status == 413 else "BadRequest"
    return graph_error(request, status, code, message)._replace(by="refused")


# What `read_request` answers for a request whose body is still arriving: never sent, nor journaled.
ARRIVING = Answer(0, {}, error="The request body is still arriving.")

# Journaled for a request whose client hung up before sending its whole body; never sent, as
# nobody is there to read it. 499 is the status proxies log for it (nginx's "client closed request").
CLIENT_CLOSED = Answer(499, {}, error="The client closed the connection before its request body arrived.", by="refused")


def respond(http: web.BaseRequest, request: Request, answer: Answer, wire: Wire) -> tuple[WireResponse | web.Response, Answer]:
    """An answer with its body at hand as the response aiohttp sends (wire.py), and the answer sent:
    a Graph-style 500 instead where the answer's headers cannot be sent as they are."""
    ids = request.request_id, request.client_request_id
    response = wire.response(http, answer.status, answer.headers, answer.body, *ids)
    if response is None:
        source = f"fixture {answer.fixture}" if answer.fixture else f"the {answer.by or 'mock'}"
        message = f"The answer from {source} cannot be sent: one of its headers holds a line break or another control character."
        answer = graph_error(request, 500, "generalException", message)._replace(fixture=answer.fixture, by=answer.by)
        response = wire.response(http, answer.status, answer.headers, answer.body, *ids)
        assert response is not None  # a Graph error's headers are mockgraph's own
    return response, answer


async def stream(http: web.BaseRequest, request: Request, answer: Answer) -> web.StreamResponse:
    """An answer whose body is still arriving (an upstream's), sent here and now."""
    assert answer.stream is not None
    response = web.StreamResponse(status=answer.status)
    response.headers.extend(answer.headers)
    response.headers.update(request.ids)
    await response.prepare(http)
    chunks = aiter(answer.stream)
    try:
        async for chunk in chunks:
            await response.write(chunk)
    except Exception as exc:
        # Too late for a 502 (or for aiohttp's 500, which would land inside the body): cut the
        # connection, so the client sees a broken answer, not a short or a corrupt one.
        if not isinstance(exc, StreamBroken):
            log.exception("mockgraph failed while sending the answer to %s %s", request.method, request.path)
        if http.transport is not None:
            http.transport.abort()
        return response
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
    await response.write_eof()
    return response
