"""The road of a request: answerers in order, the first answer wins, the journal notes it once."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from mockgraph.config import Settings
from mockgraph.exchange import Answer, Request, RequestIds, graph_error
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running
from support import make_fixture

MEETING = {"id": "m1", "subject": "Subject value"}


class Scripted:
    """An answerer that answers each request differently: a counter in the body."""

    def __init__(self) -> None:
        self.calls = 0

    def concerns(self, request: Request) -> bool:
        return True

    async def answer(self, request: Request) -> Answer | None:
        self.calls += 1
        return Answer(200, {"Content-Type": "text/plain"}, f"answer {self.calls}".encode(), fixture=f"scripted-{self.calls}")


def _server(**settings):
    fixtures = {"seed.json": make_fixture("POST", "/app/onlineMeetings", body={"subject": "x"}, response=MEETING)}
    return create_server(FixtureIndex(fixtures), Settings(**settings))


async def test_the_memo_cannot_hide_an_answerer_before_the_fixtures():
    """A repeated identical request reaches an answerer placed before the fixtures every time."""
    server = _server()
    scripted = Scripted()
    admin, *rest = server.answerers
    async with running(server) as url, aiohttp.ClientSession() as http:
        async with http.post(url + "/v1.0/app/onlineMeetings", json={"subject": "x"}) as first:
            assert first.status == 201  # the fixture answers, and its answer is now remembered
        server.answerers = (admin, scripted, *rest)
        bodies = []
        for _ in range(3):
            async with http.post(url + "/v1.0/app/onlineMeetings", json={"subject": "x"}) as response:
                assert response.status == 200
                bodies.append(await response.text())
    assert bodies == ["answer 1", "answer 2", "answer 3"]
    assert [e.fixture for e in server.journal] == ["seed.json", "scripted-1", "scripted-2", "scripted-3"]


async def test_an_answerer_that_passes_lets_the_next_answer():
    """None from an answerer hands the request on; the fixtures answer it."""

    class Passing:
        seen: list[str] = []

        def concerns(self, request: Request) -> bool:
            return True

        async def answer(self, request: Request) -> Answer | None:
            self.seen.append(request.target)
            return None

    server = _server()
    passing = Passing()
    admin, *rest = server.answerers
    server.answerers = (admin, passing, *rest)
    async with running(server) as url, aiohttp.ClientSession() as http:
        async with http.post(url + "/v1.0/app/onlineMeetings?x=1", json={"subject": "x"}) as response:
            assert response.status == 201
    assert passing.seen == ["/v1.0/app/onlineMeetings?x=1"]


async def test_a_graph_error_from_an_answerer_is_journaled_once_with_its_message():
    """An error answer carries Graph's shape and the request's ids, and is journaled once."""

    class Refusing:
        def concerns(self, request: Request) -> bool:
            return True

        async def answer(self, request: Request) -> Answer | None:
            return graph_error(request, 403, "Authorization_RequestDenied", "Insufficient privileges.")

    server = _server()
    admin, *rest = server.answerers
    server.answerers = (admin, Refusing(), *rest)
    async with running(server) as url, aiohttp.ClientSession() as http:
        headers = {"client-request-id": "my-id"}
        async with http.get(url + "/v1.0/me", headers=headers) as response:
            body = await response.json()
            assert response.status == 403
            assert response.headers["client-request-id"] == "my-id"
    error = body["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["innerError"]["client-request-id"] == "my-id"
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    entries = list(server.journal)
    assert [(e.status, e.error) for e in entries] == [(403, "Insufficient privileges.")]


async def test_admin_requests_are_not_journaled():
    """The admin API answers first and leaves the journal to the requests under test."""
    server = _server()
    async with running(server) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/_mockgraph/health") as response:
            assert response.status == 200
        async with http.get(url + "/_mockgraph/requests") as response:
            assert (await response.json())["requests"] == []
    assert len(server.journal) == 0


async def test_a_payload_whose_fixture_documents_no_contract_is_said_unchecked():
    """No table, no example body: the header says `unchecked`, and so does the journal entry."""
    from msgspec.structs import replace

    from mockgraph.models import Contract

    bare = replace(make_fixture("POST", "/subscriptions", response={"id": "s1"}), contract=Contract())
    server = create_server(FixtureIndex({"bare.json": bare}), Settings())
    async with running(server) as url, aiohttp.ClientSession() as http:
        async with http.post(url + "/v1.0/subscriptions", json={"resource": "/me/messages"}) as response:
            assert response.status == 201
            assert response.headers["mockgraph-contract"] == "unchecked"
        async with http.post(url + "/v1.0/subscriptions") as response:  # no payload: nothing to check
            assert "mockgraph-contract" not in response.headers
    assert [e.unchecked for e in server.journal] == [True, False]


async def test_the_road_hands_on_the_whole_request_value():
    """The edge makes the request value without its NamedTuple constructor (edge.py): every field is there."""
    seen: list[Request] = []

    class Spy:
        def concerns(self, request: Request) -> bool:
            seen.append(request)
            return False

        async def answer(self, request: Request) -> Answer | None:
            raise AssertionError("not asked: it does not concern itself with the request")

    server = _server()
    admin, *rest = server.answerers
    server.answerers = (admin, Spy(), *rest)
    async with running(server) as url, aiohttp.ClientSession() as http:
        async with http.post(url + "/v1.0/app/onlineMeetings?x=1", json={"subject": "x"}, headers={"client-request-id": "c1"}) as response:
            assert response.status == 201
    (request,) = seen
    assert len(request) == len(Request._fields)
    assert (request.method, request.target, request.client_request_id, request.base_url) == ("POST", "/v1.0/app/onlineMeetings?x=1", "c1", url)
    assert request.body == b'{"subject": "x"}'


def test_an_answerer_without_concerns_is_refused_when_placed_on_the_road():
    """The road asks every answerer concerns(request) first: one without it is refused at once, not with a 500 on every request."""

    class Old:
        async def answer(self, request: Request) -> Answer | None:
            return None

    server = _server()
    with pytest.raises(TypeError, match="needs concerns\\(request\\) and async answer\\(request\\)"):
        server.answerers = (*server.answerers, Old())


async def test_a_journal_limit_of_zero_keeps_no_entries_and_answers():
    """journal-limit 0 keeps nothing in memory; requests are still answered."""
    server = _server(journal_limit=0)
    async with running(server) as url, aiohttp.ClientSession() as http:
        for _ in range(2):
            async with http.post(url + "/v1.0/app/onlineMeetings", json={"subject": "x"}) as response:
                assert response.status == 201
    assert list(server.journal) == []


def test_request_ids_are_distinct_guids_past_a_block_of_the_table():
    """Ids come from a per-server prefix and a counter whose last three digits are a table: they stay
    distinct and well-formed across the table's end, and two servers do not share them."""
    first, second = RequestIds(), RequestIds()
    ids = [first.next() for _ in range(3 * 4096 + 5)]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
    assert [int(i[-12:], 16) for i in ids] == list(range(len(ids)))
    assert second.next() not in ids
