"""The official Microsoft Graph Python SDK, pointed at mockgraph, creates onlineMeetings and
deserializes what the bundled fixtures answer: proof that what we serve is what real clients expect."""

from __future__ import annotations

import datetime

import pytest

from mockgraph.fixturefile import load_fixtures
import msgraph  # the compat extra, installed by `make install`
from msgraph.generated.models.online_meeting import OnlineMeeting
from sdk import sdk_adapter
from support import FIXTURES_DIR, serve_fixtures

# The SDK's generated request builders raise DeprecationWarnings of their own on every call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
async def graph_client():
    async with serve_fixtures(load_fixtures(FIXTURES_DIR)) as base_url, sdk_adapter(base_url) as adapter:
        yield msgraph.GraphServiceClient(request_adapter=adapter)


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
