"""How to: test code that writes to Graph and reads back what it wrote (stateful mode).

With `@pytest.mark.mockgraph(stateful=True)` (or `--mockgraph-stateful`, or `mockgraph_stateful =
true`), entities a test creates live in the mock until the test ends: a `POST /users` is there for
the next `GET /users/{id}`, a `DELETE` makes it Graph's 404. Every test starts with an empty store
but for the signed-in user (`/me`), as documented. Stubs still come first.
"""

import datetime
import textwrap

import httpx
import msgraph
import pytest
import requests
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import graph_request_adapter
from msgraph_core import GraphClientFactory

pytestmark = [pytest.mark.mockgraph(stateful=True), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

NEW_USER = {
    "accountEnabled": True,
    "displayName": "Megan Bowen",
    "mailNickname": "MeganB",
    "userPrincipalName": "MeganB@contoso.com",
    "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "a-Strong-one-42"},
}
MEETING = {"subject": "Quarterly review", "startDateTime": "2026-01-05T09:00:00+00:00", "endDateTime": "2026-01-05T10:00:00+00:00"}


def test_create_read_update_list_delete(mockgraph_server):
    """A user and an onlineMeeting: created, read back, updated, listed, deleted, then 404."""
    graph = mockgraph_server.url + "/v1.0"
    created = requests.post(graph + "/users", json=NEW_USER)
    assert created.status_code == 201
    user = created.json()
    assert user["displayName"] == "Megan Bowen"  # what was posted, merged into the documented answer
    assert requests.get(f"{graph}/users/{user['id']}").json()["displayName"] == "Megan Bowen"
    assert requests.get(f"{graph}/users/MeganB@contoso.com").json()["id"] == user["id"]  # or by userPrincipalName

    meeting = requests.post(graph + "/me/onlineMeetings", json=MEETING).json()
    assert meeting["subject"] == "Quarterly review"
    assert requests.get(f"{graph}/me/onlineMeetings/{meeting['id']}").json()["subject"] == "Quarterly review"

    assert requests.patch(f"{graph}/users/{user['id']}", json={"jobTitle": "CFO"}).status_code == 204  # as documented
    assert requests.get(f"{graph}/users/{user['id']}?$select=jobTitle").json() == {"jobTitle": "CFO"}

    page = requests.get(f"{graph}/users?$top=1&$count=true").json()
    assert page["@odata.count"] == 2 and len(page["value"]) == 1  # the signed-in user and Megan
    assert "$skiptoken" in page["@odata.nextLink"]
    found = requests.get(f"{graph}/users", params={"$filter": "startswith(displayName,'meg') and jobTitle eq 'CFO'"}).json()
    assert [u["id"] for u in found["value"]] == [user["id"]]

    assert requests.delete(f"{graph}/users/{user['id']}").status_code == 204
    gone = requests.get(f"{graph}/users/{user['id']}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "Request_ResourceNotFound"
    assert requests.delete(f"{graph}/me/onlineMeetings/{meeting['id']}").status_code == 204
    assert requests.get(f"{graph}/me/onlineMeetings/{meeting['id']}").json()["error"]["code"] == "ResourceNotFound"


def test_each_test_starts_empty(mockgraph_server):
    """The store lasts one test: only the signed-in user is there."""
    listed = requests.get(mockgraph_server.url + "/v1.0/users").json()["value"]
    assert [u["displayName"] for u in listed] == ["Adele Vance"]


class AnyToken(AccessTokenProvider):
    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "any-token"

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


async def test_read_back_through_the_sdk(mockgraph_server):
    """The msgraph SDK reads back what was written, typed."""
    graph = mockgraph_server.url + "/v1.0"
    user_id = requests.post(graph + "/users", json=NEW_USER).json()["id"]
    meeting_id = requests.post(graph + "/me/onlineMeetings", json=MEETING).json()["id"]
    transport = httpx.AsyncHTTPTransport()
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(transport=transport), options=graph_request_adapter.options
    )
    adapter = msgraph.GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(AnyToken()), client=http)
    adapter.base_url = graph
    client = msgraph.GraphServiceClient(request_adapter=adapter)
    try:
        user = await client.users.by_user_id(user_id).get()
        assert user.display_name == "Megan Bowen"
        meeting = await client.me.online_meetings.by_online_meeting_id(meeting_id).get()
        assert meeting.subject == "Quarterly review"
        assert meeting.start_date_time == datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.timezone.utc)
    finally:
        await transport.aclose()


def test_stubs_come_first(mockgraph_server):
    """A stubbed 404 and a custom /me answer before the store."""
    graph = mockgraph_server.url + "/v1.0"
    user_id = requests.post(graph + "/users", json=NEW_USER).json()["id"]
    mockgraph_server.error("GET", f"/users/{user_id}", 404, code="Request_ResourceNotFound", times=1)
    mockgraph_server.stub("GET", "/me", json={"displayName": "Adele (stubbed)"})
    assert requests.get(f"{graph}/users/{user_id}").status_code == 404
    assert requests.get(f"{graph}/users/{user_id}").status_code == 200  # the stub was for once
    assert requests.get(graph + "/me").json() == {"displayName": "Adele (stubbed)"}


def test_a_stub_that_breaks_the_documented_answer_fails_in_strict_mode(pytester):
    """Strict mode fails a test whose stub answers what the documentation says Graph never would."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_bad_stub=textwrap.dedent(
            """
            import pytest, requests

            @pytest.mark.mockgraph(stateful=True, strict=True)
            def test_me(mockgraph_server):
                mockgraph_server.stub("GET", "/me", json={"displayName": 5})
                assert requests.get(mockgraph_server.url + "/v1.0/me").status_code == 200
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the stub's answer*displayName*"])
