"""The command line: diff, report and lint outcomes and exit statuses, and clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from mockgraph.cli import main
from mockgraph.journal import Journal, JournalEntry
from mockgraph.models import Finding
from support import FIXTURES_DIR, SEED_PAGE

SEED_FIXTURE = FIXTURES_DIR / "unversioned" / "app-post-onlinemeetings" / "create_onlinemeeting_from_.json"
DOCUMENTED = json.loads(SEED_FIXTURE.read_text())["request"]["body"]


def write_json(path, value):
    path.write_text(json.dumps(value))
    return path


def broken() -> dict:
    payload = {**DOCUMENTED, "isBroadcast": "yes", "extra": 1, "accessLevel": "secret", "capabilities": ["questionAndAnswer"]}
    del payload["joinUrl"]
    return payload


class TestDiff:
    @pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
    def test_findings_in_every_format_and_exit_1(self, tmp_path, capsys, fmt):
        """A payload with contract errors: every format names each finding's JSON Pointer; exit status 1."""
        payload = write_json(tmp_path / "payload.json", broken())
        assert main(["diff", str(payload), "--fixture", str(SEED_FIXTURE), "--format", fmt]) == 1
        out = capsys.readouterr().out
        for pointer in ("/isBroadcast", "/extra", "/accessLevel", "/joinUrl"):
            assert pointer in out, (fmt, pointer)

    def test_json_report_shape(self, tmp_path, capsys):
        """The JSON report holds the findings and the counts by severity."""
        payload = write_json(tmp_path / "payload.json", broken())
        main(["diff", str(payload), "--fixture", str(SEED_FIXTURE), "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert [(f["kind"], f["path"]) for f in report["findings"]] == [
            ("type", "/isBroadcast"), ("enum", "/accessLevel"), ("unknown", "/extra"), ("missing", "/joinUrl"),
        ]
        assert report["summary"] == {"errors": 3, "warnings": 0, "info": 1}

    def test_conforming_payload_exits_0(self, tmp_path, capsys):
        """A payload without errors exits 0, also when it has info findings."""
        payload = write_json(tmp_path / "p.json", {**DOCUMENTED, "accessLevel": "everyone", "capabilities": []})
        assert main(["diff", str(payload), "--fixture", str(SEED_FIXTURE), "--output", str(tmp_path / "r.md"), "--format", "markdown"]) == 0
        assert capsys.readouterr().out == ""
        assert (tmp_path / "r.md").read_text()

    @pytest.mark.parametrize(
        ("content", "message"),
        [(b"{", "not valid JSON: Expecting property name"), (b"\xff\xfe", "is not UTF-8 text")],
    )
    def test_bad_payload_exits_2_naming_the_file(self, tmp_path, capsys, content, message):
        """An unreadable payload exits 2 with a message naming the file."""
        payload = tmp_path / "bad.json"
        payload.write_bytes(content)
        assert main(["diff", str(payload), "--fixture", str(SEED_FIXTURE)]) == 2
        err = capsys.readouterr().err
        assert f"{payload}: " in err and message in err

    def test_missing_payload_file(self, tmp_path, capsys):
        """A payload file that does not exist exits 2 naming it."""
        assert main(["diff", str(tmp_path / "nope.json"), "--fixture", str(SEED_FIXTURE)]) == 2
        assert "nope.json: cannot be read" in capsys.readouterr().err

    def test_fixture_without_contract(self, tmp_path, capsys):
        """A fixture that documents no request body and no table exits 2 and says so."""
        fixture = json.loads(SEED_FIXTURE.read_text())
        del fixture["request"]["body"]
        fixture["contract"]["properties"] = []
        path = write_json(tmp_path / "f.json", fixture)
        assert main(["diff", str(write_json(tmp_path / "p.json", {})), "--fixture", str(path)]) == 2
        assert "documents no contract" in capsys.readouterr().err


class TestReport:
    def test_journal_report(self, tmp_path, capsys):
        """A journal becomes a report with one entry per request; errors make exit status 1."""
        path = tmp_path / "journal.jsonl"
        journal = Journal(file=path)
        error = Finding("type", "error", "/isBroadcast", "Boolean", "string", "isBroadcast should be Boolean, got string")
        journal.add(JournalEntry(1, "2026-01-01T00:00:00Z", "POST", "/v1.0/app/onlineMeetings", 201, "seed.json", {}, (error,)))
        journal.add(JournalEntry(2, "2026-01-01T00:00:01Z", "GET", "/v1.0/me", 404, None, None, ()))
        journal.close()
        assert main(["report", str(path), "--format", "json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert [r["name"] for r in report["requests"]] == ["POST /v1.0/app/onlineMeetings", "GET /v1.0/me"]
        assert report["summary"]["errors"] == 1

    def test_empty_journal(self, tmp_path, capsys):
        """An empty journal is a clear, empty report and exit status 0."""
        path = tmp_path / "journal.jsonl"
        path.write_text("")
        assert main(["report", str(path)]) == 0
        assert capsys.readouterr().out.strip()

    def test_corrupt_journal_names_the_line(self, tmp_path, capsys):
        """A journal line that is not an entry exits 2 naming the file and line."""
        path = tmp_path / "journal.jsonl"
        path.write_text('{"seq": 1}\n')
        assert main(["report", str(path)]) == 2
        assert f"{path}:1: not a journal entry" in capsys.readouterr().err


class TestLint:
    def test_seed_documentation_breaks(self, capsys):
        """The seed's lint: its enumeration examples and its end time before its start time."""
        assert main(["lint", str(SEED_PAGE), "--format", "json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert [(f["kind"], f["path"]) for f in report["findings"]] == [
            ("enum", "/accessLevel"), ("enum", "/capabilities/0"), ("range", "/endDateTime"),
        ]
