"""Small builders shared by the tests: fixtures made in code, and a running server to talk to."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from mockgraph.config import Settings
from mockgraph.index import FixtureIndex
from mockgraph.models import Body, Contract, Fixture, FixtureRequest, FixtureResponse, Source
from mockgraph.server import create_server, running


def make_fixture(
    method: str = "POST",
    path: str = "/app/onlineMeetings",
    *,
    version: str | None = None,
    routes: tuple[str, ...] = (),
    body: Any = None,
    query: str = "",
    status: int = 201,
    response: Any = None,
    response_headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    example: str = "example",
) -> Fixture:
    return Fixture(
        source=Source(kind="doc", page="test.md", example=example, line=1),
        request=FixtureRequest(
            method=method,
            path=path,
            version=version,
            query=query,
            body=Body.of_json(body) if body is not None else Body(),
            routes=routes or (path,),
        ),
        response=FixtureResponse(
            status=status,
            headers=response_headers,
            body=Body.of_json(response) if response is not None else Body(),
        ),
        contract=Contract(type="microsoft.graph.test"),
    )


ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = ROOT / "fixtures"
DOCS_DIR = ROOT.parent / "shared" / "graphdocs"
SEED_PAGE = DOCS_DIR / "app-post-onlinemeetings.md"


@asynccontextmanager
async def serve_fixtures(fixtures: Mapping[str, Fixture], /, **settings: Any) -> AsyncIterator[str]:
    """mockgraph serving `fixtures` (by name) with the given settings, on a free port; yields its base URL."""
    async with running(create_server(FixtureIndex(fixtures), Settings(**settings))) as url:
        yield url


# The seed: the onlineMeeting page's documented request, bundled as a fixture.
SEED_NAME = "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"
SEED_FIXTURE = FIXTURES_DIR / SEED_NAME


def documented_seed() -> dict[str, Any]:
    """The seed page's documented request body, as written (it breaks two of its own enumerations)."""
    return json.loads(SEED_FIXTURE.read_text())["request"]["body"]


def repaired_seed(**changes: Any) -> dict[str, Any]:
    """The documented request with its documentation's own enumeration breaks repaired, so that it
    conforms; `changes` are applied on top (a new key comes last, an existing one keeps its place)."""
    return {**documented_seed(), "accessLevel": "everyone", "capabilities": ["questionAndAnswer"], **changes}


def broken_seed() -> dict[str, Any]:
    """The repaired seed with the four classic mistakes: isBroadcast "yes", an extra property,
    accessLevel "secret", and no joinUrl."""
    payload = repaired_seed(isBroadcast="yes", extra=1, accessLevel="secret")
    del payload["joinUrl"]
    return payload


@contextmanager
def serve_process(argv: Sequence[str | Path], cwd: Path, env: Mapping[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mockgraph serve` (`argv`, its command) as a process of its own, with `env` (default: this
    one's); yields it and the URL its first line announces. Killed if still running on exit, and
    its pipes closed."""
    process = subprocess.Popen(
        [str(a) for a in argv],
        cwd=cwd,
        env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"mockgraph listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, f"unexpected first line {first!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"  # type: ignore[union-attr]
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
