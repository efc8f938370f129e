"""The pytest plugin, through pytester: generated test modules run against `mockgraph_server`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest

from support import FIXTURES_DIR, SEED_FIXTURE

SEED = json.loads(SEED_FIXTURE.read_text())
DOCUMENTED_REQUEST = SEED["request"]["body"]
DOCUMENTED_RESPONSE = SEED["response"]["body"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: the bundled fixtures named in its pytest ini, the seed payload beside the tests."""
    pytester.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(seed_payload=f"import json\nREQUEST = json.loads({json.dumps(json.dumps(DOCUMENTED_REQUEST))})\n")
    return pytester


SYNC_TEST = """
import json, urllib.request
from seed_payload import REQUEST

def test_create(mockgraph_server):
    body = json.dumps(REQUEST).encode()
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=body,
                                  headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(sent) as response:
        assert response.status == 201
        created = json.load(response)
    assert created["id"] == "96cd02c9-02c9-96cd-c902-cd96c902cd96"
    mockgraph_server.assert_called("POST", "/app/onlineMeetings", times=1)
    assert [e.status for e in mockgraph_server.requests] == [201]
"""


def test_sync_test_gets_the_documented_answer(project):
    """A plain synchronous test with urllib gets the documented 201; no conftest code needed."""
    project.makepyfile(test_sync=SYNC_TEST)
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_async_test_gets_the_documented_answer(project):
    """An async test under pytest-aiohttp gets the documented 201 body from the same fixture."""
    project.makepyfile(
        test_async=f"""
import aiohttp
from seed_payload import REQUEST

async def test_create(mockgraph_server):
    async with aiohttp.ClientSession() as http:
        async with http.post(mockgraph_server.url + "/v1.0/app/onlineMeetings", json=REQUEST) as response:
            assert response.status == 201
            assert await response.json() == {DOCUMENTED_RESPONSE!r}
"""
    )
    result = project.runpytest("-p", "asyncio", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1)


WRONG_TYPE_TEST = """
import json, urllib.error, urllib.request
from seed_payload import REQUEST

def test_create(mockgraph_server):
    body = json.dumps({**REQUEST, "isBroadcast": "yes"}).encode()
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=body,
                                  headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(sent) as response:
            assert response.status == 201
    except urllib.error.HTTPError as error:
        error.close()  # its socket, else left to the garbage collector, in whatever test runs then
        raise
"""


def test_strict_mode_fails_on_contract_errors(project):
    """--mockgraph-strict: a wrong type fails the test, naming the property's JSON Pointer."""
    project.makepyfile(test_wrong=WRONG_TYPE_TEST)  # strict mode answers 400, which urllib raises
    result = project.runpytest("--mockgraph-strict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*breaks the documented contract*", "*type*/isBroadcast: expected Boolean, got string*"])


def test_not_strict_passes_with_a_summary(project):
    """Without strict mode the same test passes, and the session ends with a contract summary."""
    project.makepyfile(test_wrong=WRONG_TYPE_TEST)
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*mockgraph contract*", "3 errors, 0 warnings, 0 info in 1 requests", "*/isBroadcast*"])


def test_marker_wins_over_the_command_line(project):
    """@pytest.mark.mockgraph(strict=False) overrides --mockgraph-strict for its test."""
    project.makepyfile(
        test_wrong="import pytest\n" + WRONG_TYPE_TEST.replace("def test_create", "@pytest.mark.mockgraph(strict=False)\ndef test_create")
    )
    result = project.runpytest("--mockgraph-strict")
    result.assert_outcomes(passed=1)


def test_unmatched_request_fails_the_test(project):
    """A request no fixture answers fails the test even when the code under test swallowed the 404."""
    project.makepyfile(
        test_miss="""
import urllib.request, urllib.error

def test_lookup(mockgraph_server):
    try:
        urllib.request.urlopen(mockgraph_server.url + "/v1.0/me/nothingHere")
    except urllib.error.HTTPError:
        pass  # the client library hides the error
"""
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GET /v1.0/me/nothingHere matched no fixture (answered 404)*"])


def test_state_is_reset_between_tests(project):
    """Each test sees only its own requests, on one server for the session."""
    project.makepyfile(
        test_two="""
import urllib.request
URLS = []

def test_first(mockgraph_server):
    URLS.append(mockgraph_server.url)
    urllib.request.urlopen(mockgraph_server.url + "/_mockgraph/health")
    assert mockgraph_server.requests == []  # the admin API is not journaled

def test_second(mockgraph_server):
    assert mockgraph_server.url == URLS[0]
    assert mockgraph_server.requests == []
"""
    )
    project.runpytest().assert_outcomes(passed=2)


def json_type_findings(text: str) -> list[str]:
    return [f["path"] for f in json.loads(text)["findings"] if f["kind"] == "type"]


def junit_type_findings(text: str) -> list[str]:
    root = ElementTree.fromstring(text)
    assert root.tag == "testsuites" and root[0].tag == "testsuite"
    # One testcase per test: each failure's first line names the request, then the pointer.
    return [f.text.splitlines()[0].rpartition("pointer: ")[2] for f in root.iter("failure") if f.get("type") == "type"]


def markdown_type_findings(text: str) -> list[str]:
    rows = [[cell.strip() for cell in line.split(" | ")] for line in text.splitlines() if line.startswith("| error | type |")]
    return [row[2].strip("`") for row in rows]


@pytest.mark.parametrize(
    ("suffix", "type_findings"), [(".json", json_type_findings), (".xml", junit_type_findings), (".md", markdown_type_findings)]
)
def test_report_file(project, suffix, type_findings):
    """--mockgraph-report writes the session's contract report in the format its name says: the
    file parses as that format and holds the one type finding, at /isBroadcast, where it belongs."""
    project.makepyfile(test_wrong=WRONG_TYPE_TEST)
    report = project.path / f"contract{suffix}"
    result = project.runpytest(f"--mockgraph-report={report}")
    result.assert_outcomes(passed=1)
    assert type_findings(report.read_text()) == ["/isBroadcast"]


def test_unknown_report_format_is_a_usage_error(project):
    """A report name without a known extension stops the run before any test."""
    project.makepyfile(test_sync=SYNC_TEST)
    result = project.runpytest("--mockgraph-report=contract.pdf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*contract.pdf*must end in one of*"])


def test_fresh_server_on_request(project):
    """@pytest.mark.mockgraph(fresh=True) gives a test its own server, not the session's."""
    project.makepyfile(
        test_fresh="""
import pytest
URLS = []

def test_shared(mockgraph_server):
    URLS.append(mockgraph_server.url)

@pytest.mark.mockgraph(fresh=True)
def test_own(mockgraph_server):
    assert mockgraph_server.url != URLS[0]
"""
    )
    project.runpytest().assert_outcomes(passed=2)


def test_xdist_workers_merge_one_report(project):
    """Under pytest-xdist each worker runs its own server; the report holds every worker's requests."""
    project.makepyfile(
        test_many="""
import json, urllib.request
import pytest
from seed_payload import REQUEST

@pytest.mark.parametrize("n", range(6))
def test_create(mockgraph_server, n):
    body = json.dumps({**REQUEST, "subject": f"meeting {n}"}).encode()
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=body,
                                  headers={"Content-Type": "application/json"}, method="POST")
    assert urllib.request.urlopen(sent).status == 201
"""
    )
    report = project.path / "contract.json"
    result = project.runpytest_subprocess("-n", "2", f"--mockgraph-report={report}")
    result.assert_outcomes(passed=6)
    requests = json.loads(report.read_text())["requests"]
    assert len(requests) == 6
    assert {r["fixture"] for r in requests} == {"unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"}


def test_no_configuration_at_all(pytester):
    """A new project with no settings and no fixtures/ gets mockgraph's bundled fixtures: the five-line test passes."""
    pytester.makepyfile(
        test_new=f"""
import json, urllib.request

def test_create(mockgraph_server):
    sent = urllib.request.Request(mockgraph_server.url + "/v1.0/app/onlineMeetings", data=json.dumps({DOCUMENTED_REQUEST!r}).encode(),
                                  headers={{"Content-Type": "application/json"}}, method="POST")
    assert json.load(urllib.request.urlopen(sent)) == {DOCUMENTED_RESPONSE!r}
"""
    )
    # (the -o only quiets pytest-asyncio, which pytest-aiohttp brings along, about its own default)
    pytester.runpytest("-o", "asyncio_default_fixture_loop_scope=function").assert_outcomes(passed=1)


def test_report_from_the_settings_file(project):
    """The report path can come from [tool.mockgraph] too, like every other setting."""
    project.makepyfile(test_wrong=WRONG_TYPE_TEST)
    project.makefile(".toml", pyproject='[tool.mockgraph]\nreport = "contract.md"\n')
    project.runpytest().assert_outcomes(passed=1)
    assert "`/isBroadcast`" in (project.path / "contract.md").read_text()


def test_bad_settings_file_is_a_usage_error(project):
    """A settings file mockgraph cannot use stops the run before any test, naming the file and key."""
    project.makepyfile(test_sync=SYNC_TEST)
    project.makefile(".toml", pyproject='[tool.mockgraph]\nstrict = "yes"\n')
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pyproject.toml: strict must be true or false*"])


STUB_TESTS = """
import json, urllib.error, urllib.request

def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    sent = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(sent) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)

def test_stub_and_error(mockgraph_server):
    mockgraph_server.stub("POST", "/app/onlineMeetings", status=200, json={"id": "mine"}, times=1)
    mockgraph_server.error("GET", "/me", 404, code="Request_ResourceNotFound")
    assert call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})[::2] == (200, {"id": "mine"})
    status, _, body = call(mockgraph_server.url + "/v1.0/me")
    assert (status, body["error"]["code"]) == (404, "Request_ResourceNotFound")

def test_stubs_last_one_test(mockgraph_server):
    status, _, body = call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})
    assert status == 201 and body["id"] != "mine"

def test_throttle_then_the_fixture(mockgraph_server):
    mockgraph_server.throttle("POST", "/app/onlineMeetings", retry_after=None)
    first = call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})
    second = call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})
    assert (first[0], "Retry-After" in first[1], second[0]) == (429, False, 201)

def test_an_early_retry_fails_in_strict_mode(mockgraph_server):
    mockgraph_server.throttle("POST", "/app/onlineMeetings", retry_after="30")
    assert call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})[0] == 429
    assert call(mockgraph_server.url + "/v1.0/app/onlineMeetings", "POST", {"subject": "x"})[0] == 429
"""


def test_stubs_through_the_fixture(project):
    """stub(), error() and throttle() shape the answers for one test; an early retry is a strict failure."""
    project.makepyfile(test_shaped_answers=STUB_TESTS)
    result = project.runpytest("--mockgraph-strict")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_an_early_retry_fails_in_strict_mode*", "*throttle*retried after 0.* s, Retry-After was 30 s*"])
