"""JSON batching over real sockets: Graph's rules for the batch, and each item answered by the same
road as a direct call (fixtures, stubs, contract checks), journaled on its own."""

from __future__ import annotations

import base64

import pytest

from mockgraph.config import Settings
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running
from support import make_fixture

MEETING = {"id": "m1", "subject": "Subject value"}


def _fixtures():
    return {
        "seed.json": make_fixture("POST", "/app/onlineMeetings", body={"subject": "x"}, response=MEETING),
        "me.json": make_fixture("GET", "/me", status=200, response={"displayName": "Adele"}),
    }


@pytest.fixture
async def mock():
    server = create_server(FixtureIndex(_fixtures()), Settings())
    async with running(server) as url:
        yield server, url


async def batch(http, url, requests, version="v1.0", **kwargs):
    async with http.post(f"{url}/{version}/$batch", json={"requests": requests}, **kwargs) as response:
        return response.status, await response.json()


def by_id(body):
    return {r["id"]: r for r in body["responses"]}


MEETING_ITEM = {"id": "1", "method": "POST", "url": "/app/onlineMeetings", "body": {"subject": "x"}, "headers": {"Content-Type": "application/json"}}


class TestAnswers:
    async def test_each_item_gets_its_own_answer(self, mock, http):
        """Items are answered as direct calls would be: documented answers, a miss, ids correlated."""
        server, url = mock
        status, body = await batch(http, url, [MEETING_ITEM, {"id": "2", "method": "GET", "url": "/me"}, {"id": "3", "method": "GET", "url": "me/nowhere"}])
        assert status == 200
        answers = by_id(body)
        assert (answers["1"]["status"], answers["1"]["body"]) == (201, MEETING)
        assert (answers["2"]["status"], answers["2"]["body"]) == (200, {"displayName": "Adele"})
        assert answers["3"]["status"] == 404 and answers["3"]["body"]["error"]["code"] == "ResourceNotFound"
        assert all(set(r) >= {"id", "status", "headers"} and "request-id" in r["headers"] for r in answers.values())
        entries = list(server.journal)
        assert [(e.method, e.path, e.status) for e in entries] == [
            ("POST", "/v1.0/$batch", 200),
            ("POST", "/v1.0/app/onlineMeetings", 201),
            ("GET", "/v1.0/me", 200),
            ("GET", "/v1.0/me/nowhere", 404),
        ]
        assert [e.unmatched for e in entries] == [False, False, False, True]

    async def test_beta_batches_send_items_to_beta(self, mock, http):
        server, url = mock
        status, _ = await batch(http, url, [{"id": "1", "method": "GET", "url": "/me"}], version="beta")
        assert status == 200
        assert list(server.journal)[1].path == "/beta/me"

    async def test_item_findings_are_rooted_at_the_item(self, mock, http):
        """A contract finding of an item's body points into the batch body: /requests/0/body/..."""
        server, url = mock
        item = {**MEETING_ITEM, "body": {"subject": "x", "bogus": 1}}
        await batch(http, url, [{"id": "a", "method": "GET", "url": "/me"}, item])
        meeting_entry = list(server.journal)[2]
        assert [f.path for f in meeting_entry.findings] == ["/requests/1/body/bogus"]

    async def test_depends_on_orders_and_a_failed_dependency_answers_424(self, mock, http):
        server, url = mock
        items = [
            {"id": "late", "method": "GET", "url": "/me", "dependsOn": ["first"]},
            {"id": "first", "method": "GET", "url": "/me/nowhere"},
            {"id": "free", "method": "GET", "url": "/me"},
        ]
        _, body = await batch(http, url, items)
        answers = by_id(body)
        assert answers["late"]["status"] == 424
        assert answers["late"]["body"]["error"]["code"] == "FailedDependency"
        assert answers["free"]["status"] == 200
        assert [e.path for e in server.journal][1:] == ["/v1.0/me/nowhere", "/v1.0/me", "/v1.0/me"]

    async def test_bodies_that_are_not_json_travel_as_base64(self, mock, http):
        """Both ways: an item's text body is sent base64, and a text answer comes back base64."""
        server, url = mock
        async with http.post(url + "/_mockgraph/stubs", json={"method": "PUT", "path": "/me/photo/$value", "body": "stored"}) as r:
            assert r.status == 201
        photo = base64.b64encode(b"\xff\xd8jpeg").decode()
        item = {"id": "1", "method": "PUT", "url": "/me/photo/$value", "body": photo, "headers": {"Content-Type": "image/jpeg"}}
        _, body = await batch(http, url, [item])
        assert base64.b64decode(by_id(body)["1"]["body"]) == b"stored"
        bad = {**item, "body": "not base64!"}
        _, body = await batch(http, url, [bad])
        assert by_id(body)["1"]["status"] == 400

    async def test_an_item_is_throttled_on_its_own(self, mock, http):
        """A throttle stub hits one item: 429 with its Retry-After; the other items answer."""
        _, url = mock
        async with http.post(url + "/_mockgraph/stubs", json={"method": "GET", "path": "/me", "times": 1, "throttle": {"retryAfter": "3"}}) as r:
            assert r.status == 201
        status, body = await batch(http, url, [{"id": "1", "method": "GET", "url": "/me"}, {**MEETING_ITEM, "id": "2"}])
        answers = by_id(body)
        assert status == 200
        assert (answers["1"]["status"], answers["1"]["headers"]["Retry-After"]) == (429, "3")
        assert answers["2"]["status"] == 201

    async def test_items_carry_the_batch_authorization(self, mock, http):
        """Each item is called with the batch's token (permission checks see it), unless it has its own."""
        server, url = mock
        seen = []

        class Spy:
            def concerns(self, request):
                return True

            async def answer(self, request):
                seen.append((request.target, request.headers.get("Authorization")))

        admin, batch_answerer, *rest = server.answerers
        server.answerers = (admin, batch_answerer, Spy(), *rest)
        items = [{"id": "1", "method": "GET", "url": "/me"}, {"id": "2", "method": "GET", "url": "/me", "headers": {"Authorization": "Bearer own"}}]
        await batch(http, url, items, headers={"Authorization": "Bearer batch"})
        assert seen == [("/v1.0/me", "Bearer batch"), ("/v1.0/me", "Bearer own")]


class TestRules:
    @pytest.mark.parametrize(
        ("requests", "message"),
        [
            ([{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)], "at most 20 requests; this one holds 21"),
            ([{"id": "1", "method": "GET", "url": "/me"}, {"id": "1", "method": "GET", "url": "/me"}], "Request id 1 is used twice"),
            ([{"method": "GET", "url": "/me"}], "Request 0 of the batch has no id"),
            ([{"id": "1", "url": "/me"}], "Request 1 has no valid method"),
            ([{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}], "Request 1 needs a relative url"),
            ([{"id": "1", "method": "POST", "url": "/me", "body": {"a": 1}}], "Request 1 has a body but no Content-Type"),
            ([{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}], "Request 1 depends on 9, which is not another request"),
            (
                [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]}, {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]}],
                "depends on itself through dependsOn",
            ),
            ([], "holds no requests"),
        ],
    )
    async def test_a_batch_that_breaks_a_rule_is_a_400_naming_the_request_and_rule(self, mock, http, requests, message):
        server, url = mock
        status, body = await batch(http, url, requests)
        assert status == 400
        assert body["error"]["code"] == "BadRequest"
        assert message in body["error"]["message"]
        assert len(server.journal) == 1  # the batch alone: no item ran

    async def test_a_batch_that_is_not_json_is_a_400(self, mock, http):
        _, url = mock
        async with http.post(url + "/v1.0/$batch", data=b"{", headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
            assert (await response.json())["error"]["message"].startswith("Unable to read JSON request payload.")

    async def test_an_unknown_item_key_is_a_finding_with_a_hint(self, mock, http):
        """The Python SDK's `depends_on`: a finding at /requests/1/depends_on, `did you mean dependsOn?`."""
        server, url = mock
        items = [{"id": "a", "method": "GET", "url": "/me"}, {"id": "b", "method": "GET", "url": "/me", "depends_on": ["a"]}]
        status, _ = await batch(http, url, items)
        assert status == 200
        (finding,) = list(server.journal)[0].findings
        assert (finding.kind, finding.severity, finding.path) == ("unknown", "error", "/requests/1/depends_on")
        assert finding.message.endswith("did you mean dependsOn?")

    async def test_in_strict_mode_an_unknown_item_key_refuses_the_batch(self, http):
        server = create_server(FixtureIndex(_fixtures()), Settings(strict=True))
        async with running(server) as url:
            status, body = await batch(http, url, [{"id": "a", "method": "GET", "url": "/me", "depends_on": []}])
        assert status == 400
        assert [f["path"] for f in body["error"]["innerError"]["findings"]] == ["/requests/0/depends_on"]
