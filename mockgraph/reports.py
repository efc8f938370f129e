"""Reports: the findings of checked payloads, for the place someone will read them.

A terminal (text), a program (json), a CI test view (junit), a pull-request comment (markdown) or
a browser (html). Every format is built from the same `Case` values, so a finding reads alike
everywhere; only json keeps values byte for byte, the others show characters that could upset a
terminal, an XML parser or a reader (control characters, lone surrogates) as escapes.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .journal import JournalEntry, counted, finding_to_json, summarize
from .models import Finding
from .permissions import least_privilege, summary_lines
from .report_html import CSS, PAGE

FORMATS = ("text", "json", "junit", "markdown", "html")
FORMAT_BY_SUFFIX = {".txt": "text", ".json": "json", ".xml": "junit", ".md": "markdown", ".html": "html"}


@dataclass(frozen=True)
class Case:
    """One checked payload: a journal request, or the payload given to `mockgraph diff`."""

    name: str  # "POST /v1.0/app/onlineMeetings" or "payload.json"
    findings: tuple[Finding, ...]
    fixture: str | None = None  # the fixture it was checked against
    status: int | None = None  # the HTTP status answered (journal only)
    unmatched: bool = False  # no fixture answered it: a failure in every format
    error: str | None = None  # the error message the client got (for a miss: the nearest fixtures)
    unchecked: bool = False  # matched a fixture that documents no contract: nothing was checked
    test: str | None = None  # the pytest node id of the test that sent it
    skipped: str | None = None  # why it could not be checked at all (lint: a body that is not JSON, ...)

    @property
    def failed(self) -> bool:
        return self.unmatched or any(f.severity == "error" for f in self.findings)


def cases_from_journal(entries: Sequence[JournalEntry]) -> list[Case]:
    return [
        Case(e.label, e.findings, e.fixture, e.status, unmatched=e.unmatched, error=e.error, unchecked=e.unchecked, test=e.test)
        for e in entries
    ]


def failed(cases: Iterable[Case]) -> bool:
    """Whether a report fails: a contract error, or a request that matched nothing."""
    return any(case.failed for case in cases)


def render(
    cases: Sequence[Case],
    fmt: str,
    *,
    title: str = "mockgraph contract report",
    color: bool = False,
    per_request: bool = True,
) -> str:
    """The report in format `fmt`; `color` is for text only, `per_request` (a journal) for json only."""
    if fmt == "text":
        return _text(cases, title, color)
    if fmt == "json":
        return _json(cases, per_request)
    if fmt == "junit":
        return _junit(cases, title)
    if fmt == "markdown":
        return _markdown(cases, title)
    if fmt == "html":
        return _html(cases, title)
    raise ValueError(f"unknown report format {fmt!r}; use one of: {', '.join(FORMATS)}")


# ------------------------------------------------------------------------------------ shared parts

_COLUMNS = ("severity", "kind", "pointer", "expected", "actual", "message")
_POINTER = _COLUMNS.index("pointer")
_ROOT = "(root)"  # how the human formats show the empty JSON Pointer, the whole payload


def _clean(text: str) -> str:
    """`text` with what Python would not print as is (control characters, lone surrogates, line
    breaks) written as its escape: a payload's keys must not steer a terminal or break a table."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _row(finding: Finding) -> tuple[str, ...]:
    """A finding's cells, in `_COLUMNS` order, as the human formats show them."""
    f = finding
    return tuple(_clean(v) for v in (f.severity, f.kind, f.path or _ROOT, f.expected, f.actual, f.message))


def _all(cases: Iterable[Case]) -> list[Finding]:
    return [f for case in cases for f in case.findings]


def _summary(cases: Sequence[Case]) -> str:
    """The one-line verdict every human format opens or closes with."""
    if not cases:
        return "No requests checked."
    counts = summarize(_all(cases))
    requests = counted(len(cases), "request")
    extra = _extra(cases)
    if not any(counts.values()):
        return f"No contract differences in {requests}{extra}."
    parts = (counted(counts["errors"], "error"), counted(counts["warnings"], "warning"), counted(counts["info"], "info"))
    return f"{', '.join(parts)} in {requests}{extra}."


def _extra(cases: Sequence[Case]) -> str:
    """What the counts of findings do not say: requests that matched nothing, or were not checked."""
    parts = []
    if unmatched := sum(c.unmatched for c in cases):
        parts.append(f"{unmatched} matched no fixture")
    if unchecked := sum(c.unchecked for c in cases):
        parts.append(f"{unchecked} unchecked (no documented contract)")
    if skipped := sum(c.skipped is not None for c in cases):
        parts.append(f"{skipped} not checked")
    return f"; {', '.join(parts)}" if parts else ""


def _verdict(case: Case) -> str | None:
    """The one-line state of a case without a table of findings, where it is not simply clean."""
    if case.unmatched:
        return "MATCHED NO FIXTURE"
    if case.skipped is not None:
        return f"not checked: {case.skipped}"
    if case.unchecked:
        return "unchecked: no documented contract"
    return None


def unchecked_endpoints(cases: Iterable[Case]) -> list[str]:
    """The endpoints (fixtures) whose contract is empty, each once, in order of first request."""
    seen: dict[str, None] = {}
    for case in cases:
        if case.unchecked:
            seen.setdefault(case.fixture or case.name.partition("?")[0], None)
    return list(seen)


def _error_lines(case: Case) -> list[str]:
    return [_clean(line) for line in (case.error or "").splitlines() if line.strip()]


def _context(case: Case) -> str:
    """What the case was checked against and answered: "fixture seed.json, status 201"."""
    parts = []
    if case.fixture is not None:
        parts.append(f"fixture {case.fixture}")
    elif case.status is not None:
        parts.append("no fixture matched")
    if case.status is not None:
        parts.append(f"status {case.status}")
    if case.test is not None:
        parts.append(f"test {case.test}")
    return _clean(", ".join(parts))


# ------------------------------------------------------------------------------------------- text

_WIDEST = {"pointer": 40, "expected": 30, "actual": 24}  # longer values end in "…"; the message never does
_ANSI = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[2m", "bold": "\x1b[1m", "dim": "\x1b[2m"}


def _clipped(row: tuple[str, ...]) -> list[str]:
    widest = [_WIDEST.get(col, len(cell)) for col, cell in zip(_COLUMNS, row)]
    return [cell if len(cell) <= width else cell[: width - 1] + "…" for cell, width in zip(row, widest)]


def _text(cases: Sequence[Case], title: str, color: bool) -> str:
    """Aligned rows under one heading per case; widths are shared so every table lines up."""

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}\x1b[0m" if color and style in _ANSI else text

    tables = [[_clipped(_row(f)) for f in case.findings] for case in cases]
    widths = [max([len(col)] + [len(row[i]) for table in tables for row in table]) for i, col in enumerate(_COLUMNS)]

    def line(cells: Sequence[str], style: str) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths)]
        return "  " + "  ".join([paint(padded[0], style), *padded[1:4]]) + " | " + "  ".join(padded[4:]).rstrip()

    out = [paint(_clean(title), "bold"), ""]
    for case, table in zip(cases, tables):
        context = _context(case)
        heading = paint(_clean(case.name), "bold") + (f"  ({context})" if context else "")
        verdict = _verdict(case)
        if not table:
            out.append(f"{heading}: {paint(verdict, 'error' if case.unmatched else 'warning') if verdict else 'no contract differences'}")
            out += [f"    {line}" for line in _error_lines(case) if case.unmatched]
            continue
        if out[-1]:
            out.append("")  # a table stands apart from the one-line cases above it
        out += [heading, paint(line(_COLUMNS, ""), "dim")]
        out += [line(row, f.severity) for row, f in zip(table, case.findings)] + [""]
    if out[-1]:
        out.append("")
    if unchecked := unchecked_endpoints(cases):
        out += ["unchecked: no documented contract", *(f"  {_clean(name)}" for name in unchecked), ""]
    if permissions := summary_lines(_all(cases)):  # least privilege, per caller type (permissions.py)
        out += [*permissions, ""]
    worst = "error" if failed(cases) else "warning" if any(f.severity == "warning" for f in _all(cases)) else ""
    out.append(paint(_summary(cases), worst))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- json


def _json(cases: Sequence[Case], per_request: bool) -> str:
    """Full values, stable key order; `requests` only for a journal, where there are several."""
    report: dict[str, Any] = {
        "findings": [finding_to_json(f) for f in _all(cases)],
        "summary": {**summarize(_all(cases)), "unmatched": sum(c.unmatched for c in cases)},
    }
    if unchecked := unchecked_endpoints(cases):
        report["unchecked"] = unchecked
    if least := least_privilege(_all(cases)):
        report["permissions"] = [dataclasses.asdict(s) for s in least]
    if per_request:
        report["requests"] = [_json_case(case) for case in cases]
    # ASCII escapes keep every value exact and the output encodable, lone surrogates included.
    return json.dumps(report, indent=2) + "\n"


def _json_case(case: Case) -> dict[str, Any]:
    """A request's entry; the keys that are rarely set appear only where they are."""
    out: dict[str, Any] = {
        "name": case.name,
        "fixture": case.fixture,
        "status": case.status,
        "findings": [finding_to_json(f) for f in case.findings],
        "summary": summarize(case.findings),
    }
    if case.unmatched:
        out["unmatched"] = True
    if case.error is not None:
        out["error"] = case.error
    if case.unchecked:
        out["unchecked"] = True
    if case.skipped is not None:
        out["skipped"] = case.skipped
    if case.test is not None:
        out["test"] = case.test
    return out


# ------------------------------------------------------------------------------------------ junit


def _junit(cases: Sequence[Case], title: str) -> str:
    """One testcase per case (per pytest test, where the cases name their tests), one <failure>
    per error or unmatched request, warnings and info as the case's output.

    Test case names are made unique (" #2", " #3"): GitLab keys cases by classname and name and
    shows only one of a repeated pair, and a journal repeats requests.
    """
    groups: dict[str, list[Case]] = {}
    for case in cases:  # a pytest session's requests, grouped by the test that sent them
        groups.setdefault(case.test if case.test is not None else f"\0{len(groups)}", []).append(case)
    by_test = all(case.test is not None for case in cases) and bool(cases)
    units = [(key, group) for key, group in groups.items()] if by_test else [(case.name, [case]) for case in cases]
    failures = sum(failed(group) for _, group in units)
    skipped = sum(all(c.skipped is not None for c in group) for _, group in units)
    totals = {"tests": str(len(units)), "failures": str(failures), "errors": "0", "skipped": str(skipped), "time": "0"}
    suites = ET.Element("testsuites", {"name": _clean(title), **totals})
    suite = ET.SubElement(suites, "testsuite", {"name": _clean(title), **totals})
    seen: dict[str, int] = {}
    for key, group in units:
        seen[key] = seen.get(key, 0) + 1
        name = _clean(key) + (f" #{seen[key]}" if seen[key] > 1 else "")
        classname = _clean(key.partition("::")[0]) if by_test else "mockgraph.contract"
        testcase = ET.SubElement(suite, "testcase", {"classname": classname, "name": name, "time": "0"})
        output = []
        for case in group:
            prefix = f"{_clean(case.name)}: " if by_test else ""
            context = _context(case)
            if by_test or context:
                output.append(f"{_clean(case.name)} ({context})" if by_test else context)
            if case.unmatched:
                failure = ET.SubElement(testcase, "failure", {"message": f"{prefix}matched no fixture", "type": "unmatched"})
                failure.text = "\n".join(_error_lines(case)) or f"answered {case.status}"
            elif case.skipped is not None and not by_test:
                ET.SubElement(testcase, "skipped", {"message": _clean(case.skipped)})
            elif case.unchecked:
                output.append(f"{prefix}unchecked: no documented contract")
            for finding in case.findings:
                severity, kind, pointer, expected, actual, message = _row(finding)
                if severity == "error":
                    failure = ET.SubElement(testcase, "failure", {"message": prefix + message, "type": kind})
                    failure.text = f"{prefix}pointer: {pointer}\nexpected: {expected}\nactual: {actual}"
                else:
                    output.append(f"{prefix}{severity} {kind} {pointer}: {message} (expected {expected}, actual {actual})")
        if output:
            ET.SubElement(testcase, "system-out").text = "\n".join(output)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# --------------------------------------------------------------------------------------- markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
_MENTION = re.compile(r"(@[\w.-]+)")  # "@odata.type" would notify a GitHub user called "odata"


def _md_text(text: str) -> str:
    """Inert Markdown: punctuation escaped, @-words as code so they mention nobody."""
    parts = _MENTION.split(_clean(text))
    return "".join(f"`{p}`" if i % 2 else _MD_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def _md_code(text: str) -> str:
    """A code span inside a table cell: a fence longer than any backtick run, pipes as `\\|`."""
    text = _clean(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _markdown(cases: Sequence[Case], title: str) -> str:
    """Sized for a pull-request comment: cases without findings are only counted, not listed."""
    out = [f"## {_md_text(title)}", "", _md_text(_summary(cases))]
    clean = sum(not case.findings and _verdict(case) is None for case in cases)
    if clean and clean < len(cases):
        out[-1] += f" {counted(clean, 'request')} without differences not listed."
    for case in cases:
        if not case.findings and not (case.unmatched or case.skipped):
            continue
        out += ["", f"### {_md_text(case.name)}", ""]
        context = _context(case)
        if context:
            out += [_md_text(context[0].upper() + context[1:]), ""]
        if verdict := _verdict(case):
            out += [f"**{_md_text(verdict)}**", ""]
            out += [f"- {_md_text(line)}" for line in _error_lines(case) if case.unmatched]
            if not case.findings:
                continue
            out.append("")
        out += ["| " + " | ".join(c.capitalize() for c in _COLUMNS) + " |", "|" + " --- |" * len(_COLUMNS)]
        for finding in case.findings:
            cells = [_md_text(cell) for cell in _row(finding)]
            cells[_POINTER] = _md_code(finding.path or _ROOT)
            out.append("| " + " | ".join(cells) + " |")
    if unchecked := unchecked_endpoints(cases):
        out += ["", "### Unchecked: no documented contract", "", *(f"- {_md_text(name)}" for name in unchecked)]
    if permissions := summary_lines(_all(cases)):
        out += ["", "### Permissions", "", *(f"- {_md_text(line.strip())}" for line in permissions[1:])]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- html


def _h(text: str) -> str:
    return html.escape(_clean(text), quote=True)


def _html_cells(row: tuple[str, ...]) -> str:
    """A finding's cells; a long pointer may break before any "/", never inside a name."""
    cells = [html.escape(cell, quote=True) for cell in row]
    cells[_POINTER] = "<wbr>/".join(cells[_POINTER].split("/"))
    return "".join(f"<td>{cell}</td>" for cell in cells)


def _html(cases: Sequence[Case], title: str) -> str:
    """A self-contained page: inline CSS, no script, a CSP that forbids loading anything."""
    counts = summarize(_all(cases))
    if any(counts.values()):  # the counts as coloured badges, then what they were counted in
        summary = (
            "".join(
                f'<span class="badge {severity}">{counted(counts[key], severity)}</span>'
                for severity, key in (("error", "errors"), ("warning", "warnings"), ("info", "info"))
            )
            + f"in {counted(len(cases), 'request')}"
        )
    else:
        summary = _h(_summary(cases))
    if unmatched := sum(c.unmatched for c in cases):
        summary = f'<span class="badge error">{unmatched} matched no fixture</span>' + summary
    sections, folded = [], []
    # Errors first, then warnings, then the rest; requests with nothing to say are folded away.
    for number, case in sorted(enumerate(cases, start=1), key=lambda item: _rank(item[1])):
        context = f'<p class="context">{_h(_context(case))}</p>' if _context(case) else ""
        body = ""
        if verdict := _verdict(case):
            kind = "error" if case.unmatched else "warning"
            lines = "".join(f"<li>{_h(line)}</li>" for line in _error_lines(case)) if case.unmatched else ""
            body += f'<p class="verdict {kind}">{_h(verdict)}</p>' + (f"<ul>{lines}</ul>" if lines else "")
        if case.findings:
            head = "".join(f"<th>{col}</th>" for col in _COLUMNS)
            rows = "".join(f'<tr class="{_h(f.severity)}">{_html_cells(_row(f))}</tr>' for f in case.findings)
            body += f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if not body:
            folded.append(f'<li id="case-{number}">{_h(case.name)} <span class="context">{_h(_context(case))}</span></li>')
            continue
        css_class = "failed" if case.failed else ""
        sections.append(f'<section id="case-{number}" class="{css_class}"><h2>{_h(case.name)}</h2>{context}{body}</section>')
    if unchecked := unchecked_endpoints(cases):
        items = "".join(f"<li>{_h(name)}</li>" for name in unchecked)
        sections.append(f'<section class="unchecked"><h2>Unchecked: no documented contract</h2><ul>{items}</ul></section>')
    if permissions := summary_lines(_all(cases)):  # least privilege, per caller type (permissions.py)
        items = "".join(f"<li>{_h(line.strip())}</li>" for line in permissions[1:])
        sections.append(f'<section class="permissions"><h2>Permissions</h2><p>{_h(permissions[0])}</p><ul>{items}</ul></section>')
    if folded:
        sections.append(
            f'<details class="clean"><summary>{counted(len(folded), "request")} without contract differences</summary>'
            f"<ul>{''.join(folded)}</ul></details>"
        )
    return PAGE.format(title=_h(title), css=CSS, summary=summary, sections="\n".join(sections))


def _rank(case: Case) -> int:
    """Where a case goes in the HTML page: failures, then warnings, then the rest."""
    if case.failed:
        return 0
    if any(f.severity == "warning" for f in case.findings) or case.unchecked or case.skipped:
        return 1
    return 2
