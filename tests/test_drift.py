"""Drift: each fixture's request sent to an upstream that plays Graph, its answer compared by shape."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from msgspec.structs import replace

from mockgraph.cli import main
from mockgraph.drift import drift
from mockgraph.fixturefile import save_fixture
from mockgraph.models import Body, Contract, Fixture, FixtureRequest, FixtureResponse, Property, Source

TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"  # a JWT-shaped secret
TABLE = (
    Property("id", "String"),
    Property("displayName", "String"),
    Property("accountEnabled", "Boolean"),
    Property("riskLevel", "riskLevel", enum=("low", "medium", "high", "none")),
    Property("createdDateTime", "DateTimeOffset"),
)
USER = {"id": "1", "displayName": "Adele", "accountEnabled": True, "riskLevel": "low", "createdDateTime": "2021-01-01T00:00:00Z"}


def user_fixture(method: str, path: str, status: int = 200, collection: bool = False) -> Fixture:
    body = {"value": [USER]} if collection else USER
    return Fixture(
        Source("doc", page=f"api/user{path.replace('/', '-')}.md", example="example"),
        FixtureRequest(method, path, "v1.0", routes=(path,), body=Body.of_json({"displayName": "x"}) if method == "POST" else Body()),
        FixtureResponse(status, (("Content-Type", "application/json"),), Body.of_json(body) if status != 204 else Body()),
        response_contract=Contract("microsoft.graph.user", properties=TABLE, collection=collection) if status != 204 else None,
    )


FIXTURES = {
    "same.json": user_fixture("GET", "/users/same"),
    "typed.json": user_fixture("GET", "/users/typed"),
    "added.json": user_fixture("GET", "/users/added"),
    "gone.json": user_fixture("GET", "/users/gone"),
    "status.json": user_fixture("GET", "/users/status"),
    "enum.json": user_fixture("GET", "/users/enum"),
    "secret.json": user_fixture("GET", "/users/secret"),
    "list.json": user_fixture("GET", "/users", collection=True),
    "create.json": user_fixture("POST", "/users", status=201),
    "delete.json": user_fixture("DELETE", "/users/same", status=204),
}

# What each fixture's answer says about the documentation, pointer by pointer.
EXPECTED = {
    "same.json": [],
    "typed.json": [("type", "/displayName")],
    "added.json": [("unknown", "/shoeSize")],
    "gone.json": [("missing", "/displayName")],
    "status.json": [("status", "")],
    "enum.json": [("enum", "/riskLevel")],
    "secret.json": [("enum", "/riskLevel")],
    "list.json": [("type", "/value/1/accountEnabled"), ("format", "/value/1/createdDateTime")],
}


class DriftingGraph:
    """An upstream that drifts from the documentation in known ways, one per path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path, request.headers.get("Authorization")))
        name = request.path.rsplit("/", 1)[-1]
        user = dict(USER)
        if request.method == "POST":
            return web.json_response({**user, "id": "2"}, status=201)
        if request.method == "DELETE":
            return web.Response(status=204)
        if name == "users":
            other = {**user, "accountEnabled": "yes", "createdDateTime": "yesterday"}
            return web.json_response({"@odata.context": "x", "@odata.nextLink": "y", "value": [user, other]})
        if name == "typed":
            user["displayName"] = 5
        elif name == "added":
            user["shoeSize"] = 44
        elif name == "gone":
            del user["displayName"]
        elif name == "status":
            return web.json_response({"error": {"code": "Request_ResourceNotFound", "message": "gone"}}, status=404)
        elif name == "enum":
            user["riskLevel"] = "extreme"
        elif name == "secret":
            user["riskLevel"] = TOKEN
        elif name == "slow":
            await asyncio.sleep(5)
        elif name == "same":
            user["displayName"] = "Someone else entirely"  # values never count
        return web.json_response({"@odata.context": "https://graph/$metadata#users/$entity", **user})


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, DriftingGraph]]:
    graph = DriftingGraph()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", graph.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), graph
    finally:
        await server.close()


def found(report) -> dict[str, list[tuple[str, str]]]:
    return {r.name: [(f.kind, f.path) for f in r.findings] for r in report.results if r.outcome in ("same", "drifted")}


class TestDrift:
    async def test_every_drift_is_found_at_its_pointer(self, upstream) -> None:
        """A changed type, a new property, a missing one, another status and an enum value outside
        the table are each one finding, at its JSON Pointer; the answer that matches is `same`."""
        url, _ = upstream
        report = await drift(FIXTURES, url)
        assert found(report) == EXPECTED
        assert {r.name: r.outcome for r in report.results}["same.json"] == "same"
        assert report.summary() == "1 same, 7 drifted, 0 failed, 2 skipped (writes; --allow-writes sends them)"
        assert report.drifted

    async def test_only_safe_calls_without_allow_writes(self, upstream) -> None:
        """POST and DELETE stay home unless writes are allowed; then they are compared too."""
        url, graph = upstream
        await drift(FIXTURES, url)
        assert {m for m, _, _ in graph.seen} == {"GET"}
        report = await drift({k: FIXTURES[k] for k in ("create.json", "delete.json")}, url, allow_writes=True)
        assert [(r.name, r.outcome) for r in report.results] == [("create.json", "same"), ("delete.json", "same")]
        assert report.summary() == "2 same, 0 drifted, 0 failed"

    async def test_token_is_sent_and_never_reported(self, upstream) -> None:
        """The bearer token goes upstream; values quoted in findings are redacted."""
        url, graph = upstream
        report = await drift({"secret.json": FIXTURES["secret.json"]}, url, token=TOKEN)
        assert graph.seen[-1][2] == f"Bearer {TOKEN}"
        (finding,) = report.results[0].findings
        assert TOKEN not in finding.actual + finding.message and "REDACTED" in finding.actual

    async def test_bounded_by_timeout_and_concurrency(self, upstream) -> None:
        """A request that gets no answer in time fails, without holding up the others."""
        url, _ = upstream
        slow = user_fixture("GET", "/users/slow")
        report = await drift({"slow.json": slow, "same.json": FIXTURES["same.json"]}, url, timeout=0.5, concurrency=1)
        assert [(r.name, r.outcome) for r in report.results] == [("slow.json", "failed"), ("same.json", "same")]
        assert report.results[0].reason == "no answer within 0.5 s"
        assert report.summary() == "1 same, 0 drifted, 1 failed"

    async def test_unreachable_upstream_fails(self) -> None:
        """No upstream at all: every safe request fails, with the reason."""
        report = await drift({"same.json": FIXTURES["same.json"]}, "http://127.0.0.1:9", timeout=2)
        assert report.results[0].outcome == "failed" and "ClientConnectorError" in report.results[0].reason


class TestDriftCommand:
    @pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
    async def test_every_format(self, upstream, tmp_path: Path, fmt: str, monkeypatch, capsys) -> None:
        """Every report format; exit 1 where anything drifted; the summary on stderr; no token anywhere."""
        url, _ = upstream
        folder = tmp_path / "fixtures"
        for name, fixture in FIXTURES.items():
            save_fixture(fixture, folder / name)
        monkeypatch.setenv("GRAPH_TOKEN", TOKEN)
        out = tmp_path / "report.out"
        argv = ["drift", str(folder), "--upstream", url, "--token-env", "GRAPH_TOKEN", "--format", fmt, "--output", str(out)]
        status = await asyncio.to_thread(main, argv)
        assert status == 1
        text = out.read_text()
        assert TOKEN not in text
        assert "mockgraph drift: 1 same, 7 drifted, 0 failed, 2 skipped" in capsys.readouterr().err
        if fmt == "json":
            data = json.loads(text)
            assert data["drift"] == {"same": 1, "drifted": 7, "failed": 0, "skipped": 2}
            pointers = {r["fixture"]: [(f["kind"], f["path"]) for f in r["findings"]] for r in data["requests"] if r["outcome"] != "skipped"}
            assert pointers == EXPECTED
        else:
            assert "/value/1/accountEnabled" in text.replace("<wbr>", "") and "shoeSize" in text

    async def test_no_drift_exits_0(self, upstream, tmp_path: Path, capsys) -> None:
        url, _ = upstream
        save_fixture(FIXTURES["same.json"], tmp_path / "f" / "same.json")
        assert await asyncio.to_thread(main, ["drift", str(tmp_path / "f"), "--upstream", url]) == 0
        assert "1 same, 0 drifted, 0 failed" in capsys.readouterr().out

    def test_missing_token_variable_is_bad_input(self, tmp_path: Path, capsys) -> None:
        save_fixture(FIXTURES["same.json"], tmp_path / "f" / "same.json")
        assert main(["drift", str(tmp_path / "f"), "--upstream", "http://127.0.0.1:9", "--token-env", "NO_SUCH_VARIABLE_H18"]) == 2
        assert "NO_SUCH_VARIABLE_H18" in capsys.readouterr().err


def test_fixture_without_response_contract_is_compared_by_its_example() -> None:
    """An older fixture still drifts by the shape of its documented answer."""
    from mockgraph.drift import drift_findings

    fixture = replace(FIXTURES["same.json"], response_contract=None)
    assert [(f.kind, f.path) for f in drift_findings(fixture, 200, {**USER, "displayName": 1})] == [("type", "/displayName")]
