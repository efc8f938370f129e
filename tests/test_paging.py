"""Paging: collection answers come a page at a time, by $top or a page size, with links that lead
back to the mock (paging.py, wired into the fixtures' answerer)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from support import FIXTURES_DIR, make_fixture, serve_fixtures

from mockgraph import cli, paging
from mockgraph.config import Settings, load_settings
from mockgraph.errors import ConfigError
from mockgraph.exchange import Answer, Request
from mockgraph.fixturefile import load_fixtures
from mockgraph.verify import _difference, _Reply, verify

USERS = [{"id": str(n), "displayName": f"User {n}"} for n in range(7)]
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users"
MESSAGES = [{"id": f"m{n}", "subject": f"Subject {n}"} for n in range(5)]


def collection(items=USERS, **extra):
    return {"@odata.context": CONTEXT, **extra, "value": items}


def fixtures():
    return {
        "users.json": make_fixture("GET", "/users", version="v1.0", status=200, response=collection()),
        "messages.json": make_fixture(
            "GET",
            "/me/messages",
            version="v1.0",
            status=200,
            response={"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/messages", "value": MESSAGES},
        ),
        "me.json": make_fixture("GET", "/me", version="v1.0", status=200, response={"id": "1", "displayName": "Me"}),
    }


def request(target: str, base_url: str = "http://127.0.0.1:8080") -> Request:
    return Request("GET", target, CIMultiDictProxy(CIMultiDict()), b"", "rid", "rid", base_url)


def query_of(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


async def get(http, url):
    async with http.get(url) as response:
        return response.status, await response.json()


async def collect(http, url):
    """Every page from `url` on, following nextLinks: (items, pages)."""
    items, pages = [], []
    while url:
        status, body = await get(http, url)
        assert status == 200, body
        pages.append(body)
        items.extend(body["value"])
        url = body.get("@odata.nextLink")
        assert len(pages) <= 20, "the nextLinks never end"
    return items, pages


class TestPageFunction:
    """`paging.page` over a parsed body and a request, no server involved."""

    def test_top_gives_the_first_page_and_a_link_to_the_next(self):
        """$top=3 of 7: three items and an absolute nextLink on the mock, $top kept, a $skiptoken added."""
        body = paging.page(collection(), request("/v1.0/users?$top=3"), None)
        assert [u["id"] for u in body["value"]] == ["0", "1", "2"]
        link = body["@odata.nextLink"]
        assert link.startswith("http://127.0.0.1:8080/v1.0/users?")
        assert query_of(link)["$top"] == "3"
        assert paging.decode_token(query_of(link)["$skiptoken"]) == 3

    def test_keys_come_in_graphs_order(self):
        """@odata.context, @odata.count, @odata.nextLink, then value."""
        body = paging.page(collection(), request("/v1.0/users?$top=3&$count=true"), None)
        assert list(body) == ["@odata.context", "@odata.count", "@odata.nextLink", "value"]

    def test_the_body_is_left_as_it_was(self):
        """Fixtures are shared by every request: paging copies, never changes them."""
        body = collection()
        paging.page(body, request("/v1.0/users?$top=1&$count=true"), 2)
        assert body == collection()

    def test_a_page_size_and_top_take_the_smaller(self):
        """A server page size caps $top; $top below it wins."""
        assert len(paging.page(collection(), request("/v1.0/users?$top=5"), 2)["value"]) == 2
        assert len(paging.page(collection(), request("/v1.0/users?$top=1"), 2)["value"]) == 1

    def test_the_token_is_opaque_and_round_trips(self):
        """A skiptoken does not show the offset in clear, and decodes back to it."""
        token = paging.encode_token(42)
        assert "42" not in token
        assert paging.decode_token(token) == 42
        assert paging.decode_token("not-a-token") is None
        assert paging.decode_token(paging.encode_token(1) + "A" * 80) is None

    def test_other_query_options_are_kept_as_sent(self):
        """$select and $filter travel in the nextLink still percent-encoded as the client sent them."""
        target = "/v1.0/users?$select=id,displayName&$filter=startswith(displayName%2C'U')&$top=2"
        link = paging.page(collection(), request(target), None)["@odata.nextLink"]
        assert "$select=id,displayName&$filter=startswith(displayName%2C'U')&$top=2&$skiptoken=" in link

    def test_a_request_without_base_url_gets_a_link_on_its_own_host(self):
        """A request made in code (no base URL known) gets a link relative to the host, never to Graph."""
        link = paging.page(collection(), request("/v1.0/users?$top=2", base_url=""), None)["@odata.nextLink"]
        assert link.startswith("/v1.0/users?$top=2&$skiptoken=")

    def test_not_a_collection_is_returned_as_is(self):
        """A body without a value array is no collection: nothing to page."""
        assert paging.page({"id": "1"}, request("/v1.0/me?$top=1"), 1) == {"id": "1"}

    def test_beta_takes_options_without_the_dollar(self):
        """On beta the $ of a query option is optional."""
        body = paging.page(collection(), request("/beta/users?top=2"), None)
        assert len(body["value"]) == 2
        assert "$skiptoken" in query_of(body["@odata.nextLink"])

    def test_applies_reads_the_query_only(self):
        """Paging applies where the query names a paging option or a page size is set."""
        assert not paging.applies(request("/v1.0/users"), None)
        assert not paging.applies(request("/v1.0/users?$select=id"), None)
        assert paging.applies(request("/v1.0/users?$select=id&%24top=2"), None)
        assert paging.applies(request("/v1.0/users?$COUNT=true"), None)
        assert paging.applies(request("/v1.0/users"), 10)
        assert not paging.applies(request("/v1.0/users?top=2"), None)  # v1.0: the $ is not optional
        assert paging.applies(request("/beta/users?top=2"), None)

    def test_shape_is_worked_out_once_from_the_body(self):
        """A collection, documented links, and the documented request's skiptokens."""
        assert paging.shape_of({"id": "1"}) is paging.PLAIN
        assert paging.shape_of(collection()).collection
        linked = paging.shape_of({"@odata.deltaLink": "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x"})
        assert linked.linked and not linked.collection
        assert paging.shape_of(collection(), "$skiptoken=abc").tokens == {"abc"}

    def test_links_are_rewritten_at_any_depth_and_context_is_kept(self):
        """Next and delta links to Graph lead to the mock; @odata.context and other URLs stay Graph's."""
        body = {
            "@odata.context": CONTEXT,
            "@odata.deltaLink": "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc",
            "value": [{"children@odata.nextLink": "https://graph.microsoft.com/v1.0/drives/1/items/2/children?$skiptoken=x"}],
            "webUrl": "https://graph.microsoft.com/elsewhere",
        }
        out = paging.rewrite_links(body, "http://localhost:9000")
        assert out["@odata.deltaLink"] == "http://localhost:9000/v1.0/users/delta?$deltatoken=abc"
        assert out["value"][0]["children@odata.nextLink"] == "http://localhost:9000/v1.0/drives/1/items/2/children?$skiptoken=x"
        assert out["@odata.context"] == CONTEXT
        assert out["webUrl"] == body["webUrl"]
        assert body["@odata.deltaLink"].startswith("https://graph.microsoft.com/")

    @pytest.mark.parametrize("top", ["0", "-1", "abc", "", "1.5", "2,3"])
    def test_top_that_is_not_a_positive_whole_number_is_a_400(self, top):
        """$top's minimum is 1 (query-parameters.md): anything else is Graph's 400."""
        answer = paging.page(collection(), request(f"/v1.0/users?$top={top}"), None)
        assert isinstance(answer, Answer)
        assert answer.status == 400
        error = json.loads(answer.body)["error"]
        assert error["code"] == "BadRequest"
        assert "The minimum value of $top is 1." in error["message"]
        assert error["innerError"]["code"] == "invalidQueryOption"


class TestServer:
    """Paging over HTTP, from a fixture made in code with seven users."""

    async def test_top_pages_through_the_whole_collection(self, http):
        """Following the nextLinks of $top=3 gives every item exactly once, in three pages; the last has no link."""
        async with serve_fixtures(fixtures()) as base:
            items, pages = await collect(http, f"{base}/v1.0/users?$top=3")
        assert [u["id"] for u in items] == [u["id"] for u in USERS]
        assert [len(p["value"]) for p in pages] == [3, 3, 1]
        assert all(p["@odata.nextLink"].startswith(f"{base}/v1.0/users?") for p in pages[:-1])
        assert "@odata.nextLink" not in pages[-1]

    async def test_a_page_size_pages_without_top(self, http):
        """With page-size set, a plain GET of a collection is paged by the server."""
        async with serve_fixtures(fixtures(), page_size=3) as base:
            items, pages = await collect(http, f"{base}/v1.0/users")
            status, me = await get(http, f"{base}/v1.0/me")
        assert len(items) == 7 and len(pages) == 3
        assert "$top" not in pages[0]["@odata.nextLink"]
        assert status == 200 and me == {"id": "1", "displayName": "Me"}  # not a collection: as documented

    async def test_a_short_collection_is_one_last_page(self, http):
        """A collection shorter than the page is one page, with no nextLink."""
        async with serve_fixtures(fixtures(), page_size=50) as base:
            status, body = await get(http, f"{base}/v1.0/users?$top=10")
        assert status == 200
        assert len(body["value"]) == 7
        assert "@odata.nextLink" not in body

    async def test_count_is_the_whole_collections(self, http):
        """$count=true adds @odata.count, the count of the whole collection, not of the page."""
        async with serve_fixtures(fixtures()) as base:
            _, first = await get(http, f"{base}/v1.0/users?$top=2&$count=true")
            _, second = await get(http, first["@odata.nextLink"])
            _, none = await get(http, f"{base}/v1.0/users?$count=false")
        assert first["@odata.count"] == 7 and len(first["value"]) == 2
        assert second["@odata.count"] == 7  # $count=true travels in the link
        assert "@odata.count" not in none and len(none["value"]) == 7

    async def test_skip_pages_by_skip(self, http):
        """Outlook's collections page by $skip: the nextLink advances $skip, no skiptoken."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/me/messages?$skip=1&$top=2")
            items, _ = await collect(http, f"{base}/v1.0/me/messages?$top=2&$skip=0")
        assert status == 200
        assert [m["id"] for m in body["value"]] == ["m1", "m2"]
        assert query_of(body["@odata.nextLink"]) == {"$skip": "3", "$top": "2"}
        assert [m["id"] for m in items] == [m["id"] for m in MESSAGES]

    async def test_skip_on_directory_objects_is_refused(self, http):
        """Directory collections (users, groups, ...) page by skiptoken only: $skip is Graph's 400."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/users?$skip=2")
        assert status == 400
        assert body["error"]["message"] == "'$skip' is not supported by the service."

    @pytest.mark.parametrize("token", ["garbage", "X%27445370%27", "bW9ja2dyYXBoOi0x", "%00%ff", "a" * 500])
    async def test_a_malformed_skiptoken_is_a_400(self, http, token):
        """A skiptoken the mock did not issue is Graph's 400 BadRequest, never a 500."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/users?$skiptoken={token}")
        assert status == 400
        assert body["error"]["code"] == "BadRequest"
        assert "$skiptoken" in body["error"]["message"]

    @pytest.mark.parametrize("query", ["$top=0", "$top=abc", "$top=-3", "$count=maybe", "$skip=-1"])
    async def test_malformed_options_are_a_400(self, http, query):
        """$top below 1 or not a number, $count not true or false, $skip not a whole number: 400."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/me/messages?{query}")
        assert status == 400
        assert body["error"]["innerError"]["code"] == "invalidQueryOption"

    async def test_a_token_past_the_end_is_an_empty_last_page(self, http):
        """A token of ours beyond the collection (it shrank) is an empty page with no link."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/users?$skiptoken={paging.encode_token(99)}")
        assert status == 200
        assert body["value"] == [] and "@odata.nextLink" not in body

    async def test_links_follow_the_host_the_client_used(self, http):
        """The nextLink leads to the scheme, host and port the client reached the mock at."""
        async with serve_fixtures(fixtures()) as base:
            port = urlsplit(base).port
            _, by_ip = await get(http, f"http://127.0.0.1:{port}/v1.0/users?$top=2")
            _, by_name = await get(http, f"http://localhost:{port}/v1.0/users?$top=2")
        assert by_ip["@odata.nextLink"].startswith(f"http://127.0.0.1:{port}/")
        assert by_name["@odata.nextLink"].startswith(f"http://localhost:{port}/")

    async def test_a_plain_request_replays_as_documented(self, http):
        """With no paging option and no page size, a collection is answered whole, byte for byte as before."""
        async with serve_fixtures(fixtures()) as base:
            status, body = await get(http, f"{base}/v1.0/users")
        assert status == 200
        assert body == collection()


class TestDocumentedLinks:
    """The bundled servicePrincipal delta example shows a nextLink to graph.microsoft.com."""

    async def test_a_documented_link_leads_to_the_mock_and_ends(self, http):
        """The documented nextLink is rewritten to the mock; following it lands on the fixture, whose
        next page is past what the documentation shows: an empty last page, so a paging loop ends."""
        async with serve_fixtures(load_fixtures(FIXTURES_DIR)) as base:
            items, pages = await collect(http, f"{base}/v1.0/servicePrincipals/delta")
            async with http.get(f"{base}/_mockgraph/requests") as response:
                journal = await response.json()
        first = pages[0]["@odata.nextLink"]
        assert first.startswith(
            f"{base}/v1.0/servicePrincipals/delta?$skiptoken=pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjsXoYQp_dpA3cNJWc"
        )
        assert pages[0]["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
        assert len(pages) == 2 and pages[1]["value"] == []
        assert len(items) == 1
        entries = journal if isinstance(journal, list) else journal["requests"]
        assert [e["fixture"] for e in entries][-1].endswith("servicePrincipal_delta.json")

    async def test_documented_links_are_paged_too(self, http):
        """With a page size, the documented link stays on the last page of the mock's own paging."""
        body = collection(**{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=DOC"})
        with_link = {"users.json": make_fixture("GET", "/users", version="v1.0", status=200, response=body)}
        async with serve_fixtures(with_link, page_size=4) as base:
            items, pages = await collect(http, f"{base}/v1.0/users")
        assert [len(p["value"]) for p in pages] == [4, 3, 0]
        assert pages[1]["@odata.nextLink"] == f"{base}/v1.0/users?$skiptoken=DOC"
        assert len(items) == 7

    async def test_a_recorded_second_page_answers_its_own_token(self, http):
        """A fixture whose documented request holds a skiptoken (a recorded page 2) answers it, not a 400."""
        page2 = make_fixture("GET", "/users", version="v1.0", status=200, query="$skiptoken=REAL2", response=collection(USERS[5:]))
        page1 = make_fixture(
            "GET",
            "/users",
            version="v1.0",
            status=200,
            response=collection(USERS[:5], **{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=REAL2"}),
            example="page1",
        )
        async with serve_fixtures({"p1.json": page1, "p2.json": page2}, page_size=2) as base:
            items, _ = await collect(http, f"{base}/v1.0/users")
        assert [u["id"] for u in items] == [u["id"] for u in USERS]


class TestSettings:
    """The page size comes from `page-size` in the settings file or `--page-size` on the command line."""

    def test_page_size_from_the_settings_file(self, tmp_path):
        """`page-size = 3` sets it; by default there is no server paging."""
        (tmp_path / "mockgraph.toml").write_text("page-size = 3\n")
        assert load_settings(cwd=tmp_path).page_size == 3
        assert Settings().page_size is None

    @pytest.mark.parametrize("value", ["0", "-2", '"10"', "true", "2.5"])
    def test_a_bad_page_size_is_named(self, tmp_path, value):
        """Anything but a whole number of at least 1 stops the start, naming the file and the key."""
        (tmp_path / "mockgraph.toml").write_text(f"page-size = {value}\n")
        with pytest.raises(ConfigError, match=r"mockgraph.toml: page-size must be a whole number of at least 1"):
            load_settings(cwd=tmp_path)

    def test_the_command_line_flag(self, capsys):
        """`serve --page-size N` takes a whole number of at least 1."""
        parser = cli._parser()
        assert parser.parse_args(["serve", "--page-size", "25"]).page_size == 25
        assert parser.parse_args(["serve"]).page_size is None
        for bad in ("0", "x"):
            with pytest.raises(SystemExit):
                parser.parse_args(["serve", "--page-size", bad])
        assert "expected a number of items, 1 or more, got 'x'" in capsys.readouterr().err


class TestRepeatedAndDocumentedSkip:
    """Corner cases of the options themselves."""

    def test_the_first_of_a_repeated_option_wins(self):
        """`$top=2&$top=5` pages by 2."""
        assert len(paging.page(collection(), request("/v1.0/users?$top=2&$top=5"), None)["value"]) == 2

    def test_a_documented_skip_link_is_followed_once(self):
        """An Outlook-style documented nextLink pages by $skip: following it does not give the same link again."""
        link = "https://graph.microsoft.com/v1.0/me/messages?$skip=10"
        body = {"@odata.context": "x", "@odata.nextLink": link, "value": MESSAGES}
        first = paging.page(body, request("/v1.0/me/messages?$top=10"), None)
        assert first["@odata.nextLink"] == link  # the last page of what the mock holds: the documentation's link
        followed = paging.page(body, request("/v1.0/me/messages?$skip=10"), None)
        assert followed["value"] == [] and "@odata.nextLink" not in followed


class TestVerify:
    """`mockgraph verify` compares documented links modulo their rewrite to the mock."""

    async def test_a_documented_link_is_not_a_difference(self):
        """The server answers the mock's own URL where the documentation shows Graph's: verify passes."""
        body = collection(**{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=DOC"})
        result = await verify({"users.json": make_fixture("GET", "/users", version="v1.0", status=200, response=body)})
        assert result.failed == 0, result.failures

    def test_another_link_is_still_a_difference(self):
        """Only the scheme, host and port may differ: a link to another path, or left on Graph, still fails."""
        base = "http://127.0.0.1:1234"
        documented = collection(**{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=DOC"})
        fixture = make_fixture("GET", "/users", version="v1.0", status=200, response=documented)
        for link in (f"{base}/v1.0/groups?$skiptoken=DOC", "https://graph.microsoft.com/v1.0/users?$skiptoken=DOC"):
            reply = _Reply(200, json.dumps({**documented, "@odata.nextLink": link}).encode())
            reason, message = _difference(fixture, reply, base)
            assert (reason, message.partition(":")[0]) == ("body", "body at /@odata.nextLink")
        assert _difference(fixture, _Reply(200, json.dumps(paging.rewrite_links(documented, base)).encode()), base) is None


@pytest.mark.parametrize("host_header", ["", "Host: \r\n"])
async def test_links_lead_back_to_the_mock_without_a_host_header(host_header):
    """HTTP/1.0 sends no Host, and a Host may be empty: links then name the address the client reached."""
    async with serve_fixtures(fixtures()) as base:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET /v1.0/users?$top=3 HTTP/1.0\r\n{host_header}\r\n".encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["@odata.nextLink"].startswith(f"{base}/v1.0/users?")
