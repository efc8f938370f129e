"""The types the documentation describes: property tables, and the resource pages that hold them.

A fixture's contract is the documented shape of its request body. An API page documents it in its
own "Request body" table or by linking a resource page (`../resources/onlinemeeting.md`); a type's
exact name (`microsoft.graph.onlineMeeting`, not the lower-case one examples often use) is the one
its resource page's JSON representation annotation spells. Resource pages are shared by thousands of
API pages, so `ResourceCache` reads each once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .docpage import DocPage, Link, Section, Table, parse_page, plain_text, read_page, strip_links
from .errors import DocPageError
from .models import PRIMITIVE_TYPES, Property, TypeDef, type_key

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
# "Required." as a sentence of its own; "Required for users that will be assigned licenses" is a
# condition the table cannot check, so it does not make the property required.
_REQUIRED = re.compile(r"(?:^|[.;:]\s*)\(?Required\)?\s*(?:[.;]|$)")


def property_tables(page: DocPage, section: Section) -> list[Table]:
    """The tables in `section` that list properties: a name (or parameter) column and a type column."""
    return [t for t in page.tables_in(section) if _is_property_table(t)]


def properties_of_tables(tables: Iterable[Table], page: DocPage) -> tuple[Property, ...]:
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


def parse_type_cell(cell: str) -> tuple[str, bool, str | None]:
    """`[identitySet](identityset.md) collection` -> ("identitySet", True, None); the anchor is set
    when the type links to a values table on the same page (`[ageGroup](#agegroup-values)`)."""
    link = _ANCHOR_LINK.search(cell)
    text = plain_text(cell)
    if m := _COLLECTION_OF.match(text):
        return (m[1] or m[2]).strip(), True, link[1] if link else None
    if m := _COLLECTION_SUFFIX.match(text):
        return m[1].strip(), True, link[1] if link else None
    return text, False, link[1] if link else None


def _is_property_table(table: Table) -> bool:
    return table.column("property", "parameter", "name") is not None and table.column("type") is not None


def _property(cells: tuple[str, ...], columns: tuple[int | None, ...], page: DocPage) -> Property | None:
    """One row; `columns` are the indexes of its name, type and description cells."""
    name, type_cell, description = (cells[c] if c is not None and c < len(cells) else "" for c in columns)
    words = plain_text(name).split()
    if not words:
        return None
    type_name, collection, anchor = parse_type_cell(type_cell)
    enum = _enum_values(description) or (_anchor_values(page, anchor) if anchor else ())
    return Property(
        name=words[0],
        type=type_name,
        collection=collection,
        enum=enum,
        required=bool(_REQUIRED.search(plain_text(description))),
        description=strip_links(description),
    )


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


# ------------------------------------------------------------------------------ resource pages


@dataclass(frozen=True)
class Resource:
    """What a resource page documents: its type's exact name and its properties."""

    type: str | None
    properties: tuple[Property, ...]


class ResourceCache:
    """Resource pages read once per import: thousands of API pages link the same few hundred.

    `folders` are resource folders to search after the page's own `../resources`: a page kept
    outside the documentation tree (like the seed) still finds its types there.
    """

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self._folders: dict[Path, dict[str, Path]] = {}
        self._resources: dict[Path, Resource | None] = {}
        self._search = tuple(folders)

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
        """The resource page at `path`, read on first use; None when it cannot be read."""
        if path not in self._resources:
            self._resources[path] = _read_resource(path)
        return self._resources[path]

    def linked_properties(self, page: Path, links: Iterable[Link]) -> tuple[Property, ...]:
        """The properties of the first resource page among `links` (made on `page`) that has any."""
        for link in links:
            target = self.resolve_link(page, link.target)
            if target is not None and (resource := self.resource(target)) and resource.properties:
                return resource.properties
        return ()

    def type_resource(self, type_name: str, page: Path) -> Resource | None:
        """The resource page that documents `type_name`, next to `page` first, then in `folders`."""
        file_name = type_key(type_name) + ".md"
        for folder in (page.parent.parent / "resources", *self._search):
            found = self.find(folder, file_name)
            if found is not None and (resource := self.resource(found)) is not None and resource.properties:
                return resource
        return None

    def nested_types(self, properties: Iterable[Property], example: Any, page: Path, limit: int = 64) -> tuple[TypeDef, ...]:
        """The tables of the complex types the documented example uses, followed down its nesting.

        Only types the example reaches are taken, so a fixture carries the contract it demonstrates
        without copying half the documentation into every file.
        """
        found: dict[str, TypeDef] = {}
        pending = [(tuple(properties), example)]
        while pending and len(found) < limit:
            table, value = pending.pop(0)
            for prop in table:
                sub = value.get(prop.name) if isinstance(value, dict) else None
                if sub is None or prop.enum or prop.type.lower() in PRIMITIVE_TYPES:
                    continue
                resource = self.type_resource(prop.type, page)
                if resource is None:
                    continue
                name = (resource.type or prop.type).removeprefix("microsoft.graph.")
                items = sub if isinstance(sub, list) else [sub]
                if type_key(name) not in found:
                    found[type_key(name)] = TypeDef(name, resource.properties)
                pending.extend((resource.properties, item) for item in items)
        return tuple(found.values())

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
    tables = property_tables(page, section) if section else []
    return Resource(_resource_type(page), properties_of_tables(tables, page))


def _resource_type(page: DocPage) -> str | None:
    """The type as the page's JSON representation annotation spells it."""
    for block in page.annotated_blocks:
        value = (block.annotation or {}).get("@odata.type")
        if block.block_type == "resource" and isinstance(value, str) and value.strip("#"):
            return value.strip().lstrip("#")
    return None
