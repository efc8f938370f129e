"""Permissions benchmark (`make bench`): what judging a token costs a call, in the same run.

Three servers over the bundled fixtures answer `POST /v1.0/me/onlineMeetings` with its documented
body (the fixture answers it from its memo, the fastest path, so the check's share is at its
largest): `permissions = "off"`; `report` with no token (the default for suites that send none);
`enforce` with a valid delegated token (OnlineMeetings.ReadWrite). Each is timed two ways:

- road: `MockServer.answer(request)` called directly, in process: the road alone, no HTTP;
- http: requests over a local connection from an aiohttp client, one at a time.

Rounds alternate the servers (the order rotated each round); the report gives medians over the
rounds and the ratio of each to `off` measured in the same round.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from mockgraph.config import Settings
from mockgraph.exchange import Request
from mockgraph.fixturefile import load_fixture, load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running
from mockgraph.tokens import make_token

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FIXTURE = FIXTURES / "v1.0" / "application-post-onlinemeetings" / "create-onlinemeeting-user-token.json"
PATH = "/v1.0/me/onlineMeetings"
ROUNDS = 7
ROAD_CALLS = 20_000
HTTP_CALLS = 1_500


async def _road(server, request: Request, calls: int) -> float:
    answer = server.answer
    started = time.perf_counter()
    for _ in range(calls):
        await answer(request)
    return (time.perf_counter() - started) / calls


async def _http(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        async with session.post(url + PATH, data=body, headers=headers) as response:
            await response.read()
            if response.status != 201:
                raise SystemExit(f"bench_permissions: expected 201, got {response.status}")
    return (time.perf_counter() - started) / calls


async def main() -> int:
    fixtures = load_fixtures(FIXTURES)
    body = json.dumps(load_fixture(FIXTURE).request.body.json).encode()
    token = {"Authorization": "Bearer " + make_token(["OnlineMeetings.ReadWrite"])}
    cases = {"off": ("off", {}), "report, no token": ("report", {}), "enforce, valid token": ("enforce", token)}
    servers = {name: create_server(FixtureIndex(fixtures), Settings(permissions=mode)) for name, (mode, _) in cases.items()}
    road: dict[str, list[float]] = {name: [] for name in cases}
    http: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    async with aiohttp.ClientSession() as session, AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(running(server, "127.0.0.1", 0)) for name, server in servers.items()}
        for number in range(ROUNDS):
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                headers = {"Content-Type": "application/json", **cases[name][1]}
                request = Request("POST", PATH, CIMultiDictProxy(CIMultiDict(headers)), body, "r", "r")
                await _road(servers[name], request, ROAD_CALLS // 10)  # warm-up
                road[name].append(await _road(servers[name], request, ROAD_CALLS))
                http[name].append(await _http(session, urls[name], body, headers, HTTP_CALLS))
                servers[name].reset()
    print("permissions check, POST /v1.0/me/onlineMeetings (median of %d rounds)" % ROUNDS)
    for label, times in (("road", road), ("http", http)):
        for name in names:
            ratios = [t / o for t, o in zip(times[name], times["off"])]
            print(f"  {label:<4} {name:<22} {statistics.median(times[name]) * 1e6:8.1f} µs/call  x{statistics.median(ratios):.2f} of off")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
