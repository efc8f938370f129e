"""One Microsoft Graph documentation page, read as Markdown: its sections, annotated code blocks,
tables and links, each with the line it sits on.

This module knows Markdown and the docs' annotation comments, nothing about fixtures: the modules
above it decide what the pieces mean. Pages are written by many hands, so parsing never raises on
odd input; what cannot be read is reported as a `Problem` with its line. Only `read_page`, which
refuses files that are not text, raises.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DocPageError
from .lenientjson import parse_json_lenient

MAX_PAGE_BYTES = 8 * 1024 * 1024  # the largest Graph API page is well under 1 MiB

# ------------------------------------------------------------------------------------ page parts


@dataclass(frozen=True)
class Section:
    """A heading and the lines below it up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int  # the heading's line
    end: int  # last line of the section, inclusive

    def holds(self, line: int) -> bool:
        """Whether `line` lies within the section, heading included."""
        return self.line <= line <= self.end


@dataclass(frozen=True)
class Block:
    """A fenced code block, with the annotation comment just before it when there is one.

    An annotation followed by something other than a code block gives a Block whose `code` is None.
    """

    annotation: dict[str, Any] | None
    annotation_line: int | None
    language: str  # the fence's info string, lower-case: "http", "msgraph-interactive", "json", ""
    code: str | None
    code_line: int  # line of the code's first line (or of the annotation when there is no code)
    section: Section | None  # the innermost section holding the block

    @property
    def block_type(self) -> str | None:
        """The annotation's `blockType`, stripped and lower-case ("request", "response", ...)."""
        value = (self.annotation or {}).get("blockType")
        return value.strip().lower() if isinstance(value, str) else None

    @property
    def line(self) -> int:
        """Where the block starts: its annotation, or its code."""
        return self.annotation_line or self.code_line


@dataclass(frozen=True)
class TableRow:
    """One body row of a table: its cells as written, stripped, and its line."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A pipe table; cells are the Markdown as written, stripped."""

    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    line: int  # the header row's line
    section: Section | None

    def column(self, *names: str) -> int | None:
        """Index of the first header that, as plain text, equals one of `names` (any case)."""
        wanted = [n.casefold() for n in names]
        folded = [plain_text(h).casefold() for h in self.header]
        for name in wanted:
            if name in folded:
                return folded.index(name)
        return None


@dataclass(frozen=True)
class Link:
    """An inline link, image or reference definition, with the line it is on."""

    text: str
    target: str
    line: int


@dataclass(frozen=True)
class Problem:
    """Something on the page that could not be read as written."""

    line: int
    reason: str  # "bad-annotation", "annotation-repaired", "unclosed-fence", "unclosed-comment", "permissions-unreadable"
    message: str


@dataclass(frozen=True)
class DocPage:
    """A parsed page: everything the modules above need, each piece with its line."""

    lines: tuple[str, ...]  # the page's lines; line N is lines[N - 1]
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...]
    tables: tuple[Table, ...]
    links: tuple[Link, ...]
    problems: tuple[Problem, ...]
    prose: frozenset[int]  # lines that are Markdown text: not code, comment or front matter

    @property
    def annotated_blocks(self) -> list[Block]:
        """The blocks that carry an annotation, in page order."""
        return [b for b in self.blocks if b.annotation is not None]

    def enclosing(self, line: int) -> list[Section]:
        """Sections holding `line`, outermost first."""
        return [s for s in self.sections if s.holds(line)]

    def find_section(self, words: str, exact: bool = False) -> Section | None:
        """The first section whose title contains `words` (or equals them), any case."""
        words = words.casefold()
        for s in self.sections:
            title = s.title.casefold()
            if title == words or (not exact and words in title):
                return s
        return None

    def section_by_anchor(self, anchor: str) -> Section | None:
        """The section whose heading has the anchor `anchor` (`#x-values` or `x-values`), any case."""
        anchor = anchor.lstrip("#").casefold()
        return next((s for s in self.sections if heading_anchor(s.title) == anchor), None)

    def text_of(self, section: Section) -> Iterator[tuple[int, str]]:
        """The prose lines of a section (code and comments left out), with their line numbers."""
        for number in range(section.line + 1, section.end + 1):
            if number in self.prose:
                yield number, self.lines[number - 1]

    def tables_in(self, section: Section) -> list[Table]:
        """The tables whose header row lies in `section`."""
        return [t for t in self.tables if section.holds(t.line)]

    def links_in(self, section: Section) -> list[Link]:
        """The links on lines of `section`."""
        return [k for k in self.links if section.holds(k.line)]


# --------------------------------------------------------------------------------------- parsing

_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`]*?)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TAB_HEADING = re.compile(r"^#{1,6}\s+\[[^\]]*\]\(#tab/")  # SDK snippet tabs: "# [C#](#tab/csharp)"
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_ANCHOR_DROP = re.compile(r"[^\w\- ]")
_INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_SALVAGE_TYPE = re.compile(r"""["']?blockType["']?\s*:\s*["']?([A-Za-z]+)""")
_SALVAGE_NAME = re.compile(r"""["']?name["']?\s*:\s*["']([^"'\n]*)""")


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


def parse_page(text: str) -> DocPage:
    """Read a page. Never raises on content; problems come back in `DocPage.problems`."""
    return _Parser(text).parse()


class _Parser:
    """A single pass over the lines, in the order a reader meets them."""

    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.comment_ends = [i for i, line in enumerate(self.lines) if "-->" in line]
        self.blocks: list[tuple[dict[str, Any] | None, int | None, str, str | None, int]] = []
        self.headings: list[tuple[str, int, int]] = []  # (title, level, line)
        self.tables: list[tuple[tuple[str, ...], list[TableRow], int]] = []
        self.links: list[Link] = []
        self.problems: list[Problem] = []
        self.prose: set[int] = set()

    def parse(self) -> DocPage:
        i = self._skip_front_matter()
        pending: tuple[dict[str, Any], int] | None = None  # an annotation waiting for its code block
        while i < len(self.lines):
            line = self.lines[i]
            stripped = line.strip()
            if not stripped:
                self.prose.add(i + 1)
                i += 1
                continue
            fence = _FENCE_OPEN.match(line)
            if fence:
                i = self._read_fence(i, fence, pending)
                pending = None
                continue
            if pending is not None:  # the annotation is followed by something else
                self.blocks.append((pending[0], pending[1], "", None, pending[1]))
                pending = None
            if stripped.startswith("<!--"):
                i, pending = self._read_comment(i)
                continue
            self.prose.add(i + 1)
            if "|" in line and self._is_table_start(i):
                i = self._read_table(i)
                continue
            self._read_prose_line(i, stripped)
            i += 1
        if pending is not None:
            self.blocks.append((pending[0], pending[1], "", None, pending[1]))
        return self._page()

    def _skip_front_matter(self) -> int:
        if self.lines and self.lines[0].strip() == "---":
            for i in range(1, min(len(self.lines), 200)):
                if self.lines[i].strip() in ("---", "..."):
                    return i + 1
        return 0

    def _read_fence(self, i: int, fence: re.Match[str], pending: tuple[dict[str, Any], int] | None) -> int:
        indent, marker, info = len(fence[1]), fence[2], fence[3]
        language = info.split()[0].lower() if info.split() else ""
        closer = re.compile(r"^\s*" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}\s*$")
        end = i + 1
        while end < len(self.lines) and not closer.match(self.lines[end]):
            end += 1
        if end >= len(self.lines):
            text = "code block is never closed; it runs to the end of the page"
            self.problems.append(Problem(i + 1, "unclosed-fence", text))
        code = "\n".join(_dedent(line, indent) for line in self.lines[i + 1 : end])
        annotation, annotation_line = pending if pending else (None, None)
        self.blocks.append((annotation, annotation_line, language, code, i + 2))
        return end + 1

    def _read_comment(self, i: int) -> tuple[int, tuple[dict[str, Any], int] | None]:
        first = self.lines[i].split("<!--", 1)[1]
        k = bisect_left(self.comment_ends, i)
        if k == len(self.comment_ends):
            self.problems.append(Problem(i + 1, "unclosed-comment", "HTML comment is never closed; read as one line"))
            return i + 1, None
        end = self.comment_ends[k]
        if end == i:
            body = first.split("-->", 1)[0]
        else:
            inner = self.lines[i + 1 : end]
            body = "\n".join([first, *inner, self.lines[end].split("-->", 1)[0]])
        return end + 1, self._annotation(body, i + 1)

    def _annotation(self, body: str, line: int) -> tuple[dict[str, Any], int] | None:
        """The comment as a block annotation, or None when it is some other comment."""
        if not body.strip().startswith("{"):
            return None
        try:
            value, repaired = parse_json_lenient(body)
        except ValueError as exc:
            return self._salvage(body, line, str(exc))
        if not isinstance(value, dict):
            self.problems.append(Problem(line, "bad-annotation", "annotation is JSON but not an object"))
            return None
        if "blockType" not in value:
            return None  # page metadata such as {"type": "#page.annotation"}
        if repaired:
            text = "annotation is not strict JSON; read after repair"
            self.problems.append(Problem(line, "annotation-repaired", text))
        return value, line

    def _salvage(self, body: str, line: int, error: str) -> tuple[dict[str, Any], int] | None:
        """Keep the block type and name of an annotation too broken to repair."""
        block_type = _SALVAGE_TYPE.search(body)
        if block_type is None:
            if "blockType" in body:
                self.problems.append(Problem(line, "bad-annotation", f"annotation cannot be read ({error})"))
            return None
        value: dict[str, Any] = {"blockType": block_type[1]}
        if name := _SALVAGE_NAME.search(body):
            value["name"] = name[1]
        self.problems.append(Problem(line, "bad-annotation", f"annotation cannot be read ({error}); kept only {json.dumps(value)}"))
        return value, line

    def _is_table_start(self, i: int) -> bool:
        below = self.lines[i + 1] if i + 1 < len(self.lines) else ""
        return "|" in below and _TABLE_DELIMITER.match(below) is not None

    def _read_table(self, i: int) -> int:
        header = split_row(self.lines[i])
        rows: list[TableRow] = []
        end = i + 2
        while end < len(self.lines) and "|" in self.lines[end] and self.lines[end].strip():
            rows.append(TableRow(end + 1, split_row(self.lines[end])))
            self._collect_links(end)
            self.prose.add(end + 1)
            end += 1
        self._collect_links(i)
        self.prose.add(i + 2)
        self.tables.append((header, rows, i + 1))
        return end

    def _read_prose_line(self, i: int, stripped: str) -> None:
        heading = _HEADING.match(stripped)
        if heading and not _TAB_HEADING.match(stripped):
            self.headings.append((plain_text(heading[2]), len(heading[1]), i + 1))
        reference = _REFERENCE_LINK.match(self.lines[i])
        if reference:
            self.links.append(Link(reference[1], reference[2], i + 1))
        else:
            self._collect_links(i)

    def _collect_links(self, i: int) -> None:
        line = self.lines[i]
        if "](" in line:
            self.links.extend(Link(m[1], m[2], i + 1) for m in _INLINE_LINK.finditer(line))

    def _page(self) -> DocPage:
        sections = _sections(self.headings, len(self.lines))
        starts = [s.line for s in sections]

        def innermost(line: int) -> Section | None:
            k = bisect_left(starts, line + 1) - 1
            while k >= 0 and not sections[k].holds(line):
                k -= 1
            return sections[k] if k >= 0 else None

        blocks = tuple(
            Block(annotation, annotation_line, language, code, code_line, innermost(annotation_line or code_line))
            for annotation, annotation_line, language, code, code_line in self.blocks
        )
        tables = tuple(Table(header, tuple(rows), line, innermost(line)) for header, rows, line in self.tables)
        return DocPage(
            lines=tuple(self.lines),
            blocks=blocks,
            sections=sections,
            tables=tables,
            links=tuple(self.links),
            problems=tuple(self.problems),
            prose=frozenset(self.prose),
        )


def _sections(headings: list[tuple[str, int, int]], last_line: int) -> tuple[Section, ...]:
    """Each heading's range; computed right to left so a long page stays linear."""
    out: list[Section] = []
    # For each level, the line of the nearest heading at that level or higher seen so far (to the right).
    next_at_or_above = [last_line + 1] * 7
    for title, level, line in reversed(headings):
        out.append(Section(title, level, line, next_at_or_above[level] - 1))
        for lv in range(level, 7):
            next_at_or_above[lv] = line
    return tuple(reversed(out))


def _dedent(line: str, indent: int) -> str:
    """Remove up to `indent` leading spaces: a fence inside a list item is indented with it."""
    k = 0
    while k < indent and k < len(line) and line[k] == " ":
        k += 1
    return line[k:]


# ------------------------------------------------------------------------------- inline Markdown

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_EMPHASIS = re.compile(r"(\*\*|__|\*)")
_SPACES = re.compile(r"\s+")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def split_row(line: str) -> tuple[str, ...]:
    """A table row's cells; a `|` escaped with a backslash or inside backticks stays in its cell."""
    text = line.strip()
    if "`" not in text and "\\|" not in text:
        cells = text.split("|")
    else:
        cells = [""]
        for part in _CODE_SPAN.split(text):
            is_code = len(part) >= 2 and part[0] == part[-1] == "`"
            pieces = [part] if is_code else _UNESCAPED_PIPE.split(part)
            cells[-1] += pieces[0]
            cells.extend(pieces[1:])
        cells = [c.replace("\\|", "|") for c in cells]
    if text.startswith("|"):
        cells = cells[1:]
    if text.endswith("|") and cells:
        cells = cells[:-1]
    return tuple(c.strip() for c in cells)


def strip_links(text: str) -> str:
    """Markdown links and images replaced by their text, HTML tags and line breaks by spaces."""
    text = _INLINE_LINK.sub(lambda m: m[1], text)
    text = _BR.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def plain_text(text: str) -> str:
    """Inline Markdown reduced to its words: links, emphasis and backticks removed."""
    return strip_links(_EMPHASIS.sub("", text).replace("`", ""))


def heading_anchor(title: str) -> str:
    """The anchor GitHub and docs.microsoft.com give a heading: `onlineMeetingPresenters values` ->
    `onlinemeetingpresenters-values`."""
    kept = _ANCHOR_DROP.sub("", plain_text(title).casefold())
    return kept.replace(" ", "-")
