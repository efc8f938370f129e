"""The fast path (issue 16): a compiled decoder may only ever prove that a payload has no findings.

The differential test generates, for every bundled fixture, conforming payloads with varied values
and mutations of every kind, and asserts the findings are the same whether the fast path ran first
or the checker ran alone. It is seeded (MOCKGRAPH_FASTCHECK_SEED) and bounded in time
(MOCKGRAPH_FASTCHECK_SECONDS, a few seconds by default).
"""

from __future__ import annotations

import json
import os
import random
import string
import time
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES_DIR, SEED_FIXTURE, make_fixture, repaired_seed

from mockgraph.differ import SKELETON_TABLES, ContractChecker, ContractNode, checker_for, has_format
from mockgraph.errors import BodyError
from mockgraph.fastcheck import FastDecoder, FastDecoders
from mockgraph.fixturefile import load_fixture
from mockgraph.jsonbody import parse_json_body

SEED = int(os.environ.get("MOCKGRAPH_FASTCHECK_SEED", "16"))
SECONDS = float(os.environ.get("MOCKGRAPH_FASTCHECK_SECONDS", "0.4"))  # per fixture; 66 bundled fixtures
PER_FIXTURE = 300

_FORMAT_VALUES = {
    "datetimeoffset": ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.1234567+02:00", "2024-05-01T10:00-05:00"),
    "datetime": ("2024-05-01T10:00:00.000Z",),
    "date": ("2024-05-01",),
    "timeofday": ("10:00:00", "23:59"),
    "duration": ("PT1H", "P1DT2H30M", "-PT0.5S"),
    "guid": ("2b8d7bf0-2f8e-4c1c-9d5a-9f1b2c3d4e5f",),
    "url": ("https://example.com/x", "http://a.b/c?d#e"),
}
# Refused by the differ, all but the last two, which it takes. Some are what a faster check could
# get wrong: msgspec's own date-time type takes "t", "z", a space and "+0200"; the fast path joins
# skeletons with NUL; the differ's "\d" takes any digit, "$" a final newline.
_BROKEN_FORMATS = (
    "tomorrow",
    "2024-05-01T10:00:00",
    "2024-13",
    "not a url",
    "",
    "P",
    "2024-05-01T10:00:00z",
    "2024-05-01t10:00:00Z",
    "2024-05-01 10:00:00Z",
    "2024-05-01T10:00:00+0200",
    "2024-05-01T10:00:00Z\x002024-05-01T10:00:00Z",
    "2b8d7bf0-2f8e-4c1c-9d5a-9f1b2c3d4e5g",
    "2024-05-01T10:00:00Z\n",
    "\u0662\u0660\u0662\u0664-05-01",
)


def _bundled() -> list[tuple[str, Path]]:
    return sorted((p.relative_to(FIXTURES_DIR).as_posix(), p) for p in FIXTURES_DIR.rglob("*.json"))


class _Generator:
    """Payloads from a checker's own nodes: conforming ones with random values, and mutations."""

    def __init__(self, checker: ContractChecker, rng: random.Random) -> None:
        self.checker = checker
        self.rng = rng

    def text(self) -> str:
        pool = string.ascii_letters + string.digits + ' #/:-_é€"\\\n'
        return "".join(self.rng.choice(pool) for _ in range(self.rng.randint(0, 12)))

    def any(self, depth: int = 0) -> Any:
        choice = self.rng.randint(0, 6 if depth < 2 else 4)
        if choice == 5:
            return [self.any(depth + 1) for _ in range(self.rng.randint(0, 2))]
        if choice == 6:
            return {self.text(): self.any(depth + 1) for _ in range(self.rng.randint(0, 2))}
        return (None, self.text(), self.rng.randint(-5, 10**12), self.rng.random(), self.rng.random() < 0.5)[choice]

    def value(self, node: ContractNode, depth: int = 0) -> Any:
        rng = self.rng
        if node.is_any:
            return self.any()
        if depth > 6:
            return None
        if node.item is not None:
            return [self.value(node.item, depth + 1) for _ in range(rng.randint(0, 3))]
        if node.is_object:
            return self.object(node, depth)
        if rng.random() < 0.05:
            return None
        if node.enum:
            return rng.choice(node.enum)
        if node.format:
            return rng.choice(_FORMAT_VALUES[node.format])
        code = rng.choice(sorted(node.codes))
        return {
            "string": self.text,
            "boolean": lambda: rng.random() < 0.5,
            "integer": lambda: rng.randint(-(2**40), 2**40),
            "number": rng.random,
        }[code]()

    def object(self, node: ContractNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        members = self.checker.members(node)
        self.rng.shuffle(members)
        for key, child, required in members:
            if key == "@odata.type":
                if node.odata_type and self.rng.random() < 0.3:
                    out[key] = f"#microsoft.graph.{node.label.removesuffix(' object')}"
            elif child is None:
                if self.rng.random() < 0.2:
                    out[key] = self.any()
            elif required or self.rng.random() < 0.5:
                out[key] = self.value(child, depth + 1)
        return out

    # -------------------------------------------------------------------- mutations

    def places(self, value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [path]
        if isinstance(value, dict):
            for key, item in value.items():
                found += self.places(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                found += self.places(item, (*path, i))
        return found

    def mutate(self, payload: Any) -> Any:
        rng = self.rng
        payload = json.loads(json.dumps(payload))
        places = self.places(payload)
        path = rng.choice(places)
        parent = None
        target = payload
        for key in path:
            parent, target = target, target[key]
        kind = rng.choice(["type", "case", "flags", "format", "unknown", "missing", "null", "derived", "foreign", "annotation", "array"])
        if kind == "unknown" and isinstance(target, dict):
            target[f"undocumented{rng.randint(0, 9)}"] = self.any()
        elif kind == "annotation" and isinstance(target, dict):
            target[f"{rng.choice(['members', 'owner', ''])}@odata.{rng.choice(['bind', 'context', 'id'])}"] = self.text()
        elif kind in ("derived", "foreign") and isinstance(target, dict):
            names = [t.name for t in self.checker.contract.types] if kind == "derived" else ["microsoft.graph.somethingElse"]
            name = rng.choice(names or ["x"])
            target["@odata.type"] = rng.choice([f"#microsoft.graph.{name}", name, f"#{name.upper()}", 7])
        elif kind == "missing" and isinstance(target, dict) and target:
            del target[rng.choice(list(target))]
        elif kind == "array" and isinstance(target, list):
            target.append(rng.choice([None, self.any(), target[0] if target else {}]))
        elif parent is not None:
            key = path[-1]
            if kind == "type":
                parent[key] = rng.choice([True, 1, 1.5, "x", [], {}, [1]])
            elif kind == "case" and isinstance(target, str):
                parent[key] = rng.choice([target.upper(), target.swapcase(), target.capitalize()])
            elif kind == "flags" and isinstance(target, str):
                parent[key] = f"{target}, {target.lower()}" if rng.random() < 0.5 else f"{target},bogus"
            elif kind == "format":
                parent[key] = rng.choice(_BROKEN_FORMATS)
            elif kind == "null":
                parent[key] = None
        return payload


def _findings(checker: ContractChecker, body: bytes) -> Any:
    try:
        payload = parse_json_body(body)
    except BodyError as exc:
        return ("refused", exc.message)
    return checker.check(payload) if payload is not None else ()


@pytest.mark.parametrize(("name", "path"), _bundled(), ids=[n for n, _ in _bundled()])
def test_fast_path_gives_the_checkers_findings(name: str, path: Path) -> None:
    """For every bundled fixture, generated payloads give the same findings with the fast path as with the checker alone."""
    fixture = load_fixture(path)
    alone, shared = checker_for(fixture), checker_for(fixture)
    if alone is None or shared is None:
        pytest.skip("the fixture documents no contract")
    fast = FastDecoder(shared)
    rng = random.Random(f"{SEED}:{name}")
    generator = _Generator(alone, rng)
    deadline = time.monotonic() + SECONDS
    proven = conforming = 0
    example = fixture.request.body.json
    for i in range(PER_FIXTURE):
        if time.monotonic() > deadline and i >= 20:
            break
        payload = generator.value(alone.root) if i % 3 == 0 or not isinstance(example, (dict, list)) else example
        mutants = [payload] if i % 3 == 0 else [generator.mutate(payload) for _ in range(rng.randint(1, 3))]
        for candidate in mutants:
            body = json.dumps(candidate, ensure_ascii=rng.random() < 0.5).encode()
            expected = _findings(alone, body)
            accepted = fast.accepts(body)
            got = () if accepted else _findings(shared, body)
            assert got == expected, f"{name}: {body[:300]!r}"
            if i % 3 == 0:
                conforming += expected == ()
                proven += accepted
    assert conforming > 0, f"{name}: no generated payload conformed, so the fast path went untested"
    assert proven == conforming, f"{name}: the fast path proved {proven} of {conforming} payloads without findings"


def test_the_seed_conforming_payload_takes_the_fast_path() -> None:
    """The repaired seed payload is proven conforming; each of its classic mistakes is left to the checker."""
    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    fast = FastDecoder(checker)
    assert fast.accepts(json.dumps(repaired_seed()).encode())
    for change in ({"isBroadcast": "false"}, {"accessLevel": "Everyone"}, {"note": "x"}, {"accessLevel": "everyone, invited"}):
        assert not fast.accepts(json.dumps(repaired_seed(**change)).encode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"subject": NaN}',
        b'{"subject": Infinity}',
        b'{"subject": 1e400}',
        b'{"subject": "\\ud800"}',
        b'{"subject": "\\udc00x"}',
        b'{"subject": ' + b"9" * 5000 + b"}",
        b'{"subject": "\xff"}',
        b"\xef\xbb\xbf{}",
        b"[" * 100 + b"]" * 100,
        b'{"a":' * 70 + b"1" + b"}" * 70,
        b"",
        b"  ",
    ],
)
def test_what_the_gate_refuses_is_never_proven(body: bytes) -> None:
    """A body the JSON gate refuses with 400 is never accepted by the fast path, so it is still refused, with the same message."""
    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    with pytest.raises(BodyError):
        parse_json_body(body)
    assert not FastDecoder(checker).accepts(body)


def test_decoders_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_DECODERS compiled decoders are kept, the oldest dropped first."""
    import mockgraph.fastcheck as fastcheck

    monkeypatch.setattr(fastcheck, "MAX_DECODERS", 3)
    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    decoders = FastDecoders()
    for i in range(5):
        decoders.get(f"f{i}", checker)
    assert len(decoders) == 3


def test_a_decoder_that_keeps_refusing_rests_then_tries_again() -> None:
    """After MISSES_TO_REST refusals in a row the decoder refuses RESTING_TRIES bodies untried (the
    checker then finds what it finds), and proves a conforming body again once rested."""
    from mockgraph.fastcheck import MISSES_TO_REST, RESTING_TRIES

    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    decoders = FastDecoders()
    conforming = json.dumps(repaired_seed()).encode()
    violating = json.dumps(repaired_seed(isBroadcast="false")).encode()
    assert decoders.proves("seed", checker, conforming)
    assert not any(decoders.proves("seed", checker, violating) for _ in range(MISSES_TO_REST))
    resting = [decoders.proves("seed", checker, conforming) for _ in range(RESTING_TRIES)]
    assert resting == [False] * RESTING_TRIES  # conforming, yet untried
    assert decoders.proves("seed", checker, conforming)
    assert decoders.proves("seed", checker, conforming)


def test_a_decoder_refused_after_its_rest_rests_twice_as_long_until_a_proof() -> None:
    """Rests double, up to MAX_RESTING_TRIES, while each try after one is refused; a proof brings
    back the first rest, after MISSES_TO_REST refusals in a row."""
    from mockgraph.fastcheck import MAX_RESTING_TRIES, MISSES_TO_REST, RESTING_TRIES

    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    decoders = FastDecoders()
    conforming = json.dumps(repaired_seed()).encode()
    violating = json.dumps(repaired_seed(isBroadcast="false")).encode()

    def tried_in(bodies: int) -> int:
        """How many of `bodies` refused bodies the decoder tried (a rest refuses untried)."""
        decoder = decoders.get("seed", checker)
        tried = 0
        for _ in range(bodies):
            resting = decoder.resting
            assert not decoders.proves("seed", checker, violating)
            tried += not resting
        return tried

    assert tried_in(MISSES_TO_REST + RESTING_TRIES) == MISSES_TO_REST
    rest, tries = RESTING_TRIES, 0
    while rest < MAX_RESTING_TRIES:
        rest *= 2
        assert tried_in(1 + rest) == 1
        tries += 1
    assert tried_in(1 + MAX_RESTING_TRIES) == 1  # no longer than the longest rest
    assert tries == 4
    assert decoders.proves("seed", checker, conforming)  # the rest is over: a proof
    assert tried_in(MISSES_TO_REST + RESTING_TRIES) == MISSES_TO_REST  # and rests start short again


def test_a_decoder_that_refuses_now_and_then_never_rests() -> None:
    """Refusals broken by proofs never add up to a rest: a suite that mostly conforms keeps the fast path."""
    from mockgraph.fastcheck import MISSES_TO_REST

    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    decoders = FastDecoders()
    conforming = json.dumps(repaired_seed()).encode()
    violating = json.dumps(repaired_seed(accessLevel="Everyone")).encode()
    for _ in range(5):
        assert not any(decoders.proves("seed", checker, violating) for _ in range(MISSES_TO_REST - 1))
        assert decoders.proves("seed", checker, conforming)


@pytest.mark.parametrize(("levels", "accepted"), [(10, True), (70, False)])
def test_a_place_that_takes_any_value_keeps_the_gates_depth_scan(levels: int, accepted: bool) -> None:
    """The decoder leaves out the gate's scan for deep bodies only where its types bound the
    nesting. A documented null takes any value, so there a body nested deeper than the gate allows
    must still be refused, and one within it proven clean."""
    checker = checker_for(make_fixture(body={"subject": "x", "extra": None}))
    assert checker is not None
    body = b'{"subject": "x", "extra": ' + b"[" * levels + b"]" * levels + b"}"
    if accepted:
        assert checker.check(parse_json_body(body)) == ()
    else:
        with pytest.raises(BodyError):
            parse_json_body(body)
    assert FastDecoder(checker).accepts(body) is accepted


# Each format matched by skeleton, and the characters its pattern must treat alike.
_ALIKE = {form: string.digits for form in ("datetimeoffset", "datetime", "date", "timeofday", "duration")} | {"guid": string.hexdigits}
_SAMPLES = (
    [value for values in _FORMAT_VALUES.values() for value in values]
    + list(_BROKEN_FORMATS)
    + ["0000-00-00", "99:99", "P9Y9M9DT9H", "12345678-1234-1234-1234-1234567890ab"]
)


@pytest.mark.parametrize("form", sorted(_ALIKE))
def test_a_format_matches_by_its_skeleton_alone(form: str) -> None:
    """The fast path remembers which skeletons (each digit written as 0) match a format's pattern;
    that holds only while the pattern treats every digit alike. Swapping digits never changes the verdict."""
    rng = random.Random(f"{SEED}:{form}")
    alike = _ALIKE[form]
    assert set(_ALIKE) == set(SKELETON_TABLES)  # a new format matched by skeleton is tested here
    every = bytes(range(128))
    assert [chr(b) for b, s in zip(every, every.translate(SKELETON_TABLES[form])) if b != s or chr(b) == "0"] == sorted(alike)
    for sample in _SAMPLES:
        verdict = has_format(sample, form)
        for _ in range(30):
            swapped = "".join(rng.choice(alike) if c in alike else c for c in sample)
            assert has_format(swapped, form) is verdict, (form, sample, swapped)


def _seed_fast() -> tuple[ContractChecker, FastDecoder]:
    checker = checker_for(load_fixture(SEED_FIXTURE))
    assert checker is not None
    return checker, FastDecoder(checker)


@pytest.mark.parametrize(
    "when",
    [
        "2017-01-01T00:00:59+03:00",
        "2017-01-01T00:00:59.1Z",
        "2017-01-01t00:00:59Z",
        "2017-01-01T00:00:59z",
        "2017-01-01 00:00:59Z",
        "2017-01-01T00:00:59+0300",
        "2017-01-01T00:00:59Z\n",
        "\u0662\u0660\u0661\u0667-01-01T00:00:59Z",
        "2017-01-01T00:00:59Z\x002017-01-01T00:00:59Z",
        None,
        7,
    ],
)
def test_date_times_get_the_checkers_verdict_on_the_fast_path(when: Any) -> None:
    """Each date-time, sent where the seed's five are documented, is proven clean exactly when the
    checker finds nothing, before and after its skeleton is remembered."""
    checker, fast = _seed_fast()
    assert fast.accepts(json.dumps(repaired_seed()).encode())  # the documented forms, remembered
    body = json.dumps(repaired_seed(startDateTime=when)).encode()
    clean = checker.check(parse_json_body(body)) == ()
    assert [fast.accepts(body), fast.accepts(body)] == [clean, clean]


def test_a_string_holding_the_joiner_is_not_taken_for_two() -> None:
    """Skeletons of one Struct's date-times are remembered joined by NUL. A string that holds a NUL
    between two date-times, beside a null, joins to what two date-times would: the count of strings
    in the key tells them apart."""
    checker, fast = _seed_fast()
    five = repaired_seed()
    assert fast.accepts(json.dumps(five).encode())
    both = f"{five['creationDateTime']}\0{five['startDateTime']}"
    body = json.dumps(repaired_seed(creationDateTime=both, startDateTime=None)).encode()
    assert [f.kind for f in checker.check(parse_json_body(body))] == ["format"]
    assert not fast.accepts(body)


def test_remembered_skeletons_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_FORMS skeletons are kept, the oldest dropped first, and none longer than MAX_FORM_BYTES."""
    import mockgraph.fastcheck as fastcheck

    monkeypatch.setattr(fastcheck, "MAX_FORMS", 3)
    checker, fast = _seed_fast()
    for digits in range(1, 6):
        assert fast.accepts(json.dumps(repaired_seed(startDateTime=f"2017-01-01T00:00:59.{'1' * digits}Z")).encode())
    assert len(fast._forms) == 3
    long = f"2017-01-01T00:00:59.{'1' * fastcheck.MAX_FORM_BYTES}Z"
    assert fast.accepts(json.dumps(repaired_seed(startDateTime=long)).encode())
    assert len(fast._forms) == 3 and all(len(key) <= fastcheck.MAX_FORM_BYTES for key in fast._forms._known)
