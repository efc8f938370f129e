"""The official Graph SDK against mockgraph's protocol around single calls: its batch content and
its retry handler, over real sockets. What the SDK does is what real applications do."""

from __future__ import annotations

import pytest

import msgraph  # the compat extra, installed by `make install`
from mockgraph.config import Settings
from mockgraph.fixturefile import load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running
from mockgraph.stubs import Stub
from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from sdk import sdk_adapter
from support import FIXTURES_DIR

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
async def sdk():
    server = create_server(FixtureIndex(load_fixtures(FIXTURES_DIR)), Settings())
    async with running(server) as base_url, sdk_adapter(base_url) as adapter:
        yield server, adapter, msgraph.GraphServiceClient(request_adapter=adapter)


async def test_a_batch_built_with_the_sdk(sdk):
    """BatchRequestContent with a failing item and a dependent one: each answered, and the SDK's
    `depends_on` (Graph reads `dependsOn`) reported with its pointer and a hint."""
    server, adapter, client = sdk
    first = BatchRequestItem(request_information=client.me.to_get_request_information(), id="me")
    failing = BatchRequestItem(request_information=client.me.events.to_get_request_information(), id="events")
    dependent = BatchRequestItem(request_information=client.users.by_user_id("adele@contoso.com").to_get_request_information(), id="user", depends_on=["events"])
    content = BatchRequestContent({"me": first, "events": failing, "user": dependent})
    result = await BatchRequestBuilder(adapter).post(content)
    statuses = result.get_response_status_codes()
    assert statuses["me"] == 200
    assert statuses["events"] == 404  # no fixture documents it
    assert statuses["user"] == 200  # depends_on is not dependsOn: Graph would not wait either
    batch_entry = list(server.journal)[0]
    hints = {f.path: f.message for f in batch_entry.findings}
    assert hints.keys() == {f"/requests/{i}/depends_on" for i in range(3)}
    assert all(message.endswith("did you mean dependsOn?") for message in hints.values())


async def test_the_sdk_retry_handler_rides_out_a_scripted_429(sdk):
    """A throttled GET /me is retried by the SDK after Retry-After; the journal shows both, and no
    early-retry finding: the SDK waited as it should."""
    server, _, client = sdk
    server.stubs.add(Stub.from_mapping({"method": "GET", "path": "/me", "times": 1, "throttle": {"retryAfter": "1"}}))
    user = await client.me.get()
    assert user is not None and user.display_name
    entries = list(server.journal)
    assert [(e.path, e.status) for e in entries] == [("/v1.0/me", 429), ("/v1.0/me", 200)]
    assert not [f for e in entries for f in e.findings if f.kind == "throttle"]
