"""How to: call mockgraph from a test and get the documented answer.

These files are both documentation and tests: `make test` runs them. The fixtures come from
`fixtures/` (the default); point elsewhere with `--mockgraph-fixtures` or `mockgraph_fixtures`.
"""

import json
import urllib.request

import aiohttp

MEETING = {"subject": "Quarterly review", "startDateTime": "2026-01-05T09:00:00+00:00", "endDateTime": "2026-01-05T10:00:00+00:00"}


def post(url: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.status, dict(response.headers), json.load(response)


def test_a_synchronous_client(mockgraph_server):
    """Any HTTP client works: the server runs on its own thread."""
    status, headers, meeting = post(mockgraph_server.url + "/v1.0/me/onlineMeetings", MEETING)
    assert status == 201
    assert meeting["subject"] == "User Token Meeting"  # the documented answer, whatever was sent
    assert headers["mockgraph-contract"] == "0 errors"
    mockgraph_server.assert_called("POST", "/me/onlineMeetings", times=1)


async def test_an_async_client(mockgraph_server):
    """Async clients too: the same fixture in an async test."""
    async with aiohttp.ClientSession() as http:
        async with http.post(mockgraph_server.url + "/v1.0/users/adele@contoso.com/onlineMeetings", json=MEETING) as response:
            assert response.status == 201
    [request] = mockgraph_server.requests
    assert request.fixture == "v1.0/application-post-onlinemeetings/create-onlinemeeting-user-token.json"
