"""Fixture files: stable, reviewable output; precise errors on bad files; atomic writes."""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import PurePosixPath

import msgspec.structs
import pytest
from support import FIXTURES_DIR, make_fixture

from mockgraph.errors import FixtureError
from mockgraph.fixturefile import (
    _fast_loads,
    _from_data,
    dumps,
    iter_fixture_files,
    load_fixture,
    load_fixtures,
    loads,
    save_fixture,
    scan_fixtures,
)
from mockgraph.models import Body, Contract, Fixture, FixtureResponse, Property, TypeDef


def test_round_trip(tmp_path):
    """What is saved loads back equal, headers with repeated names included."""
    fixture = make_fixture(body={"subject": "s"}, response={"id": "1"}, query="$select=id")
    fixture = type(fixture)(
        source=fixture.source,
        request=fixture.request,
        response=FixtureResponse(201, (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")), Body.of_text("plain")),
        contract=Contract(
            type="t",
            properties=(Property("accessLevel", "Enumeration", enum=("everyone",)),),
            types=(
                TypeDef("identity", (Property("id", "String"), Property("displayName", "String"))),
                TypeDef("userIdentity", (Property("id", "String"),), bases=("identity",)),
            ),
        ),
    )
    path = tmp_path / "f.json"
    save_fixture(fixture, path)
    assert load_fixture(path) == fixture


def test_output_is_stable_and_reviewable():
    """The format version comes first, indentation is two spaces, the file ends with a newline."""
    text = dumps(make_fixture(body={"b": 1, "a": 2}, response={"id": "1"}))
    assert text.startswith('{\n  "mockgraph": 1,\n  "source": {')
    assert text.endswith("}\n")
    assert text == dumps(make_fixture(body={"b": 1, "a": 2}, response={"id": "1"}))
    assert list(json.loads(text)) == ["mockgraph", "source", "request", "response", "contract"]


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.pop("request"), "request: is missing"),
        (lambda d: d["response"].update(status="201"), "response.status: expected int, got a string"),
        (lambda d: d["response"].update(status=42), "response.status: 42 is not an HTTP status"),
        (lambda d: d.update(mockgraph=99), "format version 99 is not supported"),
        (lambda d: d["request"].update(path="app/x"), "request.path: must start with '/'"),
        (lambda d: d["request"].update(routes=["/app/x", "app/y"]), "request.routes[1]: expected a path starting with '/'"),
        (lambda d: d["request"].update(headers={"A": 1}), "request.headers.A: expected str or list, got a number"),
        (lambda d: d["contract"]["properties"].append({"type": "String"}), "contract.properties[0].name: is missing"),
        (lambda d: d["contract"].update(types={"identity": [{"name": 1}]}), "contract.types.identity[0].name: expected str"),
        (lambda d: d["request"].update(bodyText="x"), "request: has both 'body' and 'bodyText'"),
        (lambda d: d["contract"].update(bases={"identity": "entity"}), "contract.bases.identity: expected list, got a string"),
        (lambda d: d["contract"].update(bases={"identity": [1]}), "contract.bases.identity: expected a list of type names"),
    ],
)
def test_malformed_fixture_names_file_and_field(tmp_path, mutate, problem):
    """A malformed fixture fails with its file name and the field that is wrong."""
    data = json.loads(dumps(make_fixture(body={"a": 1})))
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)
    with pytest.raises(FixtureError) as scanned:  # the way `serve` reads a folder, the same error
        scan_fixtures(tmp_path)
    assert str(scanned.value) == str(caught.value)


def test_invalid_json_names_the_position(tmp_path):
    """A file that is not JSON says so, with line and column."""
    with pytest.raises(FixtureError, match=r"bad\.json: not valid JSON: .* line 1 column 2"):
        loads("{,", tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"mockgraph": 1, "x": "\xff"}', "cannot be read: 'utf-8' codec can't decode byte 0xff in position 23: invalid start byte"),
        (b'{"mockgraph": 1,', "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 17"),
        (b'{"mockgraph": 1, "source": {"kind": "doc"}}', "request: is missing"),
    ],
)
def test_scanning_a_folder_names_the_malformed_fixture(tmp_path, content, problem):
    """A folder's malformed fixture stops the scan with its file and what is wrong, as load_fixture says it."""
    save_fixture(make_fixture(path="/a"), tmp_path / "a.json")
    (tmp_path / "v1.0").mkdir()
    (tmp_path / "v1.0" / "bad.json").write_bytes(content)
    with pytest.raises(FixtureError) as caught:
        scan_fixtures(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'v1.0' / 'bad.json'}: {problem}"


def test_fixtures_that_spell_the_same_contract_share_it(tmp_path):
    """A folder's fixtures whose contracts are written alike hold one Contract between them; a
    contract written differently is its own, and a malformed one still names its file."""
    contract = Contract(type="t", properties=(Property("id", "String"),))
    for name in ("a", "b"):
        save_fixture(msgspec.structs.replace(make_fixture(path=f"/{name}"), contract=contract), tmp_path / f"{name}.json")
    save_fixture(make_fixture(path="/c"), tmp_path / "c.json")
    fixtures = load_fixtures(tmp_path)
    assert fixtures["a.json"].contract is fixtures["b.json"].contract
    assert fixtures["a.json"].contract == contract
    assert fixtures["c.json"].contract != contract
    data = json.loads((tmp_path / "b.json").read_text())
    data["contract"]["properties"][0]["name"] = 1
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(FixtureError, match=r"b\.json: contract\.properties\[0\]\.name: expected str"):
        load_fixtures(tmp_path)


def test_load_fixtures_reads_a_tree_in_name_order(tmp_path):
    """Every fixture below the folder is loaded, keyed by relative path; hidden files are not."""
    save_fixture(make_fixture(path="/b"), tmp_path / "v1.0" / "b.json")
    save_fixture(make_fixture(path="/a"), tmp_path / "a.json")
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "half.json").write_text("{")
    assert list(load_fixtures(tmp_path)) == ["a.json", "v1.0/b.json"]


def test_fixture_files_come_in_path_order_folder_by_folder(tmp_path):
    """Names compare folder by folder, as paths sort: `a/` and all below it before `a-c/` and `a.json`
    (a plain sort of the names would put `a-c/` first); links to folders are not followed; a tree
    deeper than Python's recursion limit is walked."""
    names = ["A/q.json", "a/b/c.json", "a/b.json", "a b/y.json", "a-c/r.json", "a-c.json", "a.b/x.json", "a.json", "é/n.json"]
    for name in reversed(names):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / "a" / "notes.txt").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)
    assert [name for name, _ in iter_fixture_files(tmp_path)] == names
    assert names == [str(PurePosixPath(*parts)) for parts in sorted(PurePosixPath(n).parts for n in names)]

    # 1,100 folders: a path of 2,200 characters, within Linux's 4,096. Made and removed one by one:
    # mkdir(parents=True) and shutil.rmtree (pytest's, clearing old temporary folders) would recurse.
    deep = folder = tmp_path / "deep"
    deep.mkdir()
    for _ in range(1100):
        folder = folder / "d"
        folder.mkdir()
    (folder / "f.json").write_text("{}")
    try:
        assert [name for name, _ in iter_fixture_files(deep)] == ["d/" * 1100 + "f.json"]
    finally:
        (folder / "f.json").unlink()
        while folder != deep:
            folder.rmdir()
            folder = folder.parent


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    """A failure while replacing the file leaves the previous fixture whole and no temporary file."""
    path = tmp_path / "f.json"
    save_fixture(make_fixture(path="/old"), path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_fixture(make_fixture(path="/new"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def _everything(fixture: Fixture) -> tuple:
    """A fixture with the fields equality leaves out (annotations, documented bodies)."""
    return fixture, fixture.source.annotations, fixture.request.body.documented, fixture.response.body.documented


def _read_slowly(text: str) -> Fixture | Exception:
    try:
        return _from_data(json.loads(text), "f.json")
    except (FixtureError, ValueError) as exc:
        return exc


def test_fast_reader_reads_the_bundled_fixtures_as_the_precise_one_does():
    """msgspec's reading of every bundled fixture is the _Reader's, to the fields equality ignores."""
    for _, path in iter_fixture_files(FIXTURES_DIR):
        text = path.read_text(encoding="utf-8")
        fast = _fast_loads(path.read_bytes())
        assert fast is not None, path
        assert _everything(fast) == _everything(_read_slowly(text)), path


_ODD_VALUES = [None, True, 0, 42, 600, 1.5, "", "/", "x", "/x", "none", "not supported", "self", [], [""], ["/a"], [[]], [["a", "b"]], [1], {}, {"name": "n", "type": "String"}, 2**70]  # fmt: skip
_ODD_KEYS = ["body", "bodyText", "bodyDocumented", "routes", "responseContract", "drift", "permissions", "who", "bases", "types", "enum", "application"]  # fmt: skip


def test_fast_reader_never_accepts_what_the_precise_one_refuses():
    """Bundled fixtures broken at random places: where msgspec accepts one, the _Reader accepts it
    too and reads the same fixture; where msgspec refuses, the _Reader says why (or reads it)."""
    rng = random.Random(16)
    texts = [path.read_text(encoding="utf-8") for _, path in iter_fixture_files(FIXTURES_DIR)]
    accepted = 0
    for _ in range(3000):
        data = json.loads(rng.choice(texts))
        for _ in range(rng.randint(1, 3)):
            places = list(_places(data))
            *parents, last = rng.choice(places)
            holder = data
            for key in parents:
                holder = holder[key]
            if isinstance(holder, dict) and rng.random() < 0.3:
                del holder[last]
            elif isinstance(holder, dict) and rng.random() < 0.2:
                holder[rng.choice(_ODD_KEYS)] = copy.deepcopy(rng.choice(_ODD_VALUES))
            else:
                holder[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
        text = json.dumps(data)
        fast = _fast_loads(text)
        if fast is not None:
            accepted += 1
            assert _everything(fast) == _everything(_read_slowly(text)), text
    assert accepted > 300  # the mutations also leave fixtures msgspec reads


def _places(value, where=()):
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*where, key)
        yield from _places(item, (*where, key))


def test_a_fixture_with_a_lone_surrogate_stops_the_start_with_its_name(tmp_path):
    """A string no answer can carry as UTF-8 (a lone \\ud800 escape) is refused when the folder is
    read, naming the file; otherwise the fixture would answer every request with a 500."""
    save_fixture(make_fixture(path="/a"), tmp_path / "a.json")
    data = json.loads(dumps(make_fixture(path="/b", response={"subject": "x"})))
    text = json.dumps(data).replace('"subject": "x"', '"subject": "\\ud800x"')
    (tmp_path / "b.json").write_text(text)
    with pytest.raises(FixtureError) as caught:
        scan_fixtures(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'b.json'}: holds a lone surrogate")
