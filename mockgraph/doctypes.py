"""The types the documentation describes: property tables, and the resource pages that hold them.

A fixture's contract is the documented shape of its request body. An API page documents it in its
own "Request body" table or by linking a resource page (`../resources/onlinemeeting.md`); a type's
exact name (`microsoft.graph.onlineMeeting`, not the lower-case one examples often use) is the one
its resource page's JSON representation annotation spells. Resource pages are shared by thousands of
API pages, so `ResourceCache` reads each once.

The documentation spreads one type over several pages: a resource page names its base type and
often leaves the inherited rows out, and an enumeration's values are tabled once, on whichever page
first used it. `ResourceCache.type_def` puts a type back together from those pages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .docpage import DocPage, Link, Section, Table, heading_anchor, parse_page, plain_text, read_page, strip_links
from .errors import DocPageError
from .models import PRIMITIVE_TYPES, Property, TypeDef, type_key

# ------------------------------------------------------------------------------ property tables

_ANCHOR_LINK = re.compile(r"\]\(\s*(#[^)\s]+)\s*\)")
_COLLECTION_OF = re.compile(r"^collection\s*(?:\(\s*(.+?)\s*\)|of\s+(.+))$", re.IGNORECASE)
_COLLECTION_SUFFIX = re.compile(r"^(.+?)\s+collection$", re.IGNORECASE)
_ENUM_LEAD = re.compile(r"\b(?:possible|allowed|supported|valid|accepted)\s+values\s*(?:are|is|include)?\s*:?", re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|<br", re.IGNORECASE)
_ENUM_WORD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ENUM_SPLIT = re.compile(r",|\s+or\s+|\s+and\s+")
# "Required." as a sentence of its own; "Required for users that will be assigned licenses" is a
# condition the table cannot check, so it does not make the property required.
_REQUIRED = re.compile(r"(?:^|[.;:]\s*)\(?Required\)?\s*(?:[.;]|$)")


# The first column of a property table; resource pages list navigation properties under "Relationship".
_NAME_COLUMNS = ("property", "parameter", "name", "relationship", "property name", "parameter name", "relationship name")


def property_tables(page: DocPage, section: Section) -> list[Table]:
    """The tables in `section` that list properties: a name (or parameter) column and a type column."""
    return [t for t in page.tables_in(section) if _is_property_table(t)]


def properties_of_tables(tables: Iterable[Table], page: DocPage) -> tuple[Property, ...]:
    """Properties of documented property tables, first row of each name winning."""
    seen: set[str] = set()
    out: list[Property] = []
    for table in tables:
        name_col = table.column(*_NAME_COLUMNS)
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
    return table.column(*_NAME_COLUMNS) is not None and table.column("type") is not None


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

# "### ageGroup values", "### bodyType enumeration values": the heading of an enumeration's table.
_ENUM_HEADING = re.compile(r"^#{2,6}[ \t]+`?([A-Za-z][\w.]*)`?[ \t]+(?:enum(?:eration)?[ \t]+)?values[ \t]*$", re.MULTILINE | re.IGNORECASE)
_INHERITS = re.compile(r"\binherits\s+from\b", re.IGNORECASE)


@dataclass(frozen=True)
class Resource:
    """What a resource page documents: its type's exact name, its own properties and its base type."""

    type: str | None
    properties: tuple[Property, ...]
    base: str | None = None  # "microsoft.graph.entity", from the annotation's baseType
    base_link: str | None = None  # "entity.md", from "Inherits from [entity](entity.md)"


class ResourceCache:
    """Resource pages read once per import: thousands of API pages link the same few hundred.

    `folders` are resource folders to search after the page's own `../resources`: a page kept
    outside the documentation tree (like the seed) still finds its types there.
    """

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self._folders: dict[Path, dict[str, Path]] = {}
        self._resources: dict[Path, Resource | None] = {}
        self._types: dict[Path, TypeDef | None] = {}
        self._enums: dict[Path, dict[str, tuple[str, ...]]] = {}  # folder -> enumeration -> values
        self._search = tuple(folders)

    def find(self, folder: Path, name: str) -> Path | None:
        """`folder/name`, matching the file name in any case (links rarely match the file's case)."""
        return self._listing(folder).get(name.casefold())

    def _listing(self, folder: Path) -> dict[str, Path]:
        if folder not in self._folders:
            try:
                self._folders[folder] = {p.name.casefold(): p for p in sorted(folder.iterdir()) if p.is_file()}
            except OSError:
                self._folders[folder] = {}
        return self._folders[folder]

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

    def type_def(self, path: Path, name: str | None = None) -> TypeDef | None:
        """The type the resource page at `path` documents, with the rows it inherits from its base
        types (own rows first) and its enumerations looked up; None when the page has no table.

        `name` is used where the page does not spell its type's name.
        """
        if path not in self._types:
            self._types[path] = None  # a page that inherits from itself stops here
            self._types[path] = self._build_type(path, name)
        return self._types[path]

    def _build_type(self, path: Path, name: str | None) -> TypeDef | None:
        resource = self.resource(path)
        if resource is None or not (resource.properties or resource.base or resource.base_link):
            return None
        rows = list(self.with_enums(resource.properties, path))
        bases: tuple[str, ...] = ()
        base = self._base_type(resource, path)
        if base is not None:
            own = {p.name.casefold() for p in rows}
            rows.extend(p for p in base.properties if p.name.casefold() not in own)
            bases = (base.name, *base.bases)
        elif resource.base:
            bases = (resource.base.removeprefix("microsoft.graph."),)  # named, but its page is not at hand
        if not rows:
            return None
        type_name = resource.type or name or path.stem
        return TypeDef(type_name.removeprefix("microsoft.graph."), tuple(rows), bases)

    def _base_type(self, resource: Resource, path: Path) -> TypeDef | None:
        if resource.base_link and (linked := self.resolve_link(path, resource.base_link)):
            return self.type_def(linked)
        if resource.base:
            return self.type_named(resource.base, path)
        return None

    def type_named(self, type_name: str, page: Path) -> TypeDef | None:
        """The type `type_name` as documented next to `page` (its `../resources`), else in `folders`."""
        for found in self._type_pages(type_name, page):
            if (typedef := self.type_def(found, type_name)) is not None:
                return typedef
        return None

    def _type_pages(self, type_name: str, page: Path) -> Iterator[Path]:
        """The pages that may document `type_name`, by file name, nearest first; none is read."""
        short = type_key(type_name)
        names = [short + ".md"]
        if "." in short:  # microsoft.graph.security.alert: security-alert.md, alert.md
            names += [short.replace(".", "-") + ".md", short.rpartition(".")[2] + ".md"]
        for folder in (page.parent.parent / "resources", *self._search):
            for file_name in names:
                if (found := self.find(folder, file_name)) is not None:
                    yield found

    def linked_properties(self, page: Path, links: Iterable[Link]) -> tuple[Property, ...]:
        """The properties of the first resource page among `links` (made on `page`) that has any."""
        for link in links:
            target = self.resolve_link(page, link.target)
            if target is not None and (typedef := self.type_def(target)) is not None:
                return typedef.properties
        return ()

    def with_enums(self, properties: Iterable[Property], page: Path) -> tuple[Property, ...]:
        """`properties`, where a type names an enumeration documented in a values table somewhere in
        the resource folders (`ageGroup`, documented on user.md), with that table's values."""
        out = []
        for prop in properties:
            # A type with a page of its own is complex; only the others are looked for as enumerations.
            if (
                not prop.enum
                and prop.type.lower() not in PRIMITIVE_TYPES
                and next(self._type_pages(prop.type, page), None) is None
                and (values := self.enum_values(prop.type, page))
            ):
                prop = replace(prop, enum=values)
            out.append(prop)
        return tuple(out)

    def enum_values(self, type_name: str, page: Path) -> tuple[str, ...]:
        """The members of the enumeration `type_name`, from the first "<name> values" table in the
        page's own resources folder or in `folders`; () where none documents it."""
        wanted = type_key(type_name).rpartition(".")[2]
        for folder in (page.parent.parent / "resources", *self._search):
            if values := self._enumerations(folder).get(wanted):
                return values
        return ()

    def _enumerations(self, folder: Path) -> dict[str, tuple[str, ...]]:
        """Every values table in a resources folder, by enumeration name, read on first use. Only
        pages whose text has such a heading are parsed."""
        if folder not in self._enums:
            found: dict[str, tuple[str, ...]] = {}
            for path in self._listing(folder).values():
                try:
                    text = read_page(path) if path.suffix.casefold() == ".md" else ""
                except DocPageError:
                    continue
                if not _ENUM_HEADING.search(text):
                    continue
                doc = parse_page(text)
                for heading in _ENUM_HEADING.finditer(text):
                    key = heading[1].lower()
                    if key not in found and (values := _anchor_values(doc, heading_anchor(heading[0].lstrip("#").strip()))):
                        found[key] = values
            self._enums[folder] = found
        return self._enums[folder]

    def nested_types(self, properties: Iterable[Property], example: Any, page: Path, limit: int = 64) -> tuple[TypeDef, ...]:
        """The tables of the complex types the documented example uses, followed down its nesting.

        Only types the example reaches are taken, so a fixture carries the contract it demonstrates
        without copying half the documentation into every file. Where the example's `@odata.type`
        names a type derived from the documented one (a fileAttachment where an attachment is
        documented), both are taken, and that value is followed with the derived type's table.
        """
        found: dict[str, TypeDef] = {}
        pending = [(tuple(properties), example)]
        while pending and len(found) < limit:
            table, value = pending.pop(0)
            for prop in table:
                sub = value.get(prop.name) if isinstance(value, dict) else None
                if sub is None or prop.enum or prop.type.lower() in PRIMITIVE_TYPES:
                    continue
                declared = self.type_named(prop.type, page)
                if declared is None:
                    continue
                found.setdefault(type_key(declared.name), declared)
                for item in sub if isinstance(sub, list) else [sub]:
                    typedef = self.derived_type(declared, item, page)
                    found.setdefault(type_key(typedef.name), typedef)
                    pending.append((typedef.properties, item))
        return tuple(found.values())

    def derived_type(self, declared: TypeDef, value: Any, page: Path) -> TypeDef:
        """The type `value`'s `@odata.type` names where it derives from `declared`, else `declared`."""
        sent = value.get("@odata.type") if isinstance(value, dict) else None
        if not isinstance(sent, str) or type_key(sent) == type_key(declared.name):
            return declared
        typedef = self.type_named(sent.strip().lstrip("#"), page)
        if typedef is None or type_key(declared.name) not in {type_key(b) for b in typedef.bases}:
            return declared
        return typedef

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
    relationships = page.find_section("relationships", exact=True)
    tables = [t for s in (section, relationships) if s is not None for t in property_tables(page, s)]
    annotation = _resource_annotation(page)
    return Resource(
        type=_type_name(annotation.get("@odata.type")),
        properties=properties_of_tables(tables, page),
        base=_type_name(annotation.get("baseType")),
        base_link=_inherits_link(page, section),
    )


def _type_name(value: Any) -> str | None:
    """`#microsoft.graph.entity` -> `microsoft.graph.entity`; None for an empty or non-string value."""
    return (value.strip().lstrip("#") or None) if isinstance(value, str) else None


def _resource_annotation(page: DocPage) -> dict[str, Any]:
    """The annotation of the page's JSON representation, which spells its type and base type."""
    for block in page.annotated_blocks:
        if block.block_type == "resource" and isinstance(block.annotation, dict):
            return block.annotation
    return {}


def _inherits_link(page: DocPage, properties: Section | None) -> str | None:
    """The link in "Inherits from [entity](entity.md)", written before the Properties section."""
    before = properties.line if properties else len(page.lines) + 1
    for link in page.links:
        if link.line >= before or link.line not in page.prose or not link.target.split("#", 1)[0].casefold().endswith(".md"):
            continue
        text = page.lines[link.line - 1]
        words = _INHERITS.search(text)
        if words is not None and text.find(f"[{link.text}]", words.end()) >= 0:  # the link follows the words
            return link.target
    return None
