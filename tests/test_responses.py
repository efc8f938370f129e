"""Response contracts: the documented shape of an answer, in the fixture format and as findings."""

from __future__ import annotations

import json
from pathlib import Path

from msgspec.structs import replace

from mockgraph.fixturefile import dumps, load_fixture, loads
from mockgraph.models import Body, Contract, Drift, Finding, Fixture, FixtureRequest, FixtureResponse, Property, Source, TypeDef
from mockgraph.responses import response_checker, response_findings

BUNDLED = Path(__file__).parent.parent / "fixtures"

USER_TABLE = (
    Property("id", "String"),
    Property("displayName", "String"),
    Property("accountEnabled", "Boolean"),
    Property("riskLevel", "riskLevel", enum=("low", "medium", "high", "none")),
    Property("createdDateTime", "DateTimeOffset"),
    Property("identities", "objectIdentity", collection=True),
)
IDENTITY = TypeDef("objectIdentity", (Property("issuer", "String"), Property("signInType", "String")))


def user_fixture(collection: bool = False, truncated: bool = False) -> Fixture:
    item = {"id": "1", "displayName": "Adele", "accountEnabled": True, "riskLevel": "low", "identities": [{"issuer": "contoso"}]}
    body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": [item]} if collection else item
    return Fixture(
        Source("doc", page="user-get.md", example="get_user"),
        FixtureRequest("GET", path := "/users" if collection else "/users/1", "v1.0", routes=(path,)),
        FixtureResponse(200, (("Content-Type", "application/json"),), Body.of_json(body)),
        response_contract=Contract(
            "microsoft.graph.user", truncated=truncated, properties=USER_TABLE, types=(IDENTITY,), collection=collection
        ),
    )


class TestFixtureFormat:
    def test_round_trip(self) -> None:
        """A response contract and a recording's drift survive a save and a load, in a fixed key order."""
        drift = Drift("v1.0/user-get/get_user.json", (Finding("type", "error", "/displayName", "String", "integer", "m"),))
        fixture = replace(user_fixture(collection=True), drift=drift)
        text = dumps(fixture)
        assert loads(text) == fixture
        assert list(json.loads(text)) == ["mockgraph", "source", "request", "response", "contract", "responseContract", "drift"]
        assert list(json.loads(text)["responseContract"])[:3] == ["type", "collection", "truncated"]

    def test_old_fixtures_still_load(self) -> None:
        """A fixture written before response contracts existed loads with none, and is written back unchanged."""
        text = dumps(replace(user_fixture(), response_contract=None))
        assert "responseContract" not in text
        assert loads(text).response_contract is None
        assert dumps(loads(text)) == text

    def test_bundled_fixture_has_its_response_type(self) -> None:
        """The importer records each operation's response type: its table, and whether it is a collection."""
        single = load_fixture(BUNDLED / "v1.0/user-get/get_user.json").response_contract
        listed = load_fixture(BUNDLED / "v1.0/user-list/get_users_2.json").response_contract
        assert single is not None and single.type == "microsoft.graph.user" and not single.collection
        assert listed is not None and listed.collection
        assert any(p.name == "accountEnabled" for p in single.properties)
        assert load_fixture(BUNDLED / "v1.0/user-delete/delete_user.json").response_contract is None  # 204, no body


class TestResponseFindings:
    def test_documented_answer_conforms(self) -> None:
        """The documented example of a fixture whose docs agree with themselves gives no findings."""
        for collection in (False, True):
            fixture = user_fixture(collection)
            assert response_findings(fixture, fixture.response.body.json) == ()

    def test_collection_findings_point_into_the_value_array(self) -> None:
        """Each difference in a collection's items is reported with a JSON Pointer through `value`."""
        fixture = user_fixture(collection=True)
        body = {
            "@odata.context": "x",
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=1",
            "value": [
                {"id": "1", "displayName": 5, "accountEnabled": True, "riskLevel": "extreme", "identities": [{"issuer": "c"}], "shoe": 1},
                {"id": "2", "accountEnabled": "yes", "riskLevel": "low", "createdDateTime": "2021-01-01", "identities": []},
            ],
        }
        found = {(f.kind, f.path) for f in response_findings(fixture, body)}
        assert found == {
            ("type", "/value/0/displayName"),
            ("enum", "/value/0/riskLevel"),
            ("unknown", "/value/0/shoe"),
            ("missing", "/value/1/displayName"),
            ("type", "/value/1/accountEnabled"),
            ("format", "/value/1/createdDateTime"),
        }

    def test_severities_are_overridden_per_kind(self) -> None:
        """A caller's severities apply, as the request checker's do."""
        fixture = user_fixture()
        (finding,) = response_findings(fixture, {**fixture.response.body.json, "shoe": 1}, {"unknown": "warning"})  # type: ignore[dict-item]
        assert (finding.kind, finding.severity, finding.path) == ("unknown", "warning", "/shoe")

    def test_checker_is_cached_per_fixture(self) -> None:
        """One checker per fixture and severities: a stub checked on every request builds it once."""
        fixture = user_fixture()
        assert response_checker(fixture) is response_checker(fixture)
        assert response_checker(fixture) is not response_checker(fixture, {"unknown": "info"})
        assert response_checker(user_fixture()) is not response_checker(fixture)

    def test_without_a_response_contract_the_example_is_the_contract(self) -> None:
        """An older fixture or a recording: the documented answer's shape, with unknown keys as warnings."""
        fixture = replace(user_fixture(), response_contract=None)
        findings = response_findings(fixture, {**fixture.response.body.json, "displayName": None, "accountEnabled": "no", "x": 1})  # type: ignore[dict-item]
        assert [(f.kind, f.severity, f.path) for f in findings] == [("type", "error", "/accountEnabled"), ("unknown", "warning", "/x")]

    def test_no_json_answer_no_findings(self) -> None:
        """A fixture whose answer is not JSON and names no type has nothing to check against."""
        fixture = replace(user_fixture(), response=FixtureResponse(204), response_contract=None)
        assert response_findings(fixture, {"a": 1}) == ()


class TestDocumentationChecks:
    def test_lint_reports_response_examples_that_break_their_own_table(self) -> None:
        """`mockgraph lint` lists a documented response that contradicts its type's table, with pointers."""
        from mockgraph.lint import lint_pages
        from support import DOCS_DIR

        linted, _ = lint_pages([DOCS_DIR / "api-reference/v1.0/api/onlinemeeting-createorget.md"], root=DOCS_DIR)
        (response,) = [x for x in linted if x.name.endswith("(response)")]
        assert [(f.kind, f.path) for f in response.findings] == [("format", "/joinWebUrl")]

    def test_verify_notes_them_without_failing(self) -> None:
        """`mockgraph verify` notes such fixtures; the last line still counts passes and failures."""
        import io

        from mockgraph.verify import run_verify

        out = io.StringIO()
        assert run_verify(BUNDLED, out) == 0
        lines = out.getvalue().splitlines()
        assert any(line.endswith("create-or-get-onlinemeeting.json: note: response: 1 format finding at /joinWebUrl") for line in lines)
        assert lines[-1] == "66 passed, 0 failed"
