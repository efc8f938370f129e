"""The official Microsoft Graph Python SDK, pointed at mockgraph, creates onlineMeetings and
deserializes what the bundled fixtures answer: proof that what we serve is what real clients expect."""

from __future__ import annotations

import datetime

import httpx
import pytest

from mockgraph.fixturefile import load_fixtures
import msgraph  # the compat extra, installed by `make install`
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import graph_request_adapter
from msgraph.generated.models.online_meeting import OnlineMeeting
from msgraph_core import GraphClientFactory
from support import FIXTURES_DIR, serve_fixtures

# The SDK's generated request builders raise DeprecationWarnings of their own on every call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class AnyToken(AccessTokenProvider):
    """Any bearer token will do for a mock; the SDK still sends it as a real client would."""

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "any-token"

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


@pytest.fixture
async def graph_client():
    async with serve_fixtures(load_fixtures(FIXTURES_DIR)) as base_url:
        # The SDK's default middleware (it rewrites /users/me-token-to-replace to /me) around a
        # transport we keep: the SDK's wrapper does not close the transport it wraps.
        transport = httpx.AsyncHTTPTransport()
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(transport=transport), options=graph_request_adapter.options
        )
        adapter = msgraph.GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(AnyToken()), client=http)
        adapter.base_url = f"{base_url}/v1.0"  # no trailing slash: the SDK would double it
        try:
            yield msgraph.GraphServiceClient(request_adapter=adapter)
        finally:
            await transport.aclose()


def meeting() -> OnlineMeeting:
    start = datetime.datetime(2019, 7, 12, 14, 30, 34, tzinfo=datetime.timezone.utc)
    return OnlineMeeting(subject="User Token Meeting", start_date_time=start, end_date_time=start + datetime.timedelta(minutes=30))


async def test_create_for_me(graph_client):
    """POST /v1.0/me/onlineMeetings answers 201 with the documented meeting, deserialized."""
    created = await graph_client.me.online_meetings.post(meeting())
    assert isinstance(created, OnlineMeeting)
    assert created.subject == "User Token Meeting"
    assert created.id == "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZdFpHRTNaR1F6WGhyZWFkLnYy"
    assert created.participants.organizer.identity.user.display_name == "Heidi Steen"


async def test_create_for_a_user(graph_client):
    """POST /v1.0/users/{id}/onlineMeetings answers at any user id, percent-encoded or not."""
    for user in ("550fae72-d251-43ec-868c-373732c2704f", "adele@contoso.com"):
        created = await graph_client.users.by_user_id(user).online_meetings.post(meeting())
        assert created.subject == "User Token Meeting"
        assert created.start_date_time.year == 2019
