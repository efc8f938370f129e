"""Record mode over real sockets: mockgraph forwards to a local aiohttp server that plays Graph,
records what it answers, and replays it with that upstream stopped."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import json
import os
import signal
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from mockgraph.fixturefile import load_fixtures
from mockgraph.redact import REDACTED
from mockgraph.server import running
from support import serve_fixtures

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLXZhbHVl"
COOKIE_SECRET = "fpc-cookie-secret-4711"
SESSION_SECRET = "server-session-secret-0815"
REFRESH_SECRET = "refresh-token-secret-42"
PASSWORD = "correct-horse-battery-staple"
SECRETS = (TOKEN, COOKIE_SECRET, SESSION_SECRET, REFRESH_SECRET, PASSWORD)
USER_ID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
UPN = "AdeleV@contoso.onmicrosoft.com"
CLIENT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"fpc={COOKIE_SECRET}"}


class FakeGraph:
    """A real aiohttp server on 127.0.0.1 that answers like Graph and remembers what it was sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.released = asyncio.Event()  # ends the slow answer, so stopping never waits for it

    async def close(self) -> None:
        """Nothing to let go of: with `dispatch`, what `running` serves, so one helper serves both."""

    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        self.requests.append((request.method, request.raw_path, dict(request.headers), body))
        path = request.path
        if path == "/v1.0/me/onlineMeetings" and request.method == "POST":
            sent = json.loads(body)
            meeting = {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/onlineMeetings/$entity",
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, sent.get("subject", ""))),
                "subject": sent.get("subject"),
                "startDateTime": sent.get("startDateTime"),
                "joinWebUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0",
            }
            response = web.json_response(meeting, status=201, headers={"x-ms-ags-diagnostic": '{"ServerInfo":{}}'})
            response.set_cookie("session", SESSION_SECRET)
            return response
        if path == f"/v1.0/users/{USER_ID}":
            return web.json_response({"id": USER_ID, "userPrincipalName": UPN, "mail": UPN, "displayName": "Adele Vance"})
        if path == "/oauth2/v2.0/token":
            return web.json_response({"token_type": "Bearer", "access_token": TOKEN, "refresh_token": REFRESH_SECRET})
        if path == "/v1.0/me/photo/$value":
            return web.Response(body=bytes(range(256)) * 4, content_type="image/jpeg")
        if path == "/v1.0/big":
            return web.Response(body=b"x" * (3 * 1024 * 1024 + 7), content_type="text/plain")
        if path == "/v1.0/gzipped":
            data = gzip.compress(json.dumps({"value": ["a"] * 1000}).encode())
            return web.Response(body=data, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        if path == "/v1.0/slow":
            await asyncio.wait_for(self.released.wait(), timeout=5)
        if path == "/v1.0/reset":
            request.transport.abort()
        if path == "/v1.0/broken":  # promises 1,000 bytes, sends 10, hangs up
            response = web.StreamResponse(headers={"Content-Type": "text/plain"})
            response.content_length = 1000
            await response.prepare(request)
            await response.write(b"0123456789")
            await asyncio.sleep(0.05)
            request.transport.abort()
            return response
        if path == "/v1.0/echo-headers":
            return web.json_response(dict(request.headers), headers={"X-Upstream": "yes"})
        return web.json_response({"error": {"code": "ResourceNotFound", "message": f"no {path} upstream"}}, status=404)


@asynccontextmanager
async def mockgraph(folder: Path, **settings) -> AsyncIterator[str]:
    """mockgraph on the fixtures in `folder`, reloaded now (as a new process would)."""
    folder.mkdir(parents=True, exist_ok=True)
    async with serve_fixtures(load_fixtures(folder), fixtures=folder, **settings) as url:
        yield url


@pytest.fixture
async def graph() -> AsyncIterator[tuple[str, FakeGraph]]:
    fake = FakeGraph()
    async with running(fake) as url:
        yield url, fake
        fake.released.set()


def recordings(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


async def post_meeting(http: aiohttp.ClientSession, url: str, subject: str = "Sprint review") -> tuple[int, dict]:
    payload = {"subject": subject, "startDateTime": "2026-12-01T10:00:00Z", "password": PASSWORD}
    async with http.post(f"{url}/v1.0/me/onlineMeetings", json=payload, headers=CLIENT_HEADERS) as response:
        return response.status, await response.json()


class TestRoundTrip:
    async def test_record_then_replay_offline(self, tmp_path, http):
        """A POST recorded against the upstream replays, with the upstream stopped, to the same status and body."""
        fake = FakeGraph()
        async with running(fake) as upstream, mockgraph(tmp_path, record="new", upstream=upstream) as url:
            recorded = await post_meeting(http, url)
        assert recorded[0] == 201 and recorded[1]["subject"] == "Sprint review"
        assert len(fake.requests) == 1
        async with mockgraph(tmp_path) as url:  # record mode none, upstream gone
            replayed = await post_meeting(http, url)
        assert replayed == recorded

    async def test_no_secret_reaches_disk(self, tmp_path, graph, http):
        """Tokens, cookies, passwords and refresh tokens are in no byte the recording or journal wrote."""
        upstream, fake = graph
        journal = tmp_path / "journal.jsonl"
        async with mockgraph(tmp_path / "fx", record="all", upstream=upstream, journal=journal) as url:
            await post_meeting(http, url)
            async with http.post(f"{url}/oauth2/v2.0/token", data={"client_secret": "s", "grant_type": "x"}) as response:
                assert (await response.json())["access_token"] == TOKEN  # the client still gets it
        written = all_bytes(tmp_path)
        for secret in SECRETS:
            assert secret.encode() not in written, secret
        assert fake.requests[0][2]["Authorization"] == f"Bearer {TOKEN}"  # ... and so does the upstream

    async def test_recorded_fixture_shows_the_marker(self, tmp_path, graph, http):
        """Redacted values are replaced by the marker, so a reader sees something was there."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            await post_meeting(http, url)
        (path,) = recordings(tmp_path)
        fixture = json.loads(path.read_text())
        assert fixture["source"]["kind"] == "recorded"
        assert fixture["request"]["headers"]["Authorization"] == REDACTED
        assert fixture["request"]["headers"]["Cookie"] == REDACTED
        assert fixture["request"]["body"]["password"] == REDACTED
        assert fixture["response"]["headers"]["Set-Cookie"] == REDACTED
        assert "x-ms-ags-diagnostic" not in fixture["response"]["headers"]  # changes every call

    async def test_contract_inferred_from_the_request(self, tmp_path, graph, http):
        """A recording's contract comes from the observed body: a later payload is checked against it."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            await post_meeting(http, url)
        async with mockgraph(tmp_path) as url:
            payload = {"subject": 7, "startDateTime": "tomorrow", "password": "x", "extra": True}
            async with http.post(f"{url}/v1.0/me/onlineMeetings", json=payload) as response:
                assert response.status == 201
                assert response.headers["mockgraph-contract"] == "2 errors, 1 warning"
            async with http.get(f"{url}/_mockgraph/requests") as response:
                findings = (await response.json())["requests"][0]["findings"]
        assert {(f["kind"], f["path"], f["severity"]) for f in findings} == {
            ("type", "/subject", "error"),
            ("format", "/startDateTime", "error"),
            ("unknown", "/extra", "warning"),
        }


class TestModes:
    async def test_none_never_connects(self, tmp_path, http):
        """In mode none, a request no fixture answers is a 404; the upstream never sees a connection."""
        connections = []

        async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            writer.close()

        listener = await asyncio.start_server(count, "127.0.0.1", 0)
        upstream = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        try:
            async with mockgraph(tmp_path, record="none", upstream=upstream) as url:
                async with http.get(f"{url}/v1.0/me") as response:
                    assert response.status == 404
        finally:
            listener.close()
            await listener.wait_closed()
        assert connections == []
        assert recordings(tmp_path) == []

    async def test_new_replays_what_it_recorded(self, tmp_path, graph, http):
        """In mode new, a request recorded before is replayed; only new requests go upstream."""
        upstream, fake = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            first = await post_meeting(http, url, "One")
            again = await post_meeting(http, url, "One")
            other = await post_meeting(http, url, "Two")
        assert first == again and other[1]["subject"] == "Two"
        assert [r[0] for r in fake.requests] == ["POST", "POST"]
        assert len(recordings(tmp_path)) == 2

    async def test_new_replays_each_recording_of_one_endpoint(self, tmp_path, graph, http):
        """In mode new, a second recording of an endpoint is replayed as its own, though the first was
        replayed (and its match remembered) before the second was made."""
        upstream, fake = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            one = await post_meeting(http, url, "One")
            assert await post_meeting(http, url, "One") == one
            two = await post_meeting(http, url, "Two")
            assert await post_meeting(http, url, "Two") == two
            assert await post_meeting(http, url, "One") == one
        assert (one[1]["subject"], two[1]["subject"]) == ("One", "Two")
        assert len(fake.requests) == 2

    async def test_new_replays_documented_fixtures(self, tmp_path, graph, http):
        """In mode new, a request a documented fixture answers is replayed, not forwarded."""
        from mockgraph.fixturefile import save_fixture
        from support import make_fixture

        save_fixture(make_fixture("GET", "/me", version="v1.0", status=200, response={"id": "doc"}), tmp_path / "doc.json")
        upstream, fake = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            async with http.get(f"{url}/v1.0/me") as response:
                assert await response.json() == {"id": "doc"}
        assert fake.requests == []

    async def test_once_records_then_replays(self, tmp_path, graph, http):
        """Mode once records into a folder with no recording, and only replays once one is there."""
        upstream, fake = graph
        async with mockgraph(tmp_path, record="once", upstream=upstream) as url:
            recorded = await post_meeting(http, url)
        async with mockgraph(tmp_path, record="once", upstream=upstream) as url:
            assert await post_meeting(http, url) == recorded
            async with http.get(f"{url}/v1.0/me/events") as response:
                assert response.status == 404  # not recorded, and not forwarded
        assert len(fake.requests) == 1

    async def test_all_rerecords_in_place(self, tmp_path, graph, http):
        """Mode all forwards every request; an identical interaction stays one unchanged file."""
        upstream, fake = graph
        async with mockgraph(tmp_path, record="all", upstream=upstream) as url:
            await post_meeting(http, url)
            (path,) = recordings(tmp_path)
            written = path.stat().st_mtime_ns
            await post_meeting(http, url)
        assert len(fake.requests) == 2
        assert recordings(tmp_path) == [path]
        assert path.stat().st_mtime_ns == written

    async def test_concurrent_distinct_requests(self, tmp_path, graph, http):
        """200 concurrent distinct requests in mode new: 200 correct answers and 200 fixtures."""
        upstream, fake = graph
        subjects = [f"Meeting {i}" for i in range(200)]
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            answers = await asyncio.gather(*(post_meeting(http, url, s) for s in subjects))
        assert [a[1]["subject"] for a in answers] == subjects
        assert all(a[0] == 201 for a in answers)
        assert len(fake.requests) == 200
        files = recordings(tmp_path)
        assert len(files) == 200
        assert {json.loads(p.read_text())["request"]["body"]["subject"] for p in files} == set(subjects)
        async with mockgraph(tmp_path) as url:  # and each replays its own answer
            replayed = await asyncio.gather(*(post_meeting(http, url, s) for s in subjects[:20]))
        assert replayed == answers[:20]


class TestForwarding:
    async def test_headers_both_ways(self, tmp_path, graph, http):
        """The client's headers reach the upstream minus hop-by-hop ones; the upstream's come back."""
        upstream, fake = graph
        headers = {"X-Custom": "kept", "Connection": "keep-alive, X-Hop", "X-Hop": "dropped", "Prefer": "odata.maxpagesize=5"}
        async with mockgraph(tmp_path, record="all", upstream=upstream) as url:
            async with http.get(f"{url}/v1.0/echo-headers?$top=5", headers=headers) as response:
                seen = await response.json()
                assert response.headers["X-Upstream"] == "yes"
        assert seen["X-Custom"] == "kept" and seen["Prefer"] == "odata.maxpagesize=5"
        assert "X-Hop" not in seen
        assert fake.requests[0][1] == "/v1.0/echo-headers?$top=5"

    async def test_upstream_errors_pass_through(self, tmp_path, graph, http):
        """An upstream's own error answer reaches the client unchanged (and is recorded like any other)."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            async with http.get(f"{url}/v1.0/nothing/here") as response:
                assert response.status == 404
                assert (await response.json())["error"]["message"] == "no /v1.0/nothing/here upstream"

    async def test_large_body_streams(self, tmp_path, graph, http):
        """A body over the record limit is streamed to the client whole, and not recorded."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="all", upstream=upstream, max_body_bytes=1024 * 1024) as url:
            async with http.get(f"{url}/v1.0/big") as response:
                body = await response.read()
        assert len(body) == 3 * 1024 * 1024 + 7 and set(body) == {ord("x")}
        assert recordings(tmp_path) == []

    async def test_compressed_answer(self, tmp_path, graph, http):
        """A gzip answer reaches the client as sent, and the recording holds the decoded JSON."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="all", upstream=upstream) as url:
            async with http.get(f"{url}/v1.0/gzipped", headers={"Accept-Encoding": "gzip, br"}) as response:
                assert response.headers["Content-Encoding"] == "gzip"
                assert await response.json() == {"value": ["a"] * 1000}
        (path,) = recordings(tmp_path)
        assert json.loads(path.read_text())["response"]["body"] == {"value": ["a"] * 1000}

    async def test_binary_answer_forwarded_not_recorded(self, tmp_path, graph, http):
        """A binary body cannot be a fixture yet: it is forwarded unchanged and not recorded."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="all", upstream=upstream) as url:
            async with http.get(f"{url}/v1.0/me/photo/$value") as response:
                assert await response.read() == bytes(range(256)) * 4
        assert recordings(tmp_path) == []


class TestUpstreamFailures:
    async def assert_gateway_error(self, http, url: str, path: str, status: int, code: str) -> None:
        async with http.get(f"{url}{path}") as response:
            assert response.status == status
            error = (await response.json())["error"]
        assert error["code"] == code and error["message"]
        assert error["innerError"]["request-id"]

    async def test_refused(self, tmp_path, http):
        """An upstream that refuses connections gives a Graph-style 502, and nothing is recorded."""
        async with running(FakeGraph()) as gone:
            pass  # the port is free again: connections are refused
        async with mockgraph(tmp_path, record="new", upstream=gone) as url:
            await self.assert_gateway_error(http, url, "/v1.0/me", 502, "BadGateway")
        assert recordings(tmp_path) == []

    async def test_timeout(self, tmp_path, graph, http):
        """An upstream slower than the timeout gives a Graph-style 504, and nothing is recorded."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream, upstream_timeout=0.2) as url:
            await self.assert_gateway_error(http, url, "/v1.0/slow", 504, "GatewayTimeout")
        assert recordings(tmp_path) == []

    async def test_reset(self, tmp_path, graph, http):
        """An upstream that drops the connection gives a Graph-style 502, and nothing is recorded."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            await self.assert_gateway_error(http, url, "/v1.0/reset", 502, "BadGateway")
        assert recordings(tmp_path) == []

    async def test_answer_broken_midway(self, tmp_path, graph, http):
        """An upstream that hangs up mid-answer breaks the client's answer too (never a short one
        that looks whole), and nothing is recorded."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            with pytest.raises(aiohttp.ClientPayloadError):
                async with http.get(f"{url}/v1.0/broken") as response:
                    await response.read()
        assert recordings(tmp_path) == []

    async def test_recording_that_cannot_be_written(self, tmp_path, graph, http, caplog):
        """Where the recording cannot be written (here `recorded` is a file), the client still gets
        its answer and the log says why nothing was recorded."""
        upstream, _ = graph
        (tmp_path / "recorded").write_text("not a folder")
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            assert (await post_meeting(http, url))[0] == 201
        assert "could not record POST /v1.0/me/onlineMeetings" in caplog.text
        assert recordings(tmp_path) == []

    async def test_journal_marks_forwarded(self, tmp_path, graph, http):
        """The journal tells forwarded requests from replayed ones, and names the recording."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            await post_meeting(http, url)
            await post_meeting(http, url)
            async with http.get(f"{url}/_mockgraph/requests") as response:
                entries = (await response.json())["requests"]
        assert [e["forwarded"] for e in entries] == [True, False]
        assert entries[0]["fixture"] == entries[1]["fixture"] == recordings(tmp_path)[0].relative_to(tmp_path).as_posix()


class TestFileNames:
    @pytest.mark.parametrize(
        "raw_path",
        [
            "/v1.0/users/..%2F..%2F..%2Fetc%2Fpasswd",
            "/v1.0/%2e%2e/%2e%2e/%2e%2e/outside",
            "/v1.0/users/a%5C..%5C..%5Cwin",
            "/v1.0/" + "very-long-segment-" * 40,
        ],
    )
    async def test_names_stay_inside_the_folder(self, tmp_path, graph, http, raw_path):
        """Whatever the request path holds, its recording lands inside the fixtures folder."""
        upstream, _ = graph
        folder = tmp_path / "fx"
        async with mockgraph(folder, record="all", upstream=upstream) as url:
            async with http.get(URL(url + raw_path, encoded=True)) as response:
                assert response.status == 404  # the upstream's answer
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        (path,) = files
        assert path.resolve().is_relative_to(folder.resolve())
        assert path.name.startswith("get-") and len(path.name) < 160

    async def test_readable_name(self, tmp_path, graph, http):
        """A recording's name says what it is: recorded/<version>/<method>-<path>-<id>.json."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream) as url:
            await post_meeting(http, url)
        (path,) = recordings(tmp_path)
        relative = path.relative_to(tmp_path).as_posix()
        assert relative.startswith("recorded/v1.0/post-me-onlineMeetings-")


class TestPseudonyms:
    async def test_identifiers_replaced_consistently(self, tmp_path, graph, http):
        """With pseudonymize, a user id and UPN become the same pseudonyms everywhere, and replay still finds them."""
        upstream, _ = graph
        async with mockgraph(tmp_path, record="new", upstream=upstream, pseudonymize=True) as url:
            async with http.get(f"{url}/v1.0/users/{USER_ID}") as response:
                assert (await response.json())["id"] == USER_ID  # the client sees the real answer
        written = all_bytes(tmp_path).decode()
        assert USER_ID not in written and UPN.lower() not in written.lower()
        (path,) = recordings(tmp_path)
        fixture = json.loads(path.read_text())
        pseudonym = fixture["response"]["body"]["id"]
        assert fixture["request"]["path"] == f"/users/{pseudonym}"
        assert fixture["response"]["body"]["mail"] == fixture["response"]["body"]["userPrincipalName"] != UPN
        async with mockgraph(tmp_path, pseudonymize=True) as url:
            async with http.get(f"{url}/v1.0/users/{USER_ID}") as response:
                assert response.status == 200
                assert (await response.json())["id"] == pseudonym


class TestCommandLine:
    def test_record_mode_without_upstream_exits_2(self, tmp_path, capsys):
        """`serve --record new` with no upstream is refused with a message, before anything starts."""
        from mockgraph.cli import main

        assert main(["serve", "--fixtures", str(tmp_path), "--record", "new"]) == 2
        assert "record mode 'new' needs an upstream URL" in capsys.readouterr().err

    async def test_serve_records_into_a_new_folder(self, tmp_path, graph, http):
        """`mockgraph serve --record new --upstream URL` as its own process creates the folder and records."""
        upstream, _ = graph
        folder = tmp_path / "fixtures"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mockgraph",
            "serve",
            "--port",
            "0",
            "--fixtures",
            str(folder),
            "--record",
            "new",
            "--upstream",
            upstream,
            "--redact",
            "x-tenant-key",
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            url = (await process.stdout.readline()).decode().split()[-1]
            assert (await process.stdout.readline()).startswith(b"loaded 0 fixtures")
            assert (await process.stdout.readline()).decode() == f"record mode new: forwarding to {upstream}\n"
            async with http.get(f"{url}/v1.0/users/{USER_ID}", headers={"X-Tenant-Key": "tk-secret"}) as response:
                assert (await response.json())["id"] == USER_ID
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 10) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        (path,) = recordings(folder)
        assert b"tk-secret" not in path.read_bytes()


class TestPlugin:
    def test_record_through_the_plugin(self, pytester, tmp_path):
        """--mockgraph-record new with --mockgraph-upstream records a test's calls; a later run replays them offline."""
        fake = FakeGraph()
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        pytester.makepyfile(
            test_calls=f"""
import json, urllib.request

def test_user(mockgraph_server):
    with urllib.request.urlopen(mockgraph_server.url + "/v1.0/users/{USER_ID}") as response:
        assert json.load(response)["displayName"] == "Adele Vance"
"""
        )
        folder = tmp_path / "recorded-fixtures"
        with serving_in_thread(fake) as upstream:
            result = pytester.runpytest(
                f"--mockgraph-fixtures={folder}", "--mockgraph-record=new", f"--mockgraph-upstream={upstream}", "-p", "no:randomly"
            )
        result.assert_outcomes(passed=1)
        assert len(fake.requests) == 1 and len(recordings(folder)) == 1
        pytester.runpytest(f"--mockgraph-fixtures={folder}").assert_outcomes(passed=1)  # upstream gone: replayed

    def test_record_mode_without_upstream_is_a_usage_error(self, pytester):
        """--mockgraph-record new with no upstream stops the run before any test, saying why."""
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        pytester.makepyfile(test_x="def test_x(mockgraph_server):\n    pass\n")
        result = pytester.runpytest("--mockgraph-record=new")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*record mode 'new' needs an upstream URL*"])


@contextmanager
def serving_in_thread(fake: FakeGraph) -> Iterator[str]:
    """`running(fake)` on an event loop of its own, for callers that block (pytester runs)."""
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[str] = concurrent.futures.Future()
    stop = threading.Event()

    async def serve() -> None:
        async with running(fake) as url:
            started.set_result(url)
            while not stop.is_set():
                await asyncio.sleep(0.01)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield started.result(timeout=10)
    finally:
        stop.set()
        thread.join(timeout=10)
        loop.close()
