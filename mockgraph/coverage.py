"""Coverage: which documented operations a test run exercised, and which it never touched.

An operation is what a documentation page documents once: a method and a path, in one version,
with every path form the page lists (`/me` and `/users/{id | userPrincipalName}` are one operation).
Its fixtures are the page's examples of it. Journal entries name the fixture that answered them and
the test that sent them, so counting them per operation says how often each was called, by which
tests, with which findings; operations with no call are the gaps. Recordings are not documented
operations, so they are not counted.

The result depends only on the entries, never on their order: a run split over pytest-xdist
workers gives the same coverage as the same run in one process.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .journal import JournalEntry, counted, summarize
from .models import Fixture
from .report_html import CSS

FORMATS = ("text", "json", "junit", "markdown", "html")


@dataclass
class Operation:
    """One documented operation and what a run did with it."""

    area: str  # the API area: the resource its page documents, "user" for user-get.md
    method: str
    path: str  # the documented path shown for it (the most specific form)
    version: str | None
    routes: tuple[str, ...]  # every path form it is served at
    examples: tuple[str, ...]  # its fixtures, by name
    calls: int = 0
    answered: dict[str, int] = field(default_factory=dict)  # fixture name -> calls it answered
    tests: set[str] = field(default_factory=set)
    findings: dict[str, int] = field(default_factory=lambda: {"errors": 0, "warnings": 0, "info": 0})

    @property
    def exercised(self) -> bool:
        return self.calls > 0

    @property
    def label(self) -> str:
        return f"{self.method} {('/' + self.version) if self.version else ''}{self.path}"

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": self.path,
            "version": self.version,
            "area": self.area,
            "calls": self.calls,
            "fixtures": sorted(self.answered),
            "tests": sorted(self.tests),
            "findings": dict(self.findings),
            "routes": list(self.routes),
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class Coverage:
    operations: tuple[Operation, ...]  # by area, path, method, version
    unmatched: int = 0  # calls no fixture answered
    undocumented: int = 0  # calls answered by a recording, a stub or anything but a documented fixture

    @property
    def exercised(self) -> int:
        return sum(op.exercised for op in self.operations)

    @property
    def share(self) -> float:
        """The share of documented operations exercised, 0 to 1, to four places."""
        return round(self.exercised / len(self.operations), 4) if self.operations else 0.0

    def summary(self) -> str:
        line = f"{self.exercised} of {counted(len(self.operations), 'documented operation')} exercised ({self.share:.1%})"
        extra = []
        if self.unmatched:
            extra.append(f"{counted(self.unmatched, 'call')} matched no fixture")
        if self.undocumented:
            extra.append(f"{counted(self.undocumented, 'call')} answered by no documented fixture")
        return "; ".join([line, *extra])

    def to_json(self) -> dict[str, object]:
        return {
            "operations": [op.to_json() for op in self.operations],
            "summary": {
                "operations": len(self.operations),
                "exercised": self.exercised,
                "share": self.share,
                "calls": sum(op.calls for op in self.operations),
                "unmatched": self.unmatched,
                "undocumented": self.undocumented,
            },
        }


def operation_key(fixture: Fixture) -> tuple[str | None, str, frozenset[str]]:
    """What makes two examples one operation: version, method and the set of path forms."""
    r = fixture.request
    return r.version, r.method.upper(), frozenset(r.routes or (r.path,))


def coverage(fixtures: Mapping[str, Fixture], entries: Iterable[JournalEntry]) -> Coverage:
    """Coverage of the documented operations among `fixtures` (by name) by the journal `entries`."""
    operations: dict[tuple[str | None, str, frozenset[str]], Operation] = {}
    of_fixture: dict[str, Operation] = {}
    for name in sorted(fixtures):
        fixture = fixtures[name]
        if fixture.source.kind != "doc":
            continue
        key = operation_key(fixture)
        op = operations.get(key)
        if op is None:
            routes = tuple(sorted(key[2]))
            op = operations[key] = Operation(_area(fixture), key[1], _shown(routes), key[0], routes, ())
        op.examples = (*op.examples, name)
        of_fixture[name] = op
    unmatched = undocumented = 0
    for entry in entries:
        if entry.unmatched:
            unmatched += 1
            continue
        op = of_fixture.get(entry.fixture or "")
        if op is None:
            undocumented += 1
            continue
        op.calls += 1
        op.answered[entry.fixture or ""] = op.answered.get(entry.fixture or "", 0) + 1
        if entry.test:
            op.tests.add(entry.test)
        for severity, n in summarize(entry.findings).items():
            op.findings[severity] += n
    ordered = sorted(operations.values(), key=lambda op: (op.area, op.path.casefold(), op.method, op.version or ""))
    return Coverage(tuple(ordered), unmatched, undocumented)


def _area(fixture: Fixture) -> str:
    """The resource a page documents (`user` for user-get.md), else the path's first segment."""
    if fixture.source.page:
        return PurePosixPath(fixture.source.page).stem.split("-")[0].casefold()
    return fixture.request.path.strip("/").split("/")[0].casefold() or "/"


def _shown(routes: tuple[str, ...]) -> str:
    """The path an operation is shown by: its most specific form (most segments), then by name."""
    return min(routes, key=lambda r: (-r.count("/"), r))


# ------------------------------------------------------------------------------------- rendering


def render(cov: Coverage, fmt: str, title: str = "mockgraph coverage") -> str:
    if fmt == "json":
        return json.dumps(cov.to_json(), indent=2) + "\n"
    if fmt == "text":
        return _text(cov, title)
    if fmt == "markdown":
        return _markdown(cov, title)
    if fmt == "junit":
        return _junit(cov, title)
    if fmt == "html":
        return _html(cov, title)
    raise ValueError(f"unknown coverage format {fmt!r}; use one of: {', '.join(FORMATS)}")


def _state(op: Operation) -> str:
    if op.findings["errors"]:
        return f"{counted(op.findings['errors'], 'error')}"
    return "never called" if not op.exercised else counted(op.calls, "call")


def _attention(cov: Coverage) -> tuple[list[Operation], list[Operation], list[Operation]]:
    """Operations with contract errors, those never exercised, and the rest: what a reader wants first."""
    errors = [op for op in cov.operations if op.findings["errors"]]
    gaps = [op for op in cov.operations if not op.exercised]
    rest = [op for op in cov.operations if op.exercised and not op.findings["errors"]]
    return errors, gaps, rest


def _text(cov: Coverage, title: str) -> str:
    out = [title, ""]
    area = None
    width = max((len(op.label) for op in cov.operations), default=0)
    for op in cov.operations:
        if op.area != area:
            area = op.area
            out.append(f"{area}")
        mark = "x" if op.exercised else " "
        tests = f", {counted(len(op.tests), 'test')}" if op.tests else ""
        findings = f", {_findings_text(op)}" if any(op.findings.values()) else ""
        out.append(f"  [{mark}] {op.label.ljust(width)}  {counted(op.calls, 'call')}{tests}{findings}")
    out += ["", cov.summary()]
    return "\n".join(out) + "\n"


def _findings_text(op: Operation) -> str:
    f = op.findings
    return ", ".join(counted(f[key], word) for key, word in (("errors", "error"), ("warnings", "warning"), ("info", "info")) if f[key])


def _markdown(cov: Coverage, title: str) -> str:
    out = [f"## {title}", "", f"**{cov.summary()}**", ""]
    out += ["| area | operation | calls | tests | findings |", "|---|---|---:|---:|---|"]
    errors, gaps, rest = _attention(cov)
    for op in [*errors, *gaps, *rest]:
        label = f"`{op.label}`" + ("" if op.exercised else " (never called)")
        out.append(f"| {op.area} | {label} | {op.calls} | {len(op.tests)} | {_findings_text(op) or '-'} |")
    return "\n".join(out) + "\n"


def _junit(cov: Coverage, title: str) -> str:
    """One testcase per operation: skipped where never called, failed where its calls had contract errors."""
    suite = ET.Element("testsuite", name=title, tests=str(len(cov.operations)))
    suite.set("failures", str(sum(1 for op in cov.operations if op.findings["errors"])))
    suite.set("skipped", str(sum(1 for op in cov.operations if not op.exercised)))
    for op in cov.operations:
        case = ET.SubElement(suite, "testcase", classname=f"mockgraph.coverage.{op.area}", name=op.label)
        if op.findings["errors"]:
            ET.SubElement(case, "failure", message=_findings_text(op))
        elif not op.exercised:
            ET.SubElement(case, "skipped", message="never called")
        out = ET.SubElement(case, "system-out")
        out.text = f"{counted(op.calls, 'call')}; tests: {', '.join(sorted(op.tests)) or '-'}; fixtures: {', '.join(op.examples)}"
    suites = ET.Element("testsuites")
    suites.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _html(cov: Coverage, title: str) -> str:
    """One page: the share up top, then operations with contract errors, then the gaps (never
    called, grouped by area), then what was exercised, folded."""
    e = html.escape
    errors, gaps, rest = _attention(cov)

    def rows(ops: list[Operation]) -> str:
        body = []
        for op in ops:
            tests = "<br>".join(e(t) for t in sorted(op.tests)) or "-"
            fixtures = "<br>".join(f"{e(name)} ({n})" for name, n in sorted(op.answered.items())) or "-"
            body.append(
                f"<tr><td>{e(op.area)}</td><td><code>{e(op.label)}</code></td><td class=n>{op.calls}</td>"
                f"<td>{fixtures}</td><td>{tests}</td><td>{e(_findings_text(op) or '-')}</td></tr>"
            )
        head = "<tr><th>area</th><th>operation</th><th>calls</th><th>fixtures that answered</th><th>tests</th><th>findings</th></tr>"
        return f"<table>{head}{''.join(body)}</table>"

    share = f"{cov.share:.0%}"
    parts = [
        f"<h1>{e(title)}</h1>",
        f'<p class=summary><meter min=0 max=1 value="{cov.share}"></meter> <strong>{share}</strong> {e(cov.summary())}</p>',
    ]
    if errors:
        parts.append(f"<h2 class=error>Contract errors ({len(errors)})</h2>{rows(errors)}")
    if gaps:
        by_area: dict[str, list[Operation]] = {}
        for op in gaps:
            by_area.setdefault(op.area, []).append(op)
        items = "".join(
            f"<li><strong>{e(area)}</strong>: " + ", ".join(f"<code>{e(op.label)}</code>" for op in ops) + "</li>"
            for area, ops in by_area.items()
        )
        parts.append(f"<h2 class=warning>Never exercised ({len(gaps)})</h2><ul>{items}</ul>")
    if rest:
        parts.append(f"<details><summary><h2>Exercised ({len(rest)})</h2></summary>{rows(rest)}</details>")
    style = CSS + _STYLE
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n"
    )


_STYLE = """
meter { width: 12rem; vertical-align: middle; }
td.n { text-align: right; }
h2 { margin: 1.5rem 0 .5rem; }
h2.error { color: var(--error); }
h2.warning { color: var(--warning); }
summary h2 { display: inline; }
ul { padding-left: 1.25rem; }
"""
