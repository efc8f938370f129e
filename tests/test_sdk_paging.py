"""The Microsoft Graph SDK's PageIterator (msgraph-core), pointed at mockgraph, follows the mock's
nextLinks and collects every item of a paged collection exactly once."""

from __future__ import annotations

import warnings
from contextlib import AsyncExitStack

import msgraph  # the compat extra, installed by `make install`
import pytest
from msgraph.generated.models.user import User
from msgraph.generated.models.user_collection_response import UserCollectionResponse
from msgraph_core.tasks.page_iterator import PageIterator
from sdk import sdk_adapter
from support import make_fixture, serve_fixtures

with warnings.catch_warnings():  # kiota's query parameter classes warn of their own deprecation on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

# The SDK's generated request builders raise DeprecationWarnings of their own on every call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

USERS = [{"id": f"00000000-0000-0000-0000-00000000000{n}", "displayName": f"User {n}"} for n in range(7)]


def users_fixture():
    body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": USERS}
    return {"users.json": make_fixture("GET", "/users", version="v1.0", status=200, response=body)}


@pytest.fixture
def serve_users():
    """A client of the SDK on a mock serving seven users with the given settings."""

    async def start(stack, **settings):
        base_url = await stack.enter_async_context(serve_fixtures(users_fixture(), **settings))
        adapter = await stack.enter_async_context(sdk_adapter(base_url))
        return msgraph.GraphServiceClient(request_adapter=adapter), adapter

    return start


def configuration(**query):
    """A request configuration for GET /users with these query parameters (None: none)."""
    if not query:
        return None
    parameters = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**query)
    return UsersRequestBuilder.UsersRequestBuilderGetRequestConfiguration(query_parameters=parameters)


async def iterate_all(client, adapter, config=None) -> list[User]:
    first = await client.users.get(request_configuration=config)
    assert isinstance(first, UserCollectionResponse)
    collected: list[User] = []

    def keep(user: User) -> bool:
        collected.append(user)
        assert len(collected) <= 3 * len(USERS), "the iterator never stops"
        return True

    iterator = PageIterator(first, adapter)
    await iterator.iterate(keep)
    return collected


@pytest.mark.parametrize(
    ("settings", "query"),
    [
        ({"page_size": 3}, {}),
        ({}, {"top": 2, "count": True, "select": ["id", "displayName"]}),
        ({"page_size": 1}, {"top": 5}),
    ],
    ids=["page-size-3", "top-2-count-select", "page-size-1-caps-top-5"],
)
async def test_page_iterator_collects_every_item_once(serve_users, settings, query):
    """PageIterator over the mock's pages yields each of the seven users exactly once, in order."""
    async with AsyncExitStack() as stack:
        client, adapter = await serve_users(stack, **settings)
        users = await iterate_all(client, adapter, configuration(**query))
    assert [u.id for u in users] == [u["id"] for u in USERS]
    assert [u.display_name for u in users] == [u["displayName"] for u in USERS]


async def test_the_first_page_carries_the_count_and_a_next_link(serve_users):
    """The SDK deserializes @odata.count and @odata.nextLink of a page of the mock."""
    async with AsyncExitStack() as stack:
        client, _ = await serve_users(stack)
        first = await client.users.get(request_configuration=configuration(top=3, count=True))
    assert first.odata_count == 7
    assert len(first.value) == 3
    assert first.odata_next_link.startswith("http://127.0.0.1:")
