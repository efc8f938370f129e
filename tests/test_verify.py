"""`mockgraph verify`: every fixture answers its own documented request, over real sockets."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import PurePosixPath

import pytest
from msgspec.structs import replace

from mockgraph.config import Settings
from mockgraph.errors import FixtureError
from mockgraph.fixturefile import load_fixtures, save_fixture
from mockgraph.models import Contract, Property
from mockgraph.server import MockServer
from mockgraph.verify import _difference, _Reply, render_verify, run_verify, verify
from support import FIXTURES_DIR, SEED_NAME, make_fixture

SEED = SEED_NAME


def outcomes(result) -> list[tuple[str, bool, str]]:
    return [(r.name, r.passed, r.reason) for r in result.results]


def with_headers(fixture, *headers):
    return replace(fixture, request=replace(fixture.request, headers=headers))


class TestBundled:
    def test_every_bundled_fixture_passes(self):
        """Every bundled fixture gets its documented response back: exit 0, `N passed, 0 failed`."""
        out = io.StringIO()
        assert run_verify(FIXTURES_DIR, out) == 0
        lines = out.getvalue().splitlines()
        assert lines[-1] == f"{len(list(FIXTURES_DIR.rglob('*.json')))} passed, 0 failed"
        assert not [line for line in lines if ": fail: " in line]

    async def test_seed_contract_breaks_are_notes(self):
        """The seed's documented enum breaks are notes at their pointers, not failures, even with strict settings."""
        result = await verify(load_fixtures(FIXTURES_DIR), Settings(strict=True))
        assert result.failed == 0
        assert [(f.kind, f.path) for f in result.notes[SEED]] == [("enum", "/accessLevel"), ("enum", "/capabilities/0")]
        lines = render_verify(result).splitlines()
        assert f"{SEED}: note: 2 enum findings at /accessLevel, /capabilities/0" in lines
        total = sum(len(findings) for findings in result.notes.values())
        assert total > 2 and len(result.notes) > 1  # the seed is not the only page that breaks its contract
        assert lines[-2].startswith(f"{total} contract notes in {len(result.notes)} fixtures: ")

    async def test_notes_can_be_counted_only(self):
        """Without per-fixture notes the report keeps their count and the last line."""
        result = await verify(load_fixtures(FIXTURES_DIR))
        text = render_verify(result, notes=False)
        assert ": note: " not in text
        total = sum(len(findings) for findings in result.notes.values())
        assert f"{total} contract notes in {len(result.notes)} fixtures" in text


class TestFailures:
    async def test_identical_requests_are_chosen_by_name(self):
        """Two examples with the same request: the second is sent with `Prefer: example=` and passes, with a note."""
        fixtures = {
            "a.json": make_fixture("POST", "/me/events", body={"subject": "x"}, response={"id": "1"}),
            "b.json": make_fixture("POST", "/me/events", body={"subject": "x"}, response={"id": "2"}),
        }
        result = await verify(fixtures)
        assert outcomes(result) == [("a.json", True, ""), ("b.json", True, "")]
        assert [(r.name, r.chosen) for r in result.chosen] == [("b.json", "b")]
        lines = render_verify(result).splitlines()
        assert "b.json: note: reachable with Prefer: example=b (its documented request is also a.json's)" in lines
        assert lines[-1] == "2 passed, 0 failed"

    def test_json_bodies_compare_by_type(self):
        """JSON bodies compare by type as well as value: true is not 1."""
        fixture = make_fixture("GET", "/me", status=200, response={"n": True})
        assert _difference(fixture, _Reply(200, b'{"n": 1}')) == ("body", "body at /n: expected true, got 1")

    async def test_another_fixture_answers(self):
        """A request that another example's literal route takes fails as other-fixture, naming it."""
        fixtures = {
            "delta.json": make_fixture("GET", "/users/delta", status=200, response={"value": []}),
            "user.json": make_fixture(
                "GET", "/users/delta", query="$select=id", routes=("/users/{id}",), status=200, response={"id": "delta"}
            ),
        }
        result = await verify(fixtures)
        assert outcomes(result) == [("delta.json", True, ""), ("user.json", False, "other-fixture")]
        assert result.failures[0].message == 'answered by delta.json; body at /id: expected "delta", got nothing'

    async def test_route_mismatch_is_unmatched(self):
        """A documented path none of its routes match fails as unmatched, with the server's explanation."""
        fixtures = {"events.json": make_fixture("POST", "/me/events", routes=("/me/calendar/events",), response={"id": "1"})}
        (failure,) = (await verify(fixtures)).failures
        assert failure.reason == "unmatched"
        assert failure.message.startswith("got 404 ResourceNotFound: mockgraph has no fixture for POST /me/events.")

    async def test_settings_apply(self):
        """The settings given apply: a documented body over max-body-bytes is refused, and verify says so."""
        fixtures = {"big.json": make_fixture("POST", "/me/events", body={"subject": "x" * 100}, response={"id": "1"})}
        (failure,) = (await verify(fixtures, Settings(max_body_bytes=64))).failures
        assert (failure.reason, failure.message.split(":")[0]) == ("unmatched", "got 413 RequestEntityTooLarge")

    async def test_body_the_server_cannot_send(self):
        """A documented body on a 204, which HTTP does not carry, fails as body."""
        fixtures = {"delete.json": make_fixture("DELETE", "/me/events/1", status=204, response={"id": "1"})}
        (failure,) = (await verify(fixtures)).failures
        assert (failure.reason, failure.message) == ("body", 'body: expected {"id": "1"}, got nothing')

    async def test_documented_headers_are_sent(self):
        """The documented Prefer header is sent, so examples that differ only by it both pass; text bodies compare as text."""
        update = make_fixture("PATCH", "/me", body={"city": "Oslo"}, status=204)
        fixtures = {
            "minimal.json": with_headers(update, ("Prefer", "return=minimal"), ("Content-Length", "999")),
            "representation.json": with_headers(
                replace(update, response=replace(update.response, status=200, body=replace(update.response.body, text="city=Oslo"))),
                ("Prefer", "return=representation"),
            ),
        }
        result = await verify(fixtures)
        assert outcomes(result) == [("minimal.json", True, ""), ("representation.json", True, "")]

    async def test_request_that_cannot_be_sent(self):
        """A documented request aiohttp refuses to send fails as error, and the others still run."""
        fixtures = {
            "bad.json": with_headers(make_fixture("GET", "/me", status=200, response={}), ("X-Note", "a\r\nb")),
            "good.json": make_fixture("GET", "/users", status=200, response={}),
        }
        result = await verify(fixtures)
        assert outcomes(result) == [("bad.json", False, "error"), ("good.json", True, "")]
        assert result.failures[0].message.startswith("request failed: ValueError: ")

    def test_failures_exit_1(self, tmp_path):
        """Failures are printed one a line, named by file, and the exit status is 1."""
        save_fixture(make_fixture("GET", "/me", status=200, response={"id": "1"}), tmp_path / "a.json")
        save_fixture(make_fixture("DELETE", "/me/events/1", status=204, response={"id": "1"}), tmp_path / "b.json")
        out = io.StringIO()
        assert run_verify(tmp_path, out) == 1
        assert out.getvalue().splitlines() == [
            f'{tmp_path.as_posix()}/b.json: fail: body: body: expected {{"id": "1"}}, got nothing',
            "1 passed, 1 failed",
        ]


class TestCommandLine:
    def test_verify_command(self, tmp_path, capsys):
        """`mockgraph verify DIR` exits 0 when every fixture passes, 1 on a failure, 2 on bad input."""
        from mockgraph.cli import main

        save_fixture(make_fixture("GET", "/me", status=200, response={"id": "1"}), tmp_path / "a.json")
        assert main(["verify", str(tmp_path)]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 0 failed"
        save_fixture(make_fixture("DELETE", "/me/events/1", status=204, response={"id": "1"}), tmp_path / "b.json")
        assert main(["verify", "--quiet", str(tmp_path)]) == 1
        assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 1 failed"
        assert main(["verify", str(tmp_path / "nope")]) == 2
        assert "nope: is not a folder of fixtures" in capsys.readouterr().err


class TestBadInput:
    def test_malformed_fixture_is_named(self, tmp_path):
        """A malformed fixture stops the run with a FixtureError naming the file and the field."""
        save_fixture(make_fixture(), tmp_path / "good.json")
        data = json.loads((tmp_path / "good.json").read_text())
        data["response"]["status"] = "201"
        (tmp_path / "bad.json").write_text(json.dumps(data))
        with pytest.raises(FixtureError) as error:
            run_verify(tmp_path, io.StringIO())
        assert error.value.path == tmp_path / "bad.json"
        assert error.value.problem == "response.status: expected int, got a string"

    @pytest.mark.parametrize(("folder", "problem"), [("missing", "is not a folder of fixtures"), ("empty", "holds no fixture files")])
    def test_no_fixtures(self, tmp_path, folder, problem):
        """A missing folder, or one without fixtures, is an error rather than `0 passed`."""
        (tmp_path / "empty").mkdir()
        with pytest.raises(FixtureError) as error:
            run_verify(tmp_path / folder, io.StringIO())
        assert error.value.problem.startswith(problem)


class TestScale:
    async def test_many_fixtures_with_bounded_concurrency(self, tmp_path, monkeypatch):
        """300 fixtures, three per endpoint, all pass with at most `concurrency` requests in flight, and
        each keeps its own notes however small the configured journal."""
        contract = Contract(
            type="microsoft.graph.event",
            properties=(
                Property("subject", "String"),
                Property("importance", "String", enum=("low", "normal", "high")),
                Property("sensitivity", "String", enum=("normal", "private")),
            ),
        )
        variants = [{"importance": "urgent"}, {"sensitivity": "secret"}, {"importance": "urgent", "sensitivity": "secret"}]
        for group in range(100):
            for k, extra in enumerate(variants):
                fixture = make_fixture("POST", f"/groups/g{group}/events", body={"subject": "s", **extra}, response={"id": f"{group}-{k}"})
                save_fixture(replace(fixture, contract=contract), tmp_path / f"g{group}" / f"{k}.json")

        limit = 4
        in_flight = peak = 0
        full = asyncio.Event()
        dispatch = MockServer.dispatch

        async def counting(self, request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight == limit:
                full.set()
            try:
                # Hold the first requests until as many are in flight as verify may send; a
                # verify that sends fewer stops being held after a while and fails the assertion.
                try:
                    await asyncio.wait_for(full.wait(), 5)
                except asyncio.TimeoutError:
                    full.set()
                return await dispatch(self, request)
            finally:
                in_flight -= 1

        monkeypatch.setattr(MockServer, "dispatch", counting)
        result = await verify(load_fixtures(tmp_path), Settings(journal_limit=5), concurrency=limit)

        assert (result.passed, result.failed) == (300, 0)
        assert peak == limit
        assert len(result.notes) == 300
        for name, findings in result.notes.items():
            expected = {"0": ["/importance"], "1": ["/sensitivity"], "2": ["/importance", "/sensitivity"]}[PurePosixPath(name).stem]
            assert [f.path for f in findings] == expected, name
