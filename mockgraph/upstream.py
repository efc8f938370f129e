"""Forwarding to a real upstream: the request as the client sent it, the answer back unchanged.

The answer is streamed to the client as it arrives (an `Answer` whose body is a stream the
server's edge sends), so a large body never has to fit in memory twice; a copy is kept for the
recorder up to a limit. An upstream that cannot be reached or does not answer in time is a
Graph-style 502 or 504, answered before anything else is sent to the client.
The client session opens on the first forward: a server that never forwards never connects.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .exchange import Answer, Request, StreamBroken, graph_error
from .models import Finding, Headers
from .recorder import HOP_BY_HOP, Interaction

log = logging.getLogger("mockgraph")

# Content codings the recorder can undo; a client's Accept-Encoding is narrowed to these.
_DECODABLE = ("gzip", "deflate", "identity")
_CHUNK = 64 * 1024
# What `_decoded` gives up past when its caller names no limit: the default of `max-body-bytes`.
# `Upstream.forward` should pass its own `record_limit`.
DECODED_LIMIT = 10 * 1024 * 1024


class Upstream:
    """Forwards requests to `base_url` (e.g. https://graph.microsoft.com) with aiohttp's client."""

    def __init__(self, base_url: str, timeout: float, record_limit: int) -> None:
        self.base_url, self._authorization = split_credentials(base_url)
        self.timeout = timeout
        self.record_limit = record_limit  # answers larger than this are forwarded, not recorded
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, request: Request, keep: Callable[[Interaction], Awaitable[str | None]]) -> Answer:
        """Send `request` upstream; the answer streams its body from the upstream as the edge sends
        it. Where the body arrives whole and within the record limit, `keep` gets the interaction
        before the last bytes go out: a client that has its answer finds the recording on disk.
        A Graph-style 502 or 504 where the upstream cannot be reached or does not answer in time."""
        headers, skipped = _forwarded_headers(request.headers, self._authorization)
        url = URL(self.base_url + request.target, encoded=True)
        try:
            answer = await self._client().request(
                request.method, url, headers=headers, data=request.body or None, allow_redirects=False, skip_auto_headers=skipped
            )
        except asyncio.TimeoutError:
            return graph_error(request, 504, "GatewayTimeout", f"The upstream {self.base_url} did not answer within {self.timeout:g} s.")
        except aiohttp.ClientError as exc:
            return graph_error(request, 502, "BadGateway", f"The upstream {self.base_url} failed: {exc or type(exc).__name__}.")
        out: CIMultiDict[str] = CIMultiDict()
        for name, value in answer.headers.items():
            if name.lower() not in HOP_BY_HOP and (name.lower() != "content-length" or "transfer-encoding" not in answer.headers):
                out.add(name, value)
        return Answer(answer.status, CIMultiDictProxy(out), stream=_Relay(self, request, answer, keep), by="upstream")

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=client_timeout(self.timeout),
                auto_decompress=False,  # the client gets the bytes the upstream sent, coding and all
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies belong to the client, not to the proxy
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _Relay:
    """The upstream's answer body, chunk by chunk, kept for the recorder as it passes."""

    def __init__(
        self, upstream: Upstream, request: Request, answer: aiohttp.ClientResponse, keep: Callable[[Interaction], Awaitable[str | None]]
    ) -> None:
        self._upstream, self._request, self._answer, self._keep = upstream, request, answer, keep
        self.fixture: str | None = None
        self.findings: tuple[Finding, ...] = ()  # a plain relay finds nothing; proxy._Drifting does

    async def __aiter__(self) -> AsyncIterator[bytes]:
        request, answer, limit = self._request, self._answer, self._upstream.record_limit
        async with answer:
            kept: list[bytes] | None = []
            size = 0
            last = b""  # each chunk waits for the next, so the last one can wait for `keep`
            try:
                async for chunk in answer.content.iter_chunked(_CHUNK):
                    if last:
                        yield last
                    last = chunk
                    size += len(chunk)
                    if kept is not None and size > limit:
                        kept = None
                    elif kept is not None:
                        kept.append(chunk)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("upstream answer to %s %s broke off after %d bytes: %s", request.method, request.path, size, exc)
                raise StreamBroken(str(exc)) from None
            if kept is None:
                log.warning("not recording %s %s: its answer is over %d bytes", request.method, request.path, limit)
            elif (decoded := _decoded(b"".join(kept), answer.headers.get("Content-Encoding", ""), limit)) is not None:
                self.fixture = await self._keep(
                    Interaction(
                        method=request.method,
                        raw_path=request.target,
                        request_headers=_pairs(request.headers.items()),
                        request_body=request.body,
                        status=answer.status,
                        response_headers=_pairs(answer.headers.items()),
                        response_body=decoded,
                    )
                )
            if last:
                yield last


def client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """The upstream's time limits: `seconds` for the whole exchange, from connecting to the last byte
    of the answer (aiohttp keeps the `total` deadline running while the body is read), and for any
    single connect or read. A per-read limit alone let an upstream that drips a byte at a time hold
    an answer open for ever."""
    return aiohttp.ClientTimeout(total=seconds, sock_connect=seconds, sock_read=seconds)


def split_credentials(base_url: str) -> tuple[str, str | None]:
    """`--upstream http://user:pass@host/` as the URL to send requests to (no user information, no
    trailing slash) and the `Basic ...` Authorization value its credentials make (None where it
    carried none; user and password percent-decoded, then UTF-8, as RFC 7617 allows).

    aiohttp refuses a URL with credentials together with an Authorization header, and a client
    talking to Graph always sends one, so the credentials are taken out here and given to
    `_forwarded_headers`, which uses them only where the client sent no Authorization of its own."""
    url = URL(base_url)
    authorization = None
    if url.user is not None or url.password is not None:
        pair = f"{url.user or ''}:{url.password or ''}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return str(url.with_user(None)).rstrip("/"), authorization


def _forwarded_headers(headers: CIMultiDictProxy[str], authorization: str | None = None) -> tuple[CIMultiDict[str], tuple[str, ...]]:
    """The client's headers minus hop-by-hop ones (and those its Connection header names) and Host,
    with Accept-Encoding narrowed to what the recorder can decode; and the defaults aiohttp must not add.
    `authorization` (from the upstream URL's credentials) is sent only where the client sent no
    Authorization: the client's own credentials win."""
    named = {token.strip().lower() for value in headers.getall("Connection", []) for token in value.split(",")}
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in named or lower in ("host", "content-length"):
            continue
        if lower == "accept-encoding":
            value = ", ".join(t.strip() for t in value.split(",") if t.split(";")[0].strip().lower() in _DECODABLE)
            if not value:
                continue
        out.add(name, value)
    if authorization is not None and "Authorization" not in out:
        out["Authorization"] = authorization
    skipped = tuple(name for name in ("Accept", "Accept-Encoding", "User-Agent", "Content-Type") if name not in out)
    return out, skipped


def _decoded(data: bytes, coding: str, limit: int = DECODED_LIMIT) -> bytes | None:
    """The body without its content coding; None where the coding is one mockgraph cannot undo, or
    where the decoded body would exceed `limit` bytes. The limit counts decoded bytes: a small gzip
    answer can expand a thousandfold, and the recorder must never hold (or write) the expansion."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        if len(data) > limit:
            log.warning("not recording an answer over %d bytes", limit)
            return None
        return data
    if coding == "gzip":
        return _inflated(data, 16 + zlib.MAX_WBITS, limit, coding)
    if coding == "deflate":
        inflated = _inflated(data, zlib.MAX_WBITS, limit, coding, quiet=True)
        if inflated is None:  # some servers send raw deflate without the zlib wrapper
            inflated = _inflated(data, -zlib.MAX_WBITS, limit, coding)
        return inflated
    log.warning("not recording an answer in content coding %r", coding)
    return None


def _inflated(data: bytes, wbits: int, limit: int, coding: str, quiet: bool = False) -> bytes | None:
    """`data` decompressed, never producing more than `limit` + 1 bytes; None where it is broken,
    truncated, or decodes to more than `limit` bytes. Bytes after the end of the stream are ignored,
    as `zlib.decompress` ignores them."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        if not quiet:
            log.warning("not recording an answer whose %s body does not decode: %s", coding, exc)
        return None
    if len(out) > limit:
        log.warning("not recording an answer whose %s body decodes to over %d bytes", coding, limit)
        return None
    if not inflater.eof:
        if not quiet:
            log.warning("not recording an answer whose %s body is truncated", coding)
        return None
    return out


def _pairs(items: Iterable[tuple[str, str]]) -> Headers:
    return tuple((str(name), value) for name, value in items)
