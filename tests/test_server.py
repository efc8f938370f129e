"""The replay server over real sockets on 127.0.0.1: answers, Graph-style errors, bad input."""

from __future__ import annotations

import uuid

import pytest

from support import make_fixture, serve_fixtures

MEETING = {"@odata.type": "#microsoft.graph.onlineMeeting", "id": "m1", "subject": "Subject value"}


@pytest.fixture
async def base_url():
    fixtures = {
        "seed.json": make_fixture("POST", "/app/onlineMeetings", body={"subject": "x"}, response=MEETING),
        "send.json": make_fixture("POST", "/me/sendMail", status=202, response_headers=()),
        "content.json": make_fixture(
            "GET",
            "/me/drive/items/{item-id}/content",
            status=302,
            response_headers=(("Location", "https://example.com/download"),),
        ),
    }
    async with serve_fixtures(fixtures, max_body_bytes=1024) as url:
        yield url


def assert_graph_error(body: dict, code: str) -> dict:
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert error["message"]
    assert uuid.UUID(error["innerError"]["request-id"])
    return error


class TestReplay:
    async def test_documented_response(self, base_url, http):
        """A matching request gets the fixture's status, content type and body."""
        async with http.post(f"{base_url}/v1.0/app/onlineMeetings", json={"subject": "y"}) as response:
            assert response.status == 201
            assert response.content_type == "application/json"
            assert await response.json() == MEETING

    async def test_request_ids(self, base_url, http):
        """Each answer carries a fresh request-id and echoes the client-request-id, as Graph does."""
        sent = str(uuid.uuid4())
        async with http.post(f"{base_url}/app/onlineMeetings", json={}, headers={"client-request-id": sent}) as first:
            assert first.headers["client-request-id"] == sent
            first_id = first.headers["request-id"]
        async with http.post(f"{base_url}/app/onlineMeetings", json={}) as second:
            assert second.headers["request-id"] != first_id
            assert second.headers["client-request-id"] == second.headers["request-id"]

    async def test_bodiless_and_redirect_responses(self, base_url, http):
        """202 without a body and 302 with its Location are replayed as documented."""
        async with http.post(f"{base_url}/v1.0/me/sendMail", json={"message": {}}) as response:
            assert response.status == 202
            assert await response.read() == b""
        async with http.get(f"{base_url}/v1.0/me/drive/items/ABC123/content", allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == "https://example.com/download"

    async def test_health(self, base_url, http):
        """The health endpoint answers 200 with the fixture count."""
        async with http.get(f"{base_url}/_mockgraph/health") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "fixtures": 3}

    async def test_body_chooses_among_examples_on_every_request(self, http):
        """Where examples of one endpoint compete, each request's body picks its answer, not the first one's."""
        fixtures = {
            "mail.json": make_fixture(
                "POST", "/me/sendMail", body={"message": {"body": {}}, "saveToSentItems": True}, response={"v": "mail"}
            ),
            "headers.json": make_fixture(
                "POST", "/me/sendMail", body={"message": {"internetMessageHeaders": []}}, response={"v": "headers"}
            ),
        }
        bodies = [
            {"message": {"body": {"content": str(i)}}, "saveToSentItems": False}
            if i % 2
            else {"message": {"internetMessageHeaders": [{"name": str(i)}]}}
            for i in range(4)
        ]
        async with serve_fixtures(fixtures) as url:
            answers = []
            for body in bodies:
                async with http.post(f"{url}/v1.0/me/sendMail", json=body) as response:
                    answers.append((await response.json())["v"])
        assert answers == ["headers", "mail", "headers", "mail"]

    async def test_remembered_route_still_parses_each_body(self, base_url, http):
        """A path whose route is remembered still refuses a malformed body, and checks each new one."""
        headers = {"Content-Type": "application/json"}
        statuses = []
        for data in (b'{"subject": "a"}', b'{"subject": "b"}', b'{"subject": '):
            async with http.post(f"{base_url}/v1.0/app/onlineMeetings", data=data, headers=headers) as response:
                statuses.append(response.status)
        assert statuses == [201, 201, 400]


class TestErrors:
    async def test_unmatched_is_graph_404_naming_nearest(self, base_url, http):
        """No fixture: a Graph-style 404 naming the nearest fixture and what differed."""
        async with http.post(f"{base_url}/v1.0/app/onlineMeeting", json={}) as response:
            assert response.status == 404
            error = assert_graph_error(await response.json(), "ResourceNotFound")
        nearest = error["innerError"]["nearest"][0]
        assert nearest["fixture"] == "seed.json"
        assert nearest["differences"] == ["path segment 2: expected 'onlinemeetings', got 'onlinemeeting'"]

    async def test_wrong_method_is_405_with_allow(self, base_url, http):
        """A known path under another method: 405 with an Allow header."""
        async with http.get(f"{base_url}/app/onlineMeetings") as response:
            assert response.status == 405
            assert response.headers["Allow"] == "POST"
            assert_graph_error(await response.json(), "BadRequest")

    async def test_unknown_method(self, base_url, http):
        """A method Graph does not know gets a Graph-style 405."""
        async with http.request("BREW", f"{base_url}/app/onlineMeetings") as response:
            assert response.status == 405
            assert_graph_error(await response.json(), "BadRequest")

    @pytest.mark.parametrize(
        "payload", [b'{"subject": ', b"\xff\xfe{}", b'{"subject": "\xc3\x28"}'], ids=["truncated", "bom-bytes", "bad-utf8"]
    )
    async def test_malformed_json_is_400(self, base_url, http, payload):
        """Malformed JSON or non-UTF-8 bytes: 400 BadRequest, never a 500."""
        headers = {"Content-Type": "application/json"}
        async with http.post(f"{base_url}/app/onlineMeetings", data=payload, headers=headers) as response:
            assert response.status == 400
            assert_graph_error(await response.json(), "BadRequest")

    async def test_huge_body_is_413(self, base_url, http):
        """A body over the configured limit is refused with 413, declared length or chunked."""
        big = b"{" + b" " * 4096 + b"}"
        async with http.post(f"{base_url}/app/onlineMeetings", data=big, headers={"Content-Type": "application/json"}) as r:
            assert r.status == 413
            assert_graph_error(await r.json(), "RequestEntityTooLarge")

        async def chunks():
            for _ in range(8):
                yield b" " * 512

        async with http.post(f"{base_url}/app/onlineMeetings", data=chunks(), headers={"Content-Type": "application/json"}) as r:
            assert r.status == 413
            assert_graph_error(await r.json(), "RequestEntityTooLarge")

    async def test_non_json_body_is_not_parsed(self, base_url, http):
        """A text body with a text content type is accepted as it is, binary or not."""
        async with http.post(f"{base_url}/me/sendMail", data=b"\xff\x00MIME", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 202
