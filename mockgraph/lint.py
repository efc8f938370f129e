"""Doc lint: the documentation's own contract breaks, found by checking each documented request
example against its own property tables (and against common sense about time ranges)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .differ import checker_for, json_pointer
from .importer import Diagnostic, Progress, import_paths
from .lenientjson import json_repairs
from .models import Finding, Fixture
from .responses import documented_response_findings


@dataclass(frozen=True)
class LintedExample:
    """One documented request example and what is wrong with it."""

    name: str  # "page.md:72 create_onlinemeeting_from_"
    fixture: Fixture
    findings: tuple[Finding, ...]
    skipped: str | None = None  # why it could not be checked: a report says so rather than "no differences"


def lint_fixture(fixture: Fixture) -> tuple[Finding, ...]:
    """The contract breaks of a fixture's own documented request body, and a body that is JSON
    only to a lenient reader (what a client copies from the page, a server refuses)."""
    body = fixture.request.body
    if not body.is_json:
        return ()
    lenient = tuple(_lenient(body.documented)) if body.documented is not None else ()
    checker = checker_for(fixture)
    if checker is None:
        return lenient
    return lenient + checker.check(body.json) + tuple(_time_ranges(body.json))


def _lenient(documented: str) -> Iterator[Finding]:
    repairs = json_repairs(documented)
    if not repairs:
        return
    listed = ", ".join(f"{what} (body line {line})" for line, what in repairs[:3])
    more = f" and {len(repairs) - 3} more" if len(repairs) > 3 else ""
    yield Finding(
        "json",
        "warning",
        "",
        "strict JSON",
        f"{listed}{more}",
        f"the documented request body is JSON only to a lenient reader ({listed}{more}); a server refuses it as written",
    )


def why_unchecked(fixture: Fixture) -> str | None:
    """Why `lint_fixture` cannot check a fixture's request, or None where it can."""
    body = fixture.request.body
    if not body.is_json:
        return "request body is not JSON" if body.text else "no request body"
    if checker_for(fixture) is None:
        return "no documented contract (no property table, no JSON example)"
    return None


def not_checked(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The import's diagnostics that dropped a request example (no response, a bad request line, an
    unreadable page, ...): examples lint never saw, to be reported with their reason."""
    return [d for d in diagnostics if d.skipped and d.reason != "response-without-request"]


def unreadable_permissions(diagnostics: Sequence[Diagnostic]) -> list[tuple[str, Finding]]:
    """Permissions tables the import could not read (or that still say TODO), as `permission`
    warnings named by page and line: their operations are not enforced until the page is fixed."""
    from .permissions import TODO, UNREADABLE

    return [
        (f"{d.page}:{d.line}", Finding("permission", "warning", "", "a readable Permissions table", d.reason, d.message))
        for d in diagnostics
        if d.reason in (UNREADABLE, TODO)
    ]


def lint_pages(
    paths: Sequence[Path], root: Path | None = None, progress: Progress | None = None, jobs: int = 1
) -> tuple[list[LintedExample], list[Diagnostic]]:
    """Every documented request example below `paths`, with its findings, and the import's diagnostics."""
    result = import_paths(paths, root=root, progress=progress, jobs=jobs)
    linted = [
        LintedExample(f"{f.source.page}:{f.source.line} {f.source.example}", f, lint_fixture(f), why_unchecked(f))
        for _, f in result.fixtures
    ]
    linted += lint_responses(f for _, f in result.fixtures)
    return linted, result.diagnostics


def lint_responses(fixtures: Iterable[Fixture]) -> list[LintedExample]:
    """Documented response examples that break their own response type's table, one example each,
    named `page.md:LINE example (response)`; the examples that conform are not listed (issue 18)."""
    return [
        LintedExample(f"{f.source.page}:{f.source.line} {f.source.example} (response)", f, found)
        for f in fixtures
        if (found := documented_response_findings(f))
    ]


def _time_ranges(value: Any, path: tuple[str, ...] = ()) -> Iterator[Finding]:
    """`endDateTime` earlier than `startDateTime` in one object: an example no service would accept."""
    if isinstance(value, dict):
        start, end = _instant(value.get("startDateTime")), _instant(value.get("endDateTime"))
        if start and end and end < start:
            yield Finding(
                "range",
                "warning",
                json_pointer((*path, "endDateTime")),
                f"after startDateTime {value['startDateTime']}",
                str(value["endDateTime"]),
                "endDateTime precedes startDateTime",
            )
        for key, item in value.items():
            yield from _time_ranges(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _time_ranges(item, (*path, str(index)))


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # Graph writes 7 fractional digits; Python reads at most 6
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
