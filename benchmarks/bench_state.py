"""Stateful-mode benchmark (`make bench`): a create/read mix beside replay, in the same run, and the
memory an entity costs.

Two servers over the bundled fixtures answer the same mix, one `POST /v1.0/users` (the documented
body) then four `GET /v1.0/users/{id}` of the user it made: replay (the default; it answers every
call from a fixture) and `stateful = true` (the store answers). Each is timed two ways:

- road: `MockServer.answer(request)` called directly, in process: the road alone, no HTTP;
- http: the same calls over a local connection from an aiohttp client, one at a time.

Rounds alternate the servers; the report gives medians over the rounds and stateful's ratio to
replay measured in the same round. Memory: tracemalloc's growth over N creates of the documented
user and of the documented onlineMeeting, through the road, divided by N.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import tracemalloc
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from mockgraph.config import Settings
from mockgraph.exchange import Request
from mockgraph.fixturefile import load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
USER_FIXTURE = "v1.0/user-post-users/create_user_from_users.json"
MEETING_FIXTURE = "v1.0/application-post-onlinemeetings/create-onlinemeeting-user-token.json"
ROUNDS = 7
ROAD_MIXES = 1_000  # each: 1 create, 4 reads
HTTP_MIXES = 200
READS = 4
MEMORY_ENTITIES = 5_000
JSON_HEADERS = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
NO_HEADERS = CIMultiDictProxy(CIMultiDict())


async def _road(server, body: bytes, mixes: int) -> float:
    answer = server.answer
    calls = 0
    started = time.perf_counter()
    for _ in range(mixes):
        created = await answer(Request("POST", "/v1.0/users", JSON_HEADERS, body, "r", "r"))
        user_id = json.loads(created.body)["id"]
        read = Request("GET", f"/v1.0/users/{user_id}", NO_HEADERS, b"", "r", "r")
        for _ in range(READS):
            if (await answer(read)).status != 200:
                raise SystemExit("bench_state: a read failed")
        calls += 1 + READS
    return (time.perf_counter() - started) / calls


async def _http(session: aiohttp.ClientSession, url: str, body: bytes, mixes: int) -> float:
    calls = 0
    started = time.perf_counter()
    for _ in range(mixes):
        async with session.post(url + "/v1.0/users", data=body, headers={"Content-Type": "application/json"}) as response:
            user_id = (await response.json())["id"]
        for _ in range(READS):
            async with session.get(f"{url}/v1.0/users/{user_id}") as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"bench_state: expected 200, got {response.status}")
        calls += 1 + READS
    return (time.perf_counter() - started) / calls


async def _memory(fixtures, path: str, body: bytes) -> float:
    """Bytes of memory an entity costs the store, created through the road."""
    server = create_server(FixtureIndex(fixtures), Settings(stateful=True, state_limit=MEMORY_ENTITIES + 10))
    request = Request("POST", path, JSON_HEADERS, body, "r", "r")
    await server.answer(request)  # warm the memos
    server.journal.clear()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(MEMORY_ENTITIES):
        if (await server.answer(request)).status != 201:
            raise SystemExit("bench_state: a create failed")
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown / MEMORY_ENTITIES


async def main() -> int:
    fixtures = load_fixtures(FIXTURES)
    user = json.dumps(fixtures[USER_FIXTURE].request.body.json).encode()
    meeting = json.dumps(fixtures[MEETING_FIXTURE].request.body.json).encode()
    # journal-limit 1: the journal's own memory is not the store's; fail-on never: nothing to report
    servers = {
        "replay": create_server(FixtureIndex(fixtures), Settings(journal_limit=1)),
        "stateful": create_server(FixtureIndex(fixtures), Settings(journal_limit=1, stateful=True)),
    }
    road: dict[str, list[float]] = {name: [] for name in servers}
    http: dict[str, list[float]] = {name: [] for name in servers}
    names = list(servers)
    async with aiohttp.ClientSession() as session, AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(running(server, "127.0.0.1", 0)) for name, server in servers.items()}
        for number in range(ROUNDS):
            for name in names[number % 2 :] + names[: number % 2]:
                await _road(servers[name], user, ROAD_MIXES // 10)  # warm-up
                servers[name].reset()
                road[name].append(await _road(servers[name], user, ROAD_MIXES))
                servers[name].reset()
                http[name].append(await _http(session, urls[name], user, HTTP_MIXES))
                servers[name].reset()
    print(f"stateful mode, 1 POST /v1.0/users + {READS} GET /v1.0/users/{{id}} (median of {ROUNDS} rounds)")
    for label, times in (("road", road), ("http", http)):
        for name in names:
            ratios = [t / r for t, r in zip(times[name], times["replay"])]
            print(f"  {label:<4} {name:<9} {statistics.median(times[name]) * 1e6:8.1f} µs/call  x{statistics.median(ratios):.2f} of replay")
    for label, path, body in (("user", "/v1.0/users", user), ("onlineMeeting", "/v1.0/me/onlineMeetings", meeting)):
        print(f"  memory: {await _memory(fixtures, path, body):,.0f} bytes per {label} (documented answer, {MEMORY_ENTITIES:,} created)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
