"""Documentation pages to fixtures: each documented request/response pair becomes one Fixture.

The docs are written by many hands over many years, so the importer never stops at a bad page or
example: it imports what it can and says, with a `Diagnostic` naming page and line, what it dropped
(`skipped`), what it had to guess or repair (warnings) and what is merely worth knowing (notes).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from .docpage import Block, DocPage, parse_page, plain_text, read_page
from .doctypes import ResourceCache, properties_of_tables, property_tables
from .errors import DocPageError
from .fixturefile import FORMAT_KEY, dumps, iter_fixture_files, write_atomic
from .httpexample import (
    HttpMessage,
    example_routes,
    parse_body,
    parse_url,
    path_forms,
    split_request_line,
    status_code_of,
)
from .models import GRAPH_VERSIONS, NO_BODY, Body, Contract, Fixture, FixtureRequest, FixtureResponse, Property, Source
from .permissions import UNMATCHED, read_permissions, scoped, summary_rows

__all__ = [
    "Diagnostic",
    "ImportResult",
    "PageImport",
    "ResourceCache",
    "import_page",
    "import_paths",
    "read_page",
    "write_fixtures",
]

# ---------------------------------------------------------------------------------- public data

# Skips of a lone request or response block: not an example with both halves, so not counted as one.
UNPAIRED = frozenset({"no-response", "response-without-request"})

Progress = Callable[[int, int], None]  # (pages done, pages in all)


@dataclass(frozen=True)
class Diagnostic:
    """Something the importer noticed on a page, at a line a reviewer can jump to."""

    page: str  # the page's path relative to the import root, forward slashes
    line: int  # 1-based
    reason: str  # short stable kebab-case code, e.g. "no-response"
    message: str
    skipped: bool = False  # an example was dropped because of it
    level: str = "warning"  # "warning", or "info" for notes that need no action

    def __str__(self) -> str:
        kind = "skipped" if self.skipped else self.level
        return f"{self.page}:{self.line}: {kind}: {self.reason}: {self.message}"


@dataclass(frozen=True)
class PageImport:
    """What one page gave: its fixtures, named, and what was noticed on the way."""

    fixtures: list[tuple[str, Fixture]]  # (output file name relative to the fixtures folder, fixture)
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class ImportResult:
    """A whole import: every page's fixtures and diagnostics, and how many pages were read."""

    fixtures: list[tuple[str, Fixture]]  # output names are unique across the whole import
    diagnostics: list[Diagnostic]
    pages: int

    def count(self, kind: str) -> Counter[str]:
        """Diagnostics of one kind ("skipped", "warning" or "info"), counted by reason."""
        return Counter(d.reason for d in self.diagnostics if _kind(d) == kind)

    def summary(self) -> str:
        """Pages read; examples (a request with its response) by outcome, imported or skipped by
        reason, each with its share; request or response blocks left without a partner; then
        warnings and notes by reason; in aligned columns."""
        all_skipped = self.count("skipped")
        unpaired = Counter({r: n for r, n in all_skipped.items() if r in UNPAIRED})
        skipped = all_skipped - unpaired
        found = len(self.fixtures) + sum(skipped.values())
        rows: list[tuple[str, int, str]] = [("Pages read", self.pages, ""), ("Examples", found, "")]
        rows.append(("  imported", len(self.fixtures), _share(len(self.fixtures), found)))
        rows.append(("  skipped", sum(skipped.values()), _share(sum(skipped.values()), found)))
        rows.extend((f"    {reason}", n, "") for reason, n in _by_count(skipped))
        rows.append(("Unpaired blocks", sum(unpaired.values()), ""))
        rows.extend((f"  {reason}", n, "") for reason, n in _by_count(unpaired))
        for title, kind in (("Warnings", "warning"), ("Notes", "info")):
            counts = self.count(kind)
            rows.append((title, sum(counts.values()), ""))
            rows.extend((f"  {reason}", n, "") for reason, n in _by_count(counts))
        rows.extend(summary_rows(self.fixtures, self.diagnostics))  # operations with their permissions
        width = max(len(label) for label, _, _ in rows)
        digits = max(len(str(n)) for _, n, _ in rows)
        shares = max(len(share) for _, _, share in rows)
        return "\n".join(
            f"{label.ljust(width)}  {str(n).rjust(digits)}" + (f"  {share.rjust(shares)}" if share else "") for label, n, share in rows
        )


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else ""


def _kind(d: Diagnostic) -> str:
    return "skipped" if d.skipped else d.level


# ----------------------------------------------------------------------------------- entry points


def import_paths(paths: Sequence[Path], root: Path | None = None, progress: Progress | None = None, jobs: int = 1) -> ImportResult:
    """Import pages and folders of pages (`*.md`, recursively, in name order).

    `root` is what `Source.page` is relative to; by default a folder argument itself, or a file
    argument's folder. A page that fails unexpectedly becomes an `internal-error` diagnostic.
    `progress` is called after each page with the number of pages done and of pages in all.
    `jobs` is how many processes may share a large tree (each takes at least `PAGES_PER_JOB`);
    the result is the same whatever their number.
    """
    pages = list(_pages(paths, root))
    folders = _resource_folders(paths, root)
    jobs = max(1, min(jobs, len(pages) // PAGES_PER_JOB))
    names = _Names()
    fixtures: list[tuple[str, Fixture]] = []
    diagnostics: list[Diagnostic] = []
    with ExitStack() as stack:
        if jobs == 1:
            resources = ResourceCache(folders)
            results: Iterator[PageImport] = (_import_guarded(page, page_root, resources) for page, page_root in pages)
        else:
            context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
            pool = stack.enter_context(ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=(folders,)))
            results = pool.map(_import_in_worker, pages, chunksize=16)
        for done, result in enumerate(results, 1):
            fixtures.extend((names.take(name), fixture) for name, fixture in result.fixtures)
            diagnostics.extend(result.diagnostics)
            if progress is not None:
                progress(done, len(pages))
    return ImportResult(fixtures, diagnostics, len(pages))


# A process costs a start (about 0.2 s) and reads the resource pages again: worth it for big trees only.
PAGES_PER_JOB = 200


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_worker_resources: ResourceCache | None = None


def _start_worker(folders: list[Path]) -> None:
    global _worker_resources
    _worker_resources = ResourceCache(folders)


def _import_in_worker(page: tuple[Path, Path]) -> PageImport:
    return _import_guarded(*page, _worker_resources or ResourceCache())


def _import_guarded(page: Path, page_root: Path, resources: ResourceCache) -> PageImport:
    """`import_page`, with an unexpected failure turned into an `internal-error` diagnostic."""
    try:
        return import_page(page, page_root, resources=resources)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}; page not imported"
        return PageImport([], [Diagnostic(_relative(page, page_root), 1, "internal-error", message, skipped=True)])


def _resource_folders(paths: Sequence[Path], root: Path | None) -> list[Path]:
    """Every `resources` folder in the documentation trees being imported, v1.0 before beta."""
    tops = {_absolute(p if p.is_dir() else p.parent) for p in paths} | ({_absolute(root)} if root else set())
    folders = {f for top in tops if top.is_dir() for f in top.glob("**/resources") if f.is_dir()}
    return sorted(folders, key=lambda f: ("beta" in f.parts, str(f)))


def import_page(path: Path, root: Path, *, resources: ResourceCache | None = None) -> PageImport:
    """The fixtures and diagnostics of one page. `resources` shares parsed resource pages between
    calls; without it each call parses its own."""
    rel = _relative(path, root)
    try:
        text = read_page(path)
    except DocPageError as exc:
        return PageImport([], [Diagnostic(rel, 1, "unreadable-page", str(exc), skipped=True)])
    return _PageImporter(path, rel, text, resources or ResourceCache()).run()


def write_fixtures(result: ImportResult, out_dir: Path, clean: bool = False) -> int:
    """Write every fixture atomically under `out_dir`; return how many the import holds.

    A file whose content would not change is left untouched. With `clean`, doc-imported fixture
    files this import would not write are removed first; other files (recorded fixtures, anything
    that is not a fixture) are never touched.
    """
    wanted = {name.casefold() for name, _ in result.fixtures}
    if clean and out_dir.is_dir():
        for name, path in list(iter_fixture_files(out_dir)):
            if name.casefold() not in wanted and _is_doc_fixture(path):
                path.unlink()

    def write(named: tuple[str, Fixture]) -> None:
        path, text = out_dir / named[0], dumps(named[1])
        if not _has_text(path, text):
            write_atomic(path, text)

    # Each atomic write waits for its fsync, which releases the GIL: a few threads overlap those
    # waits, so a tree of thousands of fixtures is written several times faster.
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        for _ in pool.map(write, result.fixtures):  # re-raises the first failure
            pass
    return len(result.fixtures)


_WRITERS = 8


def _has_text(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _is_doc_fixture(path: Path) -> bool:
    """A mockgraph fixture file that an import wrote (not a recording, not some other JSON)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        return False
    source = data.get("source")
    return isinstance(source, dict) and source.get("kind") == "doc"


# -------------------------------------------------------------------------------- finding pages


def _pages(paths: Sequence[Path], root: Path | None) -> Iterator[tuple[Path, Path]]:
    seen: set[Path] = set()
    for arg in paths:
        if arg.is_dir():
            pages = (p for p in arg.rglob("*.md") if _is_page(p, arg))
            found, base = sorted(pages, key=lambda p: p.relative_to(arg).as_posix()), root or arg
        elif arg.exists():
            found, base = [arg], root or arg.parent
        else:
            raise DocPageError(f"{arg}: no such page or folder")
        for page in found:
            if (key := _absolute(page)) not in seen:
                seen.add(key)
                yield page, base


def _is_page(path: Path, folder: Path) -> bool:
    parts = [p.casefold() for p in path.relative_to(folder).parts]
    return path.is_file() and parts[-1] != "readme.md" and "includes" not in parts[:-1] and not any(p.startswith(".") for p in parts)


def _relative(path: Path, root: Path) -> str:
    try:
        return _absolute(path).relative_to(_absolute(root)).as_posix()
    except ValueError:
        return path.as_posix()


def _absolute(path: Path) -> Path:
    """Absolute and normalised without touching the disk (resolve() costs a stat per part)."""
    return Path(os.path.abspath(path))


class _Names:
    """Output names made unique with -2, -3 suffixes; compared without case for case-blind disks."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        stem = name[: -len(".json")] if name.endswith(".json") else name
        candidate, n = name, 1
        while candidate.casefold() in self.used:
            n += 1
            candidate = f"{stem}-{n}.json"
        self.used.add(candidate.casefold())
        return candidate


_SLUG_DROP = re.compile(r"[^A-Za-z0-9._-]+")


def _slug(name: str) -> str:
    return _SLUG_DROP.sub("-", name).strip("-") or "example"


# ------------------------------------------------------------------------------------ one page

_DROPPED_REQUEST_HEADERS = frozenset({"content-length", "host", "authorization"})
# HTTP forbids a body on these; a documented one cannot reach the client (RFC 9110, 6.4.1).
_NO_BODY_STATUSES = frozenset({204, 304})
_DROPPED_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding"})
_PROSE_STATUS = re.compile(r"\b([1-5]\d\d) (?:[A-Z][A-Za-z-]*)")
_TODO = re.compile(r"\bTODO\b")


@dataclass
class _Example:
    request: Block
    response: Block


class _PageImporter:
    """Everything about one page: its forms, its property table, its examples."""

    def __init__(self, path: Path, rel: str, text: str, resources: ResourceCache) -> None:
        self.path = path
        self.rel = rel
        self.page: DocPage = parse_page(text)
        self.resources = resources
        self.diagnostics: list[Diagnostic] = []
        self.location_version = _version_from_location(path)
        self.forms = path_forms(self.page)
        self._properties: tuple[Property, ...] | None = None
        self._own_table = False  # whether the properties come from the page's own request body table

    def note(self, line: int, reason: str, message: str, skipped: bool = False, level: str = "warning") -> None:
        self.diagnostics.append(Diagnostic(self.rel, max(1, line), reason, message, skipped, level))

    def run(self) -> PageImport:
        if not any(line.strip() for line in self.page.lines):
            self.note(1, "empty-page", "page is empty", level="info")
        for problem in self.page.problems:
            level = "info" if problem.reason == "annotation-repaired" else "warning"
            self.note(problem.line, problem.reason, problem.message, level=level)
        self._check_permissions()
        self._permissions = read_permissions(self.page)  # the Permissions tables: permissions.py
        for unread in self._permissions.problems:
            self.note(unread.line, unread.reason, unread.message)
        names = _Names()
        fixtures: list[tuple[str, Fixture]] = []
        for example in self._pair_examples():
            fixture = self._fixture(example)
            if fixture is not None:
                version = fixture.request.version or "unversioned"
                name = f"{version}/{self.path.stem}/{_slug(fixture.source.example)}.json"
                fixtures.append((names.take(name), fixture))
        self.diagnostics.sort(key=lambda d: d.line)
        return PageImport(fixtures, self.diagnostics)

    # -- pairing

    def _pair_examples(self) -> list[_Example]:
        """Requests open examples; a response closes the request of its name, else the oldest open one."""
        pending: list[Block] = []
        examples: list[_Example] = []
        ignored: Block | None = None  # the last "ignored" block, which explains an orphan response
        for block in self.page.annotated_blocks:
            kind = block.block_type
            if kind == "ignored":
                ignored = block
            if kind not in ("request", "response"):
                continue
            if kind == "request":
                pending.append(block)
                continue
            name = _name(block)
            match = next((r for r in pending if name and _name(r) == name), pending[0] if pending else None)
            if match is None:
                after = f" (the one before it, line {ignored.line}, is marked 'ignored')" if ignored else ""
                text = f"response example has no request{after}"
                self.note(block.line, "response-without-request", text, skipped=True)
                continue
            ignored = None
            pending.remove(match)
            examples.append(_Example(match, block))
        for request in pending:
            self.note(request.line, "no-response", f"request example {_name(request)!r} has no response", skipped=True)
        examples.sort(key=lambda e: e.request.line)
        return [e for e in examples if self._has_code(e)]

    def _has_code(self, example: _Example) -> bool:
        for block in (example.request, example.response):
            if block.code is None:
                what = f"{block.block_type} annotation of example {_name(example.request)!r}"
                self.note(block.line, "no-code-block", f"{what} is not followed by a code block", skipped=True)
                return False
        return True

    # -- one example

    def _fixture(self, example: _Example) -> Fixture | None:
        parsed = self._request(example.request)
        if parsed is None:
            return None
        request, url = parsed
        response = self._response(example.response)
        contract = self._contract(example, request)
        self._check_enums(example.request, request.body, contract.properties)
        annotations = {"request": example.request.annotation or {}, "response": example.response.annotation or {}}
        source = Source(
            kind="doc",
            page=self.rel,
            example=_name(example.request),
            line=example.request.line,
            url=url,
            annotations=annotations,
        )
        permissions, unmatched = scoped(self._permissions, request.routes)
        if unmatched:
            self.note(example.request.line, UNMATCHED, unmatched)
        response_contract = self._response_contract(example, response)
        return Fixture(
            source=source,
            request=request,
            response=response,
            contract=contract,
            response_contract=response_contract,
            permissions=permissions,
        )

    def _request(self, block: Block) -> tuple[FixtureRequest, str] | None:
        """The request and its URL as written."""
        message = HttpMessage.parse(block.code or "", block.code_line)
        method, url = split_request_line(message.first)
        if method is None or not url:
            found = message.first or "an empty code block"
            self.note(message.first_line, "bad-request-line", f"expected 'METHOD URL', found {found!r}", skipped=True)
            return None
        target = parse_url(url)
        for reason, text in target.notes:
            self.note(message.first_line, reason, text, level="info" if reason == "foreign-host" else "warning")
        version = target.version or self.location_version
        if target.version and self.location_version and target.version != self.location_version:
            text = f"URL says {target.version} but the page is in the {self.location_version} docs"
            self.note(message.first_line, "version-mismatch", text, level="info")
        headers = message.headers_without(_DROPPED_REQUEST_HEADERS)
        body = self._body(message)
        routes, mismatch = example_routes(method, target, self.forms)
        if mismatch:
            self.note(message.first_line, "route-mismatch", mismatch)
        return FixtureRequest(method, target.path, version, target.query, headers, body, routes), url

    def _response(self, block: Block) -> FixtureResponse:
        message = HttpMessage.parse(block.code or "", block.code_line, status_line=True)
        status = status_code_of(message.first) if message.first else None
        if status is None:
            status, where = self._documented_status(block)
            found = f"found {message.first!r}" if message.first else "the block is empty"
            text = f"response has no 'HTTP/1.1 <status>' line ({found}); using {status} {where}"
            self.note(message.first_line, "bad-status-line", text)
            if not message.first.upper().startswith("HTTP"):  # no status line at all: headers or body
                message = HttpMessage.parse(block.code or "", block.code_line, status_line=False)
        body = replace(self._body(message), documented=None)  # a response is replayed, never sent
        if status in _NO_BODY_STATUSES and not body.empty:
            self.note(message.first_line, "body-with-no-content", f"a {status} response cannot carry a body; dropped the documented one")
            body = NO_BODY
        return FixtureResponse(status, message.headers_without(_DROPPED_RESPONSE_HEADERS), body)

    def _documented_status(self, block: Block) -> tuple[int, str]:
        """The status the page's prose states for this response, else 200."""
        around = [s for s in self.page.enclosing(block.line) if "response" in s.title.casefold()]
        candidates = [*reversed(around), self.page.find_section("response", exact=True)]
        for section in dict.fromkeys(s for s in candidates if s is not None):
            for _, text in self.page.text_of(section):
                if m := _PROSE_STATUS.search(text):
                    return int(m[1]), f"from the {section.title!r} section (line {section.line})"
        return 200, "by default"

    def _body(self, message: HttpMessage) -> Body:
        body, note = parse_body(message)
        if note is not None:
            self.note(*note)
        return body

    # -- contract

    def _contract(self, example: _Example, request: FixtureRequest) -> Contract:
        type_name = _contract_type(request.body, example.response.annotation or {})
        if type_name:
            type_name = self.resources.exact_type(type_name, self.path)
        truncated = any(_is_true((b.annotation or {}).get("truncated")) for b in (example.request, example.response))
        body = request.body.json if request.body.is_json else None
        properties = self._documented_properties(body)
        types = self.resources.nested_types(properties, body, self.path) if body is not None else ()
        return Contract(type=type_name, truncated=truncated, properties=properties, types=types)

    def _documented_properties(self, body: Any) -> tuple[Property, ...]:
        """The "Request body" section's own property table; else the table of the type the body's
        `@odata.type` names (a derived type where the section links its base); else the table of
        the resource page the section links."""
        if self._properties is None:
            self._properties = ()
            section = self.page.find_section("request body")
            if section is not None and (tables := property_tables(self.page, section)):
                self._properties = self.resources.with_enums(properties_of_tables(tables, self.page), self.path)
                self._own_table = True
            elif section is not None:
                self._properties = self.resources.linked_properties(self.path, self.page.links_in(section))
        sent_type = body.get("@odata.type") if isinstance(body, dict) else None
        if not self._own_table and isinstance(sent_type, str) and sent_type.strip().lstrip("#"):
            named = self.resources.type_named(sent_type.strip().lstrip("#"), self.path)
            if named is not None:
                return named.properties
        return self._properties

    # -- response contract (issue 18)

    def _response_contract(self, example: _Example, response: FixtureResponse) -> Contract | None:
        """The documented shape of a JSON answer: the type its annotation names (`@odata.type`),
        a collection where it says `isCollection`, that type's resource table and the tables of the
        nested types its example uses. None where the answer is not JSON or names no type."""
        annotation = example.response.annotation or {}
        type_name = _annotated_type(annotation)
        if type_name is None or not response.body.is_json:
            return None
        type_name = self.resources.exact_type(type_name, self.path)
        collection = _is_true(annotation.get("isCollection"))
        body = response.body.json
        items = body.get("value") if collection and isinstance(body, dict) else body
        first = (items[0] if items else None) if isinstance(items, list) else items
        typedef = self.resources.type_named(type_name, self.path)
        properties = typedef.properties if typedef is not None else ()
        types = self.resources.nested_types(properties, first, self.path) if first is not None else ()
        truncated = _is_true(annotation.get("truncated"))
        return Contract(type=type_name, truncated=truncated, properties=properties, types=types, collection=collection)

    # -- page checks

    def _check_permissions(self) -> None:
        section = self.page.find_section("permissions")
        if section is None:
            return
        rows = [row for table in self.page.tables_in(section) for row in table.rows if any(_TODO.search(cell) for cell in row.cells)]
        if rows:
            listed = ", ".join(f"{plain_text(r.cells[0])!r} (line {r.line})" for r in rows)
            self.note(rows[0].line, "todo-permissions", f"permissions table still says TODO: {listed}")

    def _check_enums(self, block: Block, body: Body, properties: tuple[Property, ...]) -> None:
        """Documented example values outside their property's documented enumeration."""
        if not body.is_json or not isinstance(body.json, dict):
            return
        enums = {p.name.casefold(): p for p in properties if p.enum}
        for key, value in body.json.items():
            prop = enums.get(key.casefold()) if isinstance(key, str) else None
            if prop is None:
                continue
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if isinstance(v, str) and not _in_enum(v, prop.enum)]
            if bad:
                text = (
                    f"example {_name(block)!r} sets {key} to {', '.join(json.dumps(v) for v in bad)}, "
                    f"not one of its documented values: {', '.join(prop.enum)}"
                )
                self.note(self._line_of_key(block, key), "enum-example", text)

    def _line_of_key(self, block: Block, key: str) -> int:
        needle = json.dumps(key)
        for offset, line in enumerate((block.code or "").split("\n")):
            if needle in line:
                return block.code_line + offset
        return block.line


def _name(block: Block) -> str:
    name = (block.annotation or {}).get("name")
    return name.strip() if isinstance(name, str) else ""


def _contract_type(body: Body, response_annotation: dict[str, Any]) -> str | None:
    """The request body's `@odata.type`, else the one the response annotation documents; none
    for a body that is not an object (an array of patch commands is not the page it patches)."""
    if body.is_json and not isinstance(body.json, dict):
        return None
    candidates = [
        body.json.get("@odata.type") if isinstance(body.json, dict) else None,
        response_annotation.get("@odata.type"),
        response_annotation.get("@type"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().lstrip("#"):
            return candidate.strip().lstrip("#")
    return None


def _annotated_type(annotation: dict[str, Any]) -> str | None:
    """The type a response annotation documents; None for none, or a stream (a file's bytes)."""
    for key in ("@odata.type", "@type"):
        value = annotation.get(key)
        if isinstance(value, str) and (name := value.strip().lstrip("#")) and name.casefold() not in ("stream", "edm.stream"):
            return name
    return None


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().casefold() == "true")


def _in_enum(value: str, enum: tuple[str, ...]) -> bool:
    """Case-blind, and a flags value such as "a,b" is in when each part is."""
    allowed = {e.casefold() for e in enum}
    return all(part.strip().casefold() in allowed for part in value.split(","))


def _version_from_location(path: Path) -> str | None:
    """`.../api-reference/beta/api/x.md` -> "beta"."""
    parts = [p.casefold() for p in _absolute(path).parts]
    versions = {v.casefold(): v for v in GRAPH_VERSIONS}
    for k in range(len(parts) - 1, 0, -1):
        if parts[k - 1] == "api-reference" and parts[k] in versions:
            return versions[parts[k]]
    return None
