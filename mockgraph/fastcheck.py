"""The fast path of contract checking: a validating decoder compiled from each contract.

Most payloads conform, and a conforming payload has no findings. This module turns a contract
checker's expectation (its nodes: property tables, nested and example types, enumerations, formats)
into msgspec Structs, so that one C call reads the body bytes and proves there is nothing to report:
unknown keys are forbidden, the keys a payload must send are required, enumerations are Literals,
formats are the differ's own patterns, a documented `@odata.type` is a Literal of its usual spellings.

Formats of an object's members (dates, times, durations, GUIDs) are not matched by msgspec: it
calls Python's `re` for each string, about 6,500 instructions for a date-time, a third of the
seed's decode. msgspec's own `datetime` type is no substitute: it also takes `t`, `z`, a space and
`+0300`, which the differ refuses. Instead each Struct with such members checks them together
after decoding (`__post_init__`), by their *skeleton*: the strings of one format joined, each
ASCII digit (for GUIDs each hex digit) written as `0`. The differ's patterns treat every such digit
alike, so whether a string matches depends on its skeleton alone; a skeleton is matched against
the pattern once, string by string, and then remembered (`FormCache`). A client writes its
date-times one way, so a request then costs one dict lookup where it cost five regex calls.

It only ever proves the absence of findings. Where the decoder refuses a body (a violation, or a
rule it does not express: an enumeration member in another case, comma-joined flags, a derived or
otherwise spelt `@odata.type`, an undocumented annotation, a contract nested deeper than it
compiles), the caller falls back to `jsonbody.parse_json_body` and `ContractChecker.check`, which
find and explain the findings. So findings are the same whichever path ran; a test compares them
on generated payloads for every bundled fixture.

The JSON gate's guarantees hold on this path too (`accepts`): a body the gate would refuse never
passes. Deep nesting is refused by the gate's own scan first, where the contract has a place that
takes any value; elsewhere the compiled types nest no deeper than `MAX_NESTING`, well under the
gate's limit, so the scan (19,000 instructions for the seed's 1.7 KB) is left out. msgspec itself
refuses NaN, Infinity, a float that overflows, an integer longer than 4,300 digits, invalid UTF-8
and lone surrogates, and bodies with a surrogate escape go to the slow path anyway.

A decoder that keeps refusing rests: after `MISSES_TO_REST` refusals in a row it refuses the next
`RESTING_TRIES` bodies without trying (which "says nothing", as any refusal), then tries one. If
that one is refused too, it rests twice as long, up to `MAX_RESTING_TRIES`; a proof ends it all. A
suite that sends payloads with violations, or a new property name every time, then costs what
the checker alone costs, instead of a failed decode on top of it (one in 8 of its bodies paid one,
about 49,000 instructions for the seed, before rests grew); one that conforms loses nothing, and
one that turns to conforming payloads finds the fast path again within `MAX_RESTING_TRIES` bodies.

Bounds: a contract compiles to at most `MAX_STRUCTS` Structs, nesting at most `MAX_NESTING`
objects and arrays deep; beyond either, a place compiles to a type every value fails (so its
payloads take the slow path). `FastDecoders` keeps at most `MAX_DECODERS` compiled decoders, and
one `FormCache` of at most `MAX_FORMS` skeletons of at most `MAX_FORM_BYTES` bytes each.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Annotated, Any, Literal, Union

import msgspec

from .differ import SKELETON_TABLES, ContractChecker, ContractNode, format_pattern, has_format
from .jsonbody import MAX_DEPTH, may_hold_surrogate, nests_too_deep
from .models import type_key

MAX_STRUCTS = 2000  # Structs one contract compiles to, at most
MAX_NESTING = 16  # objects and arrays nested in one compiled contract, at most (Graph's nest a handful)
MAX_DECODERS = 1024  # compiled decoders kept, oldest dropped first; at most one a fixture
MISSES_TO_REST = 8  # refusals in a row after which a decoder rests
RESTING_TRIES = 64  # bodies a resting decoder refuses untried, the first time
MAX_RESTING_TRIES = 1024  # the longest rest, reached after four refused tries in a row
MAX_FORMS = 4096  # skeletons a FormCache remembers, oldest dropped first
MAX_FORM_BYTES = 512  # a longer skeleton is matched every time, not remembered: at most 2 MB in all
assert MAX_NESTING < MAX_DEPTH  # a contract's own places never nest as deep as the gate refuses


class _Refused:
    """The type of a place the decoder does not check: every value there sends the payload to the slow path."""


def _refuse(kind: type, value: Any) -> Any:
    raise ValueError("checked by the contract checker")


class FastDecoder:
    """Proves, from a body's bytes, that a payload has no findings against one contract."""

    def __init__(self, checker: ContractChecker, forms: FormCache | None = None) -> None:
        self.checker = checker
        self._forms = FormCache() if forms is None else forms
        self._structs = 0
        self._takes_any = False  # a place takes any value, so a body could nest as deep as it likes
        self._decode = msgspec.json.Decoder(self._type(checker, checker.root, 0, optional=False), dec_hook=_refuse).decode
        # How the decoder fares on the server's bodies (FastDecoders.proves): refusals in a row,
        # bodies left to refuse untried while it rests, and how long its next rest is.
        self.misses = 0
        self.resting = 0
        self.rest = RESTING_TRIES

    def accepts(self, body: bytes) -> bool:
        """True only where the body passes the JSON gate and its payload has no findings; False says nothing."""
        if self._takes_any and nests_too_deep(body):
            return False
        if may_hold_surrogate(body):
            return False
        try:
            self._decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError, RecursionError):
            return False
        return True

    # ------------------------------------------------------------------------- compiling

    def _type(self, checker: ContractChecker, node: ContractNode, depth: int, optional: bool = True) -> Any:
        """The msgspec type of a place. Null is allowed wherever the checker allows it: everywhere
        but arrays (and the root, so that a `null` body keeps its own answer on the slow path)."""
        if node.is_any:
            self._takes_any = True
            return Any
        if depth > MAX_NESTING:
            return _Refused
        if node.item is not None:
            return list[self._type(checker, node.item, depth + 1)]  # type: ignore[misc]
        if node.is_object:
            kind = self._struct(checker, node, depth)
        elif node.enum:
            kind = Literal[node.enum]
        elif node.format:
            kind = Annotated[str, msgspec.Meta(pattern=format_pattern(node.format))]
        else:
            kinds = [_LEAF[code] for code in sorted(node.codes) if code in _LEAF]
            if "number" in node.codes and "integer" not in node.codes:
                kinds.append(int)  # an integer is a number
            kind = Union[tuple(dict.fromkeys(kinds))] if kinds else _Refused  # noqa: UP007
        return kind | None if optional and kind is not _Refused else kind

    def _struct(self, checker: ContractChecker, node: ContractNode, depth: int) -> Any:
        self._structs += 1
        if self._structs > MAX_STRUCTS:
            return _Refused
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename = {}
        formatted: dict[str, list[str]] = {}  # fields by the format their skeletons are checked against
        for i, (key, child, required) in enumerate(checker.members(node)):
            name = f"f{i}"
            rename[name] = key
            if key == "@odata.type":
                kind: Any = Any if node.odata_type is None else Literal[_spellings(node)]
            elif child is None:  # an annotation: the checker takes any value
                kind = Any
            elif (form := _skeleton_format(child)) is not None and depth < MAX_NESTING:
                formatted.setdefault(form, []).append(name)
                kind = str | None
            else:
                kind = self._type(checker, child, depth + 1)
            if kind is Any:
                self._takes_any = True
            fields.append((name, kind) if required else (name, kind, None))
        fields.sort(key=len)  # required fields first, as Python's signatures want
        namespace = {"__post_init__": self._forms.checker(formatted)} if formatted else None
        return msgspec.defstruct(f"Fast{self._structs}", fields, rename=rename, forbid_unknown_fields=True, gc=False, namespace=namespace)


_LEAF: dict[str, type] = {"string": str, "boolean": bool, "integer": int, "number": float}


def _skeleton_format(node: ContractNode) -> str | None:
    """The format of a string place whose values can be checked by skeleton (not URLs: their
    pattern tells characters apart); None for every other place."""
    if node.is_any or node.item is not None or node.is_object or node.enum or node.format not in SKELETON_TABLES:
        return None
    return node.format


class FormCache:
    """Skeletons known to match their format's pattern, each behind a head naming the format and
    how many strings it joins; at most `MAX_FORMS`, oldest dropped first."""

    def __init__(self) -> None:
        self._known: dict[bytes, None] = {}

    def __len__(self) -> int:
        return len(self._known)

    def checker(self, formatted: dict[str, list[str]]) -> Callable[[Any], None]:
        """A Struct's `__post_init__`: raises ValueError unless each field in `formatted` (field
        names by format) is None or a string of its format."""
        checks = [self._check(form, names) for form, names in formatted.items()]
        if len(checks) == 1:
            return checks[0]

        def check_each(struct: Any) -> None:
            for check in checks:
                check(struct)

        return check_each

    def _check(self, form: str, names: list[str]) -> Callable[[Any], None]:
        known = self._known
        get = attrgetter(*names)
        single = len(names) == 1
        table = SKELETON_TABLES[form]
        # The head holds the count of strings: with it, a key can only equal a known one where no
        # string holds a NUL (the joiner), so each string's skeleton is the known one's.
        heads = [f"{form} {count}:".encode() for count in range(len(names) + 1)]

        def check(struct: Any) -> None:
            values = (get(struct),) if single else get(struct)
            if None in values:
                values = tuple(value for value in values if value is not None)
            key = heads[len(values)] + "\0".join(values).encode().translate(table)
            if key in known:
                return
            if not all(has_format(value, form) for value in values):
                raise ValueError(f"not {form}")
            if len(key) <= MAX_FORM_BYTES:
                if len(known) >= MAX_FORMS:
                    del known[next(iter(known))]
                known[key] = None

        return check


def _spellings(node: ContractNode) -> tuple[str, ...]:
    """The usual spellings of a documented `@odata.type`; any other goes to the slow path, which reads it case-blind."""
    documented = node.example.get("@odata.type") if isinstance(node.example, dict) else None
    names = [node.odata_type or "", node.label.removesuffix(" object")]
    if isinstance(documented, str):
        names.append(documented.lstrip("#").removeprefix("microsoft.graph."))
    spelt = (f"{hash_}{prefix}{name}" for name in names for hash_ in ("#", "") for prefix in ("microsoft.graph.", ""))
    return tuple(dict.fromkeys(s for s in spelt if type_key(s) == node.odata_type))  # the checker's own rule


class FastDecoders:
    """The compiled decoder of each fixture's contract, made on first use; at most `MAX_DECODERS`."""

    def __init__(self) -> None:
        self._decoders: dict[str, FastDecoder] = {}
        self.forms = FormCache()  # shared: skeletons of one format match whichever contract holds them

    def proves(self, name: str, checker: ContractChecker, body: bytes) -> bool:
        """Whether the fixture's decoder proves the body has no findings; False says nothing. A
        decoder resting after refusals in a row refuses untried (see the module's notes)."""
        decoder = self._decoders.get(name)  # `get` only when it must make one: this runs for every body
        if decoder is None or decoder.checker is not checker:
            decoder = self.get(name, checker)
        if decoder.resting:
            decoder.resting -= 1
            return False
        if decoder.accepts(body):
            decoder.misses, decoder.rest = 0, RESTING_TRIES
            return True
        decoder.misses += 1
        if decoder.misses >= MISSES_TO_REST:
            decoder.misses = MISSES_TO_REST - 1  # after the rest, one refusal is enough to rest again
            decoder.resting, decoder.rest = decoder.rest, min(2 * decoder.rest, MAX_RESTING_TRIES)
        return False

    def get(self, name: str, checker: ContractChecker) -> FastDecoder:
        decoder = self._decoders.get(name)
        if decoder is None or decoder.checker is not checker:
            if len(self._decoders) >= MAX_DECODERS:
                self._decoders.pop(next(iter(self._decoders)))
            decoder = self._decoders[name] = FastDecoder(checker, self.forms)
        return decoder

    def __len__(self) -> int:
        return len(self._decoders)

    def forget(self, name: str) -> None:
        self._decoders.pop(name, None)
