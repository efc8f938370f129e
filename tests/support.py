"""Small builders shared by the tests: fixtures made in code, and a running server to talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
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
