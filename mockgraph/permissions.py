"""Who may call an operation: its page's Permissions tables, read, scoped to the operation's path
forms, and the decision for one caller.

Every API page documents, per caller type (delegated work or school, delegated personal Microsoft
account, application), the permissions of which any one is enough, least privileged first, or
"Not supported.". The tables are written by many hands: a cell may join permissions with "and"
(all needed), mark resource-specific consent with `*`, say "None." (no permission needed), split
itself by resource ("For **channel** resource: ..."), or still read `TODO`. A table whose columns
are the caller types and whose rows are resources (subscriptions, extensions) gives each caller type
every permission of its column: which resource a call targets is in its body, not its path. What
cannot be read is left unenforced and said (`permissions-unreadable`), never guessed.

A page with several tables ("Permissions acting on self" / "... on other users", "For users:" /
"For groups:") scopes each: to the signed-in user acting on themselves or on others, decided per
call from the token's `upn`; or to the path forms its heading names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .docpage import DocPage, Problem, Table, plain_text
from .models import Fixture, Grants, PermissionTable
from .paths import segments, split_version

# Reasons of the importer's diagnostics about permissions.
UNREADABLE = "permissions-unreadable"
UNMATCHED = "permissions-unmatched"
TODO = "todo-permissions"

_BR = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
_TODO = re.compile(r"\bTODO\b")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
_SCOPE_PREFIX = re.compile(r"^[^:]*\b(for|when|with)\b[^:]*:\s*", re.IGNORECASE)
_NOT_SUPPORTED = frozenset({"not supported", "not applicable", "n/a", "na", "not available", "-"})
_NONE = frozenset({"none", "no permissions required", "none required"})
_WORDS = re.compile(r"[a-z0-9]+")
_SKIP_WORDS = frozenset({"for", "permissions", "permission", "acting", "on", "the", "a", "an", "to", "of", "and", "or", "resource"})


@dataclass(frozen=True)
class PagePermissions:
    """A page's Permissions tables as read (unscoped), and what could not be read."""

    tables: tuple[PermissionTable, ...] = ()
    problems: tuple[Problem, ...] = ()
    found: bool = False  # the page has a Permissions table at all
    todo: bool = False  # a table still says TODO: the operation stays unenforced


def read_permissions(page: DocPage) -> PagePermissions:
    """Every Permissions table of `page` (by its header: "Permission type", or the caller types as
    columns), with the heading above it as label where the page has several."""
    problems: list[Problem] = []
    tables: list[PermissionTable] = []
    found = todo = False
    candidates = [t for t in page.tables if _is_by_type(t) or _is_by_resource(t)]
    for table in candidates:
        found = True
        if any(_TODO.search(cell) for row in table.rows for cell in row.cells):
            todo = True  # the importer's own check says where; the table is left out whole
            continue
        read = _read_by_type(table, problems) if _is_by_type(table) else _read_by_resource(table, problems)
        if read is None:
            continue
        label = table.section.title if len(candidates) > 1 and table.section is not None else ""
        tables.append(replace(read, label=label))
    return PagePermissions(tuple(tables), tuple(problems), found, todo)


def _is_by_type(table: Table) -> bool:
    """A "Permission type" table with a row per caller type (a sharing link's "permission type" is
    another thing)."""
    return (
        len(table.header) >= 2
        and plain_text(table.header[0]).casefold().startswith("permission type")
        and "permission" in plain_text(table.header[1]).casefold()
        and any(row.cells and _caller_of(row.cells[0]) for row in table.rows)
    )


def _most_first(table: Table) -> bool:
    """Whether the table lists permissions from most to least privileged (Intune's pages do)."""
    return any("most to least" in plain_text(h).casefold() for h in table.header)


def _is_by_resource(table: Table) -> bool:
    folded = [plain_text(h).casefold() for h in table.header]
    return len(folded) >= 2 and any(_caller_of(h) for h in folded[1:]) and not _is_by_type(table)


def _caller_of(label: str) -> str | None:
    """`Delegated (work or school account)` -> delegatedWork; None for anything else."""
    text = plain_text(label).casefold()
    if text.startswith("application"):
        return "application"
    if text.startswith("delegated"):
        return "delegatedPersonal" if "personal" in text or "microsoft account" in text else "delegatedWork"
    return None


def _read_by_type(table: Table, problems: list[Problem]) -> PermissionTable | None:
    rows: dict[str, Grants | None] = {}
    caller: str | None = None
    for i, row in enumerate(table.rows):
        if len(row.cells) < 2:
            continue
        label = plain_text(row.cells[0]).replace("\xa0", " ").replace("&nbsp;", " ").strip()
        if (of := _caller_of(label)) is not None:
            caller = of
            below = table.rows[i + 1] if i + 1 < len(table.rows) else None
            if not plain_text(row.cells[1]) and below is not None and below.cells and not _caller_of(below.cells[0]):
                continue  # a heading row: its permissions are in the rows below it, by feature (Intune)
        elif caller is None or not row.cells[0].startswith("&nbsp;"):
            problems.append(Problem(row.line, UNREADABLE, f"permission type {label!r} is not one Graph has"))
            continue
        grants = _read_cell(row.cells[1], row.line, problems)
        if grants is not None:
            if _most_first(table):
                grants = tuple(reversed(grants))
            rows[caller] = _merge(rows[caller], grants) if rows.get(caller) is not None else grants
    if not rows:
        problems.append(Problem(table.line, UNREADABLE, "permissions table has no row that can be read"))
        return None
    return PermissionTable(rows.get("delegatedWork"), rows.get("delegatedPersonal"), rows.get("application"))


def _read_by_resource(table: Table, problems: list[Problem]) -> PermissionTable | None:
    """A table by resource: each caller type may use any permission its column lists."""
    columns = {i: caller for i, h in enumerate(table.header) if (caller := _caller_of(h))}
    rows: dict[str, Grants | None] = {}
    for row in table.rows:
        for i, caller in columns.items():
            if i < len(row.cells) and (grants := _read_cell(row.cells[i], row.line, problems)) is not None:
                grants = tuple(reversed(grants)) if _most_first(table) else grants
                rows[caller] = _merge(rows[caller], grants) if rows.get(caller) is not None else grants
    if not rows:
        problems.append(Problem(table.line, UNREADABLE, "permissions table has no cell that can be read"))
        return None
    return PermissionTable(rows.get("delegatedWork"), rows.get("delegatedPersonal"), rows.get("application"))


def read_cell(cell: str) -> Grants | None:
    """One cell: alternatives least privileged first; `()` not supported; `((),)` none needed;
    None where it cannot be read."""
    return _read_cell(cell, 0, [])


def _read_cell(cell: str, line: int, problems: list[Problem]) -> Grants | None:
    grants: list[tuple[str, ...]] = []
    readable = False
    for part in _BR.split(cell):
        text = _SCOPE_PREFIX.sub("", plain_text(part)).strip()
        if not text:
            continue
        word = text.rstrip(".").strip().casefold()
        if word in _NOT_SUPPORTED:
            readable = True
            continue
        if word in _NONE:
            readable = True
            grants.append(())
            continue
        alternatives = _alternatives(text)
        if alternatives is None:
            problems.append(Problem(line, UNREADABLE, f"cannot read permissions from {plain_text(cell)!r}"))
            return None
        readable = True
        grants.extend(alternatives)
    if not readable:
        problems.append(Problem(line, UNREADABLE, "permissions cell is empty"))
        return None
    return tuple(dict.fromkeys(grants))


def _alternatives(text: str) -> list[tuple[str, ...]] | None:
    """`A, B and C` -> [(A,), (B, C)]: commas (and "or") separate alternatives, "and" joins."""
    out: list[tuple[str, ...]] = []
    for piece in re.split(r",|;|\bor\b", text.rstrip(".")):
        names = tuple(n.strip().strip("*").strip() for n in re.split(r"\band\b|&|\+", piece))
        names = tuple(n for n in names if n)
        if not names:
            continue
        words = names[0].split()
        if len(names) == 1 and len(words) > 1 and all("." in w for w in words):
            out.extend((w.strip("*"),) for w in words)  # a comma left out: `Files.ReadWrite.All Group.Read.All`
            continue
        if not all(_NAME.match(n) for n in names):
            return None
        out.append(names)
    return out or None


def _merge(a: Grants | None, b: Grants) -> Grants:
    return tuple(dict.fromkeys((*(a or ()), *b)))


# ------------------------------------------------------------------------- scoping to an example


def scoped(found: PagePermissions, routes: Sequence[str]) -> tuple[tuple[PermissionTable, ...], str | None]:
    """The tables that apply to an example served at `routes`, each scoped; and a note where a page
    with several tables has none whose heading names these routes (then all apply, any one enough)."""
    tables = found.tables
    if len(tables) <= 1:
        return tables, None
    out: list[PermissionTable] = []
    for table in tables:
        who = _who(table.label)
        if who:
            out.append(replace(table, who=who))
            continue
        named = tuple(r for r in routes if _names_route(table.label, r))
        if named:
            out.append(replace(table, routes=named if len(named) < len(routes) else ()))
    if out:
        return tuple(out), None
    labels = ", ".join(repr(t.label) for t in tables)
    return tables, f"none of the permissions tables ({labels}) names {', '.join(routes)}; any of them is taken as enough"


def _who(label: str) -> str:
    text = label.casefold()
    if re.search(r"\b(self|own|signed-in user|yourself)\b", text):
        return "self"
    if re.search(r"\b(other|another)\b", text):
        return "others"
    return ""


def _names_route(label: str, route: str) -> bool:
    """Whether a heading ("For groups:") names a literal segment of the route (`microsoft.graph.group`)."""
    words = {_singular(w) for w in _WORDS.findall(label.casefold())} - _SKIP_WORDS
    literal = {_singular(s.removeprefix("microsoft.graph.")) for s in segments(route) if not s.startswith("{")}
    return bool(words & literal)


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


# ------------------------------------------------------------------------------------- deciding


def applicable(fixture: Fixture, template: str, path: str, caller_is_user: Callable[[str], bool]) -> tuple[PermissionTable, ...]:
    """The fixture's tables that apply to a call at `path` (matched at `template`); all of them
    where none does, so that a call is never judged by no table at all."""
    tables = fixture.permissions
    if len(tables) <= 1:
        return tables
    parts = segments(split_version(path)[1])
    head = parts[0] if parts else ""
    self_call = head == "me" or (head == "users" and len(parts) > 1 and caller_is_user(parts[1]))
    users_call = head in ("me", "users")
    fitting = tuple(
        t for t in tables if (not t.routes or template in t.routes) and (not t.who or not users_call or (t.who == "self") == self_call)
    )
    return fitting or tables


def grants_for(tables: Iterable[PermissionTable], caller_type: str) -> Grants | None:
    """What lets `caller_type` call, over the tables that apply (any one of them enough); None where
    none documents that caller type."""
    out: Grants | None = None
    for table in tables:
        grants = table.grants(caller_type)
        if grants is not None:
            out = _merge(out, grants) if out is not None else grants
    return out


def allows(grants: Grants, permissions: frozenset[str]) -> bool:
    """Whether permissions (case-folded) include every permission of one alternative."""
    return any(all(p.casefold() in permissions for p in alternative) for alternative in grants)


def describe(grants: Grants) -> str:
    """`OnlineMeetings.Read, OnlineMeetings.ReadWrite`, `A and B`, `not supported`, `none`."""
    if not grants:
        return "not supported"
    return ", ".join(" and ".join(alt) if alt else "none" for alt in grants)


def parse_description(text: str) -> Grants:
    """The inverse of `describe`."""
    if text == "not supported":
        return ()
    return tuple(() if alt == "none" else tuple(alt.split(" and ")) for alt in text.split(", ") if alt)


# The caller types as messages and reports say them.
CALLER_WORDS = {
    "delegatedWork": "delegated (work or school account)",
    "delegatedPersonal": "delegated (personal Microsoft account)",
    "application": "application",
}


# ------------------------------------------------------------------------------ import summary


def summary_rows(fixtures: Sequence[tuple[str, Fixture]], diagnostics: Sequence[Any]) -> list[tuple[str, int, str]]:
    """The import summary's rows about permissions: of the operations imported (pages with an
    example), how many carry their permissions, and why the others do not."""
    pages: dict[str, bool] = {}
    for _, fixture in fixtures:
        pages[fixture.source.page] = pages.get(fixture.source.page, False) or bool(fixture.permissions)
    todo = {d.page for d in diagnostics if d.reason == TODO}
    unreadable = {d.page for d in diagnostics if d.reason == UNREADABLE}
    missing = [page for page, has in pages.items() if not has]
    with_todo = sum(page in todo for page in missing)
    with_unreadable = sum(page in unreadable and page not in todo for page in missing)
    imported = sum(pages.values())
    tabled = imported + with_unreadable  # pages with a table that is not a TODO
    return [
        ("Operations (pages with an example)", len(pages), ""),
        ("  permissions imported (share: of tables)", imported, f"{100 * imported / tabled:.1f}%" if tabled else ""),
        ("  permissions table unreadable", with_unreadable, ""),
        ("  permissions table says TODO", with_todo, ""),
        ("  no permissions table", len(missing) - with_todo - with_unreadable, ""),
    ]


# --------------------------------------------------------------------- least-privilege summary


@dataclass(frozen=True)
class CallerSummary:
    """What one caller type's calls needed, worked out from the calls' `permission` findings."""

    caller: str  # one of CALLER_TYPES
    calls: int
    least: tuple[str, ...]  # the least privileged permissions that would have covered every call
    unused: tuple[str, ...]  # the tokens' permissions that no call documents
    uncovered: int  # calls no permission allows (their caller type is not supported)


def least_privilege(findings: Iterable[Any]) -> list[CallerSummary]:
    """Per caller type, from the `permission` findings of calls (each: the documented alternatives
    for its caller type, and the token's permissions): the least privileged set covering every
    call, and the tokens' permissions no call documents. Alternatives are tried least privileged
    first; the most constrained calls choose first, and a permission the others make redundant is
    dropped."""
    calls: dict[str, list[Grants]] = {}
    held: dict[str, dict[str, None]] = {}
    for f in findings:
        caller, _, documented = f.expected.partition(": ")
        token_caller, _, has = f.actual.partition(": ")
        if f.kind != "permission" or caller not in CALLER_WORDS or token_caller != caller:
            continue
        calls.setdefault(caller, []).append(parse_description(documented))
        held.setdefault(caller, {}).update(dict.fromkeys(p for p in has.split() if p != "(none)"))
    out = []
    for caller, needs in calls.items():
        least = _cover(needs)
        documented = {p.casefold() for grants in needs for alt in grants for p in alt}
        unused = tuple(p for p in held[caller] if p.casefold() not in documented)
        out.append(CallerSummary(caller, len(needs), least, unused, sum(not g for g in needs)))
    return sorted(out, key=lambda s: list(CALLER_WORDS).index(s.caller))


def _cover(needs: Sequence[Grants]) -> tuple[str, ...]:
    chosen: dict[str, None] = {}
    for grants in sorted((g for g in needs if g), key=len):
        if not allows(grants, frozenset(p.casefold() for p in chosen)):
            chosen.update(dict.fromkeys(grants[0]))
    for permission in list(chosen):  # drop what the rest already covers
        rest = frozenset(p.casefold() for p in chosen if p != permission)
        if all(allows(g, rest) for g in needs if g):
            del chosen[permission]
    return tuple(chosen)


def summary_lines(findings: Iterable[Any]) -> list[str]:
    """The report's permissions summary, one line a caller type; [] where no call was judged."""
    lines = []
    for s in least_privilege(findings):
        least = ", ".join(s.least) or "none"
        line = f"  {CALLER_WORDS[s.caller]}: {s.calls} call{'s' if s.calls != 1 else ''}; least privileged that covers them: {least}"
        if s.unused:
            line += f"; the token's {', '.join(s.unused)} no call needed"
        if s.uncovered:
            line += f"; {s.uncovered} call{'s' if s.uncovered != 1 else ''} not supported for this caller type"
        lines.append(line)
    return ["permissions (from the tokens the tests sent):", *lines] if lines else []
