"""Reports: the findings of checked payloads, for the place someone will read them.

A terminal (text), a program (json), a CI test view (junit), a pull-request comment (markdown) or
a browser (html). Every format is built from the same `Case` values, so a finding reads alike
everywhere; only json keeps values byte for byte, the others show characters that could upset a
terminal, an XML parser or a reader (control characters, lone surrogates) as escapes.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .journal import JournalEntry, counted, finding_to_json, summarize
from .models import Finding
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


def cases_from_journal(entries: Sequence[JournalEntry]) -> list[Case]:
    return [Case(e.label, e.findings, e.fixture, e.status) for e in entries]


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
    if not any(counts.values()):
        return f"No contract differences in {requests}."
    parts = (counted(counts["errors"], "error"), counted(counts["warnings"], "warning"), counted(counts["info"], "info"))
    return f"{', '.join(parts)} in {requests}."


def _context(case: Case) -> str:
    """What the case was checked against and answered: "fixture seed.json, status 201"."""
    parts = []
    if case.fixture is not None:
        parts.append(f"fixture {case.fixture}")
    elif case.status is not None:
        parts.append("no fixture matched")
    if case.status is not None:
        parts.append(f"status {case.status}")
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
        if not table:
            out.append(f"{heading}: no contract differences")
            continue
        if out[-1]:
            out.append("")  # a table stands apart from the one-line cases above it
        out += [heading, paint(line(_COLUMNS, ""), "dim")]
        out += [line(row, f.severity) for row, f in zip(table, case.findings)] + [""]
    if out[-1]:
        out.append("")
    worst = next((s for s in ("error", "warning") if any(f.severity == s for f in _all(cases))), "")
    out.append(paint(_summary(cases), worst))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------- json


def _json(cases: Sequence[Case], per_request: bool) -> str:
    """Full values, stable key order; `requests` only for a journal, where there are several."""
    report: dict[str, Any] = {
        "findings": [finding_to_json(f) for f in _all(cases)],
        "summary": summarize(_all(cases)),
    }
    if per_request:
        report["requests"] = [
            {
                "name": case.name,
                "fixture": case.fixture,
                "status": case.status,
                "findings": [finding_to_json(f) for f in case.findings],
                "summary": summarize(case.findings),
            }
            for case in cases
        ]
    # ASCII escapes keep every value exact and the output encodable, lone surrogates included.
    return json.dumps(report, indent=2) + "\n"


# ------------------------------------------------------------------------------------------ junit


def _junit(cases: Sequence[Case], title: str) -> str:
    """One testcase per case, one <failure> per error, warnings and info as the case's output.

    Test case names are made unique (" #2", " #3"): GitLab keys cases by classname and name and
    shows only one of a repeated pair, and a journal repeats requests.
    """
    failed = sum(any(f.severity == "error" for f in case.findings) for case in cases)
    totals = {"tests": str(len(cases)), "failures": str(failed), "errors": "0", "skipped": "0", "time": "0"}
    suites = ET.Element("testsuites", {"name": _clean(title), **totals})
    suite = ET.SubElement(suites, "testsuite", {"name": _clean(title), **totals})
    seen: dict[str, int] = {}
    for case in cases:
        seen[case.name] = seen.get(case.name, 0) + 1
        name = _clean(case.name) + (f" #{seen[case.name]}" if seen[case.name] > 1 else "")
        testcase = ET.SubElement(suite, "testcase", {"classname": "mockgraph.contract", "name": name, "time": "0"})
        context = _context(case)
        output = [context] if context else []
        for finding in case.findings:
            severity, kind, pointer, expected, actual, message = _row(finding)
            if severity == "error":
                failure = ET.SubElement(testcase, "failure", {"message": message, "type": kind})
                failure.text = f"pointer: {pointer}\nexpected: {expected}\nactual: {actual}"
            else:
                output.append(f"{severity} {kind} {pointer}: {message} (expected {expected}, actual {actual})")
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
    clean = sum(not case.findings for case in cases)
    if clean and clean < len(cases):
        out[-1] += f" {counted(clean, 'request')} without differences not listed."
    for case in cases:
        if not case.findings:
            continue
        out += ["", f"### {_md_text(case.name)}", ""]
        context = _context(case)
        if context:
            out += [_md_text(context[0].upper() + context[1:]), ""]
        out += ["| " + " | ".join(c.capitalize() for c in _COLUMNS) + " |", "|" + " --- |" * len(_COLUMNS)]
        for finding in case.findings:
            cells = [_md_text(cell) for cell in _row(finding)]
            cells[_POINTER] = _md_code(finding.path or _ROOT)
            out.append("| " + " | ".join(cells) + " |")
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
    sections = []
    for number, case in enumerate(cases, start=1):
        context = f'<p class="context">{_h(_context(case))}</p>' if _context(case) else ""
        if case.findings:
            head = "".join(f"<th>{col}</th>" for col in _COLUMNS)
            rows = "".join(f'<tr class="{_h(f.severity)}">{_html_cells(_row(f))}</tr>' for f in case.findings)
            body = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        else:
            body = '<p class="clean">No contract differences.</p>'
        sections.append(f'<section id="case-{number}"><h2>{_h(case.name)}</h2>{context}{body}</section>')
    return PAGE.format(title=_h(title), css=CSS, summary=summary, sections="\n".join(sections))
