"""Hostile input found by review, over real sockets: each once gave a 500, a leak or a broken
connection, and is now a Graph-style 4xx (or never reaches the wire)."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from support import FIXTURES_DIR, make_fixture, serve_fixtures

from mockgraph.exchange import Answer, Request
from mockgraph.fixturefile import load_fixtures
from mockgraph.models import Finding
from mockgraph.stubs import Stub, StubError


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
async def bundled():
    async with serve_fixtures(load_fixtures(FIXTURES_DIR)) as url:
        yield url


async def test_a_token_whose_claims_nest_deeply_is_refused_not_a_500(bundled, http):
    token = f"{_b64(b'{}')}.{_b64(b'[' * 5000)}.sig"
    async with http.get(bundled + "/v1.0/users", headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status < 500


async def test_a_top_with_thousands_of_digits_is_a_400(bundled, http):
    async with http.get(bundled + "/v1.0/users?$top=" + "9" * 4400) as response:
        body = await response.json()
        assert response.status == 400
    assert body["error"]["code"] == "BadRequest"


async def test_a_secret_quoted_by_a_finding_never_leaves_the_journal(bundled, http):
    """An enum finding quotes the value sent; a token sent there is redacted wherever it is shown."""
    jwt = f"eyJhbGciOiJub25lIn0.{_b64(json.dumps({'sub': 'x'}).encode())}.c2ln"
    meeting = {"subject": "x", "allowedPresenters": jwt}
    async with http.post(bundled + "/beta/me/onlineMeetings", json=meeting) as response:
        assert response.status == 201
    async with http.get(bundled + "/_mockgraph/requests") as response:
        listed = await response.text()
    assert "allowedPresenters" in listed and jwt not in listed


@pytest.mark.parametrize(
    "headers",
    [{"Content-Length": "1"}, {"X-Split": "a\r\nSet-Cookie: z=1"}, {"Bad Name": "x"}, {"Transfer-Encoding": "chunked"}],
)
async def test_a_stub_cannot_break_the_answers_framing(bundled, http, headers):
    stub = {"method": "GET", "path": "/me", "body": "hello world", "headers": headers}
    async with http.post(bundled + "/_mockgraph/stubs", json=stub) as response:
        assert response.status == 400


async def test_a_stub_answer_that_cannot_be_sent_is_refused_at_every_door(bundled, http):
    raw = b'{"method": "GET", "path": "/me", "json": {"a": "\\ud800"}}'
    async with http.post(bundled + "/_mockgraph/stubs", data=raw, headers={"Content-Type": "application/json"}) as response:
        assert response.status == 400
    with pytest.raises(StubError, match="cannot be sent"):
        Stub.from_mapping({"method": "GET", "path": "/me", "body": "\ud800"})


async def test_an_absolute_form_target_is_a_400(bundled):
    host, port = bundled.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET http://127.0.0.1/v1.0/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert reply.startswith(b"HTTP/1.1 400")
    assert b'"The request target must be a path' in reply


def test_a_settled_stream_keeps_what_was_found_before_it():
    """A forwarded answer's own findings (a permission, in report mode) survive what its recording adds."""

    class Recorded:
        fixture = "recorded/x.json"
        findings = (Finding("odata", "warning", "/a", "x", "y", "drift"),)

        def __aiter__(self):
            raise AssertionError("not read")

    before = (Finding("permission", "warning", "", "x", "y", "token lacks"),)
    answer = Answer(200, {}, findings=before, stream=Recorded(), by="upstream")
    settled = answer.settled()
    assert (settled.fixture, [f.kind for f in settled.findings], settled.forwarded) == ("recorded/x.json", ["permission", "odata"], True)


async def test_a_batch_reads_a_streamed_item_up_to_the_body_limit():
    from mockgraph.batch import _whole

    class Endless:
        fixture = None
        findings = ()

        async def __aiter__(self):
            for _ in range(100):
                yield b"x" * 1024

    request = Request("GET", "/v1.0/me", {}, b"", "id", "id")  # type: ignore[arg-type]
    answer = await _whole(Answer(200, {}, stream=Endless(), by="upstream"), request, 10 * 1024)
    assert answer.status == 502 and answer.stream is None


async def test_a_host_that_is_not_utf8_leaves_links_leading_to_the_mock():
    """A next link leads to where the client reached the mock, from its Host. One whose bytes are
    not UTF-8 cannot be written back (it gave a 500): the link leads to the address the client
    connected to instead. (aiohttp refuses a control character in a Host itself, with a 400.)"""
    users = make_fixture("GET", "/users", status=200, response={"value": [{"id": "1"}, {"id": "2"}, {"id": "3"}]})
    async with serve_fixtures({"users.json": users}) as url:
        address = url.removeprefix("http://")
        ip, port = address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(ip, int(port))
        writer.write(b"GET /v1.0/users?$top=1 HTTP/1.1\r\nHost: a\x80b\r\nConnection: close\r\n\r\n")
        try:
            reply = await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["@odata.nextLink"].startswith(f"http://{address}/v1.0/users?")
