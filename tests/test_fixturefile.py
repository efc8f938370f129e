"""Fixture files: stable, reviewable output; precise errors on bad files; atomic writes."""

from __future__ import annotations

import json
import os

import pytest

from mockgraph.errors import FixtureError
from mockgraph.fixturefile import dumps, load_fixture, load_fixtures, loads, save_fixture
from mockgraph.models import Body, Contract, FixtureResponse, Property, TypeDef
from support import make_fixture


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


def test_invalid_json_names_the_position(tmp_path):
    """A file that is not JSON says so, with line and column."""
    with pytest.raises(FixtureError, match=r"bad\.json: not valid JSON: .* line 1 column 2"):
        loads("{,", tmp_path / "bad.json")


def test_load_fixtures_reads_a_tree_in_name_order(tmp_path):
    """Every fixture below the folder is loaded, keyed by relative path; hidden files are not."""
    save_fixture(make_fixture(path="/b"), tmp_path / "v1.0" / "b.json")
    save_fixture(make_fixture(path="/a"), tmp_path / "a.json")
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "half.json").write_text("{")
    assert list(load_fixtures(tmp_path)) == ["a.json", "v1.0/b.json"]


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
