"""Where aiohttp meets the road: an aiohttp request read into a `Request`, an `Answer` written back.

Nothing past this module sees an aiohttp object. Reading refuses what cannot be a Graph request
(an unknown method, a body over the limit) as answers, so the road only ever sees requests it can
work on; writing stamps every answer with its request ids and streams a body that is still
arriving (an upstream's), cutting the connection where that stream breaks off.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from .exchange import Answer, Request, StreamBroken, graph_error
from .index import KNOWN_METHODS

log = logging.getLogger("mockgraph")


async def read_request(http: web.BaseRequest, request_id: str, max_body_bytes: int) -> tuple[Request, Answer | None]:
    """The request as a value, and the answer that refuses it where it cannot be worked on. The value
    is made once its body is read (a NamedTuple's `_replace` costs more than making it)."""
    headers = http.headers
    client_id = headers.get("client-request-id") or request_id
    base_url = f"{http.scheme}://{http.host}"

    def made(body: bytes = b"") -> Request:
        return Request(http.method, http.raw_path, headers, body, request_id, client_id, base_url)

    if not http.raw_path.startswith("/"):  # absolute-form (`GET http://host/x`) or `OPTIONS *`: not a Graph path
        request = made()
        return request, _refused(request, 400, "The request target must be a path, such as /v1.0/me.")
    if http.method not in KNOWN_METHODS:
        request = made()
        message = f"The HTTP method {http.method!r} is not supported."
        return request, graph_error(request, 405, "BadRequest", message)._replace(by="miss")  # no fixture could answer it
    if http.content_length is not None and http.content_length > max_body_bytes:
        request = made()
        return request, _too_large(request, max_body_bytes)
    if not http.body_exists:
        return made(), None
    if headers.get("Expect", "").lower() == "100-continue":  # the client waits for leave to send its body
        await http.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    content = http.content
    chunks = []
    size = 0
    try:
        while chunk := await content.readany():
            size += len(chunk)
            if size > max_body_bytes:
                request = made()
                return request, _too_large(request, max_body_bytes)
            chunks.append(chunk)
            if content.is_eof():  # the usual case, a body that came whole: no second await
                break
    except RequestPayloadError as exc:  # a Content-Encoding the bytes do not follow, a broken chunked body
        reason = getattr(exc.__cause__, "message", None) or str(exc)
        request = made()
        return request, _refused(request, 400, f"The request body could not be read: {' '.join(reason.split())}.")
    except ConnectionResetError:  # the client's doing, not a failure of ours
        log.debug("%s %s: the client closed the connection before its body arrived", http.method, http.path)
        return made(), CLIENT_CLOSED
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return Request(http.method, http.raw_path, headers, body, request_id, client_id, base_url), None


def _refused(request: Request, status: int, message: str) -> Answer:
    return graph_error(request, status, "BadRequest", message)._replace(by="refused")


# Journaled for a request whose client hung up before sending its whole body; never sent, as
# nobody is there to read it. 499 is the status proxies log for it (nginx's "client closed request").
CLIENT_CLOSED = Answer(499, {}, error="The client closed the connection before its request body arrived.", by="refused")


def _too_large(request: Request, limit: int) -> Answer:
    message = f"The request body is larger than the limit of {limit} bytes."
    return graph_error(request, 413, "RequestEntityTooLarge", message)._replace(by="refused")


async def respond(http: web.BaseRequest, request: Request, answer: Answer) -> web.StreamResponse:
    """The answer as aiohttp's response; a stream is sent here and now, anything else by aiohttp."""
    if answer.stream is None:
        return web.Response(status=answer.status, headers={**answer.headers, **request.ids}, body=answer.body)
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
