"""Stateful mode (state.py, odata.py): the store's rules, one by one, against the bundled fixtures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import aiohttp
import pytest
from multidict import CIMultiDict

from mockgraph.fixturefile import load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.odata import ODataError, order, parse_filter, parse_orderby
from mockgraph.state import Model
from support import FIXTURES_DIR, ROOT, serve_fixtures

USER = {
    "accountEnabled": True,
    "displayName": "Megan Bowen",
    "mailNickname": "MeganB",
    "userPrincipalName": "MeganB@contoso.com",
    "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "x-Y-z-123"},
}
MEETING = {"subject": "Review", "startDateTime": "2026-01-05T09:00:00+00:00", "endDateTime": "2026-01-05T10:00:00+00:00"}
BUNDLED = load_fixtures(FIXTURES_DIR)


class Client:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url

    async def __call__(self, method: str, path: str, body: object = None, **headers: str) -> tuple[int, CIMultiDict, object]:
        async with self.http.request(method, self.url + path, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, CIMultiDict(response.headers), json.loads(text) if text else None


@pytest.fixture
async def graph(request):
    settings = getattr(request, "param", {})
    async with serve_fixtures(BUNDLED, stateful=True, **settings) as url, aiohttp.ClientSession() as http:
        yield Client(http, url)


class TestModel:
    def test_learnt_from_the_routes(self):
        """Collections, entities and creates come from the documented routes; /me is /users/{id}."""
        model = Model(FixtureIndex(BUNDLED).routes)
        assert ("users", None) in model.entities and ("users",) in model.creatable
        assert ("users", None, "onlinemeetings", None) in model.entities
        assert ("users", None, "onlinemeetings") in model.creatable
        assert ("groups", None, "members") in model.references
        assert model.match(["users", "x", "sendmail"]) == ("users", None, "sendmail")  # an action, literal first
        assert model.match(["users", "x", "onlinemeetings", "createorget"]) == ("users", None, "onlinemeetings", "createorget")


class TestStore:
    async def test_starts_with_the_documented_signed_in_user(self, graph):
        """/me is the documented user; the users collection lists only it."""
        status, _, me = await graph("GET", "/v1.0/me")
        assert status == 200 and me["displayName"] == "Adele Vance"
        _, _, users = await graph("GET", "/v1.0/users")
        assert [u["id"] for u in users["value"]] == [me["id"]]
        _, _, same = await graph("GET", f"/v1.0/users/{me['userPrincipalName']}")
        assert same["id"] == me["id"]

    async def test_unknown_id_is_graphs_404_not_an_example(self, graph):
        """An id the store does not hold is 404, never the documented example."""
        status, _, body = await graph("GET", "/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd-nope")
        assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"
        status, _, body = await graph("GET", "/v1.0/me/onlineMeetings/MSpkYzE3")
        assert status == 404 and body["error"]["code"] == "ResourceNotFound"

    async def test_create_merges_the_posted_properties_into_the_documented_answer(self, graph):
        """201 as documented, a new id, the posted properties, fresh server timestamps."""
        status, headers, meeting = await graph("POST", "/v1.0/me/onlineMeetings", MEETING, **{"Content-Type": "application/json"})
        assert status == 201
        assert meeting["subject"] == "Review" and meeting["id"] != "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZdFpHRTNaR1F6WGhyZWFkLnYy"
        assert meeting["creationDateTime"] > "2025"  # the server's time, not the documented 2019
        assert meeting["joinWebUrl"]  # what the server sets, as documented
        assert headers["mockgraph-contract"] == "0 errors"
        _, _, again = await graph("GET", f"/v1.0/users/{(await graph('GET', '/v1.0/me'))[2]['id']}/onlineMeetings/{meeting['id']}")
        assert again == {k: v for k, v in meeting.items() if k != "@odata.context"}

    async def test_location_points_at_the_mock(self, graph, tmp_path):
        """Where Graph sends Location, it names the new entity on the mock."""
        name = "beta/channel-post/create_channel_for_migration.json"
        fixtures = {**BUNDLED, "beta/channel-get.json": _get_of(BUNDLED[name], "/teams/{id}/channels/{id}")}
        async with serve_fixtures(fixtures, stateful=True) as url, aiohttp.ClientSession() as http:
            body = BUNDLED[name].request.body.json
            async with http.post(url + "/beta/teams/t1/channels", json=body) as response:
                assert response.status == 201
                created = await response.json()
                assert response.headers["Location"] == f"{url}/beta/teams/t1/channels/{created['id']}"

    async def test_patch_merges_and_answers_as_documented(self, graph):
        """PATCH /users answers 204 as documented; PATCH of a meeting 200 with the entity."""
        _, _, user = await graph("POST", "/v1.0/users", USER)
        assert (await graph("PATCH", f"/v1.0/users/{user['id']}", {"jobTitle": "CFO"}))[0] == 204
        _, _, read = await graph("GET", f"/v1.0/users/{user['id']}")
        assert read["jobTitle"] == "CFO" and read["displayName"] == "Megan Bowen"
        _, _, meeting = await graph("POST", "/v1.0/me/onlineMeetings", MEETING)
        status, _, patched = await graph("PATCH", f"/v1.0/me/onlineMeetings/{meeting['id']}", {"subject": "Moved"})
        assert status == 200 and patched["subject"] == "Moved" and patched["id"] == meeting["id"]

    async def test_delete_then_404(self, graph):
        """DELETE answers 204; the next call 404; a second DELETE 404 too."""
        _, _, user = await graph("POST", "/v1.0/users", USER)
        assert (await graph("DELETE", f"/v1.0/users/{user['id']}"))[0] == 204
        assert (await graph("GET", f"/v1.0/users/{user['id']}"))[0] == 404
        assert (await graph("DELETE", f"/v1.0/users/{user['id']}"))[0] == 404
        assert (await graph("GET", "/v1.0/users/MeganB@contoso.com"))[0] == 404  # its name goes with it

    async def test_a_deleted_parent_takes_its_children(self, graph):
        """Under a user the store could hold but does not, collections are 404 too."""
        _, _, user = await graph("POST", "/v1.0/users", USER)
        await graph("POST", f"/v1.0/users/{user['id']}/onlineMeetings", MEETING)
        assert len((await graph("GET", f"/v1.0/users/{user['id']}/onlineMeetings"))[2]["value"]) == 1
        await graph("DELETE", f"/v1.0/users/{user['id']}")
        status, _, body = await graph("GET", f"/v1.0/users/{user['id']}/onlineMeetings")
        assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"

    async def test_stale_if_match_is_412(self, graph):
        """If-Match with an ETag the entity has moved past answers 412; the current one passes."""
        _, headers, meeting = await graph("POST", "/v1.0/me/onlineMeetings", MEETING)
        first = headers["ETag"]
        _, headers, _ = await graph("PATCH", f"/v1.0/me/onlineMeetings/{meeting['id']}", {"subject": "a"}, **{"If-Match": first})
        status, _, body = await graph("PATCH", f"/v1.0/me/onlineMeetings/{meeting['id']}", {"subject": "b"}, **{"If-Match": first})
        assert status == 412 and body["error"]["code"] == "PreconditionFailed"
        assert (await graph("DELETE", f"/v1.0/me/onlineMeetings/{meeting['id']}", **{"If-Match": headers["ETag"]}))[0] == 204

    async def test_put_replaces(self, tmp_path):
        """PUT keeps only what was sent (and the id and creation time)."""
        name = "v1.0/onlinemeeting-update/update_start_end_subject.json"
        fixtures = {**BUNDLED, "put.json": _put_of(BUNDLED[name])}
        async with serve_fixtures(fixtures, stateful=True) as url, aiohttp.ClientSession() as http:
            graph = Client(http, url)
            _, _, meeting = await graph("POST", "/v1.0/me/onlineMeetings", MEETING)
            status, _, put = await graph("PUT", f"/v1.0/me/onlineMeetings/{meeting['id']}", {"subject": "Only"})
            assert status == 200
            assert put["subject"] == "Only" and put["id"] == meeting["id"] and "joinWebUrl" not in put
            assert put["creationDateTime"] == meeting["creationDateTime"]

    async def test_references(self, graph):
        """POST .../members/$ref adds the object it names; the members list shows it."""
        _, _, user = await graph("POST", "/v1.0/users", USER)
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}
        assert (await graph("POST", "/v1.0/groups/g1/members/$ref", ref))[0] == 204
        _, _, members = await graph("GET", "/v1.0/groups/g1/members")
        assert [m["displayName"] for m in members["value"]] == ["Megan Bowen"]

    async def test_actions_keep_their_documented_answers(self, graph):
        """Functions and actions pass to the fixtures."""
        status, _, _ = await graph("POST", "/v1.0/me/sendMail", {"message": {"subject": "x"}})
        assert status == 202
        status, _, body = await graph("POST", "/v1.0/me/onlineMeetings/createOrGet", {"externalId": "x"})
        assert status == 200 and body["id"]

    async def test_contract_findings_are_attached(self, graph):
        """A write's payload is checked as before; strict mode refuses it."""
        status, headers, _ = await graph("POST", "/v1.0/me/onlineMeetings", {**MEETING, "isBroadcast": "yes"})
        assert status == 201 and headers["mockgraph-contract"].startswith("1 error")
        _, _, journal = await graph("GET", "/_mockgraph/requests")
        assert journal["requests"][-1]["findings"][0]["path"] == "/isBroadcast"

    @pytest.mark.parametrize("graph", [{"strict": True}], indirect=True)
    async def test_strict_refuses_a_broken_create(self, graph):
        """Strict: a payload with contract errors is a 400 and creates nothing."""
        assert (await graph("POST", "/v1.0/me/onlineMeetings", {**MEETING, "isBroadcast": "yes"}))[0] == 400
        assert (await graph("GET", "/v1.0/me/onlineMeetings"))[2]["value"] == []

    @pytest.mark.parametrize("graph", [{"state_limit": 2}], indirect=True)
    async def test_the_limit_is_507(self, graph):
        """Past state-limit (the signed-in user counts), a create is 507 quotaLimitReached."""
        assert (await graph("POST", "/v1.0/users", USER))[0] == 201
        status, _, body = await graph("POST", "/v1.0/users", USER)
        assert status == 507 and body["error"]["code"] == "quotaLimitReached"
        assert "state-limit" in body["error"]["message"]

    async def test_admin_reset(self, graph):
        """DELETE /_mockgraph/state empties the store but for the signed-in user."""
        await graph("POST", "/v1.0/users", USER)
        assert (await graph("DELETE", "/_mockgraph/state"))[0] == 204
        assert len((await graph("GET", "/v1.0/users"))[2]["value"]) == 1

    async def test_state_answers_are_never_unmatched(self, graph):
        """The journal says the state answered, so a 404 of the store is not a miss."""
        await graph("GET", "/v1.0/users/nobody")
        _, _, journal = await graph("GET", "/_mockgraph/requests")
        assert journal["requests"][-1]["answered_by"] == "state"


class TestQueries:
    async def users(self, graph, *names: str) -> None:
        for i, name in enumerate(names):
            await graph("POST", "/v1.0/users", {**USER, "displayName": name, "userPrincipalName": f"{name}@x.com", "mailNickname": str(i)})

    async def test_top_skiptoken_count(self, graph):
        """$top pages with a nextLink to the mock; $count counts the whole (filtered) collection."""
        await self.users(graph, "a", "b", "c")
        _, _, page = await graph("GET", "/v1.0/users?$top=2&$count=true")
        assert page["@odata.count"] == 4 and len(page["value"]) == 2
        async with graph.http.get(page["@odata.nextLink"]) as response:
            rest = await response.json()
        assert len(rest["value"]) == 2 and "@odata.nextLink" not in rest

    async def test_filter_orderby_select(self, graph):
        """$filter, $orderby and $select are evaluated on what the store holds."""
        await self.users(graph, "Bea", "bob", "Carl")
        _, _, found = await graph("GET", "/v1.0/users?$filter=startswith(displayName,'b')&$orderby=displayName desc&$select=displayName")
        assert found["value"] == [{"displayName": "bob"}, {"displayName": "Bea"}]

    async def test_an_unevaluable_filter_is_a_400_naming_the_part(self, graph):
        """Never a silent full list."""
        status, _, body = await graph("GET", "/v1.0/users?$filter=imAddresses/any(s:s eq 'a')")
        assert status == 400 and "imAddresses/any" in body["error"]["message"]
        status, _, body = await graph("GET", "/v1.0/users?$search=%22displayName:a%22")
        assert status == 400 and "$search" in body["error"]["message"]


ENTITIES = [
    {"id": "1", "name": "Adele", "age": 30, "active": True, "born": "1990-05-01T00:00:00Z", "dept": "Sales", "tag": None},
    {"id": "2", "name": "bob", "age": 41, "active": False, "born": "1982-01-01T10:00:00Z", "dept": "Retail", "tag": "x"},
    {"id": "3", "name": "Carl O'Neil", "age": 25.5, "active": True, "born": "2001-12-31T23:59:59.1234567Z", "dept": "HR", "tag": "y"},
]


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("name eq 'ADELE'", ["1"]),
        ("name ne 'adele'", ["2", "3"]),
        ("startswith(name,'b')", ["2"]),
        ("endswith(name,'NEIL')", ["3"]),
        ("contains(name,'o')", ["2", "3"]),
        ("name eq 'Carl O''Neil'", ["3"]),
        ("dept in ('Retail', 'Sales')", ["1", "2"]),
        ("age gt 29 and age lt 41", ["1"]),
        ("age ge 25.5", ["1", "2", "3"]),
        ("active eq true", ["1", "3"]),
        ("not active", None),
        ("not (active eq true)", ["2"]),
        ("active eq false or dept eq 'HR'", ["2", "3"]),
        ("born ge 1990-01-01", ["1", "3"]),
        ("born lt 1990-05-01T00:00:01Z", ["1", "2"]),
        ("tag eq null", ["1"]),
        ("tag ne null and NOT(tag eq 'x')", ["3"]),
        ("tag in (null, 'y')", ["1", "3"]),
    ],
)
def test_filter(expression, ids):
    """Each operator over strings, numbers, Booleans, dates and null."""
    if ids is None:
        with pytest.raises(ODataError):
            parse_filter(expression)
        return
    keep = parse_filter(expression)
    assert [e["id"] for e in ENTITIES if keep(e)] == ids


@pytest.mark.parametrize(
    ("expression", "part"),
    [
        ("tags/any(t:t eq 'a')", "tags/any"),
        ("length(name) eq 3", "length(...)"),
        ("name has 'a'", "name has"),
        ("name eq", "name eq"),
        ("(name eq 'a'", "(name eq 'a'"),
        ("name eq 'a' name", "name"),
    ],
)
def test_filter_refuses_what_it_cannot_evaluate(expression, part):
    """The error names the part it could not evaluate."""
    with pytest.raises(ODataError) as raised:
        parse_filter(expression)
    assert part in raised.value.part or raised.value.part in expression


def test_orderby():
    """Several keys, asc and desc; null is the least value, as in OData."""
    keys = parse_orderby("tag desc,name")
    assert [e["id"] for e in order(list(ENTITIES), keys)] == ["3", "2", "1"]
    assert [e["id"] for e in order(list(ENTITIES), parse_orderby("born"))] == ["2", "1", "3"]
    with pytest.raises(ODataError):
        parse_orderby("name sideways")


def test_serve_stateful_in_its_own_process(tmp_path):
    """`mockgraph serve --stateful`: create, read back, reset over the admin API, read a 404."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgraph", "serve", "--stateful", "--port", "0", "--fixtures", str(FIXTURES_DIR), "--fail-on", "never"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"mockgraph listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        url = match.group(1)
        import urllib.error
        import urllib.request

        def call(method: str, path: str, body: object = None) -> tuple[int, object]:
            data = json.dumps(body).encode() if body is not None else None
            request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request) as response:
                    text = response.read()
                    return response.status, json.loads(text) if text else None
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        status, user = call("POST", "/v1.0/users", USER)
        assert status == 201
        assert call("GET", f"/v1.0/users/{user['id']}")[1]["displayName"] == "Megan Bowen"
        assert call("GET", "/v1.0/users?$filter=displayName%20eq%20'Megan%20Bowen'")[1]["value"][0]["id"] == user["id"]
        assert call("DELETE", "/_mockgraph/state")[0] == 204
        status, body = call("GET", f"/v1.0/users/{user['id']}")
        assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def _get_of(fixture, template):
    """A GET-by-id fixture for `template`, so its parent is a collection the store models."""
    from msgspec.structs import replace

    from mockgraph.models import Body, FixtureRequest

    return replace(fixture, request=FixtureRequest("GET", template, fixture.request.version, routes=(template,), body=Body()))


def _put_of(fixture):
    from msgspec.structs import replace

    return replace(fixture, request=replace(fixture.request, method="PUT"))


async def test_a_posted_password_is_never_read_back(http):
    """Graph never returns a password it was sent; neither does the store."""
    from mockgraph.fixturefile import load_fixtures
    from support import FIXTURES_DIR, serve_fixtures

    user = {
        "accountEnabled": True, "displayName": "Adele", "mailNickname": "adele", "userPrincipalName": "adele@contoso.com",
        "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"},
    }  # fmt: skip
    async with serve_fixtures(load_fixtures(FIXTURES_DIR), stateful=True) as url:
        async with http.post(url + "/v1.0/users", json=user) as response:
            assert response.status == 201
            created = await response.json()
        async with http.get(f"{url}/v1.0/users/{created['id']}") as response:
            read = await response.text()
    assert "xWwvJ]6NMw+bWH-d" not in read and "xWwvJ]6NMw+bWH-d" not in str(created)
    assert '"forceChangePasswordNextSignIn": true' in read.replace(":true", ": true")
