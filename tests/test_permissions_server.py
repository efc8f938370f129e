"""The permissions answerer on the road: tokens judged against the documented permissions."""

from __future__ import annotations

import base64
import json

import pytest

from mockgraph.fixturefile import load_fixtures
from mockgraph.models import Fixture, PermissionTable
from mockgraph.tokens import CONSUMERS_TENANT, Caller, TokenError, caller_of, make_token, read_authorization
from support import FIXTURES_DIR, make_fixture, repaired_seed, serve_fixtures

FIXTURES = load_fixtures(FIXTURES_DIR)
MEETINGS = "/v1.0/me/onlineMeetings"  # application-post-onlinemeetings: OnlineMeetings.ReadWrite / .ReadWrite.All
MEETING = {"startDateTime": "2019-07-12T14:30:34.2444915-07:00", "endDateTime": "2019-07-12T15:00:34.2464912-07:00", "subject": "User Token Meeting"}


def bearer(**kwargs) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(**kwargs)}"}


async def post(http, url, path=MEETINGS, headers=None, body=None):
    async with http.post(url + path, json=body if body is not None else MEETING, headers=headers or {}) as response:
        return response.status, await response.json(), response.headers


async def journal(http, url):
    async with http.get(url + "/_mockgraph/requests") as response:
        return (await response.json())["requests"]


class TestTokens:
    def test_scp_makes_a_delegated_caller_and_roles_an_application(self):
        """`scp` is space-separated scopes of a signed-in user; `roles` an application's permissions."""
        delegated = read_authorization("Bearer " + make_token(scopes=["User.Read", "Mail.Send"], upn="a@contoso.com"))
        assert (delegated.type, delegated.permissions, delegated.upn) == ("delegatedWork", ("User.Read", "Mail.Send"), "a@contoso.com")
        app = read_authorization("Bearer " + make_token(roles=["User.Read.All"]))
        assert (app.type, app.permissions) == ("application", ("User.Read.All",))

    def test_idtyp_decides_and_the_consumers_tenant_is_a_personal_account(self):
        """`idtyp: app` is an application whatever else the token holds; the consumers tenant signs in personal accounts."""
        assert caller_of({"idtyp": "app", "roles": [], "scp": "x"}).type == "application"
        assert caller_of({"scp": "Files.Read", "tid": CONSUMERS_TENANT}).type == "delegatedPersonal"

    @pytest.mark.parametrize(
        ("header", "message"),
        [
            (None, "Access token is empty."),
            ("Basic abc", "Access token is empty."),
            ("Bearer not-a-jwt", "CompactToken parsing failed"),
            ("Bearer " + make_token(scopes=["User.Read"], exp=1), "expired"),
            ("Bearer " + make_token(scopes=["User.Read"], aud="https://outlook.office.com"), "Invalid audience"),
            ("Bearer e30." + base64.urlsafe_b64encode(json.dumps({"aud": "https://graph.microsoft.com"}).encode()).decode().rstrip("=") + ".x", "scp or roles"),
        ],
    )
    def test_tokens_graph_refuses(self, header, message):
        """Missing, malformed, expired, for another audience, or with neither scp nor roles: Graph's 401 messages."""
        with pytest.raises(TokenError, match=message):
            read_authorization(header)

    def test_the_user_principal_name_names_the_signed_in_user(self):
        """`/users/{upn}` is the caller acting on themselves, whatever its case."""
        assert Caller("delegatedWork", (), upn="Adele@contoso.com").is_user("adele@CONTOSO.com")
        assert not Caller("application", (), oid="x").is_user("x")


class TestEnforce:
    async def test_no_token_is_401(self, http):
        """No token: 401 InvalidAuthenticationToken with Graph's WWW-Authenticate challenge."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, body, headers = await post(http, url)
        assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
        assert body["error"]["message"] == "Access token is empty." and "Bearer" in headers["WWW-Authenticate"]

    async def test_malformed_token_is_401(self, http):
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, body, _ = await post(http, url, headers={"Authorization": "Bearer abc.def"})
        assert status == 401 and "CompactToken" in body["error"]["message"]

    async def test_a_token_without_a_documented_permission_is_403_naming_what_suffices(self, http):
        """User.Read does not create meetings: 403 naming OnlineMeetings.ReadWrite, the token's own listed."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, body, _ = await post(http, url, headers=bearer(scopes=["User.Read"]))
        assert status == 403 and body["error"]["code"] == "Authorization_RequestDenied"
        message = body["error"]["message"]
        assert "least privileged first: OnlineMeetings.ReadWrite;" in message and "the token has: User.Read" in message

    async def test_least_privileged_first_in_the_message(self, http):
        """onlinemeeting-get lists Read before ReadWrite; so does the 403."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            async with http.get(url + "/v1.0/communications/onlineMeetings", headers=bearer(scopes=["Mail.Read"])) as response:
                body = await response.json()
        assert response.status == 403
        assert "OnlineMeetings.Read, OnlineMeetings.ReadWrite;" in body["error"]["message"]

    async def test_a_documented_permission_passes_to_the_fixture(self, http):
        """Any documented permission, in any case, lets the call reach its fixture; the answer notes what allowed it."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, _, _ = await post(http, url, headers=bearer(scopes=["onlinemeetings.readwrite", "User.Read"]))
            (entry,) = await journal(http, url)
        assert status == 201
        (finding,) = [f for f in entry["findings"] if f["kind"] == "permission"]
        assert finding["severity"] == "info" and "allowed by OnlineMeetings.ReadWrite" in finding["message"]

    async def test_application_on_me_is_refused_as_graph_does(self, http):
        """`/me` needs a signed-in user: an application token gets Graph's 400."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, body, _ = await post(http, url, headers=bearer(roles=["OnlineMeetings.ReadWrite.All"]))
        assert status == 400 and "delegated authentication flow" in body["error"]["message"]

    async def test_application_rows_apply_to_application_tokens(self, http):
        """At /users/{id}, OnlineMeetings.ReadWrite.All lets an application create a meeting; OnlineMeetings.ReadWrite does not."""
        path = "/v1.0/users/4d6c2f2e-1d4a-4c59-8e2b-0ef3d2e0f1a0/onlineMeetings"
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            ok, _, _ = await post(http, url, path, bearer(roles=["OnlineMeetings.ReadWrite.All"]))
            denied, body, _ = await post(http, url, path, bearer(roles=["OnlineMeetings.ReadWrite"]))
        assert ok == 201 and denied == 403 and "application permissions" in body["error"]["message"]

    async def test_not_supported_for_the_caller_type_is_403_saying_so(self, http):
        """A personal Microsoft account cannot create online meetings: the page says "Not Supported"."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, body, _ = await post(http, url, headers=bearer(scopes=["OnlineMeetings.ReadWrite"], personal=True))
        assert status == 403 and "does not support delegated (personal Microsoft account) permissions" in body["error"]["message"]

    async def test_the_seed_is_unenforced(self, http):
        """The seed's table says TODO: its operation answers without any token, even in enforce mode."""
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            status, _, _ = await post(http, url, "/v1.0/app/onlineMeetings", body=repaired_seed())
        assert status == 201

    async def test_admin_and_health_are_never_checked(self, http):
        async with serve_fixtures(FIXTURES, permissions="enforce") as url:
            async with http.get(url + "/_mockgraph/health") as health:
                assert health.status == 200
            async with http.get(url + "/_mockgraph/requests") as requests:
                assert requests.status == 200

    async def test_self_and_others_tables_follow_the_token_upn(self, http):
        """On a page with "acting on self" and "on other users" tables, /users/{own upn} is judged by the self table."""
        fixture = make_fixture("DELETE", "/users/{id}/authentication/phoneMethods/{methodId}", routes=("/me/authentication/phoneMethods/{methodId}", "/users/{id}/authentication/phoneMethods/{methodId}"), status=204)
        tables = (
            PermissionTable(delegated_work=(("UserAuthenticationMethod.ReadWrite",),), label="Permissions acting on self", who="self"),
            PermissionTable(delegated_work=(("UserAuthenticationMethod.ReadWrite.All",),), label="Permissions acting on other users", who="others"),
        )
        fixtures = {"phone.json": Fixture(fixture.source, fixture.request, fixture.response, fixture.contract, permissions=tables)}
        headers = bearer(scopes=["UserAuthenticationMethod.ReadWrite"], upn="adele@contoso.com")
        async with serve_fixtures(fixtures, permissions="enforce") as url:
            results = []
            for path in ("/me", "/users/adele@contoso.com", "/users/megan@contoso.com"):
                async with http.delete(f"{url}/v1.0{path}/authentication/phoneMethods/abc", headers=headers) as response:
                    results.append(response.status)
        assert results == [204, 204, 403]


class TestReport:
    async def test_no_token_no_finding(self, http):
        """The default mode: an app that sends no token is not under permission test."""
        async with serve_fixtures(FIXTURES) as url:
            status, _, _ = await post(http, url)
            (entry,) = await journal(http, url)
        assert status == 201 and not [f for f in entry["findings"] if f["kind"] == "permission"]

    async def test_a_call_enforce_would_deny_is_answered_with_a_warning(self, http):
        """report never denies: the fixture answers, and the journal holds a `permission` warning naming what suffices."""
        async with serve_fixtures(FIXTURES, permissions="report") as url:
            status, _, _ = await post(http, url, headers=bearer(scopes=["User.Read"]))
            (entry,) = await journal(http, url)
        assert status == 201
        (finding,) = [f for f in entry["findings"] if f["kind"] == "permission"]
        assert finding["severity"] == "warning" and "OnlineMeetings.ReadWrite" in finding["message"]
        assert finding["expected"] == "delegatedWork: OnlineMeetings.ReadWrite" and finding["actual"] == "delegatedWork: User.Read"

    async def test_the_severity_is_a_setting(self, http):
        async with serve_fixtures(FIXTURES, severity={"permission": "error"}) as url:
            await post(http, url, headers=bearer(scopes=["User.Read"]))
            (entry,) = await journal(http, url)
        assert [f["severity"] for f in entry["findings"] if f["kind"] == "permission"] == ["error"]


class TestOff:
    async def test_off_never_looks_at_tokens(self, http):
        async with serve_fixtures(FIXTURES, permissions="off") as url:
            status, _, _ = await post(http, url, headers={"Authorization": "Bearer junk"})
            (entry,) = await journal(http, url)
        assert status == 201 and entry["findings"] == []


USER_TEST = """
import json, urllib.error, urllib.request
import pytest

MEETING = {"subject": "User Token Meeting"}

def create(server, headers):
    sent = urllib.request.Request(server.url + "/v1.0/me/onlineMeetings", data=json.dumps(MEETING).encode(),
                                  headers={"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(sent) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)

@pytest.mark.mockgraph(permissions="enforce")
def test_denied(mockgraph_server):
    status, body = create(mockgraph_server, mockgraph_server.headers(scopes=["User.Read"]))
    assert status == 403, body
    assert "OnlineMeetings.ReadWrite" in body["error"]["message"]

@pytest.mark.mockgraph(permissions="enforce")
def test_allowed(mockgraph_server):
    token = mockgraph_server.token(scopes=["OnlineMeetings.ReadWrite"])
    status, body = create(mockgraph_server, {"Authorization": "Bearer " + token})
    assert status == 201, body
"""


def test_a_users_test_gets_403_naming_the_permission_then_passes_with_the_token(pytester):
    """Through pytester: a 403 naming OnlineMeetings.ReadWrite, and a 201 with `mockgraph_server.token(scopes=[...])`."""
    pytester.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_user=USER_TEST)
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_command_line_option_sets_the_mode(pytester):
    """`--mockgraph-permissions enforce` without a marker: a call with no token is refused 401."""
    pytester.makeini(f"[pytest]\nmockgraph_fixtures = {FIXTURES_DIR}\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_opt=USER_TEST.split("@pytest.mark")[0]
        + "def test_no_token(mockgraph_server):\n    assert create(mockgraph_server, {})[0] == 401\n"
    )
    pytester.runpytest("--mockgraph-permissions", "enforce").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(failed=1)  # report, the default: the fixture answers 201


class TestSummary:
    def test_least_privileged_cover_and_unused_token_permissions(self):
        """Two calls, one needing OnlineMeetings.Read or .ReadWrite and one needing .ReadWrite: .ReadWrite
        alone covers both; the token's Mail.Send no call documents."""
        from mockgraph.models import Finding
        from mockgraph.permissions import least_privilege, summary_lines

        findings = [
            Finding("permission", "info", "", "delegatedWork: OnlineMeetings.Read, OnlineMeetings.ReadWrite", "delegatedWork: OnlineMeetings.ReadWrite Mail.Send", ""),
            Finding("permission", "info", "", "delegatedWork: OnlineMeetings.ReadWrite", "delegatedWork: OnlineMeetings.ReadWrite Mail.Send", ""),
            Finding("permission", "warning", "", "application: Policy.Read.All and Policy.ReadWrite.ConditionalAccess", "application: (none)", ""),
            Finding("type", "error", "/x", "String", "number", ""),
        ]
        (delegated, application) = least_privilege(findings)
        assert (delegated.caller, delegated.calls, delegated.least, delegated.unused) == ("delegatedWork", 2, ("OnlineMeetings.ReadWrite",), ("Mail.Send",))
        assert application.least == ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess")
        assert summary_lines(findings)[1].startswith("  delegated (work or school account): 2 calls; least privileged that covers them: OnlineMeetings.ReadWrite")

    async def test_the_report_of_a_run_ends_with_the_summary(self, http):
        """A run's text report lists, per caller type, what would have covered its calls."""
        from mockgraph.journal import entry_from_json
        from mockgraph.reports import cases_from_journal, render

        async with serve_fixtures(FIXTURES) as url:
            await post(http, url, headers=bearer(scopes=["OnlineMeetings.ReadWrite", "User.Read"]))
            async with http.get(url + "/v1.0/communications/onlineMeetings", headers=bearer(scopes=["OnlineMeetings.ReadWrite", "User.Read"])) as response:
                assert response.status == 200
            entries = [entry_from_json(e) for e in await journal(http, url)]
        summary = "delegated (work or school account): 2 calls; least privileged that covers them: OnlineMeetings.ReadWrite; the token's User.Read no call needed"
        for fmt in ("text", "markdown", "html"):  # and json, as data: test_least_privileged_cover_and_unused_token_permissions
            assert summary.replace("'", "&#x27;" if fmt == "html" else "'") in render(cases_from_journal(entries), fmt), fmt
