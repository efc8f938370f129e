"""The official Graph SDK pointed at a running mockgraph: shared by the tests that drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgraph  # the compat extra, installed by `make install`
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import graph_request_adapter
from msgraph_core import GraphClientFactory


class AnyToken(AccessTokenProvider):
    """Any bearer token will do for a mock; the SDK still sends it as a real client would."""

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return "any-token"

    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])


@asynccontextmanager
async def sdk_adapter(base_url: str) -> AsyncIterator[msgraph.GraphRequestAdapter]:
    """The SDK's request adapter, with its default middleware (retry, redirects, the /me rewrite),
    talking to the mock at `base_url`; the transport is ours to close: the SDK's wrapper does not."""
    transport = httpx.AsyncHTTPTransport()
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(transport=transport), options=graph_request_adapter.options)
    adapter = msgraph.GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(AnyToken()), client=http)
    adapter.base_url = f"{base_url}/v1.0"  # no trailing slash: the SDK would double it
    try:
        yield adapter
    finally:
        await transport.aclose()
