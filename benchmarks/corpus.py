"""The fixtures the benchmark serves: the seed (the documented onlineMeetings POST) and synthetic ones.

The seed is the bundled fixture the importer writes; where it is missing (a fresh clone before
`make fixtures`), it is imported from the documentation page on the fly. The synthetic fixtures
give the index 10,000 routes to hold, with distinct paths, some sharing the seed's prefix, under
varied methods and versions, so that a lookup of the seed walks a crowded trie without any of them
answering instead.
"""

from __future__ import annotations

from pathlib import Path

from mockgraph import import_paths
from mockgraph.fixturefile import load_fixture, save_fixture
from mockgraph.models import Body, Contract, Fixture, FixtureRequest, FixtureResponse, Source

SEED_NAME = "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"


def load_seed(path: Path) -> Fixture:
    return load_fixture(path)


def seed_from_page(page: Path) -> Fixture:
    """The seed as `make fixtures` would write it, imported from its documentation page."""
    fixtures = dict(import_paths([page], root=page.parent).fixtures)
    if SEED_NAME not in fixtures:
        raise ValueError(f"{page}: importing it gives no {SEED_NAME} (got {', '.join(fixtures) or 'nothing'})")
    return fixtures[SEED_NAME]


def synthetic_fixture(i: int) -> Fixture:
    """The `i`th of the crowd: a distinct path, never one the seed's request could match."""
    method = ("GET", "POST", "PATCH", "DELETE", "PUT")[i % 5]
    version = (None, "v1.0", "beta")[i % 3]
    path = (
        f"/users/{{id}}/things{i}",
        f"/users/{{userId}}/things{i}/{{thingId}}",
        f"/app/onlineMeetings/{{meetingId}}/things{i}",
        f"/app/things{i}",
        f"/app/onlineMeetings/things{i}",
        f"/groups/{{groupId}}/drives{i}/items/{{itemId}}/children",
        f"/me/onlineMeetings{i}",
        f"/teams/{{teamId}}/channels/{{channelId}}/messages{i}/replies",
    )[i % 8]
    has_body = method in ("POST", "PATCH", "PUT")
    status = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204, "PUT": 200}[method]
    return Fixture(
        source=Source(kind="doc", page=f"synthetic/thing{i}.md", example=f"thing_{i}", line=1),
        request=FixtureRequest(
            method=method,
            path=path,
            version=version,
            headers=(("Content-Type", "application/json"),) if has_body else (),
            body=Body.of_json({"displayName": f"Thing {i}", "kind": f"kind{i % 7}"}) if has_body else Body(),
            routes=(path,),
        ),
        response=FixtureResponse(
            status=status,
            headers=(("Content-Type", "application/json"),) if status != 204 else (),
            body=Body.of_json({"id": f"thing-{i}", "displayName": f"Thing {i}"}) if status != 204 else Body(),
        ),
        contract=Contract(type="microsoft.graph.thing"),
    )


def write_corpus(folder: Path, seed: Fixture, synthetic: int) -> Path:
    """Write the seed and `synthetic` other fixtures below `folder`; return `folder`."""
    save_fixture(seed, folder / SEED_NAME)
    for i in range(synthetic):
        save_fixture(synthetic_fixture(i), folder / "synthetic" / f"{i // 100:03d}" / f"thing{i:05d}.json")
    return folder
