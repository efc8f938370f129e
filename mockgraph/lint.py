"""Doc lint: the documentation's own contract breaks, found by checking each documented request
example against its own property tables (and against common sense about time ranges)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .differ import checker_for, json_pointer
from .importer import Diagnostic, Progress, import_paths
from .models import Finding, Fixture


@dataclass(frozen=True)
class LintedExample:
    """One documented request example and what is wrong with it."""

    name: str  # "page.md:72 create_onlinemeeting_from_"
    fixture: Fixture
    findings: tuple[Finding, ...]
    skipped: str | None = None  # why it could not be checked: a report says so rather than "no differences"


def lint_fixture(fixture: Fixture) -> tuple[Finding, ...]:
    """The contract breaks of a fixture's own documented request body."""
    body = fixture.request.body
    checker = checker_for(fixture)
    if not body.is_json or checker is None:
        return ()
    return checker.check(body.json) + tuple(_time_ranges(body.json))


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
    return linted, result.diagnostics


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
