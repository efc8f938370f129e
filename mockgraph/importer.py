"""Documentation pages to fixtures: each documented request/response pair becomes one Fixture.

The docs are written by many hands over many years, so the importer never stops at a bad page or
example: it imports what it can and says, with a `Diagnostic` naming page and line, what it dropped
(`skipped`), what it had to guess or repair (warnings) and what is merely worth knowing (notes).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .docpage import (
    Block,
    DocPage,
    JsonRepairError,
    Section,
    Table,
    json_repairs,
    parse_json_lenient,
    parse_page,
    plain_text,
    strip_links,
)
from .errors import DocPageError
from .fixturefile import FORMAT_KEY, dumps, iter_fixture_files, write_atomic
from .models import (
    GRAPH_VERSIONS,
    NO_BODY,
    Body,
    Contract,
    Fixture,
    FixtureRequest,
    FixtureResponse,
    Headers,
    Property,
    Source,
)
from .paths import is_placeholder, split_version, template_matches, template_of

MAX_PAGE_BYTES = 8 * 1024 * 1024  # the largest Graph API page is well under 1 MiB

# ---------------------------------------------------------------------------------- public data


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
    fixtures: list[tuple[str, Fixture]]  # (output file name relative to the fixtures folder, fixture)
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class ImportResult:
    fixtures: list[tuple[str, Fixture]]  # output names are unique across the whole import
    diagnostics: list[Diagnostic]
    pages: int

    def count(self, kind: str) -> Counter[str]:
        """Diagnostics of one kind ("skipped", "warning" or "info"), counted by reason."""
        return Counter(d.reason for d in self.diagnostics if _kind(d) == kind)

    def summary(self) -> str:
        rows: list[tuple[str, int]] = [("Pages read", self.pages), ("Examples imported", len(self.fixtures))]
        for title, kind in (("Skipped", "skipped"), ("Warnings", "warning"), ("Notes", "info")):
            counts = self.count(kind)
            rows.append((title, sum(counts.values())))
            rows.extend((f"  {reason}", n) for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        width = max(len(label) for label, _ in rows)
        digits = max(len(str(n)) for _, n in rows)
        return "\n".join(f"{label.ljust(width)}  {str(n).rjust(digits)}" for label, n in rows)


def _kind(d: Diagnostic) -> str:
    return "skipped" if d.skipped else d.level


# ----------------------------------------------------------------------------------- entry points


def import_paths(paths: Sequence[Path], root: Path | None = None) -> ImportResult:
    """Import pages and folders of pages (`*.md`, recursively, in name order).

    `root` is what `Source.page` is relative to; by default a folder argument itself, or a file
    argument's folder. A page that fails unexpectedly becomes an `internal-error` diagnostic.
    """
    resources = ResourceCache()
    names = _Names()
    fixtures: list[tuple[str, Fixture]] = []
    diagnostics: list[Diagnostic] = []
    pages = 0
    for page, page_root in _pages(paths, root):
        pages += 1
        try:
            result = import_page(page, page_root, resources=resources)
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop thousands of others
            rel = _relative(page, page_root)
            message = f"{type(exc).__name__}: {exc}; page not imported"
            diagnostics.append(Diagnostic(rel, 1, "internal-error", message, skipped=True))
            continue
        fixtures.extend((names.take(name), fixture) for name, fixture in result.fixtures)
        diagnostics.extend(result.diagnostics)
    return ImportResult(fixtures, diagnostics, pages)


def import_page(path: Path, root: Path, *, resources: ResourceCache | None = None) -> PageImport:
    """The fixtures and diagnostics of one page. `resources` shares parsed resource pages between
    calls; without it each call parses its own."""
    rel = _relative(path, root)
    try:
        text = read_page(path)
    except DocPageError as exc:
        return PageImport([], [Diagnostic(rel, 1, "unreadable-page", str(exc), skipped=True)])
    return _PageImporter(path, rel, text, resources or ResourceCache()).run()


def read_page(path: Path) -> str:
    """A page's text; DocPageError when it is missing, too large, not UTF-8 or binary."""
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise DocPageError(f"is {size} bytes, more than the {MAX_PAGE_BYTES} a page may have")
        data = path.read_bytes()
    except OSError as exc:
        raise DocPageError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocPageError(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    if "\x00" in text:
        raise DocPageError("looks binary (it contains NUL bytes)")
    return text


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
    for name, fixture in result.fixtures:
        path = out_dir / name
        text = dumps(fixture)
        if not _has_text(path, text):
            write_atomic(path, text)
    return len(result.fixtures)


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
    return (
        path.is_file()
        and parts[-1] != "readme.md"
        and "includes" not in parts[:-1]
        and not any(p.startswith(".") for p in parts)
    )


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

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_DROPPED_REQUEST_HEADERS = frozenset({"content-length", "host", "authorization"})
_DROPPED_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding"})
_FORM_LANGUAGES = frozenset({"", "http", "https", "msgraph-interactive"})
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
        self.forms = self._path_forms()
        self._properties: tuple[Property, ...] | None = None

    def note(self, line: int, reason: str, message: str, skipped: bool = False, level: str = "warning") -> None:
        self.diagnostics.append(Diagnostic(self.rel, max(1, line), reason, message, skipped, level))

    def run(self) -> PageImport:
        if not any(line.strip() for line in self.page.lines):
            self.note(1, "empty-page", "page is empty", level="info")
        for problem in self.page.problems:
            level = "info" if problem.reason == "annotation-repaired" else "warning"
            self.note(problem.line, problem.reason, problem.message, level=level)
        self._check_permissions()
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
        return Fixture(source=source, request=request, response=response, contract=contract)

    def _request(self, block: Block) -> tuple[FixtureRequest, str] | None:
        """The request and its URL as written."""
        message = _Message.parse(block.code or "", block.code_line)
        method, url = _split_request_line(message.first)
        if method is None or not url:
            found = message.first or "an empty code block"
            self.note(message.first_line, "bad-request-line", f"expected 'METHOD URL', found {found!r}", skipped=True)
            return None
        target = _parse_url(url)
        for reason, text in target.notes:
            self.note(message.first_line, reason, text, level="info" if reason == "foreign-host" else "warning")
        version = target.version or self.location_version
        if target.version and self.location_version and target.version != self.location_version:
            text = f"URL says {target.version} but the page is in the {self.location_version} docs"
            self.note(message.first_line, "version-mismatch", text, level="info")
        headers = _keep_headers(message.headers, _DROPPED_REQUEST_HEADERS)
        body = self._body(message, headers)
        routes = self._routes(method, target, message.first_line)
        return FixtureRequest(method, target.path, version, target.query, headers, body, routes), url

    def _response(self, block: Block) -> FixtureResponse:
        message = _Message.parse(block.code or "", block.code_line, status_line=True)
        status = _status_of(message.first) if message.first else None
        if status is None:
            status, where = self._documented_status(block)
            found = f"found {message.first!r}" if message.first else "the block is empty"
            text = f"response has no 'HTTP/1.1 <status>' line ({found}); using {status} {where}"
            self.note(message.first_line, "bad-status-line", text)
            if not message.first.upper().startswith("HTTP"):  # no status line at all: headers or body
                message = _Message.parse(block.code or "", block.code_line, status_line=False)
        headers = _keep_headers(message.headers, _DROPPED_RESPONSE_HEADERS)
        return FixtureResponse(status, headers, self._body(message, headers))

    def _documented_status(self, block: Block) -> tuple[int, str]:
        """The status the page's prose states for this response, else 200."""
        around = [s for s in self.page.enclosing(block.line) if "response" in s.title.casefold()]
        candidates = [*reversed(around), self.page.find_section("response", exact=True)]
        for section in dict.fromkeys(s for s in candidates if s is not None):
            for _, text in self.page.text_of(section):
                if m := _PROSE_STATUS.search(text):
                    return int(m[1]), f"from the {section.title!r} section (line {section.line})"
        return 200, "by default"

    def _body(self, message: _Message, headers: Headers) -> Body:
        text = message.body
        if not text.strip():
            return NO_BODY
        content_type = next((v for k, v in headers if k.casefold() == "content-type"), "").casefold()
        looks_json = text.lstrip()[:1] in ("{", "[")
        if not ("json" in content_type or (looks_json and not content_type)):
            return Body.of_text(text)
        try:
            value, repaired = parse_json_lenient(text)
        except JsonRepairError as exc:
            line = message.body_line + exc.line - 1
            self.note(line, "body-not-json", f"body is not JSON ({exc.reason}, column {exc.column}); kept as text")
            return Body.of_text(text)
        if repaired:
            repairs = json_repairs(text)
            line = message.body_line + (repairs[0][0] - 1 if repairs else 0)
            listed = ", ".join(f"{what} (line {message.body_line + n - 1})" for n, what in repairs[:3])
            more = f" and {len(repairs) - 3} more" if len(repairs) > 3 else ""
            self.note(line, "body-repaired", f"body is not strict JSON; read after removing {listed}{more}")
        return Body.of_json(value)

    # -- routes

    def _path_forms(self) -> list[_Form]:
        """The operation's documented paths: code lines of the "HTTP request" section."""
        forms: list[_Form] = []
        for block in self.page.blocks:
            if block.code is None or block.block_type not in (None, "ignored") or block.language not in _FORM_LANGUAGES:
                continue
            if not any("http request" in s.title.casefold() for s in self.page.enclosing(block.line)):
                continue
            for line in block.code.split("\n"):
                if form := _Form.parse(line):
                    forms.append(form)
        return forms

    def _routes(self, method: str, target: _Target, line: int) -> tuple[str, ...]:
        """The example's own template, then the page's forms of the same operation.

        A page's "HTTP request" section may list several operations (an item, its `/recording`,
        its `/attendeeReport`), so of the forms with the example's method only those ending like
        the forms the example fits are added: `/me/onlineMeetings` and
        `/users/{userId}/onlineMeetings` are one operation, `/me/onlineMeetings/{id}/recording`
        another.
        """
        template = template_of(target.path)
        if not target.graph:
            return (template,)
        same = [f for f in self.forms if f.method in (None, method)]
        fitting = [f for f in same if template_matches(f.path, target.path)]
        if fitting:
            operations = {_operation(template), *(_operation(f.path) for f in fitting)}
            return _dedupe([template, *(f.path for f in same if _operation(f.path) in operations)])
        if self.forms:
            documented = "; ".join(f"{f.method or '(any)'} {f.path}" for f in self.forms)
            text = (
                f"{method} {target.path} fits none of the page's documented paths ({documented}); "
                f"served only at {template}"
            )
            self.note(line, "route-mismatch", text)
        return (template,)

    # -- contract

    def _contract(self, example: _Example, request: FixtureRequest) -> Contract:
        type_name = _contract_type(request.body, example.response.annotation or {})
        if type_name:
            type_name = self.resources.exact_type(type_name, self.path)
        truncated = any(_is_true((b.annotation or {}).get("truncated")) for b in (example.request, example.response))
        return Contract(type=type_name, truncated=truncated, properties=self._documented_properties())

    def _documented_properties(self) -> tuple[Property, ...]:
        """The "Request body" section's property table, else the one of the resource page it links."""
        if self._properties is None:
            self._properties = ()
            section = self.page.find_section("request body")
            if section is not None:
                tables = [t for t in self.page.tables_in(section) if _is_property_table(t)]
                if tables:
                    self._properties = _properties_of(tables, self.page)
                else:
                    self._properties = self._linked_properties(section)
        return self._properties

    def _linked_properties(self, section: Section) -> tuple[Property, ...]:
        for link in self.page.links_in(section):
            target = self.resources.resolve_link(self.path, link.target)
            if target is not None and (resource := self.resources.resource(target)) and resource.properties:
                return resource.properties
        return ()

    # -- page checks

    def _check_permissions(self) -> None:
        section = self.page.find_section("permissions")
        if section is None:
            return
        rows = [
            row
            for table in self.page.tables_in(section)
            for row in table.rows
            if any(_TODO.search(cell) for cell in row.cells)
        ]
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
    """The request body's `@odata.type`, else the one the response annotation documents."""
    candidates = [
        body.json.get("@odata.type") if body.is_json and isinstance(body.json, dict) else None,
        response_annotation.get("@odata.type"),
        response_annotation.get("@type"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().lstrip("#"):
            return candidate.strip().lstrip("#")
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


def _operation(route: str) -> tuple[str, ...]:
    """What a route addresses, as its segments from the last name on: `/users/{id}/sendMail` ->
    ("sendmail",), `/me/messages/{id}` -> ("messages", "{}"). `/me` counts as `/users/{id}`."""
    segments = ["{}" if is_placeholder(s) else s.casefold() for s in route.split("/") if s]
    if segments[:1] == ["me"]:
        segments = ["users", "{}", *segments[1:]]
    last_name = max((k for k, s in enumerate(segments) if s != "{}"), default=0)
    return tuple(segments[last_name:])


def _dedupe(routes: Iterable[str]) -> tuple[str, ...]:
    """Routes in order, each shape once: any case, any placeholder name."""
    seen: set[str] = set()
    out: list[str] = []
    for route in routes:
        shape = "/".join("{}" if is_placeholder(s) else s.casefold() for s in route.split("/") if s)
        if shape not in seen:
            seen.add(shape)
            out.append(route)
    return tuple(out)


def _keep_headers(headers: list[tuple[str, str]], dropped: frozenset[str]) -> Headers:
    return tuple((k, v) for k, v in headers if k.casefold() not in dropped)


# ------------------------------------------------------------------------------- HTTP messages

_STATUS_LINE = re.compile(r"^HTTP(?:/\d(?:\.\d)?)?\s+([1-5]\d\d)\b", re.IGNORECASE)
_PROSE_STATUS = re.compile(r"\b([1-5]\d\d) (?:[A-Z][A-Za-z-]*)")
_HEADER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*:\s*(.*)$")
_HTTP_VERSION_SUFFIX = re.compile(r"\s+HTTP/\d(?:\.\d)?\s*$", re.IGNORECASE)


@dataclass
class _Message:
    """A code block read as an HTTP message: first line, headers, body, with page lines."""

    first: str = ""
    first_line: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    body_line: int = 0

    @classmethod
    def parse(cls, code: str, code_line: int, status_line: bool = True) -> _Message:
        """With `status_line` false, the block holds only headers and body (no first line)."""
        lines = code.split("\n")
        i = next((k for k, line in enumerate(lines) if line.strip()), len(lines))
        message = cls(first_line=code_line + i, body_line=code_line + i)
        if i == len(lines):
            return message
        if status_line:
            message.first = lines[i].strip()
            i += 1
        while i < len(lines) and (header := _HEADER.match(lines[i].strip())) and lines[i].strip()[:1] not in "{[\"":
            message.headers.append((header[1], header[2].strip()))
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        end = len(lines)
        while end > i and not lines[end - 1].strip():
            end -= 1
        message.body = "\n".join(lines[i:end])
        message.body_line = code_line + i
        return message


def _split_request_line(line: str) -> tuple[str | None, str]:
    """`GET https://... HTTP/1.1` -> ("GET", "https://..."); no method -> (None, the line)."""
    line = _HTTP_VERSION_SUFFIX.sub("", line.strip())
    word, _, rest = line.partition(" ")
    if word.upper() in METHODS:
        return word.upper(), rest.strip()
    return None, line


def _status_of(line: str) -> int | None:
    m = _STATUS_LINE.match(line.strip())
    return int(m[1]) if m else None


# ----------------------------------------------------------------------------------------- URLs

GRAPH_HOSTS = frozenset(
    {
        "graph.microsoft.com",
        "canary.graph.microsoft.com",
        "graph.microsoft.us",
        "dod-graph.microsoft.us",
        "graph.microsoft.de",
        "microsoftgraph.chinacloudapi.cn",
    }
)
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/\\?#]*)(.*)$")
_VERSION_TYPOS = {"v1": "v1.0"}


@dataclass
class _Target:
    """Where a documented URL points: path without version, query, and what had to be fixed."""

    path: str
    query: str = ""
    version: str | None = None
    graph: bool = True
    notes: list[tuple[str, str]] = field(default_factory=list)


def _parse_url(url: str) -> _Target:
    raw = url.strip()
    rest, host = raw, None
    if m := _ABSOLUTE.match(raw):
        host, rest = m[2].casefold(), m[3]
    path, _, query = rest.partition("?")
    path = path.partition("#")[0]
    target = _Target(path="", query=query, graph=host is None or host in GRAPH_HOSTS)
    if "\\" in path:
        fixed = _normalise_path(_fix_backslashes(path))
        text = f"URL {_short(raw)!r} has a Windows path in it (backslashes); read its path as {fixed!r}"
        target.notes.append(("malformed-url", text))
        path = fixed
    path = _normalise_path(path)
    if not target.graph:
        target.notes.append(("foreign-host", f"URL host {host!r} is not Microsoft Graph; its path is kept as written"))
        target.path = path
        return target
    first = path.split("/")[1] if path.count("/") >= 1 else ""
    if first.casefold() in _VERSION_TYPOS:
        fixed_version = _VERSION_TYPOS[first.casefold()]
        target.notes.append(("malformed-url", f"URL {_short(raw)!r} has version {first!r}; read as {fixed_version!r}"))
        path = "/" + fixed_version + path[len(first) + 1 :]
    target.version, target.path = split_version(path)
    target.path = _normalise_path(target.path)
    return target


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fix_backslashes(path: str) -> str:
    """`/docs\\api/app/x` -> `/app/x`: a leading segment with a backslash is a leaked local path."""
    segments = path.split("/")
    lead = next((k for k, s in enumerate(segments) if s), None)
    if lead is not None and "\\" in segments[lead] and len(segments) > lead + 1:
        segments = segments[lead + 1 :]
    return "/".join(segments).replace("\\", "/")


def _normalise_path(path: str) -> str:
    """Leading slash, no empty segments, no trailing slash."""
    return "/" + "/".join(s for s in path.split("/") if s)


@dataclass(frozen=True)
class _Form:
    """One documented path of the operation, as a route template."""

    method: str | None
    path: str

    @classmethod
    def parse(cls, line: str) -> _Form | None:
        method, url = _split_request_line(line)
        if not url or not (url.startswith("/") or _ABSOLUTE.match(url)):
            return None
        target = _parse_url(url)  # kept as documented: template_of would read `root:` as a key
        return cls(method, target.path) if target.graph else None


# ------------------------------------------------------------------------------ property tables

_ANCHOR_LINK = re.compile(r"\]\(\s*(#[^)\s]+)\s*\)")
_COLLECTION_OF = re.compile(r"^collection\s*(?:\(\s*(.+?)\s*\)|of\s+(.+))$", re.IGNORECASE)
_COLLECTION_SUFFIX = re.compile(r"^(.+?)\s+collection$", re.IGNORECASE)
_ENUM_LEAD = re.compile(
    r"\b(?:possible|allowed|supported|valid|accepted)\s+values\s*(?:are|is|include)?\s*:?", re.IGNORECASE
)
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|<br", re.IGNORECASE)
_ENUM_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ENUM_SPLIT = re.compile(r",|\s+or\s+|\s+and\s+")
_REQUIRED = re.compile(r"\bRequired\b")


def _is_property_table(table: Table) -> bool:
    return table.column("property", "parameter", "name") is not None and table.column("type") is not None


def _properties_of(tables: Iterable[Table], page: DocPage) -> tuple[Property, ...]:
    """Properties of documented property tables, first row of each name winning."""
    seen: set[str] = set()
    out: list[Property] = []
    for table in tables:
        name_col = table.column("property", "parameter", "name")
        type_col = table.column("type")
        desc_col = table.column("description")
        for row in table.rows:
            prop = _property(row.cells, (name_col, type_col, desc_col), page)
            if prop is not None and prop.name.casefold() not in seen:
                seen.add(prop.name.casefold())
                out.append(prop)
    return tuple(out)


def _property(cells: tuple[str, ...], columns: tuple[int | None, ...], page: DocPage) -> Property | None:
    """One row; `columns` are the indexes of its name, type and description cells."""
    name, type_cell, description = (cells[c] if c is not None and c < len(cells) else "" for c in columns)
    words = plain_text(name).split()
    if not words:
        return None
    type_name, collection, anchor = _type_of(type_cell)
    enum = _enum_values(description) or (_anchor_values(page, anchor) if anchor else ())
    return Property(
        name=words[0],
        type=type_name,
        collection=collection,
        enum=enum,
        required=bool(_REQUIRED.search(plain_text(description))),
        description=strip_links(description),
    )


def _type_of(cell: str) -> tuple[str, bool, str | None]:
    """`[identitySet](identityset.md) collection` -> ("identitySet", True, None); the anchor is set
    when the type links to a values table on the same page (`[ageGroup](#agegroup-values)`)."""
    link = _ANCHOR_LINK.search(cell)
    text = plain_text(cell)
    if m := _COLLECTION_OF.match(text):
        return (m[1] or m[2]).strip(), True, link[1] if link else None
    if m := _COLLECTION_SUFFIX.match(text):
        return m[1].strip(), True, link[1] if link else None
    return text, False, link[1] if link else None


def _enum_values(description: str) -> tuple[str, ...]:
    """Values after "Possible values are:" up to the end of that sentence: backticked, or else plain
    words separated by commas, "or", "and"."""
    lead = _ENUM_LEAD.search(description)
    if lead is None:
        return ()
    quoted: list[str] = []
    plain: list[str] = []
    for part in _CODE_SPAN.split(description[lead.end() :]):
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            if value := part[1:-1].strip():
                quoted.append(value)
            continue
        end = _SENTENCE_END.search(part)
        plain.append(part[: end.start()] if end else part)
        if end:
            break
    if quoted:
        return tuple(dict.fromkeys(quoted))
    words = [w.strip(" *\"'") for w in _ENUM_SPLIT.split(plain_text("".join(plain)))]
    words = [w for w in words if w]
    if words and all(_ENUM_WORD.match(w) for w in words):
        return tuple(dict.fromkeys(words))
    return ()


def _anchor_values(page: DocPage, anchor: str) -> tuple[str, ...]:
    """The first column of the values table under the heading `anchor` names."""
    section = page.section_by_anchor(anchor)
    if section is None:
        return ()
    for table in page.tables_in(section):
        col = table.column("value", "member", "name")
        if col is not None:
            values = (plain_text(r.cells[col]) for r in table.rows if col < len(r.cells))
            return tuple(v for v in values if v)
    return ()


# ----------------------------------------------------------------------------- resource pages


@dataclass(frozen=True)
class Resource:
    """What the importer takes from a resource page: its type's exact name and its properties."""

    type: str | None
    properties: tuple[Property, ...]


class ResourceCache:
    """Resource pages read once per import: thousands of API pages link the same few hundred."""

    def __init__(self) -> None:
        self._folders: dict[Path, dict[str, Path]] = {}
        self._resources: dict[Path, Resource | None] = {}

    def find(self, folder: Path, name: str) -> Path | None:
        """`folder/name`, matching the file name in any case (links rarely match the file's case)."""
        if folder not in self._folders:
            try:
                self._folders[folder] = {p.name.casefold(): p for p in folder.iterdir() if p.is_file()}
            except OSError:
                self._folders[folder] = {}
        return self._folders[folder].get(name.casefold())

    def resolve_link(self, page: Path, target: str) -> Path | None:
        """A relative `.md` link from `page`, or None for web links and anchors."""
        target = target.split("#", 1)[0].split("?", 1)[0]
        if not target.casefold().endswith(".md") or "://" in target or target.startswith("/"):
            return None
        joined = Path(os.path.normpath(page.parent / target))
        return self.find(joined.parent, joined.name)

    def resource(self, path: Path) -> Resource | None:
        if path not in self._resources:
            self._resources[path] = _read_resource(path)
        return self._resources[path]

    def exact_type(self, type_name: str, page: Path) -> str:
        """`microsoft.graph.onlinemeeting` -> `microsoft.graph.onlineMeeting`, as its resource page spells it."""
        namespace, _, short = type_name.rpartition(".")
        folder = page.parent.parent / "resources"
        names = [f"{short}.md"]
        if namespace.casefold().startswith("microsoft.graph."):
            names.append(namespace[len("microsoft.graph.") :].replace(".", "-") + f"-{short}.md")
        for name in names:
            found = self.find(folder, name)
            resource = self.resource(found) if found else None
            if resource and resource.type and resource.type.casefold() == type_name.casefold():
                return resource.type
        return type_name


def _read_resource(path: Path) -> Resource | None:
    try:
        page = parse_page(read_page(path))
    except DocPageError:
        return None
    section = page.find_section("properties", exact=True)
    tables = [t for t in page.tables_in(section) if _is_property_table(t)] if section else []
    return Resource(_resource_type(page), _properties_of(tables, page))


def _resource_type(page: DocPage) -> str | None:
    """The type as the page's JSON representation annotation spells it."""
    for block in page.annotated_blocks:
        value = (block.annotation or {}).get("@odata.type")
        if block.block_type == "resource" and isinstance(value, str) and value.strip("#"):
            return value.strip().lstrip("#")
    return None
