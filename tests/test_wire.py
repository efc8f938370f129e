"""Answers written as bytes (wire.py), over real sockets on 127.0.0.1: the same bytes aiohttp's own
response would send, the answers it leaves to aiohttp, and headers that cannot be sent."""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
from collections.abc import Mapping

import pytest
from support import make_fixture
from test_edge import PublicOnly, exchange, serving

from mockgraph import wire
from mockgraph.config import Settings
from mockgraph.exchange import Answer, Request
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server

MEETING = {"id": "m1", "subject": "Subject value"}
SEED = "/v1.0/app/onlineMeetings"


def _post(version: str, connection: str = "") -> str:
    return (
        f"POST {SEED} HTTP/{version}\r\nHost: h\r\n{connection}Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
        + '{"subject": "x"}'
    )


class Odd:
    """Answers `/odd/<status>` itself: a status with no reason phrase, a body of no stated type,
    no body at all. What the fixtures never answer, but a stub or an upstream may."""

    def concerns(self, request: Request) -> bool:
        return request.path.startswith("/odd/")

    async def answer(self, request: Request) -> Answer:
        status = int(request.path.rsplit("/", 1)[1])
        return Answer(status, {"X-Odd": "yes"}, b"" if status in (204, 304) else b"raw bytes", fixture="odd")


def _server():
    fixtures = {
        "seed.json": make_fixture("POST", "/app/onlineMeetings", body={"subject": "x"}, response=MEETING),
        "me.json": make_fixture("GET", "/me", status=200, response={"id": "u1"}),
    }
    server = create_server(FixtureIndex(fixtures), Settings())
    admin, *rest = server.answerers
    server.answerers = (admin, Odd(), *rest)
    return server


def _normalized(reply: bytes) -> list[tuple[bytes, list[bytes], bytes]]:
    """Each response in `reply`: its status line, its headers in order and its body, with the ids
    and dates that differ from one request to the next blanked."""
    reply = re.sub(rb"(request-id|client-request-id): [0-9a-f-]+", rb"\1: X", reply)
    reply = re.sub(rb"Date: [^\r]+", b"Date: X", reply)
    reply = re.sub(rb'"(date|request-id|client-request-id)": "[^"]*"', rb'"\1": "X"', reply)
    responses = []
    for part in re.split(rb"(?=HTTP/1\.[01] \d{3})", reply)[1:]:
        head, _, body = part.partition(b"\r\n\r\n")
        status_line, *headers = head.split(b"\r\n")
        responses.append((status_line, headers, body))
    return responses


def _keep_alive_then_close(first: str) -> str:
    return first + "GET /v1.0/me HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"


EXCHANGES = {
    "HTTP/1.1, closed": _post("1.1", "Connection: close\r\n"),
    "HTTP/1.1, kept alive": _keep_alive_then_close(_post("1.1")),
    "HTTP/1.0, closed": _post("1.0"),
    "HTTP/1.0, kept alive": _post("1.0", "Connection: keep-alive\r\n") + "GET /v1.0/me HTTP/1.0\r\n\r\n",
    "a miss, 404": "GET /v1.0/nothing HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "another method, 405 with Allow": f"DELETE {SEED} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "a status with no reason": _keep_alive_then_close("GET /odd/299 HTTP/1.1\r\nHost: h\r\n\r\n"),
    "a body of no stated type": "GET /odd/200 HTTP/1.0\r\n\r\n",
    "204, no body": _keep_alive_then_close("GET /odd/204 HTTP/1.1\r\nHost: h\r\n\r\n"),
    "HEAD": "HEAD /odd/200 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "the client's own request id": "GET /v1.0/me HTTP/1.1\r\nHost: h\r\nclient-request-id: my-id-1\r\nConnection: close\r\n\r\n",
}


@pytest.mark.parametrize("sent", EXCHANGES.values(), ids=EXCHANGES.keys())
async def test_the_bytes_sent_are_those_aiohttps_own_response_sends(sent):
    """Status line, headers in order, body: the same as aiohttp's `web.Response` writes for the same
    answer (served the public way, where the edge cannot write bytes itself), ids and dates aside."""
    replies = []
    for public_only in (False, True):
        server = _server()
        if public_only:
            server.dispatch = lambda http, s=server: type(s).dispatch(s, PublicOnly(http))
        async with serving(server) as address:
            replies.append(await exchange(address, sent.encode()))
    written, aiohttps = (_normalized(reply) for reply in replies)
    assert written == aiohttps
    assert len(written) == sent.count(" HTTP/1.")  # every request answered, none merged or lost


async def test_a_fixture_header_holding_a_line_break_is_a_graph_500_naming_the_fixture():
    """Sent as it is, the line break would end the head early and smuggle in a header of its own; aiohttp
    would refuse to write it and drop the connection with no answer. The client gets a Graph error
    that names the fixture, the journal notes the 500, and the connection serves the next request."""
    bad = make_fixture("GET", "/me", status=200, response={"id": "u1"}, response_headers=(("X-Note", "a\r\nInjected: yes"),))
    server = create_server(FixtureIndex({"bad.json": bad}), Settings())
    first = "GET /v1.0/me HTTP/1.1\r\nHost: h\r\n\r\n"
    async with serving(server) as address:
        reply = await exchange(address, (first + first.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")).encode())
    responses = _normalized(reply)
    assert [status_line for status_line, _, _ in responses] == [b"HTTP/1.1 500 Internal Server Error"] * 2
    assert not any(header.startswith(b"Injected") for _, headers, _ in responses for header in headers)
    error = json.loads(responses[0][2])["error"]
    assert error["code"] == "generalException"
    assert "bad.json" in error["message"] and "line break" in error["message"]
    assert [(entry.status, entry.fixture) for entry in server.journal] == [(500, "bad.json")] * 2


@pytest.mark.parametrize("client_id", [b"a\x80b", b"a\tb", b"caf\xc3\xa9"], ids=["not UTF-8", "a tab", "not ASCII"])
async def test_a_client_request_id_that_cannot_be_echoed_is_replaced_by_the_request_id(client_id):
    """The client's id is echoed in a header as it came; one that is not printable ASCII is not
    echoed (it was a 500 in text/plain where its bytes were not UTF-8), and the answer carries the
    request id in its place."""
    sent = b"GET /v1.0/me HTTP/1.1\r\nHost: h\r\nclient-request-id: " + client_id + b"\r\nConnection: close\r\n\r\n"
    async with serving(_server()) as address:
        reply = await exchange(address, sent)
    head = reply.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200 OK")
    ids = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b"request-id" in line)
    assert ids[b"client-request-id"] == ids[b"request-id"]


async def test_a_large_body_is_sent_whole_after_its_head():
    """A body over JOIN_BYTES is written after its head rather than copied onto it: it arrives whole."""
    big = {"id": "u1", "notes": "x" * (wire.JOIN_BYTES * 3)}
    server = create_server(FixtureIndex({"me.json": make_fixture("GET", "/me", status=200, response=big)}), Settings())
    async with serving(server) as address:
        reply = await exchange(address, b"GET /v1.0/me HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == big


def test_the_headers_kept_as_text_are_bounded():
    """Answers with findings bring new headers on every request: the kept ones stay at HEADS."""
    writer = wire.Wire()
    kept: list[Mapping[str, str]] = []
    for i in range(wire.HEADS * 3):
        headers = {"Content-Type": "application/json", "mockgraph-contract": f"{i} errors"}
        kept.append(headers)  # alive, so no id is reused
        assert writer.response(_Http(), 201, headers, b"{}", "r", "r") is not None
    assert len(writer._heads) == wire.HEADS


def test_an_answer_shares_its_kept_head_only_while_it_holds_the_same_headers():
    """The heads are kept by the headers' id: headers made anew with that id (the old ones gone) are
    written out again, not sent with the old ones' text."""
    writer = wire.Wire()
    first = writer.response(_Http(), 200, {"X-A": "one"}, b"", "r", "r")
    second = writer.response(_Http(), 200, {"X-A": "two"}, b"", "r", "r")  # likely the same id as the first
    assert isinstance(first, wire.WireResponse) and isinstance(second, wire.WireResponse)
    assert b"X-A: one" in first._head and b"X-A: two" in second._head


def test_the_date_is_the_imf_fixdate_of_now():
    """The same text as the standard library's HTTP date for the same second, whatever the locale."""
    for _ in range(3):  # across a second's turn, at most one try disagrees
        before = int(time.time())
        text = wire.http_date()
        if int(time.time()) == before:
            assert text == email.utils.formatdate(before, usegmt=True)
            return
    raise AssertionError("the clock turned a second on every try")


class _Http:
    """The parts of aiohttp's request the wire reads: its parsed message."""

    class _message:  # the attribute's name in aiohttp
        method = "GET"
        should_close = False
        version = (1, 1)


async def test_many_kept_alive_requests_on_one_connection_each_get_their_answer():
    """Fifty requests sent back to back in one write, answered in order on the same connection."""
    one = "GET /v1.0/me HTTP/1.1\r\nHost: h\r\nclient-request-id: id-{i}\r\n\r\n"
    sent = "".join(one.format(i=i) for i in range(49)) + one.format(i=49).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
    async with serving(_server()) as address:
        reply = await asyncio.wait_for(exchange(address, sent.encode()), 10)
    echoed = re.findall(rb"client-request-id: (id-\d+)", reply)
    assert echoed == [f"id-{i}".encode() for i in range(50)]
    assert reply.count(b'{"id":"u1"}') == 50
