"""Every documented example reachable: the headers Graph's answer depends on tell examples apart,
and where nothing in the request can, a client chooses with `Prefer: example=` or `code=`."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp
import pytest
from msgspec.structs import replace

from mockgraph.config import Settings
from mockgraph.importer import import_paths
from mockgraph.index import FixtureIndex, Incoming, Match, Unchosen, choose_example, example_labels, preference
from mockgraph.server import create_server, running
from mockgraph.verify import verify
from support import DOCS_DIR, make_fixture

WIDE_DIR = DOCS_DIR.parent / "graphdocs-wide" / "api-reference"


def with_headers(fixture, *headers):
    return replace(fixture, request=replace(fixture.request, headers=headers))


def fragment(first: int, last: int, total: int, status: int, example: str):
    """An upload-session fragment: PUT to the upload URL with a Content-Range."""
    put = make_fixture("PUT", "/up/{uploadId}", status=status, response={"status": status}, example=example)
    return with_headers(put, ("Content-Range", f"bytes {first}-{last}/{total}"))


def branding(status: int, example: str, language: str = ""):
    get = make_fixture("GET", "/organization/{id}/branding", status=status, response={"status": status}, example=example)
    return with_headers(get, ("Accept-Language", language)) if language else get


def index_of(**fixtures) -> FixtureIndex:
    return FixtureIndex({f"{name}.json": fixture for name, fixture in fixtures.items()})


def match(index: FixtureIndex, method: str, path: str, **headers: str) -> Match:
    """What the server matches: the request's headers as it reads them."""
    from multidict import CIMultiDict

    sent = CIMultiDict(headers)
    found = index.match(Incoming(method, path, prefer=sent.get("Prefer", ""), headers=index.matched_headers(sent)))
    assert isinstance(found, Match)
    return found


class TestHeaders:
    def test_content_range_tells_fragments_from_the_last(self):
        """An upload fragment's Content-Range picks the 202 example, the last range the 201, the client's own ranges too."""
        index = index_of(more=fragment(0, 25, 128, 202, "upload_fragment"), last=fragment(26, 127, 128, 201, "upload_last"))
        assert match(index, "PUT", "/up/x", **{"Content-Range": "bytes 0-25/128"}).route.name == "more.json"
        assert match(index, "PUT", "/up/x", **{"Content-Range": "bytes 26-127/128"}).route.name == "last.json"
        assert match(index, "PUT", "/up/x", **{"Content-Range": "bytes 0-999/5000"}).route.name == "more.json"
        assert match(index, "PUT", "/up/x", **{"Content-Range": "bytes 4000-4999/5000"}).route.name == "last.json"

    def test_accept_language_picks_the_localised_example(self):
        """Accept-Language weighs like a body or query: the fr-FR example answers fr-FR, the plain one answers none."""
        index = index_of(default=branding(200, "get_branding"), french=branding(200, "get_branding_fr", "fr-FR"))
        assert match(index, "GET", "/organization/1/branding", **{"Accept-Language": "fr-FR"}).route.name == "french.json"
        assert match(index, "GET", "/organization/1/branding").route.name == "default.json"

    def test_only_documented_headers_are_read(self):
        """The index reads only the matched headers some fixture documents, as lower-case names."""
        index = index_of(default=branding(200, "get_branding"), french=branding(200, "get_branding_fr", "fr-FR"))
        assert index.header_names == ("accept-language",)
        assert index.matched_headers({"accept-language": "de", "if-match": "x"}) == (("accept-language", "de"),)
        assert index_of(seed=make_fixture()).matched_headers({"accept-language": "de"}) == ()

    def test_consistency_level_and_if_match(self):
        """ConsistencyLevel and If-Match tell examples of one endpoint apart."""
        advanced = with_headers(make_fixture("GET", "/users", status=200, response={"n": 1}), ("ConsistencyLevel", "eventual"))
        index = index_of(plain=make_fixture("GET", "/users", status=200, response={"n": 0}), advanced=advanced)
        assert match(index, "GET", "/users", ConsistencyLevel="eventual").route.name == "advanced.json"
        assert match(index, "GET", "/users").route.name == "plain.json"
        guarded = with_headers(
            make_fixture("PATCH", "/planner/tasks/{id}", status=412), ("If-Match", 'W/"JzEtVGFzayAgQEBAQEBAQEBAQEBAQEBAWCc="')
        )
        index = index_of(open=make_fixture("PATCH", "/planner/tasks/{id}", status=204), guarded=guarded)
        assert (
            match(index, "PATCH", "/planner/tasks/1", **{"If-Match": 'W/"JzEtVGFzayAgQEBAQEBAQEBAQEBAQEBAWCc="'}).route.name
            == "guarded.json"
        )

    def test_literal_ids_beat_placeholders(self):
        """Where two examples document different ids, the one whose ids were sent answers, even against a nearer body."""
        item = make_fixture("GET", "/me/messages/AAMkAD1=/attachments/ITEM1=", routes=("/me/messages/{id}/attachments/{id}",))
        generic = make_fixture("GET", "/me/messages/{id}/attachments/{id}", query="$expand=x")
        index = index_of(item=item, generic=generic)
        found = index.match(Incoming("GET", "/me/messages/AAMkAD1=/attachments/ITEM1=", query="$expand=x"))
        assert isinstance(found, Match) and found.route.name == "item.json"


class TestChoosing:
    def index(self) -> FixtureIndex:
        return index_of(
            ok=branding(200, "get_branding"),
            missing=branding(404, "get_branding_not_found"),
            french=branding(200, "get_branding_fr", "fr-FR"),
        )

    def test_prefer_is_read_as_rfc_7240(self):
        """`example=` and `code=` are read among other preferences, quoted or not, parameters dropped."""
        assert preference('return=minimal, example="get branding"; x=1, code=404') == ("get branding", "404")
        assert preference("return=minimal") == (None, None)

    def test_example_by_annotation_name(self):
        """`Prefer: example=<annotation name>` picks that example of the endpoint, whatever the matcher would."""
        index = self.index()
        found = match(index, "GET", "/organization/1/branding", Prefer="example=get_branding_not_found")
        assert choose_example(found, found.request.prefer).name == "missing.json"
        assert choose_example(found, "").name == found.route.name

    def test_example_by_code(self):
        """`Prefer: code=404` picks the example documenting 404; with example= both must hold."""
        index = self.index()
        found = match(index, "GET", "/organization/1/branding")
        assert choose_example(found, "code=404").name == "missing.json"
        assert choose_example(found, "code=200").name == "ok.json"  # the nearest of the 200s
        assert choose_example(found, "example=get_branding_fr, code=200").name == "french.json"
        refused = choose_example(found, "example=get_branding_fr, code=404")
        assert isinstance(refused, Unchosen) and refused.choices == ("200",)

    def test_unknown_example_lists_the_names(self):
        """An unknown name chooses nothing, and says which names would match."""
        found = match(self.index(), "GET", "/organization/1/branding")
        refused = choose_example(found, "example=nope")
        assert isinstance(refused, Unchosen) and not refused
        assert refused.choices == ("get_branding", "get_branding_not_found", "get_branding_fr")
        assert "'nope'" in refused.message and "'get_branding_fr'" in refused.message

    def test_shared_annotation_names_fall_back_to_fixture_names(self):
        """Examples whose annotation names collide are called by the shortest end of their fixture name that is theirs."""
        a = make_fixture("GET", "/me/onenote/notebooks", status=200, response={"a": 1}, example="recent")
        index = FixtureIndex({"v1.0/page/recent.json": a, "v1.0/page/recent-2.json": a, "beta/page/recent.json": a})
        found = match(index, "GET", "/me/onenote/notebooks")
        assert example_labels(found.candidates) == ("v1.0/page/recent", "recent-2", "beta/page/recent")
        for label, name in zip(
            example_labels(found.candidates), ("v1.0/page/recent.json", "v1.0/page/recent-2.json", "beta/page/recent.json")
        ):
            assert choose_example(found, f"example={label}").name == name


@pytest.fixture
async def served():
    fixtures = {
        "ok.json": branding(200, "get_branding"),
        "missing.json": branding(404, "get_branding_not_found"),
        "french.json": branding(200, "get_branding_fr", "fr-FR"),
    }
    async with running(create_server(FixtureIndex(fixtures), Settings())) as url, aiohttp.ClientSession() as http:
        yield url, http


class TestServer:
    async def test_prefer_example_and_code(self, served):
        """The server answers the chosen example; a header that changes the match is never answered from memory."""
        url, http = served
        target = f"{url}/v1.0/organization/1/branding"
        for headers, status, body in [
            ({}, 200, {"status": 200}),
            ({"Prefer": "example=get_branding_not_found"}, 404, {"status": 404}),
            ({"Prefer": "code=404"}, 404, {"status": 404}),
            ({"Accept-Language": "fr-FR"}, 200, {"status": 200}),
            ({}, 200, {"status": 200}),
        ]:
            async with http.get(target, headers=headers) as response:
                assert (response.status, await response.json()) == (status, body), headers
        async with http.get(target, headers={"Accept-Language": "fr-FR"}) as response:
            fixture = await (await http.get(f"{url}/_mockgraph/requests")).json()
        assert response.status == 200
        assert [entry["fixture"] for entry in fixture["requests"]][-2:] == ["ok.json", "french.json"]

    async def test_unknown_example_is_400_with_the_names(self, served):
        """An unknown example name is a Graph-style 400 that lists the names that would match."""
        url, http = served
        async with http.get(f"{url}/organization/1/branding", headers={"Prefer": "example=nope"}) as response:
            assert response.status == 400
            error = (await response.json())["error"]
        assert error["code"] == "BadRequest"
        assert error["innerError"]["choices"] == ["get_branding", "get_branding_not_found", "get_branding_fr"]


# ----------------------------------------------------------------------------- documented pages

BRANDING_PAGE = """\
# Get organizationalBranding

## HTTP request

```http
GET /organization/{organizationId}/branding
```

## Examples

### Example 1: Get the default branding

<!-- { "blockType": "request", "name": "get_organizationalbrandingproperties_1" } -->
```http
GET https://graph.microsoft.com/beta/organization/d69179bf-f4a4-41a9-a9de-249c0f2efb1d/branding
```

<!-- { "blockType": "response", "name": "get_organizationalbrandingproperties_1" } -->
```http
HTTP/1.1 200 OK
Content-Type: application/json

{"id": "0", "signInPageText": "Default"}
```

### Example 2: Get the default branding where none is configured

<!-- { "blockType": "request", "name": "get_organizationalbrandingproperties_2" } -->
```http
GET https://graph.microsoft.com/beta/organization/d69179bf-f4a4-41a9-a9de-249c0f2efb1d/branding
```

<!-- { "blockType": "response", "name": "get_organizationalbrandingproperties_2" } -->
```http
HTTP/1.1 404 Not Found
```

### Example 3: Get the French branding

<!-- { "blockType": "request", "name": "get_organizationalbrandingproperties_3" } -->
```http
GET https://graph.microsoft.com/beta/organization/d69179bf-f4a4-41a9-a9de-249c0f2efb1d/branding
Accept-Language: fr-FR
```

<!-- { "blockType": "response", "name": "get_organizationalbrandingproperties_3" } -->
```http
HTTP/1.1 200 OK
Content-Type: application/json

{"id": "fr-FR", "signInPageText": "Bonjour"}
```
"""

UPLOAD_PAGE = """\
# Upload large files with an upload session

## Upload bytes to the upload session

<!-- { "blockType": "request", "opaqueUrl": true, "name": "upload-fragment-piece" } -->
```http
PUT https://sn3302.up.1drv.com/up/fe6987415ace7X4e1eF866!1072
Content-Length: 26
Content-Range: bytes 0-25/128

<bytes 0-25 of the file>
```

<!-- { "blockType": "response", "name": "upload-fragment-piece" } -->
```http
HTTP/1.1 202 Accepted
Content-Type: application/json

{"expirationDateTime": "2015-01-29T09:21:55.523Z", "nextExpectedRanges": ["26-"]}
```

## Completing a file

<!-- { "blockType": "request", "opaqueUrl": true, "name": "upload-fragment-final" } -->
```http
PUT https://sn3302.up.1drv.com/up/fe6987415ace7X4e1eF866!1072
Content-Length: 21
Content-Range: bytes 101-127/128

<final bytes of the file>
```

<!-- { "blockType": "response", "name": "upload-fragment-final" } -->
```http
HTTP/1.1 201 Created
Content-Type: application/json

{"id": "912310013A123", "name": "largefile.vhd", "size": 128}
```
"""


def imported(*pages: Path, root: Path) -> dict:
    result = import_paths(list(pages), root=root)
    return dict(result.fixtures)


class TestDocumentedPages:
    async def test_indistinguishable_and_language_examples_all_pass(self, tmp_path):
        """Branding: the 404 twin of the 200 is reached with Prefer: example=, the French one by its Accept-Language."""
        page = tmp_path / "api-reference" / "beta" / "api" / "organizationalbranding-get.md"
        page.parent.mkdir(parents=True)
        page.write_text(BRANDING_PAGE)
        result = await verify(imported(page, root=tmp_path))
        assert result.failed == 0, result.failures
        assert [(r.name.rpartition("/")[2], r.chosen) for r in result.chosen] == [
            ("get_organizationalbrandingproperties_2.json", "get_organizationalbrandingproperties_2")
        ]

    async def test_upload_fragments_pass_by_content_range(self, tmp_path):
        """The 202 fragment and the 201 last fragment differ only in Content-Range; each gets its own answer."""
        page = tmp_path / "api-reference" / "v1.0" / "api" / "driveitem-createuploadsession.md"
        page.parent.mkdir(parents=True)
        page.write_text(UPLOAD_PAGE)
        result = await verify(imported(page, root=tmp_path))
        assert (result.passed, result.failed, result.chosen) == (2, 0, ())

    @pytest.mark.skipif(not WIDE_DIR.is_dir(), reason="needs ../shared/graphdocs-wide")
    async def test_wide_sample_twins_are_chosen(self, tmp_path):
        """The wide sample's twins (a beta page documenting the v1.0 request, two pages of one request) all pass."""
        pages = [
            "v1.0/api/notebook-getrecentnotebooks.md",
            "beta/api/notebook-getrecentnotebooks.md",
            "v1.0/api/chartseries-list.md",
            "v1.0/api/chart-list-series.md",
        ]
        for page in pages:
            (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(WIDE_DIR / page, tmp_path / page)
        result = await verify(imported(tmp_path, root=tmp_path))
        assert result.failed == 0, result.failures
        assert len(result.chosen) == 2

    @pytest.mark.skipif(not WIDE_DIR.is_dir(), reason="needs ../shared/graphdocs-wide")
    def test_wide_sample_content_language(self):
        """The wide sample's localised branding update is chosen by its Content-Language."""
        page = WIDE_DIR / "beta" / "api" / "organizationalbrandingproperties-update.md"
        index = FixtureIndex(imported(page, root=WIDE_DIR))
        found = match(index, "PATCH", "/beta/organization/1/branding", **{"Content-Language": "fr"})
        assert found.route.name.endswith("update_organizationalbrandingproperties_3.json")
        found = match(index, "PATCH", "/beta/organization/1/branding")
        assert found.route.name.endswith("update_organizationalbrandingproperties_1.json")
