"""Record mode compares each recording with the documented fixture of its operation, as drift does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from mockgraph.fixturefile import load_fixture, load_fixtures, save_fixture
from mockgraph.journal import entry_from_json
from mockgraph.reports import cases_from_journal, render
from mockgraph.server import running
from support import serve_fixtures
from test_drift import USER, user_fixture

DOCUMENTED = {
    "v1.0/user-get/get_user.json": user_fixture("GET", "/users/{id}"),
    "v1.0/group-get/get_group.json": user_fixture("GET", "/groups/{id}"),
}


class RealGraph:
    """Answers a user that drifted from its documentation, and no group at all."""

    async def close(self) -> None:
        pass

    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/v1.0/users/"):
            user = {**USER, "displayName": 7, "riskLevel": "extreme", "employeeId": "E1"}
            del user["accountEnabled"]
            return web.json_response(user)
        if request.path == "/v1.0/users":
            return web.json_response({"value": []})
        return web.json_response({"error": {"code": "Request_ResourceNotFound", "message": "no such group"}}, status=404)


@pytest.fixture
async def real_graph() -> AsyncIterator[str]:
    async with running(RealGraph()) as url:
        yield url


async def test_recording_keeps_its_drift(tmp_path: Path, real_graph: str, http: aiohttp.ClientSession) -> None:
    """Each difference between the real answer and the documented one is kept in the recording, at
    its pointer, naming the documented fixture; the journal and the report show them as warnings."""
    folder = tmp_path / "fixtures"
    for name, fixture in DOCUMENTED.items():
        save_fixture(fixture, folder / name)
    async with serve_fixtures(load_fixtures(folder), fixtures=folder, record="all", upstream=real_graph) as url:
        for path in ("/v1.0/users/42", "/v1.0/groups/7", "/v1.0/users"):
            async with http.get(url + path) as answer:
                await answer.read()
        async with http.get(f"{url}/_mockgraph/requests") as answer:
            journal = (await answer.json())["requests"]

    recorded = {f.request.path: f for f in map(load_fixture, (folder / "recorded").rglob("*.json"))}
    user = recorded["/users/42"].drift
    assert user is not None and user.fixture == "v1.0/user-get/get_user.json"
    assert [(f.kind, f.path) for f in user.findings] == [
        ("type", "/displayName"),
        ("enum", "/riskLevel"),
        ("unknown", "/employeeId"),
        ("missing", "/accountEnabled"),
    ]
    group = recorded["/groups/7"].drift
    assert group is not None and [(f.kind, f.path, f.expected, f.actual) for f in group.findings] == [("status", "", "200", "404")]
    assert recorded["/users"].drift is None  # no documented fixture answers a list of users here

    entries = [entry_from_json(e) for e in journal]
    drifted = next(e for e in entries if e.path == "/v1.0/users/42")
    assert [(f.kind, f.severity, f.path) for f in drifted.findings] == [
        ("type", "warning", "/displayName"),
        ("enum", "warning", "/riskLevel"),
        ("unknown", "warning", "/employeeId"),
        ("missing", "warning", "/accountEnabled"),
    ]
    assert drifted.findings[0].message.startswith("drift from v1.0/user-get/get_user.json: ")
    report = json.loads(render(cases_from_journal(entries), "json"))
    assert report["summary"]["errors"] == 0 and report["summary"]["warnings"] == 5


async def test_recording_of_an_undocumented_operation_has_no_drift(tmp_path: Path, real_graph: str, http: aiohttp.ClientSession) -> None:
    """Nothing documented answers `/users` here: the recording carries no drift at all."""
    folder = tmp_path / "fixtures"
    save_fixture(DOCUMENTED["v1.0/user-get/get_user.json"], folder / "v1.0/user-get/get_user.json")
    async with serve_fixtures(load_fixtures(folder), fixtures=folder, record="all", upstream=real_graph) as url:
        async with http.get(url + "/v1.0/users") as answer:
            assert answer.status == 200
    (path,) = (folder / "recorded").rglob("*.json")
    assert load_fixture(path).drift is None
    assert '"drift"' not in path.read_text()
