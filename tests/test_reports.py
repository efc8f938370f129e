"""The report renderers: every format names exactly the seed's findings, escapes hostile values, and
says so clearly when there is nothing to report; the HTML page renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from mockgraph.differ import ContractChecker
from mockgraph.fixturefile import load_fixture
from mockgraph.journal import JournalEntry
from mockgraph.models import Finding
from mockgraph.reports import FORMATS, Case, cases_from_journal, render
from support import SEED_FIXTURE, broken_seed

SEED = load_fixture(SEED_FIXTURE)
EXPECTED = [("type", "/isBroadcast"), ("enum", "/accessLevel"), ("unknown", "/extra"), ("missing", "/joinUrl")]
ERRORS = EXPECTED[:3]  # /joinUrl is only info: the property table does not require it


def classic_mistakes() -> tuple[Finding, ...]:
    """The seed checked with isBroadcast "yes", an extra property, accessLevel "secret" and no joinUrl."""
    findings = ContractChecker(SEED.contract, SEED.request.body.json).check(broken_seed())
    assert [(f.kind, f.path) for f in findings] == EXPECTED  # the premise of every test below
    return findings


FINDINGS = classic_mistakes()
SEED_CASE = Case("POST /v1.0/app/onlineMeetings", FINDINGS, fixture="seed.json", status=201)
HOSTILE = Finding(
    kind="unknown",
    severity="error",
    path="/a`b|c/<script>alert(1)</script>",
    expected="<script>alert('x')</script> & co",
    actual="``|pipe|`` && @admin",
    message="@odata.type <img src=x onerror=alert(1)> | `tick` & \x1b[2J done",
)
HOSTILE_CASE = Case("POST /v1.0/<script>", (HOSTILE,), fixture="evil.json", status=201)


def unescaped_cells(line: str) -> list[str]:
    """A Markdown table row's cells, split the way GFM splits them: on pipes without a backslash."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


class Cells(HTMLParser):
    """The text of every table cell, row by row, with each row's class, and every tag opened."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str | None, list[str]]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append((dict(attrs).get("class"), []))
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(page: str) -> Cells:
    parser = Cells()
    parser.feed(page)
    parser.close()
    return parser


class TestApi:
    def test_unknown_format_lists_the_valid_ones(self):
        """An unknown format is a ValueError that names every valid format."""
        with pytest.raises(ValueError, match="unknown report format 'yaml'") as raised:
            render([SEED_CASE], "yaml")
        assert all(fmt in str(raised.value) for fmt in FORMATS)

    def test_cases_from_journal(self):
        """Each journal entry becomes a case named by method and path, with its fixture, status and findings."""
        entries = [
            JournalEntry(1, "2026-01-01T00:00:00Z", "POST", "/v1.0/app/onlineMeetings", 201, "seed.json", {}, FINDINGS),
            JournalEntry(2, "2026-01-01T00:00:01Z", "GET", "/v1.0/nowhere?x=1", 404, None, None),
        ]
        assert cases_from_journal(entries) == [SEED_CASE, Case("GET /v1.0/nowhere?x=1", (), None, 404, unmatched=True)]

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_every_format_ends_with_one_newline(self, fmt):
        """Every report is text ending in exactly one newline, ready to write to a file or stdout."""
        out = render([SEED_CASE], fmt)
        assert out.endswith("\n") and not out.endswith("\n\n")

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_any_key_can_be_written(self, fmt):
        """A lone surrogate or a NUL in a payload's key still gives a report that encodes as UTF-8."""
        odd = Finding("unknown", "error", "/\ud800\x00", "not documented", "integer", "\ud800\x00 is not a documented property")
        out = render([Case("payload.json", (odd,))], fmt)
        assert "\\ud800" in out and "\x00" not in out
        out.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate

    @pytest.mark.parametrize(
        ("fmt", "shown"), [("text", "(root)"), ("markdown", "`(root)`"), ("html", "<td>(root)</td>"), ("json", '"path": ""')]
    )
    def test_the_whole_payload(self, fmt, shown):
        """A finding about the whole payload (pointer "") is shown as (root); JSON keeps the pointer itself."""
        root = Finding("type", "error", "", "onlineMeeting object", "array", "payload should be onlineMeeting object, got array")
        assert shown in render([Case("payload.json", (root,))], fmt)


class TestEmpty:
    @pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
    def test_no_cases_says_so(self, fmt):
        """An empty journal is a short, clear report, not an empty one."""
        out = render([], fmt)
        assert "No requests checked." in out
        assert "<table" not in out and "| Severity" not in out

    @pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
    def test_cases_without_findings_say_so(self, fmt):
        """Requests that all conform read as "No contract differences", with how many were checked."""
        out = render([Case("GET /v1.0/me", ()), Case("GET /v1.0/users", ())], fmt)
        assert "No contract differences in 2 requests." in out

    def test_empty_json(self):
        """The JSON report of nothing has the same keys, with nothing in them."""
        assert json.loads(render([], "json")) == {"findings": [], "summary": {"errors": 0, "warnings": 0, "info": 0, "unmatched": 0}, "requests": []}

    def test_empty_junit(self):
        """The JUnit report of nothing is a valid, empty test suite."""
        suite = ET.fromstring(render([], "junit")).find("testsuite")
        assert suite is not None and suite.get("tests") == "0" and suite.get("failures") == "0" and len(suite) == 0


class TestText:
    def rows(self, out: str) -> list[list[str]]:
        lines = out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["severity", "kind"]) + 1
        return [line.split(maxsplit=3) for line in lines[start:] if line.startswith("  ")]

    def test_one_row_per_finding(self):
        """Each finding is one row: severity, kind, JSON Pointer, then expected | actual and the message."""
        out = render([SEED_CASE], "text")
        rows = self.rows(out)
        assert [(kind, pointer) for _, kind, pointer, _ in rows] == EXPECTED
        assert rows[0][3].split() == ["Boolean", "|", "string", "isBroadcast", "should", "be", "Boolean,", "got", "string"]
        assert "POST /v1.0/app/onlineMeetings  (fixture seed.json, status 201)" in out.splitlines()

    def test_columns_are_aligned(self):
        """The pointer and the expected | actual divider start at the same column on every row, header included."""
        lines = [line for line in render([SEED_CASE, HOSTILE_CASE], "text").splitlines() if " | " in line]
        assert len(lines) == 2 + len(FINDINGS) + 1  # two headers
        assert len({line.index(" | ") for line in lines}) == 1
        assert len({line.index("/") for line in lines if "/" in line.split()[2]}) == 1

    def test_summary_line(self):
        """The last line counts the findings by severity and the requests they came from."""
        out = render([SEED_CASE, Case("GET /v1.0/me", ())], "text")
        assert out.splitlines()[-1] == "3 errors, 0 warnings, 1 info in 2 requests."
        assert "GET /v1.0/me: no contract differences" in out

    def test_colour_only_when_asked(self):
        """With color=True errors are red, warnings yellow and info dim; without it there is no escape code."""
        warning = Finding("unknown", "warning", "/x", "not documented", "integer", "x is not a documented property")
        case = Case("payload.json", (*FINDINGS, warning))
        assert "\x1b" not in render([case], "text")
        coloured = render([case], "text", color=True).splitlines()
        row = {re.sub(r"\x1b\[\d+m", "", line).split()[1]: line for line in coloured if line.startswith("  \x1b")}
        assert row["type"].startswith("  \x1b[31merror") and row["missing"].startswith("  \x1b[2minfo")
        assert any(line.startswith("  \x1b[33mwarning") for line in coloured)

    def test_long_values_are_cut_short(self):
        """A long expected value ends in … so rows stay readable; the JSON report keeps it whole."""
        long = Finding("enum", "error", "/p", "one of " + ", ".join(f"value{i}" for i in range(40)), "'x'", "p is 'x'")
        out = render([Case("payload.json", (long,))], "text")
        row = next(line for line in out.splitlines() if line.startswith("  error"))
        assert "…" in row and long.expected not in out and len(row) < 120
        assert json.loads(render([Case("payload.json", (long,))], "json"))["findings"][0]["expected"] == long.expected

    def test_control_characters_cannot_steer_the_terminal(self):
        """An escape sequence inside a payload's key reaches the terminal as visible text, not as a command."""
        out = render([HOSTILE_CASE], "text")
        assert "\x1b" not in out and "\\x1b[2J" in out


class TestJson:
    def test_findings_summary_and_requests(self):
        """The JSON report lists the findings, counts them, and per request names fixture, status and counts."""
        report = json.loads(render([SEED_CASE, Case("GET /v1.0/me", (), "me.json", 200)], "json"))
        assert list(report) == ["findings", "summary", "requests"]
        assert [(f["kind"], f["path"]) for f in report["findings"]] == EXPECTED
        assert report["summary"] == {"errors": 3, "warnings": 0, "info": 1, "unmatched": 0}
        first, second = report["requests"]
        assert list(first) == ["name", "fixture", "status", "findings", "summary"]
        assert (first["name"], first["fixture"], first["status"]) == ("POST /v1.0/app/onlineMeetings", "seed.json", 201)
        assert [(f["kind"], f["path"]) for f in first["findings"]] == EXPECTED
        assert second == {
            "name": "GET /v1.0/me",
            "fixture": "me.json",
            "status": 200,
            "findings": [],
            "summary": {"errors": 0, "warnings": 0, "info": 0},
        }

    def test_single_payload_has_no_requests(self):
        """For one payload (`mockgraph diff`) the report is only findings and summary."""
        assert list(json.loads(render([SEED_CASE], "json", per_request=False))) == ["findings", "summary"]

    def test_stable_and_exact(self):
        """Indent 2, key order fixed, and hostile values kept exactly as they were."""
        out = render([HOSTILE_CASE], "json")
        assert out.startswith('{\n  "findings": [\n    {\n      "kind": "unknown",')
        assert json.loads(out)["findings"][0] == {name: getattr(HOSTILE, name) for name in Finding.__dataclass_fields__}


class TestJunit:
    def test_one_testcase_one_failure_per_error(self):
        """One testcase per case; each error is a <failure> typed by kind; warnings and info go to <system-out>."""
        root = ET.fromstring(render([SEED_CASE, Case("GET /v1.0/me", ())], "junit"))
        assert root.tag == "testsuites"
        [suite] = root.findall("testsuite")
        assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped", "time")} == {
            "tests": "2",
            "failures": "1",
            "errors": "0",
            "skipped": "0",
            "time": "0",
        }
        seed, clean = suite.findall("testcase")
        assert (seed.get("classname"), seed.get("name")) == ("mockgraph.contract", "POST /v1.0/app/onlineMeetings")
        failures = seed.findall("failure")
        assert [(f.get("type"), f.text.splitlines()[0]) for f in failures] == [(k, f"pointer: {p}") for k, p in ERRORS]
        assert failures[0].get("message") == "isBroadcast should be Boolean, got string"
        assert "info missing /joinUrl" in seed.findtext("system-out")
        assert clean.find("failure") is None and clean.get("name") == "GET /v1.0/me"

    def test_repeated_requests_get_unique_names(self):
        """A request seen twice is two testcases with different names, so GitLab shows both."""
        suite = ET.fromstring(render([SEED_CASE, SEED_CASE], "junit")).find("testsuite")
        assert [t.get("name") for t in suite.findall("testcase")] == [SEED_CASE.name, SEED_CASE.name + " #2"]

    def test_hostile_values_stay_text(self):
        """Markup and control characters in values parse back as text; no element comes from a value."""
        root = ET.fromstring(render([HOSTILE_CASE], "junit"))
        assert {element.tag for element in root.iter()} == {"testsuites", "testsuite", "testcase", "failure", "system-out"}
        failure = root.find("testsuite/testcase/failure")
        assert failure.get("message") == "@odata.type <img src=x onerror=alert(1)> | `tick` & \\x1b[2J done"
        assert f"pointer: {HOSTILE.path}" in failure.text and "expected: <script>alert('x')</script> & co" in failure.text


class TestMarkdown:
    def table(self, out: str) -> list[list[str]]:
        return [unescaped_cells(line) for line in out.splitlines() if line.startswith("| ") and "---" not in line][1:]

    def test_summary_and_a_table_per_case(self):
        """A summary line with the counts, then per case a heading, its context and a table of exactly its findings."""
        out = render([SEED_CASE], "markdown")
        assert "3 errors, 0 warnings, 1 info in 1 request." in out
        assert "### POST /v1.0/app/onlineMeetings" in out and "Fixture seed.json, status 201" in out
        rows = self.table(out)
        assert [(kind, pointer) for _, kind, pointer, *_ in rows] == [(k, f"`{p}`") for k, p in EXPECTED]
        assert rows[0] == ["error", "type", "`/isBroadcast`", "Boolean", "string", "isBroadcast should be Boolean, got string"]

    def test_clean_requests_are_counted_not_listed(self):
        """In a pull-request comment, requests without findings are a count, not a heading each."""
        out = render([SEED_CASE, Case("GET /v1.0/me", ())], "markdown")
        assert "GET /v1.0/me" not in out and "1 request without differences not listed." in out

    def test_hostile_values_stay_inert(self):
        """Pipes, backticks, markup, & and @mentions cannot break the table or become HTML, code or pings."""
        out = render([HOSTILE_CASE], "markdown")
        [row] = self.table(out)
        assert len(row) == 6
        assert row[2] == r"``/a`b\|c/<script>alert(1)</script>``"  # a longer fence around the backtick
        assert row[3] == r"\<script\>alert('x')\</script\> \& co"
        assert row[4] == r"\`\`\|pipe\|\`\` \&\& `@admin`"
        assert row[5].startswith("`@odata.type` \\<img")
        assert "### POST /v1.0/\\<script\\>" in out
        assert not any(re.search(r"(?<!\\)[<&]", cell) for cell in row[3:])  # outside code, markup is escaped
        assert "\x1b" not in out


class TestHtml:
    def test_a_table_row_per_finding(self):
        """Each finding is a table row classed by severity whose cells hold severity, kind, pointer, values, message."""
        page = render([SEED_CASE], "html")
        rows = [(cls, cells) for cls, cells in html_rows(page).rows if cells]
        assert [(cells[1], cells[2]) for _, cells in rows] == EXPECTED
        assert [cls for cls, _ in rows] == ["error", "error", "error", "info"]
        assert rows[1][1][3:5] == ["one of everyone, invited, locked, sameEnterprise, sameEnterpriseAndFederated", "'secret'"]
        assert "<title>mockgraph contract report</title>" in page and "3 errors" in page

    def test_self_contained(self):
        """The page needs nothing else: inline style, no script, no external resource, a CSP to forbid them."""
        page = render([SEED_CASE], "html")
        parser = html_rows(page)
        assert "style" in parser.tags and not {"script", "link", "img", "iframe"} & set(parser.tags)
        assert not re.search(r"(src|href)=|url\(|@import", page)
        assert "default-src 'none'" in page

    def test_hostile_values_are_text(self):
        """Every value is escaped: the parsed cells give back the values, and no tag comes from them."""
        parser = html_rows(render([HOSTILE_CASE], "html"))
        [(_, cells)] = [row for row in parser.rows if row[1]]
        assert cells[2:5] == [HOSTILE.path, HOSTILE.expected, HOSTILE.actual]
        assert cells[5] == HOSTILE.message.replace("\x1b", "\\x1b")
        assert not {"script", "img"} & set(parser.tags)

    def test_renders_in_chromium(self, tmp_path):
        """Headless Chromium loads the page and its DOM holds every pointer, hostile markup as text only."""
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            pytest.fail("Chromium is needed to test the HTML report: run `apt-get install -y chromium` (as root), or `make test`")
        report = tmp_path / "report.html"
        report.write_text(render([SEED_CASE, HOSTILE_CASE], "html"), encoding="utf-8")
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        result = subprocess.run(
            [chromium, *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        parser = html_rows(result.stdout)
        pointers = [cells[2] for _, cells in parser.rows if cells]
        assert pointers == [p for _, p in EXPECTED] + [HOSTILE.path]
        assert not {"script", "img"} & set(parser.tags)
