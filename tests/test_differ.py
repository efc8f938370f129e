"""The contract diff: each kind of finding, with JSON Pointer paths, on the seed and on small contracts."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest

from mockgraph import differ
from mockgraph.differ import ContractChecker
from mockgraph.fixturefile import load_fixture
from mockgraph.models import Contract, Property, TypeDef
from support import SEED_FIXTURE, broken_seed, repaired_seed

SEED = load_fixture(SEED_FIXTURE)
DOCUMENTED = SEED.request.body.json
ENUM_BREAKS = [("enum", "/accessLevel"), ("enum", "/capabilities/0")]


def summary(findings) -> list[tuple[str, str]]:
    return [(f.kind, f.path) for f in findings]


@pytest.fixture
def seed() -> ContractChecker:
    return ContractChecker(SEED.contract, DOCUMENTED)


@pytest.fixture
def deepdiff_runs(monkeypatch) -> list[int]:
    """How many times the checker runs deepdiff, the one costly step, which a cached shape spares."""
    runs: list[int] = []
    real = differ.DeepDiff

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(differ, "DeepDiff", counted)
    return runs


def memory_growth(step: Callable[[int], object], warm: int, measured: int) -> int:
    """Bytes still held after `measured` more calls of `step(i)` than after the first `warm` ones
    (traced from the start, so that what the warm-up filled and the later calls replaced nets out)."""
    tracemalloc.start()
    try:
        for i in range(warm):
            step(i)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(warm, warm + measured):
            step(i)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


class TestSeed:
    def test_documented_request_breaks_only_its_enumerations(self, seed):
        """The documented request itself yields only the documentation's own enumeration breaks."""
        assert summary(seed.check(DOCUMENTED)) == ENUM_BREAKS

    def test_the_four_classic_mistakes(self, seed):
        """isBroadcast "yes", an extra property, accessLevel "secret", no joinUrl: exactly those four findings."""
        findings = seed.check(broken_seed())
        assert summary(findings) == [("type", "/isBroadcast"), ("enum", "/accessLevel"), ("unknown", "/extra"), ("missing", "/joinUrl")]
        by_kind = {f.kind: f for f in findings}
        assert (by_kind["type"].expected, by_kind["type"].actual, by_kind["type"].severity) == ("Boolean", "string", "error")
        assert by_kind["enum"].actual == "'secret'" and "everyone" in by_kind["enum"].expected
        assert by_kind["unknown"].severity == "error"  # the property table is complete
        assert by_kind["missing"].severity == "info"

    def test_values_are_not_errors(self, seed):
        """Different example values of the right types and formats are no finding."""
        payload = repaired_seed(subject="Another subject", isCancelled=False, joinUrl="https://contoso.com/join")
        assert seed.check(payload) == ()

    def test_nested_types_from_resource_pages(self, seed):
        """Nested properties are checked against their own documented types, with deep JSON Pointers."""
        payload = repaired_seed()
        payload["participants"]["organizer"]["upn"] = 5
        payload["participants"]["organizer"]["identity"]["user"]["nickname"] = "x"
        payload["participants"]["attendees"][0]["@odata.type"] = "#microsoft.graph.identity"
        assert summary(seed.check(payload)) == [  # in payload order
            ("unknown", "/participants/organizer/identity/user/nickname"),
            ("type", "/participants/organizer/upn"),
            ("odata", "/participants/attendees/0/@odata.type"),
        ]

    def test_formats(self, seed):
        """A DateTimeOffset without an offset and a URL that is not absolute are format findings."""
        findings = seed.check(repaired_seed(startDateTime="2017-01-01T00:03:15", joinUrl="/relative"))
        assert summary(findings) == [("format", "/startDateTime"), ("format", "/joinUrl")]

    @pytest.mark.parametrize(
        "when",
        ["2017-01-01t00:03:15Z", "2017-01-01T00:03:15z", "2017-01-01 00:03:15Z", "2017-01-01T00:03:15+0300", "2017-01-01T00:03:15Z\x00"],
    )
    def test_a_format_is_matched_after_its_skeleton_is_known(self, seed, when):
        """Formats are matched by skeleton once one string of it matched (SKELETON_TABLES): a
        string that differs from a matching one in more than its digits is still a finding."""
        assert seed.check(repaired_seed(startDateTime="2018-02-03T04:05:06Z")) == ()
        assert summary(seed.check(repaired_seed(startDateTime=when))) == [("format", "/startDateTime")]
        assert seed.check(repaired_seed(startDateTime="2099-12-31T23:59:59Z")) == ()

    def test_null_where_graph_allows_it(self, seed):
        """null is fine for a single value, not for a collection."""
        assert seed.check(repaired_seed(subject=None, chatInfo=None)) == ()
        assert summary(seed.check(repaired_seed(capabilities=None))) == [("type", "/capabilities")]

    def test_object_where_a_string_belongs(self, seed):
        """An object sent for a String property is a type finding naming both."""
        [finding] = seed.check(repaired_seed(subject={"text": "x"}))
        assert (finding.kind, finding.path, finding.expected, finding.actual) == ("type", "/subject", "String", "object")

    def test_same_shape_new_values_are_rechecked(self, seed):
        """Findings cached per shape still check each payload's own values."""
        assert seed.check(repaired_seed(accessLevel="invited")) == ()
        assert summary(seed.check(repaired_seed(accessLevel="nobody"))) == [("enum", "/accessLevel")]
        assert seed.check(repaired_seed(accessLevel="locked")) == ()

    def test_a_refused_value_is_worded_with_its_own_value_on_a_cached_shape(self, seed):
        """The wording that does not depend on the value is made once a shape; each finding still
        quotes the value its payload sent."""
        for access, start in (("nobody", "tomorrow"), ("Somebody", "soon")):
            enum, fmt = seed.check(repaired_seed(accessLevel=access, startDateTime=start))[::-1]
            assert (enum.kind, enum.severity, enum.path, enum.actual) == ("enum", "error", "/accessLevel", repr(access))
            assert enum.expected.startswith("one of everyone, invited, locked, ")
            assert enum.message == f"accessLevel is {access!r}, not {enum.expected}"
            assert (fmt.kind, fmt.path, fmt.actual, fmt.message) == (
                "format",
                "/startDateTime",
                repr(start),
                f"startDateTime is not {fmt.expected}: {start!r}",
            )

    def test_value_findings_take_their_places_among_cached_ones(self, seed):
        """On a cached shape, enumeration and format findings still come in payload order among the others."""
        for start, access in (("2026-01-01T00:00:00Z", "nobody"), ("tomorrow", "everyone"), ("tomorrow", "nobody")):
            payload = repaired_seed(isBroadcast="yes", startDateTime=start, accessLevel=access, extra=1)
            del payload["joinUrl"]
            expected = [("format", "/startDateTime")] * (start == "tomorrow") + [("type", "/isBroadcast")]
            expected += [("enum", "/accessLevel")] * (access == "nobody") + [("unknown", "/extra"), ("missing", "/joinUrl")]
            assert summary(seed.check(payload)) == expected

    def test_severities_are_configurable(self):
        """A severity set per kind replaces the default."""
        checker = ContractChecker(SEED.contract, DOCUMENTED, severities={"enum": "warning", "missing": "error"})
        payload = repaired_seed(accessLevel="nobody")
        del payload["subject"]
        assert [(f.kind, f.severity) for f in checker.check(payload)] == [("enum", "warning"), ("missing", "error")]


class TestSmallContracts:
    def test_required_property_left_out_is_an_error(self):
        """A property the table marks Required is an error when left out, even if the example omits it."""
        contract = Contract(properties=(Property("displayName", "String", required=True), Property("note", "String")))
        [finding] = ContractChecker(contract, {"note": "x"}).check({"note": "y"})
        assert (finding.kind, finding.path, finding.severity) == ("missing", "/displayName", "error")

    def test_no_table_means_the_example_is_the_contract(self):
        """Without a property table the example's shape is the contract; truncated examples only warn."""
        example = {"name": "x", "size": 3, "tags": ["a"]}
        strict = ContractChecker(Contract(), example)
        assert summary(strict.check({"name": 1, "size": 4.5, "tags": ["b", 2], "more": True})) == [
            ("type", "/name"),
            ("type", "/tags/1"),
            ("unknown", "/more"),
        ]
        loose = ContractChecker(Contract(truncated=True), example)
        assert [(f.kind, f.severity) for f in loose.check({"name": "y", "size": 1, "tags": [], "more": 1})] == [("unknown", "warning")]

    def test_collections_check_each_element(self):
        """Every element of a collection is checked against the documented element type."""
        contract = Contract(
            properties=(Property("members", "identity", collection=True),),
            types=(TypeDef("identity", (Property("id", "Guid"), Property("displayName", "String"))),),
        )
        payload = {"members": [{"id": "6e1a8b4e-0000-4000-8000-000000000000"}, {"id": "nope", "displayName": 3}]}
        assert summary(ContractChecker(contract, None).check(payload)) == [("format", "/members/1/id"), ("type", "/members/1/displayName")]

    def test_enumerations_ignore_case_and_take_flags(self):
        """A member in another case, or several members joined by commas, are in the enumeration; others are not."""
        contract = Contract(properties=(Property("visibility", "teamVisibilityType", enum=("Private", "Public")),))
        checker = ContractChecker(contract, {"visibility": "Public"})
        for accepted in ("public", "PRIVATE", "Private, public", " public "):
            assert checker.check({"visibility": accepted}) == (), accepted
        for refused in ("secret", "public,secret", ""):
            assert summary(checker.check({"visibility": refused})) == [("enum", "/visibility")], refused

    def test_an_array_body_is_checked_item_by_item(self):
        """A documented array body (OneNote's patch commands): each item against the table, the array itself expected."""
        contract = Contract(properties=(Property("target", "String"), Property("action", "String", enum=("append", "replace"))))
        example = [{"target": "body", "action": "append"}]
        checker = ContractChecker(contract, example)
        assert checker.check([{"target": "#p1", "action": "replace"}, {"target": "body", "action": "append"}]) == ()
        assert summary(checker.check([{"target": "x", "action": "delete", "extra": 1}])) == [("enum", "/0/action"), ("unknown", "/0/extra")]
        assert summary(checker.check({"target": "x"})) == [("type", "")]

    def test_a_payload_sharing_little_with_the_contract(self):
        """However little a payload shares with the contract, each difference is its own finding."""
        checker = ContractChecker(SEED.contract, DOCUMENTED)
        findings = checker.check({"subject": "x", "zzz": 1})
        assert ("unknown", "/zzz") in summary(findings)
        assert sum(f.kind == "missing" for f in findings) == len(DOCUMENTED) - 2  # all but subject and @odata.type

    def test_datetime_is_read_as_datetimeoffset(self):
        """Resource tables often say DateTime; it is checked as a DateTimeOffset."""
        checker = ContractChecker(Contract(properties=(Property("startDateTime", "DateTime"),)), None)
        assert checker.check({"startDateTime": "2026-01-05T09:00:00Z"}) == ()
        assert summary(checker.check({"startDateTime": "tomorrow"})) == [("format", "/startDateTime")]

    def test_pointer_escaping(self):
        """Keys holding / or ~ are escaped as RFC 6901 says."""
        [finding] = ContractChecker(Contract(properties=(Property("a", "String"),)), None).check({"a/b~c": 1})
        assert finding.path == "/a~1b~0c"

    def test_an_odata_type_that_is_not_a_string(self):
        """A list or an object as @odata.type is an odata finding naming it, not an error of the checker."""
        checker = ContractChecker(SEED.contract, DOCUMENTED)
        for sent in (["x"], {"a": 1}, ["y"]):
            [finding] = checker.check(repaired_seed(**{"@odata.type": sent}))
            assert (finding.kind, finding.path, finding.actual) == ("odata", "/@odata.type", str(sent))

    def test_payload_that_is_not_an_object(self):
        """A JSON array sent where an object is documented is one type finding at the root."""
        [finding] = ContractChecker(SEED.contract, DOCUMENTED).check([1, 2])
        assert (finding.kind, finding.path, finding.actual) == ("type", "", "array")


class TestDerivedTypes:
    """A payload may send a type derived from the documented one, named by its `@odata.type`."""

    ATTACHMENT = (Property("name", "String"), Property("size", "Int32"))
    FILE = TypeDef("fileAttachment", (Property("contentBytes", "Binary"), *ATTACHMENT), bases=("attachment", "entity"))

    def checker(self, cache_size: int = 256) -> ContractChecker:
        contract = Contract(
            type="microsoft.graph.message",
            properties=(Property("attachments", "attachment", collection=True),),
            types=(TypeDef("attachment", self.ATTACHMENT, bases=("entity",)), self.FILE),
        )
        return ContractChecker(contract, {"attachments": [{"name": "a.txt"}]}, cache_size=cache_size)

    def test_a_derived_type_is_checked_against_its_own_table(self):
        """A fileAttachment where an attachment is documented: its own properties are known, its types checked."""
        item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentBytes": "SGk="}
        assert self.checker().check({"attachments": [item]}) == ()
        findings = self.checker().check({"attachments": [{**item, "size": "big"}]})
        assert summary(findings) == [("type", "/attachments/0/size")]

    def test_without_the_derived_type_its_properties_are_unknown(self):
        """The base type's table does not know contentBytes."""
        findings = self.checker().check({"attachments": [{"name": "a.txt", "contentBytes": "SGk="}]})
        assert summary(findings) == [("unknown", "/attachments/0/contentBytes")]

    def test_a_type_the_contract_does_not_know_is_an_odata_warning(self):
        """itemAttachment is not in this contract: a warning, since it may still derive from attachment."""
        item = {"@odata.type": "#microsoft.graph.itemAttachment", "name": "a.txt"}
        findings = self.checker().check({"attachments": [item]})
        assert [(f.kind, f.path, f.severity) for f in findings] == [("odata", "/attachments/0/@odata.type", "warning")]

    def test_unknown_type_names_are_not_kept(self):
        """A new @odata.type name on every request leaves nothing behind (with shape caches of one
        entry, memory stays flat), each still a warning; a derived type is still known after."""
        checker = self.checker(cache_size=1)

        def send(i: int) -> None:
            [finding] = checker.check({"attachments": [{"@odata.type": f"#microsoft.graph.thing{i}", "name": "a"}]})
            assert (finding.kind, finding.severity) == ("odata", "warning")

        # A name kept per request costs ~90 bytes each: ~18 KB over 200 names.
        assert memory_growth(send, warm=10, measured=200) < 8_000
        item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a", "contentBytes": "SGk=", "size": "big"}
        assert summary(checker.check({"attachments": [item]})) == [("type", "/attachments/0/size")]

    def test_a_known_type_that_does_not_derive_is_an_odata_warning(self):
        """A type the contract knows, but not as derived from the documented one, is still named as different."""
        contract = Contract(
            type="microsoft.graph.message",
            properties=(Property("attachments", "attachment", collection=True),),
            types=(TypeDef("attachment", self.ATTACHMENT), TypeDef("fileAttachment", self.FILE.properties)),
        )
        item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentBytes": "SGk="}
        findings = ContractChecker(contract, {"attachments": [{"name": "a"}]}).check({"attachments": [item]})
        assert summary(findings) == [("odata", "/attachments/0/@odata.type"), ("unknown", "/attachments/0/contentBytes")]

    def test_a_derived_type_behind_a_cached_shape(self):
        """Undocumented keys in a derived-type item found by the walk give what a fresh deepdiff gives."""
        item = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt", "contentBytes": "SGk="}
        warm = self.checker()
        warm.check({"attachments": [{**item, "x": 1}]})
        second = {"attachments": [{**item, "size": "big", "y": 2}], "z": 3}
        warm.check({"attachments": [{**item, "size": "big", "w": 1}], "v": 3})
        assert warm.check(second) == self.checker().check(second)
        assert summary(warm.check(second)) == [("type", "/attachments/0/size"), ("unknown", "/attachments/0/y"), ("unknown", "/z")]


def with_key_at(payload: dict, position: int, key: str, value) -> dict:
    items = list(payload.items())
    items.insert(position, (key, value))
    return dict(items)


class TestUndocumentedNames:
    def test_a_new_name_every_time(self, seed):
        """A payload bringing a new undocumented name each time gets its own unknown finding, in payload order."""
        for i in range(12):
            payload = repaired_seed(isBroadcast="yes", accessLevel=f"secret{i}")
            del payload["joinUrl"]
            payload = with_key_at(payload, i * 3 % len(payload), f"note{i}", {"n": i} if i % 2 else i)
            findings = seed.check(payload)
            known = {("type", "/isBroadcast"), ("enum", "/accessLevel"), ("missing", "/joinUrl")}
            expected = sorted(
                known | {("unknown", f"/note{i}")}, key=lambda f: list(payload).index(f[1][1:]) if f[1][1:] in payload else 99
            )
            assert summary(findings) == expected
            [unknown] = [f for f in findings if f.kind == "unknown"]
            assert (unknown.severity, unknown.expected, unknown.actual) == ("error", "not documented", "object" if i % 2 else "integer")
            assert unknown.message == f"note{i} is not a documented property"

    def test_new_names_do_not_grow_the_cache(self, deepdiff_runs):
        """A shape that differs only in its undocumented names is diffed once and cached once: with
        room for every shape, a new name on every payload still holds no more memory, and each
        payload still gets its own unknown finding."""
        checker = ContractChecker(SEED.contract, DOCUMENTED, cache_size=100_000)
        base = repaired_seed()

        def send(i: int) -> None:
            assert summary(checker.check({**base, f"extra{i}": i})) == [("unknown", f"/extra{i}")]

        # A shape cached per name costs kilobytes each: megabytes over 300 names.
        assert memory_growth(send, warm=50, measured=300) < 100_000
        assert len(deepdiff_runs) == 1

    @pytest.mark.parametrize(
        ("contract", "example", "first", "second"),
        [
            (SEED.contract, DOCUMENTED, repaired_seed(a=1), repaired_seed(b={"x": [1]}, c=None)),
            (SEED.contract, DOCUMENTED, repaired_seed(**{"a/b~c": 1, "@odata.etag": "w"}), repaired_seed(**{"~d": [], "@odata.etag": "x"})),
            (
                SEED.contract,
                DOCUMENTED,
                {
                    **repaired_seed(),
                    "participants": {**DOCUMENTED["participants"], "organizer": {**DOCUMENTED["participants"]["organizer"], "x": 1}},
                },
                {
                    **repaired_seed(),
                    "participants": {**DOCUMENTED["participants"], "organizer": {**DOCUMENTED["participants"]["organizer"], "y": "z"}},
                },
            ),
            (
                Contract(truncated=True),
                {"name": "x", "tags": [{"id": 1}]},
                {"name": "a", "tags": [{"id": 2, "p": 1}], "q": 2},
                {"r": 1, "name": "b", "tags": [{"s": {}, "id": 3}]},
            ),
            (
                Contract(inferred=True, truncated=True, properties=(Property("name", "String"),)),
                {"name": "x"},
                {"name": "a", "p": 1},
                {"q": "b", "name": "c"},
            ),
            (
                Contract(
                    properties=(Property("members", "identity", collection=True),), types=(TypeDef("identity", (Property("id", "Guid"),)),)
                ),
                None,
                {"members": [{"id": "nope", "a": 1}], "b": 2},
                {"members": [{"c": 1, "id": "no"}], "d": True},
            ),
            (SEED.contract, DOCUMENTED, repaired_seed(subject={"a": 1}, x=1), repaired_seed(subject={"b": [2]}, y=2)),
        ],
        ids=["root", "escaped-and-annotations", "nested", "truncated-example", "inferred", "collection", "object-for-a-string"],
    )
    def test_cached_shape_gives_what_deepdiff_gives(self, contract, example, first, second, deepdiff_runs):
        """A payload whose shape is cached (its undocumented keys found by the walk, deepdiff not run
        again) gets exactly the findings a fresh checker gets from deepdiff."""
        warm = ContractChecker(contract, example)
        warm.check(first)
        cached = warm.check(second)
        assert len(deepdiff_runs) == 1  # the premise: `second` was answered from `first`'s shape
        assert cached == ContractChecker(contract, example).check(second)
        assert len(deepdiff_runs) == 2


def _nested_variants() -> list[dict]:
    """Payloads whose shapes differ from the seed's, one step each, mostly deep inside, where a
    template that compared too little would take one for another."""
    organizer = DOCUMENTED["participants"]["organizer"]

    def with_organizer(**changes) -> dict:
        return {**repaired_seed(), "participants": {**DOCUMENTED["participants"], "organizer": {**organizer, **changes}}}

    reordered = dict(reversed(list(repaired_seed().items())))
    return [
        repaired_seed(),
        repaired_seed(isBroadcast=1),  # a Boolean's place holds an integer
        repaired_seed(isBroadcast=1.0),
        repaired_seed(isBroadcast=None),
        repaired_seed(subject=7),
        repaired_seed(capabilities=[]),
        repaired_seed(capabilities=["questionAndAnswer", "questionAndAnswer"]),
        repaired_seed(capabilities=[1]),
        repaired_seed(capabilities={}),
        with_organizer(upn=None),
        with_organizer(upn=["x"]),
        with_organizer(identity={**organizer["identity"], "@odata.type": "#microsoft.graph.communicationsIdentitySet"}),
        with_organizer(identity={**organizer["identity"], "@odata.type": ["#microsoft.graph.identitySet"]}),
        with_organizer(identity={**organizer["identity"], "@odata.type": "['#microsoft.graph.identitySet']"}),
        with_organizer(identity={}),
        reordered,
        {**repaired_seed(), "@odata.type": "#microsoft.graph.meetingInfo"},
        {**repaired_seed(), "extra": {"a": [1, {"b": None}]}},
        {**repaired_seed(), "extra": {"a": [1, {"b": True}]}},
        [repaired_seed()],
        "not an object",
    ]


class TestTheLastShape:
    def test_a_payload_of_the_last_shape_gets_what_a_fresh_checker_gets(self):
        """A checker that found two payloads of one shape in a row first tries the next payload
        against it (`_fits`): over every ordered pair of shapes that differ in one place, deep or
        not, the second payload's findings are those a fresh checker finds, with its own values quoted."""
        variants = _nested_variants()
        for i, first in enumerate(variants):
            checker = ContractChecker(SEED.contract, DOCUMENTED)
            checker.check(first)
            checker.check(first)  # two in a row: the next payload is tried against its template
            for j, second in enumerate(variants):
                # The first is tried against the template of the last shape (`first`'s or the
                # previous variant's), the third against its own.
                for accessLevel in ("nobody", "invited", "somebody"):
                    payload = {**second, "accessLevel": accessLevel} if isinstance(second, dict) else second
                    got, fresh = checker.check(payload), ContractChecker(SEED.contract, DOCUMENTED).check(payload)
                    assert got == fresh, (i, j, accessLevel)

    def test_payloads_that_take_turns_between_shapes_are_not_fitted(self, monkeypatch):
        """Two shapes in turn would fail every comparison: the template is tried only after two
        payloads of its shape in a row, and then until one does not fit."""
        fitted: list[bool] = []  # what `_fits` said of whole payloads (it calls itself for the objects within)
        real = differ._fits

        def fits(value, template):
            fits = real(value, template)
            if "accessLevel" in value:
                fitted.append(fits)
            return fits

        monkeypatch.setattr(differ, "_fits", fits)
        checker = ContractChecker(SEED.contract, DOCUMENTED)
        a, b = repaired_seed(), repaired_seed(isBroadcast=1)
        for payload in (a, b) * 5:
            checker.check(payload)
        assert fitted == []
        for payload in (a, a, a, a, b, a):
            checker.check(payload)
        assert fitted == [True, True, False]

    def test_the_template_is_taken_only_where_the_signature_is_equal(self):
        """`_fits(value, _template(s))` implies `_signature(value) == s`, the premise of the cache."""
        variants = [v for v in _nested_variants() if not isinstance(v, str)]
        missed = []  # pairs of one signature that the template still refuses
        for i, a in enumerate(variants):
            template = differ._template(differ._signature(a))
            for j, b in enumerate(variants):
                equal = differ._signature(b) == differ._signature(a)
                if differ._fits(b, template):
                    assert equal, (i, j)
                elif equal:
                    missed.append((i, j))
        # Only a payload whose @odata.type is a list (12) is refused by its own signature's template,
        # and by that of the string that spells it alike (13): the template wants a string there, so
        # such payloads take the long way.
        assert missed == [(12, 12), (13, 12)]
        assert differ._template(differ._signature("a string")) is None
