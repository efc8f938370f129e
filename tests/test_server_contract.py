"""Contract checking in the server, over real sockets: the header, the journal, strict mode."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack

import pytest

from mockgraph.fixturefile import load_fixtures
from mockgraph.journal import read_journal
from support import FIXTURES_DIR, SEED_NAME, broken_seed, repaired_seed, serve_fixtures

SEED_PATH = "/v1.0/app/onlineMeetings"
FIXTURES = load_fixtures(FIXTURES_DIR)
DOCUMENTED = FIXTURES[SEED_NAME].request.body.json


@pytest.fixture
async def serve():
    """Start mockgraph on the bundled fixtures with the given settings; returns its base URL."""
    async with AsyncExitStack() as stack:

        async def start(**settings) -> str:
            return await stack.enter_async_context(serve_fixtures(FIXTURES, **settings))

        yield start


class TestHeader:
    async def test_conforming_payload(self, serve, http):
        """A conforming payload gets the documented answer and `mockgraph-contract: 0 errors`."""
        base = await serve()
        payload = repaired_seed()
        async with http.post(base + SEED_PATH, json=payload) as response:
            assert response.status == 201
            assert response.headers["mockgraph-contract"] == "0 errors"

    async def test_an_odata_type_that_is_a_list(self, serve, http):
        """A list as @odata.type is a finding in the header, never a 500."""
        base = await serve()
        payload = repaired_seed(**{"@odata.type": ["x"]})
        async with http.post(base + SEED_PATH, json=payload) as response:
            assert response.status == 201
            assert response.headers["mockgraph-contract"] == "1 warning"

    async def test_findings_are_summarised(self, serve, http):
        """A payload with contract breaks still gets the documented answer, with the counts in the header."""
        base = await serve()
        async with http.post(base + SEED_PATH, json=broken_seed()) as response:
            assert response.status == 201
            assert response.headers["mockgraph-contract"] == "3 errors, 1 info"

    async def test_conforming_and_breaking_payloads_in_turn(self, serve, http):
        """Payloads without findings share one answer; one with findings in between keeps its own header."""
        base = await serve()
        conforming = repaired_seed()
        headers = []
        for payload in (conforming, broken_seed(), {**conforming, "subject": "other"}, {**conforming, "subject": None}):
            async with http.post(base + SEED_PATH, json=payload) as response:
                assert response.status == 201
                headers.append(response.headers["mockgraph-contract"])
        assert headers == ["0 errors", "3 errors, 1 info", "0 errors", "0 errors"]

    async def test_new_undocumented_name_every_time(self, serve, http):
        """Each payload brings a different undocumented name: each answer counts it, the journal names it."""
        base = await serve()
        for i in range(3):
            payload = broken_seed()
            payload[f"extra{i}"] = payload.pop("extra")
            async with http.post(base + SEED_PATH, json=payload) as response:
                assert response.headers["mockgraph-contract"] == "3 errors, 1 info"
        async with http.get(base + "/_mockgraph/requests") as response:
            entries = (await response.json())["requests"]
        assert [[f["path"] for f in e["findings"] if f["kind"] == "unknown"] for e in entries] == [["/extra0"], ["/extra1"], ["/extra2"]]

    async def test_no_body_no_check(self, serve, http):
        """A request without a JSON body is not checked and carries no contract header."""
        base = await serve()
        async with http.get(base + "/v1.0/me/onlineMeetings?$filter=JoinWebUrl%20eq%20%27x%27") as response:
            assert response.status == 200
            assert "mockgraph-contract" not in response.headers


class TestJournal:
    async def test_requests_are_journaled_and_cleared(self, serve, http):
        """GET /_mockgraph/requests lists each request with its fixture and findings; DELETE clears it."""
        base = await serve()
        await (await http.post(base + SEED_PATH, json=broken_seed())).read()
        await (await http.get(base + "/v1.0/nothing/here")).read()
        async with http.get(base + "/_mockgraph/requests") as response:
            journal = await response.json()
        first, second = journal["requests"]
        assert (first["seq"], first["method"], first["path"], first["status"]) == (1, "POST", SEED_PATH, 201)
        assert first["fixture"] == "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"
        assert [(f["kind"], f["path"]) for f in first["findings"]] == [
            ("type", "/isBroadcast"),
            ("enum", "/accessLevel"),
            ("unknown", "/extra"),
            ("missing", "/joinUrl"),
        ]
        assert first["body"]["isBroadcast"] == "yes"
        assert (second["status"], second["fixture"], second["findings"]) == (404, None, [])
        assert journal["summary"] == {"errors": 3, "warnings": 0, "info": 1}
        async with http.delete(base + "/_mockgraph/requests") as response:
            assert response.status == 204
        async with http.get(base + "/_mockgraph/requests") as response:
            assert (await response.json())["requests"] == []

    async def test_repeated_requests_are_each_journaled(self, serve, http):
        """An identical request answered from memory is still journaled with its findings and fresh ids."""
        base = await serve()
        ids = set()
        for _ in range(3):
            async with http.post(base + SEED_PATH, json=broken_seed()) as response:
                assert response.headers["mockgraph-contract"] == "3 errors, 1 info"
                ids.add(response.headers["request-id"])
        async with http.get(base + "/_mockgraph/requests") as response:
            entries = (await response.json())["requests"]
        assert len(ids) == 3
        assert [len(e["findings"]) for e in entries] == [4, 4, 4]

    async def test_bodies_of_one_length_keep_their_own_answers(self, serve, http):
        """The memo finds a request by its head and body length, then compares the body: bodies of the
        same length to the same target, more of them than it keeps a head, each keep their own
        findings, however often and in whatever order they come back."""
        base = await serve()
        conforming = [repaired_seed(subject=f"s{i:03d}") for i in range(20)]
        breaking = [repaired_seed(subject=f"s{i:03d}", isBroadcast="ye") for i in range(20)]  # "ye" is as long as true
        assert len({len(json.dumps(p)) for p in conforming + breaking}) == 1  # one head for all forty bodies
        sent = [(p, "0 errors") for p in conforming] + [(p, "1 error") for p in breaking]
        for payload, expected in [*sent, *reversed(sent), *sent[::3]]:
            body = json.dumps(payload).encode()
            async with http.post(base + SEED_PATH, data=body, headers={"Content-Type": "application/json"}) as response:
                assert response.headers["mockgraph-contract"] == expected, payload["subject"]

    async def test_journal_is_bounded(self, serve, http):
        """The in-memory journal keeps the newest requests up to its limit."""
        base = await serve(journal_limit=2)
        for _ in range(3):
            await (await http.post(base + SEED_PATH, json=DOCUMENTED)).read()
        async with http.get(base + "/_mockgraph/requests") as response:
            assert [r["seq"] for r in (await response.json())["requests"]] == [2, 3]

    async def test_journal_file(self, serve, http, tmp_path):
        """--journal appends every request as a JSON line that read_journal reads back."""
        path = tmp_path / "journal.jsonl"
        base = await serve(journal=path)
        await (await http.post(base + SEED_PATH, json=broken_seed())).read()
        await (await http.post(base + SEED_PATH, data=b"{", headers={"Content-Type": "application/json"})).read()
        [checked, malformed] = read_journal(path)
        assert [f.kind for f in checked.findings] == ["type", "enum", "unknown", "missing"]
        assert (malformed.status, malformed.fixture, malformed.body) == (400, None, None)
        assert all(json.loads(line) for line in path.read_text().splitlines())

    async def test_unencodable_payload_is_journaled(self, serve, http, tmp_path):
        """A payload holding a lone surrogate (JSON text that no UTF-8 string can hold) is a 400, and
        its journal entry stays readable: the body that could break a reader is not kept as JSON."""
        path = tmp_path / "journal.jsonl"
        base = await serve(journal=path)
        data = b'{"subject": "\\ud800", "\\udfff": 1}'
        async with http.post(base + SEED_PATH, data=data, headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
            assert "surrogate" in (await response.json())["error"]["message"]
        [entry] = read_journal(path)
        assert (entry.status, entry.body) == (400, None)


class TestStrict:
    async def test_contract_errors_are_refused(self, serve, http):
        """Strict mode answers a payload with contract errors with a Graph-style 400 listing the findings."""
        base = await serve(strict=True)
        async with http.post(base + SEED_PATH, json=broken_seed()) as response:
            assert response.status == 400
            assert response.headers["mockgraph-contract"] == "3 errors, 1 info"
            error = (await response.json())["error"]
        assert error["code"] == "BadRequest"
        assert "isBroadcast should be Boolean, got string" in error["message"]
        assert [f["path"] for f in error["innerError"]["findings"]] == ["/isBroadcast", "/accessLevel", "/extra", "/joinUrl"]

    async def test_warnings_pass_in_strict_mode(self, serve, http):
        """Strict mode refuses errors only: a payload with info findings gets the documented answer."""
        base = await serve(strict=True)
        payload = repaired_seed()
        del payload["subject"]
        async with http.post(base + SEED_PATH, json=payload) as response:
            assert response.status == 201
            assert response.headers["mockgraph-contract"] == "1 info"
