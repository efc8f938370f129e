"""Coverage: which documented operations a run exercised, from its journal entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockgraph.cli import main
from mockgraph.coverage import coverage, render
from mockgraph.fixturefile import load_fixtures
from mockgraph.journal import JournalEntry, entry_to_json
from mockgraph.models import Finding
from support import FIXTURES_DIR

FIXTURES = load_fixtures(FIXTURES_DIR)
GET_USER = "v1.0/user-get/get_user.json"  # /me and /users/{id | userPrincipalName}: one operation
GET_USER_1 = "v1.0/user-get/get_user_1.json"
LIST_USERS = "v1.0/user-list/get_users_2.json"
ERROR = Finding("type", "error", "/subject", "String", "integer", "subject should be String, got integer")


def entry(seq: int, fixture: str | None, test: str | None = None, findings: tuple[Finding, ...] = (), status: int = 200) -> JournalEntry:
    return JournalEntry(seq, "2024-01-01T00:00:00Z", "GET", "/v1.0/me", status, fixture, None, findings, test=test)


ENTRIES = [
    entry(1, GET_USER, "t.py::test_me"),
    entry(2, GET_USER_1, "t.py::test_other", (ERROR,)),
    entry(3, GET_USER, "t.py::test_me"),
    entry(4, None, "t.py::test_miss", status=404),
]


class TestCoverage:
    def test_calls_fixtures_and_tests_per_operation(self) -> None:
        """Examples of one operation count together; each operation lists its fixtures, tests and findings."""
        result = coverage(FIXTURES, ENTRIES)
        (op,) = [op for op in result.operations if GET_USER in op.examples]
        assert GET_USER_1 in op.examples
        data = op.to_json()
        assert (data["method"], data["path"], data["calls"]) == ("GET", "/users/{id | userPrincipalName}", 3)
        assert data["fixtures"] == [GET_USER, GET_USER_1]
        assert data["tests"] == ["t.py::test_me", "t.py::test_other"]
        assert data["findings"] == {"errors": 1, "warnings": 0, "info": 0}
        assert result.unmatched == 1

    def test_summary_counts_operations_never_exercised(self) -> None:
        """The share is exercised operations over documented ones; recordings are not operations."""
        result = coverage(FIXTURES, ENTRIES)
        summary = result.to_json()["summary"]
        assert isinstance(summary["operations"], int) and isinstance(summary["exercised"], int)
        assert summary["exercised"] == 1
        assert summary["share"] == round(1 / summary["operations"], 4)
        listed = next(op for op in result.operations if LIST_USERS in op.examples)
        assert listed.calls == 0 and not listed.exercised

    def test_order_of_entries_does_not_matter(self) -> None:
        """Workers hand their entries over in any order: the coverage is the same."""
        assert render(coverage(FIXTURES, ENTRIES), "json") == render(coverage(FIXTURES, ENTRIES[::-1]), "json")

    @pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
    def test_every_format(self, fmt: str) -> None:
        text = render(coverage(FIXTURES, ENTRIES), fmt)
        assert "users" in text

    def test_html_puts_errors_and_gaps_first(self) -> None:
        """A reader sees contract errors, then what was never exercised, then the rest, folded."""
        page = render(coverage(FIXTURES, [*ENTRIES, entry(5, LIST_USERS, "t.py::test_list")]), "html")
        errors, gaps, rest = page.index("Contract errors"), page.index("Never exercised"), page.index("Exercised (")
        assert errors < gaps < rest
        assert "<script" not in page


def test_command(tmp_path: Path, capsys) -> None:
    """`mockgraph coverage JOURNAL... --fixtures DIR` reads several journals and writes the format asked."""
    journals = []
    for i, part in enumerate((ENTRIES[:2], ENTRIES[2:])):
        journals.append(tmp_path / f"j{i}.jsonl")
        journals[-1].write_text("".join(json.dumps(entry_to_json(e)) + "\n" for e in part))
    out = tmp_path / "coverage.json"
    assert main(["coverage", *map(str, journals), "--fixtures", str(FIXTURES_DIR), "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["summary"]["exercised"] == 1
    assert sum(op["calls"] for op in data["operations"]) == 3
    assert "documented operations exercised" in capsys.readouterr().err


PLUGIN_TESTS = """
import json, urllib.request

def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    sent = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(sent) as answer:
        return answer.status

def test_me(mockgraph_server):
    assert call(mockgraph_server.url + "/v1.0/me") == 200

def test_me_again(mockgraph_server):
    assert call(mockgraph_server.url + "/v1.0/users/someone@contoso.com") == 200

def test_users(mockgraph_server):
    assert call(mockgraph_server.url + "/v1.0/users") == 200

def test_meeting(mockgraph_server):
    assert call(mockgraph_server.url + "/app/onlineMeetings", "POST", {"subject": 5}) == 201

def test_without_graph():
    pass
"""


def test_pytest_coverage_is_the_same_with_xdist(pytester: pytest.Pytester) -> None:
    """`--mockgraph-coverage` from a run split over two workers equals the same run in one process."""
    pytester.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_graph=PLUGIN_TESTS)
    pytester.runpytest("--mockgraph-coverage=single.json").assert_outcomes(passed=5)
    pytester.runpytest("-n", "2", "--mockgraph-coverage=split.json").assert_outcomes(passed=5)
    single = (pytester.path / "single.json").read_text()
    assert single == (pytester.path / "split.json").read_text()
    data = json.loads(single)
    me = next(op for op in data["operations"] if op["path"] == "/users/{id | userPrincipalName}")
    assert me["calls"] == 2 and me["tests"] == ["test_graph.py::test_me", "test_graph.py::test_me_again"]
    meeting = next(op for op in data["operations"] if op["path"] == "/app/onlineMeetings" and op["method"] == "POST")
    assert meeting["findings"]["errors"] >= 1
    assert data["summary"]["exercised"] == 3


def test_pytest_coverage_name_must_say_its_format(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--mockgraph-coverage=coverage.pdf")
    assert "mockgraph coverage coverage.pdf" in result.stderr.str()
