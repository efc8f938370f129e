"""Contract diff: where a payload differs from what Graph documents. The one module that knows deepdiff.

A payload is reduced to its *shape*: its keys, the JSON type of each value, its `@odata.type`
values. From the contract we build the shape it should have (the same keys where they are allowed,
the documented types, the documented example's properties), and deepdiff says where the two differ:
a key only in the payload is `unknown`, a key only in the expectation is `missing`, a changed leaf
is a `type` (or `odata`) finding.

Those findings depend on the shape alone, so they are cached per shape: a conforming payload whose
values change on every request costs one walk and a dictionary lookup, and deepdiff runs only where
the shapes differ. A payload of the same shape as the last ones skips even that: it is compared
with that shape's template, a tuple of keys and a tuple of value types per object, in C. A shape
not seen before is looked up again by its documented keys alone, and its undocumented keys are
reported directly, so a client that sends a new extra property name on every request does not make
deepdiff run every time. Values matter only for enumerations and formats, checked directly on the
few paths that have them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import getitem
from typing import TYPE_CHECKING, Any

from .models import Contract, Finding, Fixture, JsonValue, Property, type_key

if TYPE_CHECKING:
    import deepdiff


def DeepDiff(t1: Any, t2: Any, **options: Any) -> deepdiff.DeepDiff:
    """deepdiff's DeepDiff, imported the first time a shape differs: deepdiff is a fifth of the
    server's imports (50 ms of every start), and a server whose clients conform never needs it."""
    from deepdiff import DeepDiff as deep_diff

    return deep_diff(t1, t2, **options)


_INTEGER = frozenset({"int16", "int32", "int64", "byte", "sbyte"})
_NUMBER = frozenset({"double", "single", "decimal", "float"})
# "DateTime" is not an Edm type, but resource tables often write it for DateTimeOffset.
_STRING = frozenset({"string", "datetimeoffset", "datetime", "date", "timeofday", "duration", "guid", "binary", "enumeration"})

_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+")  # a scheme and a host, as urlsplit sees them
_FORMATS = {
    "datetimeoffset": (
        re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$"),
        "ISO 8601 date and time with an offset",
    ),
    "date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "a date, YYYY-MM-DD"),
    "timeofday": (re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"), "a time of day, hh:mm:ss"),
    "duration": (re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"), "an ISO 8601 duration"),
    "guid": (re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"), "a GUID"),
}
_FORMATS["datetime"] = _FORMATS["datetimeoffset"]

# Formats whose pattern treats every ASCII digit alike (a GUID's, every hex digit), so that whether
# a string matches depends on its skeleton alone: the string as UTF-8, each such digit written "0".
# Matching a skeleton's first string is a regex call (about 3,500 instructions for a date-time);
# the next string of that skeleton is a set lookup. The fast path (fastcheck) relies on it too.
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_HEX_DIGITS = bytes.maketrans(b"0123456789abcdefABCDEF", b"0" * 22)
SKELETON_TABLES = {form: _HEX_DIGITS if form == "guid" else _DIGITS for form in _FORMATS}
MAX_SKELETONS = 1024  # skeletons known to match, a format; none longer than MAX_SKELETON_BYTES
MAX_SKELETON_BYTES = 256


def format_pattern(name: str) -> str:
    """The pattern a string of a node's `format` (a key of _FORMATS, or "url") must match, from its
    start; the fast path (`fastcheck`) checks with the very same patterns."""
    return (_ABSOLUTE_URL if name == "url" else _FORMATS[name][0]).pattern


def has_format(value: str, edm_type: str) -> bool:
    """Whether a string is written as the Edm type says (`DateTimeOffset`, `Guid`, `Date`, ...)."""
    return _FORMATS[edm_type.lower()][0].match(value) is not None


@dataclass
class _Node:
    """What the contract expects at one place in a payload."""

    label: str  # the documented type, as findings show it: "Boolean", "meetingParticipants", "object"
    codes: frozenset[str] = frozenset()  # JSON types a leaf may hold; empty for objects and arrays
    properties: dict[str, Property] | None = None  # an object's property table, where documented
    example: Any = None  # the documented example value at this place
    item: _Node | None = None  # an array's element
    enum: tuple[str, ...] = ()
    members: frozenset[str] = frozenset()  # the enumeration's members, case-folded, for `_accepts`
    format: str | None = None  # a key of _FORMATS, or "url"
    odata_type: str | None = None  # type_key of the documented type
    truncated: bool = False
    is_any: bool = False
    children: dict[str, _Node] = field(default_factory=dict, compare=False, repr=False)  # by documented key, made on first use
    derived: dict[str, _Node] = field(default_factory=dict, compare=False, repr=False)  # by derived @odata.type, see `_as_sent`

    @property
    def is_object(self) -> bool:
        return not self.is_any and self.item is None and not self.codes

    @property
    def is_array(self) -> bool:
        return self.item is not None


_ANY = _Node("any", is_any=True)
ContractNode = _Node  # what `ContractChecker.root` and `members` hand to the fast path, read-only

_Found = list[tuple[tuple[str, ...], _Node]]  # the places `_expect` found whose values are checked, in payload order
# The same, made quick to apply to each payload of a shape: path, node, the keys that reach the
# value (list indexes as int), the test it must pass (`_accepts`: the enumeration's, or a pattern's
# match), the finding where it fails (`_refusal`), and where among the shape's findings it goes.
_Constraints = tuple[tuple[tuple[str, ...], _Node, tuple[str | int, ...], Callable[[str], object], Callable[[Any], Finding], int], ...]
# A shape's template (`_template`): per object or array, its type, its keys (None for an array),
# the type of each value, the templates of the objects and arrays it holds by key or index, and
# its `@odata.type` text. `_fits` tells with C iterators whether a payload has the shape.
_Template = tuple[Any, "tuple[str, ...] | None", tuple[type, ...], tuple[tuple[Any, Any], ...], "str | None"]  # Any: dict or list
# What the caches keep of a shape: its findings, sorted, its constraints, and its template (None
# where it is looked up by documented keys only).
_Entry = tuple[tuple[Finding, ...], _Constraints, "_Template | None"]
_Unknown = tuple[tuple[str, ...], Any, _Node]  # an undocumented key: its path, its value, the object node holding it


@dataclass
class _Expectation:
    """The shape a payload should have, and what the findings need to know beyond it."""

    shape: Any
    missing: dict[tuple[str, ...], Property | None] = field(default_factory=dict)  # path -> its row
    constraints: _Found = field(default_factory=list)  # values to check
    strict: dict[tuple[str, ...], bool] = field(default_factory=dict)  # object path -> type fully known
    odata: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)  # path -> (documented, sent)


def checker_for(fixture: Fixture, severities: Mapping[str, str] | None = None) -> ContractChecker | None:
    """The checker of a fixture's contract (its documented JSON request and property tables);
    None where the fixture documents neither, so there is nothing to check against."""
    example = fixture.request.body.json if fixture.request.body.is_json else None
    if example is None and not fixture.contract.properties:
        return None
    return ContractChecker(fixture.contract, example, severities)


class ContractChecker:
    """Checks payloads against one contract; keep one per fixture, it learns the shapes it sees."""

    def __init__(
        self,
        contract: Contract,
        example: JsonValue = None,
        severities: Mapping[str, str] | None = None,
        cache_size: int = 256,
    ) -> None:
        self.contract = contract
        self._severities = dict(severities or {})
        self._root = self._root_node(example)
        self._cache_size = cache_size
        # Shape findings by `_signature`, and by `_walk`'s signature (the documented keys alone, so
        # their findings leave out the `unknown` ones), each at most `cache_size` entries.
        # `_documented` grows only when deepdiff runs; `_cache` also when a new shape's documented
        # keys are known already, and takes their findings without deepdiff.
        self._cache: dict[Any, _Entry] = {}
        self._documented: dict[Any, _Entry] = {}
        self._last: _Entry | None = None  # the shape tried first (see `check`)
        self._previous: _Entry | None = None  # the shape of the last payload not found by `_last`

    # ------------------------------------------------------------- read by the fast path only

    @property
    def root(self) -> _Node:
        """What the contract expects of a whole payload."""
        return self._root

    def members(self, node: _Node) -> list[tuple[str, _Node | None, bool]]:
        """The keys an object node takes without a finding, `@odata.type` first: each with its node
        (None for an annotation, whose value is never checked, and for `@odata.type`) and whether
        the payload must send it (leaving it out is a `missing` finding)."""
        example = node.example if isinstance(node.example, dict) else {}
        expected = {key for key, _ in self._expected_keys(node)}
        members: list[tuple[str, _Node | None, bool]] = [("@odata.type", None, False)]
        for key in dict.fromkeys([*example, *(node.properties or {})]):
            if key == "@odata.type":
                continue
            members.append((key, None, False) if "@" in key else (key, self._child(node, key), key in expected))
        return members

    def check(self, payload: JsonValue) -> tuple[Finding, ...]:
        """Every finding for `payload`, in payload order."""
        unknown: list[Finding] = []
        cached = self._last
        # The usual case: a payload of the last shape. For the seed's payload, fitting it costs
        # 96,500 instructions, making the signature and looking it up 123,700 (BENCHMARKS.md). A
        # payload that does not fit pays the comparison up to its first difference on top.
        if cached is None or (template := cached[2]) is None or not _fits(payload, template):
            signature = _signature(payload)
            cached = self._cache.get(signature)  # a payload of a shape seen before
            if cached is None:
                cached, unknown = self._new_shape(payload, signature)
            # Tried first only once two payloads in a row had its shape: payloads that take turns
            # between shapes would each pay a failed comparison (43% more a check for the seed's).
            self._last = cached if cached is self._previous and not unknown else None
            self._previous = cached
        shape_findings, constraints, _ = cached
        value_findings = [
            (at, refuse(value))
            for _, _, keys, accepts, refuse, at in constraints
            if not accepts(value := reduce(getitem, keys, payload))  # type: ignore[arg-type]
        ]
        if unknown:  # undocumented keys shift the places of the others: sort them all
            every = (*shape_findings, *unknown, *(f for _, f in value_findings))
            return tuple(sorted(every, key=lambda f: _order(f, payload)))
        if not value_findings:
            return shape_findings
        return _merge(shape_findings, value_findings)

    # ---------------------------------------------------------------------------- the contract

    def _object_node(self, label: str, properties: Any, example: Any, odata_type: str | None) -> _Node:
        table = {p.name: p for p in properties} if properties else None
        return _Node(
            label=f"{label.removeprefix('microsoft.graph.')} object",
            properties=table,
            example=example if isinstance(example, dict) else None,
            odata_type=type_key(odata_type) if odata_type else None,
            truncated=self.contract.truncated,
        )

    def _root_node(self, example: Any) -> _Node:
        """The documented body: an object of the documented type, or, where the example is an array
        (OneNote's list of patch commands), an array of such objects."""
        c = self.contract
        if isinstance(example, list):
            item = example[0] if example else None
            if c.properties:
                return _Node("array", item=self._object_node(c.type or "object", c.properties, item, c.type))
            return _node_from_example(example, c.truncated)
        return self._object_node(c.type or "object", c.properties or None, example, c.type)

    def _node_for(self, prop: Property | None, example: Any) -> _Node:
        """The node for a documented property (or, with no row, for the documented example value)."""
        if prop is None:
            return _node_from_example(example, self.contract.truncated)
        if prop.collection:
            item_example = example[0] if isinstance(example, list) and example else None
            single = Property(prop.name, prop.type, enum=prop.enum)
            return _Node(f"{prop.type} collection", item=self._node_for(single, item_example))
        kind = prop.type.lower()
        if prop.enum or kind == "enumeration":
            return _Node(prop.type, codes=frozenset({"string"}), enum=prop.enum, members=frozenset(v.casefold() for v in prop.enum))
        if kind in _STRING:
            url = kind == "string" and prop.name.lower().endswith(("url", "uri"))
            return _Node(prop.type, codes=frozenset({"string"}), format="url" if url else (kind if kind in _FORMATS else None))
        if kind == "boolean":
            return _Node(prop.type, codes=frozenset({"boolean"}))
        if kind in _INTEGER:
            return _Node(prop.type, codes=frozenset({"integer"}))
        if kind in _NUMBER:
            return _Node(prop.type, codes=frozenset({"integer", "number", "string"}))  # NaN/INF come as strings
        nested = self.contract.type_named(prop.type)
        if nested is not None:
            return self._object_node(nested.name, nested.properties, example, nested.name)
        return _node_from_example(example, self.contract.truncated)

    def _as_sent(self, node: _Node, value: dict[str, Any]) -> _Node:
        """`node`, or, where the object's `@odata.type` names a type the contract knows as derived
        from `node`'s (a fileAttachment where an attachment is documented), that type's node."""
        sent = value.get("@odata.type")
        if node.odata_type is None or not isinstance(sent, str) or (key := type_key(sent)) == node.odata_type:
            return node
        derived = node.derived.get(key)
        if derived is None:
            typedef = self.contract.type_named(sent)
            if typedef is None or node.odata_type not in {type_key(b) for b in typedef.bases}:
                return node  # not kept: a client may send a new name every time
            derived = node.derived[key] = self._object_node(typedef.name, typedef.properties, node.example, typedef.name)
        return derived

    def _child(self, node: _Node, key: str) -> _Node | None:
        """The node for a documented key of an object node, made once; None for an undocumented key."""
        child = node.children.get(key)
        if child is None:
            table = node.properties or {}
            if key not in table and not (isinstance(node.example, dict) and key in node.example):
                return None  # not kept: a client may send a new undocumented name every time
            child = node.children[key] = self._node_for(table.get(key), _get(node.example, key))
        return child

    def _strict(self, node: _Node) -> bool:
        """Whether an object's documented type is fully known, so that an undocumented key is an error."""
        return (node.properties is not None and not self.contract.inferred) or not node.truncated

    # ----------------------------------------------------------------------- shape and deepdiff

    def _new_shape(self, payload: JsonValue, signature: Any) -> tuple[_Entry, list[Finding]]:
        """Shape findings and constraints for a shape not seen before, and `unknown` findings still
        to be merged in: the documented keys' shape may have been seen, else deepdiff runs."""
        unknown: list[_Unknown] = []
        documented = self._walk(payload, self._root, (), unknown)
        cached = self._documented.get(documented)
        if cached is None:
            findings, found = self._check_shape(payload)  # its `unknown` findings included
            documented_findings = tuple(f for f in findings if f.kind != "unknown")
            _put(self._documented, documented, self._entry(payload, documented_findings, found), self._cache_size)
            entry = _put(self._cache, signature, self._entry(payload, findings, found, signature), self._cache_size)
            return entry, []
        if unknown:  # not remembered by its whole shape: a new undocumented name each time would fill the cache
            return cached, [self._unknown(path, _code(item), self._strict(node)) for path, item, node in unknown]
        findings, constraints, _ = cached
        entry = self._entry(payload, findings, [(path, node) for path, node, *_ in constraints], signature)
        return _put(self._cache, signature, entry, self._cache_size), []

    def _walk(self, value: Any, node: _Node, path: tuple[str, ...], unknown: list[_Unknown]) -> Any:
        """`_signature(value)` without the undocumented keys, which go to `unknown` instead. It
        follows the contract as `_expect` does; where the contract holds a leaf, where a value of the
        wrong type stands and where any value is allowed, only the JSON type counts."""
        kind = type(value)
        if kind is dict and node.is_object:
            node = self._as_sent(node, value)
            parts = []
            for key, item in value.items():
                child = node.children.get(key)
                if child is None and "@" not in key:
                    child = self._child(node, key)
                if child is None:
                    if key == "@odata.type":  # only its text counts
                        parts.append((key, str(item)))
                    elif "@" in key:  # an annotation: `_expect` expects its own shape, so its type will do
                        parts.append((key, _code(item)))
                    else:
                        unknown.append(((*path, key), item, node))
                elif (item_kind := type(item)) is dict or item_kind is list:
                    parts.append((key, self._walk(item, child, (*path, key), unknown)))
                else:
                    parts.append((key, _CODES.get(item_kind, "object")))
            return tuple(parts)
        if kind is list and node.item is not None:
            item_node = node.item
            return ("[", *[self._walk(item, item_node, (*path, str(i)), unknown) for i, item in enumerate(value)])
        return _code(value)

    def _check_shape(self, payload: JsonValue) -> tuple[tuple[Finding, ...], _Found]:
        actual = _shape(payload)
        expectation = _Expectation(shape=None)
        expectation.shape = self._expect(payload, self._root, (), expectation)
        if expectation.shape == actual:  # the fast path: deepdiff only where something differs
            return (), expectation.constraints
        # threshold_to_diff_deeper=0: however little two objects share, report their keys one by one
        # (by default deepdiff reports a very different object as one changed value).
        diff = DeepDiff(expectation.shape, actual, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
        findings = []
        for report, items in diff.items():
            for item in items:
                path = tuple(str(p) for p in item.path(output_format="list"))
                findings.append(self._finding(report, path, item.t1, item.t2, expectation))
        findings.sort(key=lambda f: _order(f, payload))
        return tuple(findings), expectation.constraints

    def _expect(self, value: Any, node: _Node, path: tuple[str, ...], out: _Expectation) -> Any:
        """The shape the contract expects where the payload holds `value`; equal to its shape where it conforms."""
        actual = _code(value)
        if node.is_any or (value is None and not node.is_array):
            return _shape(value)
        if node.item is not None:  # an array
            if not isinstance(value, list):
                return node.label
            return [self._expect(item, node.item, (*path, str(i)), out) for i, item in enumerate(value)]
        if not node.is_object:
            if actual in node.codes or (actual == "integer" and "number" in node.codes):
                if node.enum or node.format:
                    out.constraints.append((path, node))
                return actual
            return node.label
        if not isinstance(value, dict):
            return node.label
        node = self._as_sent(node, value)
        out.strict[path] = self._strict(node)
        expected: dict[str, Any] = {}
        for key, item in value.items():
            if key == "@odata.type":
                sent = type_key(str(item))
                if node.odata_type in (None, sent):
                    expected[key] = f"odata:{sent}"
                else:
                    expected[key] = f"odata:{node.odata_type}"
                    at = (*path, key)
                    out.odata[at] = (node.label.removesuffix(" object"), str(item).lstrip("#"))
            elif "@" in key:
                expected[key] = _shape(item)  # instance annotations and @odata.bind links
            elif (child := self._child(node, key)) is not None:
                expected[key] = self._expect(item, child, (*path, key), out)
        for key, prop in self._expected_keys(node):
            if key not in value:
                at = (*path, key)
                out.missing[at] = prop
                expected[key] = "missing"
        return expected

    def _expected_keys(self, node: _Node) -> Iterator[tuple[str, Property | None]]:
        """Properties a payload is expected to send here: the documented example's, and required ones."""
        table = node.properties or {}
        for key in node.example or {}:
            if "@" not in key:
                yield key, table.get(key)
        for key, prop in table.items():
            if prop.required and key not in (node.example or {}):
                yield key, prop

    def _finding(self, report: str, path: tuple[str, ...], t1: Any, t2: Any, exp: _Expectation) -> Finding:
        pointer, name = json_pointer(path), _name(path)
        if report == "dictionary_item_added":
            return self._unknown(path, _describe(t2), exp.strict.get(path[:-1], True))
        if report == "dictionary_item_removed":
            prop = exp.missing.get(path)
            required = prop is not None and prop.required
            what = "a required" if required else "a documented"
            return self._make(
                "missing",
                pointer,
                prop.type if prop else "present",
                "absent",
                f"{name} is {what} property the payload leaves out",
                default="error" if required else "info",
            )
        if path in exp.odata:
            documented, sent = exp.odata[path]
            # Only a warning: the sent type may derive from the documented one in a way this
            # contract does not record (it knows the derived types its example uses).
            message = f"@odata.type names {sent}, the documented type is {documented}"
            return self._make("odata", pointer, documented, sent, message, default="warning")
        return self._make("type", pointer, _describe(t1), _describe(t2), f"{name} should be {_describe(t1)}, got {_describe(t2)}")

    def _unknown(self, path: tuple[str, ...], described: str, strict: bool) -> Finding:
        return self._make(
            "unknown",
            json_pointer(path),
            "not documented",
            described,
            f"{_name(path)} is not a documented property",
            default="error" if strict else "warning",
        )

    # ---------------------------------------------------------------------------- values

    def _entry(self, payload: Any, findings: tuple[Finding, ...], found: _Found, signature: Any = None) -> _Entry:
        """A cache entry: the constraints made quick to apply to every payload of the shape, the
        place of each one's value finding among the findings, the same for all those payloads, and
        the template of the shape where it is remembered by its `signature`."""
        places = [_order(f, payload) for f in findings]
        constraints = tuple(
            (path, node, _keys(payload, path), _accepts(node), self._refusal(path, node), bisect_right(places, _position(payload, path)))
            for path, node in found
        )
        return findings, constraints, None if signature is None else _template(signature)

    def _refusal(self, path: tuple[str, ...], node: _Node) -> Callable[[Any], Finding]:
        """The finding for a value its constraint refused, with what does not depend on the value
        (the pointer, the name, the allowed members) worded once a shape, not once a payload."""
        pointer, name = json_pointer(path), _name(path)
        if node.enum:
            allowed = ", ".join(node.enum)
            severity, expected = self._severities.get("enum", "error"), f"one of {allowed}"

            def not_a_member(value: Any) -> Finding:
                return Finding("enum", severity, pointer, expected, repr(value), f"{name} is {value!r}, not one of {allowed}")

            return not_a_member
        described = "an absolute URL" if node.format == "url" else _FORMATS[node.format or ""][1]
        severity = self._severities.get("format", "error")

        def not_of_format(value: Any) -> Finding:
            return Finding("format", severity, pointer, described, repr(value), f"{name} is not {described}: {value!r}")

        return not_of_format

    def _make(self, kind: str, pointer: str, expected: str, actual: str, message: str, default: str = "error") -> Finding:
        return Finding(kind, self._severities.get(kind, default), pointer, expected, actual, message)


def _put(cache: dict[Any, _Entry], key: Any, value: _Entry, size: int) -> _Entry:
    """Add to a bounded cache, dropping its oldest entry when full."""
    if len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def _merge(findings: tuple[Finding, ...], inserts: list[tuple[int, Finding]]) -> tuple[Finding, ...]:
    """`findings` with each finding of `inserts` put at its index (indexes in order, as constraints are)."""
    merged: list[Finding] = []
    start = 0
    for at, finding in inserts:
        merged += findings[start:at]
        merged.append(finding)
        start = at
    merged += findings[start:]
    return tuple(merged)


def _matcher(form: str) -> Callable[[str], bool]:
    """`has_format` for one format, remembering the skeletons that match (see SKELETON_TABLES)."""
    table, match = SKELETON_TABLES[form], _FORMATS[form][0].match
    known: set[bytes] = set()

    def matches(value: str) -> bool:
        skeleton = value.encode("utf-8", "surrogatepass").translate(table)
        if skeleton in known:
            return True
        if match(value) is None:
            return False
        if len(known) < MAX_SKELETONS and len(skeleton) <= MAX_SKELETON_BYTES:
            known.add(skeleton)
        return True

    return matches


_MATCHERS = {form: _matcher(form) for form in _FORMATS}


def _accepts(node: _Node) -> Callable[[str], object]:
    """The test a string of the right JSON type must also pass: the node's enumeration or format."""
    if node.enum:
        members = node.members

        def in_enum(value: str) -> bool:
            # Graph reads enumeration members without regard to case (the docs' tables often capitalise
            # them), and a flags enumeration takes several, comma-separated: "automaticReplies, customMailTip".
            folded = value.casefold()
            if folded in members:
                return True
            if "," not in folded:  # a refused member: the usual miss, without a generator
                return folded.strip() in members
            return all(part.strip() in members for part in folded.split(","))

        return in_enum
    return _ABSOLUTE_URL.match if node.format == "url" else _MATCHERS[node.format or ""]


def _node_from_example(example: Any, truncated: bool) -> _Node:
    """With no property table, the documented example's shape is the contract."""
    if isinstance(example, dict):
        return _Node("object", example=example, odata_type=_odata_of(example), truncated=truncated)  # label: "object"
    if isinstance(example, list):
        return _Node("array", item=_node_from_example(example[0], truncated) if example else _ANY)
    if example is None:
        return _ANY
    code = _code(example)
    return _Node(code, codes=frozenset({"integer", "number"} if code in ("integer", "number") else {code}))


def _odata_of(example: dict[str, Any]) -> str | None:
    value = example.get("@odata.type")
    return type_key(value) if isinstance(value, str) else None


# Parsed JSON holds exactly these types, so a lookup by type() names them (faster than isinstance).
_CODES = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
_LEAVES = {kind: code for kind, code in _CODES.items() if kind not in (dict, list)}  # no call per leaf in `_signature`


def _code(value: Any) -> str:
    return _CODES.get(type(value), "object")


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (f"odata:{type_key(str(v))}" if k == "@odata.type" else _shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return _code(value)


def _signature(value: Any) -> Any:
    """A hashable stand-in for `_shape(value)`: equal signatures, equal shape findings.

    It runs on every checked payload, so it dispatches on type(), builds lists, not generators, and
    calls itself only for objects and arrays.
    """
    kind = type(value)
    if kind is dict:
        # str(): an @odata.type that is a list or an object must still hash (and be told apart, as `_shape` does)
        return tuple([(k, str(v) if k == "@odata.type" else (_LEAVES.get(type(v)) or _signature(v))) for k, v in value.items()])
    if kind is list:
        return ("[", *[_LEAVES.get(type(v)) or _signature(v) for v in value])
    return _CODES.get(kind, "object")


# The Python type of each leaf's code in a signature, to read a template out of it.
_LEAF_TYPES = {code: kind for kind, code in _LEAVES.items()}


def _template(signature: Any) -> _Template | None:
    """The template of the shape whose `_signature` this is; None for a payload that is not an
    object or an array, or that holds what parsed JSON does not (no code to read a type from).

    `_fits(value, _template(s))` implies `_signature(value) == s`: the keys, the type of every
    value and each `@odata.type` text are the same, and, by induction, so are the objects and
    arrays within. It may refuse a value of that signature (an `@odata.type` that is not a string),
    which only sends it the long way."""
    if not isinstance(signature, tuple):
        return None
    is_array = signature[:1] == ("[",)
    pairs: list[tuple[Any, Any]] = list(enumerate(signature[1:])) if is_array else list(signature)
    types: list[type] = []
    children = []
    odata = None
    for key, part in pairs:
        if key == "@odata.type" and not is_array:
            types.append(str)
            odata = part  # its text, as `_signature` keeps it
        elif isinstance(part, str):
            if part not in _LEAF_TYPES:
                return None
            types.append(_LEAF_TYPES[part])
        else:
            child = _template(part)
            if child is None:
                return None
            types.append(child[0])
            children.append((key, child))
    if is_array:
        return list, None, tuple(types), tuple(children), None
    return dict, tuple(key for key, _ in pairs), tuple(types), tuple(children), odata


def _fits(value: Any, template: _Template) -> bool:
    """Whether `value` has the shape of `template`: the keys, their order and every value's type
    compared as whole tuples built in C, then each object and array within."""
    kind, keys, types, children, odata = template
    if kind is not type(value):
        return False
    if keys is None:
        if tuple(map(type, value)) != types:
            return False
    elif tuple(value) != keys or tuple(map(type, value.values())) != types or (odata is not None and value["@odata.type"] != odata):
        return False
    for key, child in children:  # a loop, not all() over a generator: one frame fewer an object  # noqa: SIM110
        if not _fits(value[key], child):
            return False
    return True


def _describe(shape: Any) -> str:
    if isinstance(shape, dict):
        return "object"
    if isinstance(shape, list):
        return "array"
    return str(shape)


def _get(example: Any, key: str) -> Any:
    return example.get(key) if isinstance(example, dict) else None


def _keys(payload: Any, path: tuple[str, ...]) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    for part in path:
        key = int(part) if isinstance(payload, list) else part
        keys.append(key)
        payload = payload[key]
    return tuple(keys)


def _name(path: tuple[str, ...]) -> str:
    """How a message names a place: `accessLevel`, `capabilities[0]`, `payload`."""
    indexes = ""
    for part in reversed(path):
        if not part.isdigit():
            return part + indexes
        indexes = f"[{part}]" + indexes
    return "payload" + indexes


def json_pointer(path: tuple[str, ...]) -> str:
    """RFC 6901: ('a/b', '0') -> '/a~1b/0'."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def _order(finding: Finding, payload: Any) -> tuple[int, ...]:
    """Findings in the order their places appear in the payload; a place it lacks sorts last."""
    return _position(payload, [part.replace("~1", "/").replace("~0", "~") for part in finding.path.split("/")[1:]])


def _position(payload: Any, path: Iterable[str]) -> tuple[int, ...]:
    position: list[int] = []
    value = payload
    for part in path:
        if isinstance(value, dict) and part in value:
            position.append(list(value).index(part))
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            position.append(int(part))
            value = value[int(part)]
        else:
            position.append(1 << 30)
            break
    return tuple(position)
