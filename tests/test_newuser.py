"""What a new user trips on, from pip install to CI (issue 12): each behaviour pinned by a test."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import FIXTURES_DIR, ROOT, serve_process

from mockgraph import pytest_plugin
from mockgraph.cli import main
from mockgraph.config import Settings, load_settings
from mockgraph.errors import ConfigError, FixtureError
from mockgraph.fixturefile import bundled_fixtures, scan_fixtures, write_atomic
from mockgraph.journal import JournalEntry
from mockgraph.models import Finding
from mockgraph.reports import Case, cases_from_journal, render
from mockgraph.stubs import Stub

SEED = FIXTURES_DIR / "unversioned" / "app-post-onlinemeetings" / "create_onlinemeeting_from_.json"
MISS = JournalEntry(2, "t", "GET", "/v1.0/nowhere", 404, None, None, error="mockgraph has no fixture for GET /v1.0/nowhere. Nearest: GET /me")
HIT = JournalEntry(1, "t", "GET", "/v1.0/me", 200, "me.json", None)
UNCHECKED = JournalEntry(3, "t", "POST", "/v1.0/things", 201, "things.json", {"a": 1}, unchecked=True)
ERROR = Finding("type", "error", "/isBroadcast", "Boolean", "string", "isBroadcast is not a Boolean")


class TestFixtureFolders:
    def test_bundled_fixtures_are_found_as_package_data(self):
        """The bundled fixtures are found through the package, here the top-level fixtures/ folder."""
        assert bundled_fixtures().resolve() == FIXTURES_DIR.resolve()

    def test_other_json_is_skipped_and_counted(self, tmp_path):
        """A project's users.json beside real fixtures is skipped with one note that counts it."""
        (tmp_path / "users.json").write_text('{"users": []}')
        (tmp_path / "list.json").write_text("[1, 2]")
        (tmp_path / "seed.json").write_text(SEED.read_text())
        folder = scan_fixtures(tmp_path)
        assert list(folder.fixtures) == ["seed.json"]
        assert folder.skipped == ("list.json", "users.json")
        assert "skipped 2 JSON files" in (folder.skipped_note() or "")

    def test_a_malformed_fixture_still_stops(self, tmp_path):
        """A file with the format marker that is malformed stops with its name and the field at fault."""
        (tmp_path / "bad.json").write_text('{"mockgraph": 1, "request": {}}')
        with pytest.raises(FixtureError, match="bad.json"):
            scan_fixtures(tmp_path)

    def test_a_missing_folder_says_what_to_do(self, tmp_path):
        """The error names the commands that fix it."""
        with pytest.raises(FixtureError, match=r"mockgraph import .*--out DIR.*--fixtures DIR"):
            scan_fixtures(tmp_path / "nowhere")

    @pytest.mark.parametrize("umask", [0o022, 0o002])
    def test_written_files_follow_the_umask(self, tmp_path, umask):
        """Reports and fixtures are ordinary files: 0644 under umask 022, not mkstemp's 0600."""
        old = os.umask(umask)
        try:
            write_atomic(tmp_path / "report.html", "x")
        finally:
            os.umask(old)
        assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask


class _FakeServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class TestSettings:
    def test_settings_are_hashable(self):
        """Settings with severities can key a dict."""
        settings = Settings(severity={"odata": "error"})
        assert {settings: 1}[Settings(severity={"odata": "error"})] == 1

    @pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Settings)])
    def test_settings_differing_in_one_field_get_different_servers(self, field, monkeypatch):
        """The plugin's shared servers are keyed by the whole Settings: any one field that differs, another server."""
        monkeypatch.setattr(pytest_plugin, "MockgraphServer", _FakeServer)
        changed = {
            "fixtures": Path("elsewhere"),
            "host": "127.0.0.2",
            "port": 1,
            "max_body_bytes": 1,
            "strict": True,
            "journal": Path("j.jsonl"),
            "journal_limit": 1,
            "severity": {"odata": "error"},
            "report": (Path("r.xml"),),
            "record": "new",
            "upstream": "http://x",
            "upstream_timeout": 1.0,
            "redact": ("X",),
            "pseudonymize": True,
            "fail_on": "never",
            "permissions": "enforce",
            "page_size": 3,
            "stateful": True,
            "state_limit": 5,
            "stubs": (Stub.from_mapping({"method": "GET", "path": "/me", "json": {"displayName": "x"}}),),
        }
        assert set(changed) == {f.name for f in dataclasses.fields(Settings)}, "a new setting needs a value here"
        servers: dict = {}
        one = pytest_plugin.shared_server(servers, Settings())
        other = pytest_plugin.shared_server(servers, dataclasses.replace(Settings(), **{field: changed[field]}))
        assert one is not other
        assert pytest_plugin.shared_server(servers, Settings()) is one

    def test_report_may_be_a_list_and_fail_on_is_checked(self, tmp_path):
        """`report` takes one path or a list; `fail-on` must be errors, warnings or never."""
        (tmp_path / "mockgraph.toml").write_text('report = ["a.xml", "b.html"]\nfail-on = "warnings"\n')
        settings = load_settings(cwd=tmp_path)
        assert settings.report == (tmp_path / "a.xml", tmp_path / "b.html")
        assert settings.fail_on == "warnings"
        (tmp_path / "mockgraph.toml").write_text('fail-on = "sometimes"\n')
        with pytest.raises(ConfigError, match="fail-on must be one of errors, warnings, never"):
            load_settings(cwd=tmp_path)


class TestReports:
    @pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
    def test_an_unmatched_request_fails_every_format(self, fmt):
        """A request that matched no fixture is a failure, with the server's hint, in every format."""
        out = render(cases_from_journal([HIT, MISS]), fmt)
        if fmt == "junit":
            failure = ET.fromstring(out).find("testsuite/testcase/failure")
            assert failure is not None and failure.get("type") == "unmatched"
            assert "Nearest: GET /me" in (failure.text or "")
        elif fmt == "json":
            report = json.loads(out)
            assert report["summary"]["unmatched"] == 1
            assert report["requests"][1]["unmatched"] is True
        else:
            assert "matched no fixture" in out.lower() or "MATCHED NO FIXTURE" in out
            assert "Nearest: GET /me" in out
            assert "No contract differences in 2 requests." not in out

    @pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
    def test_unchecked_endpoints_are_listed(self, fmt):
        """Endpoints whose contract is empty are listed as unchecked."""
        out = render(cases_from_journal([HIT, UNCHECKED]), fmt)
        assert "things.json" in out
        assert "unchecked" in out.lower()

    def test_junit_has_one_testcase_per_pytest_test(self):
        """In a pytest session's report, one testcase per test, named by its node id."""
        entries = [dataclasses.replace(e, test="tests/test_a.py::test_one") for e in (HIT, MISS)]
        entries.append(dataclasses.replace(HIT, seq=3, test="tests/test_a.py::test_two"))
        suite = ET.fromstring(render(cases_from_journal(entries), "junit")).find("testsuite")
        assert [t.get("name") for t in suite.findall("testcase")] == ["tests/test_a.py::test_one", "tests/test_a.py::test_two"]
        assert suite.get("failures") == "1"

    def test_html_shows_errors_first_and_folds_clean_requests(self):
        """The failing request comes before the clean one, which is folded in <details>."""
        cases = [Case("GET /v1.0/me", (), "me.json", 200), Case("POST /x", (ERROR,), "x.json", 201)]
        page = render(cases, "html")
        assert page.index("POST /x") < page.index("GET /v1.0/me")
        assert page.index("<details") < page.index("GET /v1.0/me")


class TestCli:
    def test_version(self, capsys):
        """`mockgraph --version` prints the version."""
        with pytest.raises(SystemExit) as exited:
            main(["--version"])
        assert exited.value.code == 0
        assert re.fullmatch(r"mockgraph \d+\.\d+\.\d+.*\n", capsys.readouterr().out)

    def test_output_extension_picks_the_format(self, tmp_path):
        """`report JOURNAL --output x.html` writes HTML, not text; an explicit --format wins."""
        journal = tmp_path / "journal.jsonl"
        journal.write_text(json.dumps({"seq": 1, "time": "t", "method": "GET", "path": "/me", "status": 200, "fixture": "me.json"}) + "\n")
        assert main(["report", str(journal), "--output", str(tmp_path / "x.html")]) == 0
        assert (tmp_path / "x.html").read_text().startswith("<!DOCTYPE html>")
        assert main(["report", str(journal), "--output", str(tmp_path / "y.html"), "--format", "json"]) == 0
        assert json.loads((tmp_path / "y.html").read_text())["summary"]["errors"] == 0

    def test_report_of_an_unmatched_request_exits_1(self, tmp_path):
        """A journal holding a miss is a failing report."""
        journal = tmp_path / "journal.jsonl"
        journal.write_text(json.dumps({"seq": 1, "time": "t", "method": "GET", "path": "/x", "status": 404, "fixture": None}) + "\n")
        assert main(["report", str(journal), "--output", str(tmp_path / "r.txt")]) == 1

    def test_lint_reports_what_it_cannot_check(self, tmp_path, capsys):
        """A page whose request has no response, and a body that is not JSON, are reported with the reason."""
        page = tmp_path / "page.md"
        page.write_text(
            "# Create thing\n\n## Example\n\n### Request\n\n"
            '<!-- {\n  "blockType": "request",\n  "name": "create_thing"\n}-->\n'
            "```http\nPOST https://graph.microsoft.com/v1.0/things\nContent-Type: text/plain\n\nhello\n```\n"
        )
        main(["lint", str(page), "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert [r["skipped"] for r in report["requests"]] and all("skipped" in r for r in report["requests"])
        assert "no-response" in report["requests"][0]["skipped"]


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--fixtures", str(FIXTURES_DIR), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = process.stdout.readline().split()[-1]
    process.stdout.readline()
    return process, url


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


class TestServe:
    def test_unmatched_request_exits_1_with_a_summary_and_every_report(self, tmp_path):
        """At stop: a summary on stderr, every --report written, exit 1 for a request that matched nothing."""
        process, url = _serve(tmp_path, "--report", "a.xml", "--report", "b.html")
        try:
            assert _get(url + "/v1.0/nowhere") == 404
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 1
            assert re.search(r"1 request, 1 unmatched, 0 contract errors, 0 warnings", process.stderr.read())
            assert (tmp_path / "a.xml").is_file() and (tmp_path / "b.html").is_file()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            process.stdout.close()
            process.stderr.close()

    def test_no_fixtures_folder_here_serves_the_bundled_ones(self, tmp_path):
        """With no --fixtures and no fixtures/ holding fixtures here, the bundled ones answer (said on stderr)."""
        (tmp_path / "fixtures").mkdir()
        (tmp_path / "fixtures" / "users.json").write_text('{"users": []}')
        argv = [sys.executable, "-m", "mockgraph", "serve", "--port", "0", "--quiet"]
        with serve_process(argv, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}) as (process, url):
            assert _get(url + "/_mockgraph/health") == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert "serving the bundled fixtures" in process.stderr.read()


# ------------------------------------------------------------------------------------ the plugin


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: no asyncio_mode, only the loop scope pytest-asyncio asks everyone to set."""
    pytester.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_async_test_runs_without_asyncio_configuration(project):
    """An `async def` test using mockgraph_server runs with pytest-asyncio in strict mode, unconfigured."""
    project.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\n")  # no asyncio setting at all
    project.makepyfile(
        test_async="""
import urllib.request

async def test_health(mockgraph_server):
    with urllib.request.urlopen(mockgraph_server.url + "/_mockgraph/health") as response:
        assert response.status == 200
"""
    )
    result = project.runpytest("-p", "asyncio", "-W", "ignore::pytest.PytestDeprecationWarning")
    result.assert_outcomes(passed=1)


def test_misspelt_marker_argument_is_a_usage_error(project):
    """`@pytest.mark.mockgraph(strcit=True)` stops the run, naming the valid arguments."""
    project.makepyfile(
        test_marker="""
import pytest

@pytest.mark.mockgraph(strcit=True)
def test_one(mockgraph_server):
    pass
"""
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*does not take strcit*fixtures, strict, record, upstream, fresh*"])


def test_assert_called_message_is_short(project):
    """An assert_called failure reads like pytest's: expected and got, correct plural, the requests sent."""
    project.makepyfile(
        test_called="""
import urllib.request

def test_one(mockgraph_server):
    urllib.request.urlopen(mockgraph_server.url + "/_mockgraph/health").close()
    mockgraph_server.assert_called("POST", "/app/onlineMeetings", times=2)
"""
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected 2 calls to POST /app/onlineMeetings, got 0*"])
    assert "JournalEntry(" not in result.stdout.str()
    assert "times" not in result.stdout.str().split("expected 2 calls")[1].split("\n")[0]


def test_miss_failure_shows_the_servers_hint(monkeypatch):
    """The failure for an unmatched request carries the server's message: the nearest fixtures and what differed."""

    class Seen(pytest_plugin.MockgraphServer):
        def __init__(self) -> None:
            self.settings = Settings()

    monkeypatch.setattr(Seen, "requests", [HIT, MISS])
    problems = Seen().problems() or ""
    assert "GET /v1.0/nowhere matched no fixture (answered 404)" in problems
    assert "  mockgraph has no fixture for GET /v1.0/nowhere. Nearest: GET /me" in problems


def test_miss_fails_the_test(project):
    """A request no fixture answers fails the test, even when the client swallowed the 404."""
    project.makepyfile(
        test_miss="""
import urllib.error, urllib.request

def test_one(mockgraph_server):
    try:
        urllib.request.urlopen(mockgraph_server.url + "/v1.0/app/onlineMeetingz").close()
    except urllib.error.HTTPError as error:
        error.close()
"""
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*matched no fixture (answered 40*"])


def test_reports_name_the_test_of_each_request(project):
    """The session's JSON report says which test sent each request."""
    project.makepyfile(
        test_two="""
import urllib.request

def test_one(mockgraph_server):
    urllib.request.urlopen(mockgraph_server.url + "/_mockgraph/health").close()
"""
    )
    # The health check is not journalled by every server; post the seed instead where it is not.
    project.makepyfile(
        test_seed=f"""
import json, urllib.request

def test_seed(mockgraph_server):
    body = json.dumps({json.loads(SEED.read_text())["request"]["body"]!r}).encode()
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=body,
                                  headers={{"Content-Type": "application/json"}}, method="POST")
    urllib.request.urlopen(sent).close()
"""
    )
    result = project.runpytest("--mockgraph-report=r.json", "--mockgraph-report=r.xml")
    result.assert_outcomes(passed=2)
    report = json.loads((project.path / "r.json").read_text())
    assert "test_seed.py::test_seed" in {r.get("test") for r in report["requests"]}
    names = [t.get("name") for t in ET.parse(project.path / "r.xml").getroot().iter("testcase")]
    assert "test_seed.py::test_seed" in names


@pytest.mark.parametrize("quiet", [False, True])
def test_serve_logs_requests_on_stderr_unless_quiet(quiet):
    """`serve` shows the server's `mockgraph.requests` INFO lines on stderr; `--quiet` silences them."""
    import logging

    from mockgraph import cli

    logger, requests = logging.getLogger("mockgraph"), logging.getLogger("mockgraph.requests")
    before = (list(logger.handlers), logger.level, requests.level)
    try:
        cli._log_requests(quiet=quiet)
        assert requests.isEnabledFor(logging.INFO) is not quiet
        assert requests.isEnabledFor(logging.WARNING)
    finally:
        logger.handlers[:] = before[0]
        logger.setLevel(before[1])
        requests.setLevel(before[2])
