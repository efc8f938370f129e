"""Issue 11: hostile input must not crash, leak or balloon. The body gate, redaction of bodies that do
not parse, decoded-size limits, upstream credentials and deadlines, and what is not recorded."""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import json
import time
import tracemalloc
import zlib

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from mockgraph.config import Settings
from mockgraph.differ import ContractChecker
from mockgraph.errors import BodyError, MockgraphError
from mockgraph.fixturefile import dumps, load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.jsonbody import MAX_DEPTH, json_depth, parse_json_body
from mockgraph.models import Contract, Property
from mockgraph.recorder import TRANSIENT_STATUSES, Interaction, Recorder
from mockgraph.redact import REDACTED, Redactor
from mockgraph.server import create_server, running
from mockgraph.upstream import DECODED_LIMIT, _decoded, _forwarded_headers, client_timeout, split_credentials
from support import FIXTURES_DIR


def nested(depth: int, leaf: object = "x", opener: str = "[") -> object:
    """A value `depth` containers deep (the outer object counts as one), built without recursion."""
    value = leaf
    for _ in range(depth - 1):
        value = [value] if opener == "[" else {"a": value}
    return {"subject": value}


def refused(body: bytes) -> BodyError:
    with pytest.raises(BodyError) as caught:
        parse_json_body(body)
    return caught.value


class TestBodyGate:
    def test_valid_body_parses(self):
        """A Graph payload comes back as json.loads gives it."""
        body = (FIXTURES_DIR / "unversioned" / "app-post-onlinemeetings" / "create_onlinemeeting_from_.json").read_bytes()
        assert parse_json_body(body) == json.loads(body)

    def test_body_error_is_a_mockgraph_error(self):
        """Callers catch it with the package's other errors; the message reads like Graph's."""
        error = refused(b"{")
        assert isinstance(error, MockgraphError)
        assert str(error).startswith("Unable to read JSON request payload.")
        assert error.reason in str(error)

    @pytest.mark.parametrize("opener", ["[", "{"])
    def test_depth_at_the_bound_parses(self, opener):
        """A body exactly MAX_DEPTH containers deep is accepted."""
        value = nested(MAX_DEPTH, opener=opener)
        assert parse_json_body(json.dumps(value).encode()) == value

    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
    def test_deeper_bodies_are_refused(self, depth):
        """One level past the bound, the 1 KB body of issue 11, and far deeper: refused before json.loads."""
        body = b'{"subject": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
        assert "deeper than" in refused(body).reason

    def test_deep_and_unclosed_is_refused_fast(self):
        """Ten megabytes of openers are refused by depth, in well under a second."""
        started = time.perf_counter()
        assert "deeper than" in refused(b"[" * 10_000_000).reason
        assert time.perf_counter() - started < 1.0

    def test_brackets_inside_strings_do_not_count(self):
        """Brackets in strings, escaped quotes and escaped backslashes included, are text, not nesting."""
        value = {"subject": "[" * 500 + '\\"[{' * 100, "body": '\\\\"' + "{" * 200, "x": [[["ok"]]]}
        body = json.dumps(value).encode()
        assert json_depth(body) == 4
        assert parse_json_body(body) == value

    @pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
    def test_non_finite_constants_are_refused(self, token):
        """NaN and the infinities are not JSON numbers, though json.loads accepts them."""
        assert "not a JSON number" in refused(b'{"n": ' + token + b"}").reason

    @pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"1" + b"0" * 400 + b".0"])
    def test_overflowing_floats_are_refused(self, number):
        """A float that would become infinity is refused."""
        assert "too large" in refused(b'{"n": ' + number + b"}").reason

    def test_huge_integer_is_refused(self):
        """An integer longer than Python will convert is refused, not turned into a 500."""
        assert "digits" in refused(b'{"n": ' + b"9" * 5000 + b"}").reason

    def test_large_ordinary_numbers_parse(self):
        """Large but sane numbers pass."""
        assert parse_json_body(b'{"n": 123456789012345678901234567890, "f": 1.5e300}') == {
            "n": 123456789012345678901234567890,
            "f": 1.5e300,
        }

    @pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"x\\ud83dy", b"\\ude00\\ud83d"])
    def test_lone_surrogates_are_refused(self, escape):
        """A string UTF-8 cannot encode would break the journal and the recorder: refused."""
        assert "surrogate" in refused(b'{"s": "' + escape + b'"}').reason

    def test_surrogate_pairs_and_escaped_backslashes_parse(self):
        """A proper pair is one character; an escaped backslash before `ud800` is text, not a surrogate."""
        assert parse_json_body(b'{"s": "\\ud83d\\ude00", "t": "\\\\ud800"}') == {"s": "\U0001f600", "t": "\\ud800"}

    @pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"s": "\xc3"}', b'{"s": "\xed\xa0\x80"}'])
    def test_invalid_utf8_is_refused(self, body):
        """Bytes that are not UTF-8 (an encoded surrogate included) are refused."""
        assert "not UTF-8" in refused(body).reason

    @pytest.mark.parametrize("body", [b"", b"  ", b"{", b'{"a": 1,}', b"{'a': 1}", b"[1] [2]"])
    def test_not_json_is_refused(self, body):
        """Empty bodies and text that is not JSON are refused."""
        refused(body)

    def test_duplicate_keys_keep_the_last(self):
        """Duplicate keys are not an error (Graph takes the last), and parse as json.loads does."""
        assert parse_json_body(b'{"a": 1, "a": 2}') == {"a": 2}


class TestDifferAtTheBound:
    """Every depth the gate lets through is checked without RecursionError."""

    @pytest.mark.parametrize("opener", ["[", "{"])
    @pytest.mark.parametrize(
        "contract",
        [
            Contract(properties=(Property("subject", "String"),)),
            Contract(properties=(Property("subject", "Edm.Untyped"),)),
            Contract(properties=(Property("subject", "String", collection=True),)),
            Contract(truncated=True),
        ],
        ids=["string", "untyped", "collection", "no-table"],
    )
    def test_payload_at_the_bound(self, contract, opener):
        """A payload MAX_DEPTH deep gets findings, not a crash, twice (the second from the cache)."""
        payload = nested(MAX_DEPTH, opener=opener)
        checker = ContractChecker(contract, {"subject": "x"})
        first = checker.check(copy.deepcopy(payload))
        assert checker.check(payload) == first

    def test_example_at_the_bound(self):
        """A documented example nested as deep as the bound, and a payload differing at its bottom."""
        example = nested(MAX_DEPTH // 2, leaf={"deep": "x"}, opener="{")
        payload = nested(MAX_DEPTH // 2, leaf={"deep": 1, "extra": [[[1]]]}, opener="{")
        findings = ContractChecker(Contract(), example).check(payload)
        assert {f.kind for f in findings} == {"type", "unknown"}


def interaction(request_body: bytes, request_type: str | None, status: int = 200, response_body: bytes = b'{"ok": true}') -> Interaction:
    headers = (("Content-Type", request_type),) if request_type is not None else ()
    return Interaction(
        method="POST",
        raw_path="/v1.0/oauth2/token",
        request_headers=headers,
        request_body=request_body,
        status=status,
        response_headers=(("Content-Type", "application/json"),),
        response_body=response_body,
    )


class TestSecretsInBodiesThatDoNotParse:
    """Issue 11, item 5: secrets in bodies the redactor could not read by their declared type."""

    @pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
    def test_json_that_does_not_parse(self, content_type):
        """`{"client_secret":"S",}` loses its secret whatever the body claims to be."""
        out = Redactor().body(b'{"client_secret":"S3cr3t", "password" : "hunter2",}', content_type)
        assert b"S3cr3t" not in out and b"hunter2" not in out
        assert out == b'{"client_secret":"REDACTED", "password" : "REDACTED",}'

    @pytest.mark.parametrize("content_type", ["text/plain", "", "application/octet-stream", "application/json"])
    def test_form_sent_with_another_type(self, content_type):
        """A form whose first field is the secret, sent as text/plain or untyped, is redacted by name."""
        out = Redactor().body(b"client_secret=S3cr3t&grant_type=client_credentials&client_id=app", content_type)
        assert out == b"client_secret=REDACTED&grant_type=client_credentials&client_id=app"

    @pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", ""])
    def test_authorization_code_in_forms(self, content_type):
        """OAuth's authorization `code` is a secret in a form, whatever its position."""
        for body in (b"code=C0de&grant_type=authorization_code", b"grant_type=authorization_code&code=C0de"):
            out = Redactor().body(body, content_type)
            assert b"C0de" not in out and b"code=" + REDACTED.encode() in out

    def test_error_code_in_json_is_kept(self):
        """In JSON, `code` is Graph's error code (or a resource property), not a secret: kept."""
        body = b'{"error": {"code": "ResourceNotFound", "message": "m"}}'
        assert json.loads(Redactor().body(body, "application/json")) == json.loads(body)
        assert Redactor().json({"code": "1234"}) == {"code": "1234"}

    def test_query_tokens_and_code(self):
        """Every OAuth secret in a query is redacted, by `query` and in a path with its query (`text`)."""
        query = "access_token=a1&refresh_token=r1&id_token=i1&code=c1&state=s&$top=5"
        expected = f"access_token={REDACTED}&refresh_token={REDACTED}&id_token={REDACTED}&code={REDACTED}&state=s&$top=5"
        assert Redactor().query(query) == expected
        assert Redactor().text("/v1.0/me?" + query) == "/v1.0/me?" + expected

    def test_lone_surrogate_json_body(self):
        """A JSON body holding a lone surrogate escape is redacted, not a UnicodeEncodeError."""
        out = Redactor().body(b'{"password": "p", "s": "\\ud800"}', "application/json")
        assert json.loads(out) == {"password": REDACTED, "s": "\ud800"}

    def test_too_deep_json_body(self):
        """A JSON body too deep to walk is redacted as text, not a RecursionError."""
        body = b'{"password": "p", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        out = Redactor().body(body, "application/json")
        assert out.startswith(b'{"password": "REDACTED"')

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b'{"client_secret":"S3cr3t",}', "application/json"),
            (b"client_secret=S3cr3t&grant_type=client_credentials", "text/plain"),
            (b"client_secret=S3cr3t&grant_type=client_credentials", None),
            (b"grant_type=authorization_code&code=S3cr3t", "application/x-www-form-urlencoded"),
        ],
    )
    def test_recorded_fixture_holds_no_secret(self, tmp_path, body, content_type):
        """The recorder writes none of these secrets to the fixture file."""
        fixture = Recorder(tmp_path, Redactor(), "https://login.example.com").fixture(interaction(body, content_type))
        assert fixture is not None
        assert "S3cr3t" not in dumps(fixture)


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A gzip body of zeros that decodes to `decoded_bytes`, compressed in steps (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(decoded_bytes // len(chunk))]
    return b"".join([*parts, packer.flush()])


class TestDecodedLimit:
    """Issue 11, item 6: the record limit counts decoded bytes, so a gzip bomb is not recorded."""

    def test_bomb_is_given_up_within_the_limit(self):
        """A 1 KB gzip answer that decodes to 1 MB is not decoded past a 64 KB limit."""
        bomb = gzip.compress(bytes(1024 * 1024))
        assert len(bomb) < 2048
        assert _decoded(bomb, "gzip", limit=64 * 1024) is None

    def test_default_limit_and_memory(self):
        """With no limit given, the default (max-body-bytes' default) holds, and decoding a 64 MB
        bomb never allocates much more than that."""
        bomb = gzip_bomb(64 * 1024 * 1024)  # issue 11: 63 KB on the wire
        tracemalloc.start()
        try:
            assert _decoded(bomb, "gzip") is None
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 3 * DECODED_LIMIT  # the output buffer grows in steps: about twice the limit

    @pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "identity", ""])
    def test_at_and_over_the_limit(self, coding):
        """Exactly `limit` decoded bytes are kept; one more is refused; in every coding."""

        def encode(data: bytes) -> bytes:
            if coding == "gzip":
                return gzip.compress(data)
            if coding == "deflate":
                return zlib.compress(data)
            if coding == "raw-deflate":
                packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
                return packer.compress(data) + packer.flush()
            return data

        name = "deflate" if coding == "raw-deflate" else coding
        data = b"x" * 1000
        assert _decoded(encode(data), name, limit=1000) == data
        assert _decoded(encode(data + b"y"), name, limit=1000) is None

    @pytest.mark.parametrize("coding", ["gzip", "deflate"])
    def test_broken_and_truncated(self, coding):
        """A body that does not decode, or stops short, is not recorded."""
        data = gzip.compress(b"x" * 5000) if coding == "gzip" else zlib.compress(b"x" * 5000)
        assert _decoded(b"plain bytes, not compressed", coding) is None
        assert _decoded(data[: len(data) // 2], coding) is None

    def test_trailing_bytes_ignored_and_unknown_coding(self):
        """Bytes after the stream are ignored, as zlib.decompress does; `br` is not decodable."""
        assert _decoded(gzip.compress(b"abc") + b"junk", "gzip") == b"abc"
        assert _decoded(b"abc", "br") is None


def proxy(headers: dict[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(headers))


async def serve(handler) -> tuple[web.ServerRunner, str]:
    """A tiny upstream on 127.0.0.1: its runner (to clean up) and its URL."""
    runner = web.ServerRunner(web.Server(handler), handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"127.0.0.1:{runner.addresses[0][1]}"


async def mockgraph_on(folder, **settings):
    folder.mkdir(parents=True, exist_ok=True)
    return create_server(FixtureIndex(load_fixtures(folder)), Settings(fixtures=folder, **settings))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TestUpstreamCredentials:
    """Issue 11, item 4: `--upstream http://user:pass@host` with a client Authorization header gave a 500."""

    @pytest.mark.parametrize(
        ("given", "url", "auth"),
        [
            ("https://graph.example.com", "https://graph.example.com", None),
            ("https://graph.example.com/", "https://graph.example.com", None),
            ("http://user:pass@127.0.0.1:8080/", "http://127.0.0.1:8080", ("user", "pass")),
            ("http://us%40er:p%3Ass@host/base/", "http://host/base", ("us@er", "p:ss")),
            ("http://token@host", "http://host", ("token", "")),
            ("http://[::1]:9000", "http://[::1]:9000", None),
        ],
    )
    def test_split_credentials(self, given, url, auth):
        """The URL loses its user information; the credentials, decoded, become Basic auth."""
        base, authorization = split_credentials(given)
        assert base == url and "@" not in base
        assert authorization == (basic(*auth) if auth else None)

    def test_url_credentials_when_the_client_sends_none(self):
        """Without a client Authorization, the upstream URL's credentials are sent as Basic auth."""
        _, auth = split_credentials("http://user:pass@host")
        headers, _ = _forwarded_headers(proxy({"Accept": "application/json"}), auth)
        assert headers.getall("Authorization") == [basic("user", "pass")]

    def test_client_authorization_wins(self):
        """A client's own Authorization is forwarded as sent, never joined by the URL's."""
        _, auth = split_credentials("http://user:pass@host")
        headers, _ = _forwarded_headers(proxy({"authorization": "Bearer client-token"}), auth)
        assert headers.getall("Authorization") == ["Bearer client-token"]

    def test_no_credentials_adds_nothing(self):
        """An upstream URL without credentials adds no Authorization."""
        headers, _ = _forwarded_headers(proxy({"Accept": "application/json"}), None)
        assert "Authorization" not in headers

    @pytest.mark.parametrize(
        "client_auth",
        [None, "Bearer client-token"],
    )
    async def test_through_the_server(self, tmp_path, client_auth):
        """End to end: the upstream sees the client's Authorization where it sent one, else the URL's."""
        seen: list[str | None] = []

        async def upstream(request: web.BaseRequest) -> web.Response:
            seen.append(request.headers.get("Authorization"))
            return web.json_response({"ok": True})

        runner, address = await serve(upstream)
        try:
            server = await mockgraph_on(tmp_path, record="all", upstream=f"http://user:pass@{address}")
            async with running(server) as url, aiohttp.ClientSession() as http:
                headers = {"Authorization": client_auth} if client_auth else {}
                async with http.get(f"{url}/v1.0/me", headers=headers) as response:
                    assert response.status == 200
        finally:
            await runner.cleanup()
        assert seen == [client_auth or basic("user", "pass")]


class TestUpstreamDeadline:
    """Issue 11, item 5: the upstream timeout bounds the whole answer, not each read."""

    def test_client_timeout_bounds_the_whole_exchange(self):
        """The session's total deadline is the timeout (aiohttp keeps it running through the body)."""
        timeout = client_timeout(2.5)
        assert timeout.total == timeout.sock_read == timeout.sock_connect == 2.5

    async def test_dripping_upstream_is_cut_off(self, tmp_path):
        """An upstream sending a byte every 50 ms (each read well within 0.3 s) is cut off after
        about 0.3 s: the client's answer breaks, and nothing is recorded."""
        stop = asyncio.Event()

        async def drip(request: web.BaseRequest) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = 60
            await response.prepare(request)
            for _ in range(60):  # 3 s in all, unless stopped
                if stop.is_set():
                    break
                await response.write(b" ")
                await asyncio.sleep(0.05)
            return response

        runner, address = await serve(drip)
        loop = asyncio.get_running_loop()
        try:
            server = await mockgraph_on(tmp_path, record="all", upstream=f"http://{address}", upstream_timeout=0.3)
            async with running(server) as url, aiohttp.ClientSession() as http:
                started = loop.time()
                with pytest.raises(aiohttp.ClientPayloadError):
                    async with http.get(f"{url}/v1.0/drip") as response:
                        await response.read()
                assert loop.time() - started < 2.0
        finally:
            stop.set()
            await runner.cleanup()
        assert list(tmp_path.rglob("*.json")) == []


class TestTransientAnswersNotRecorded:
    """Issue 11: a throttled or failing upstream must not become a fixture that replays the outage."""

    @pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
    async def test_transient_status(self, tmp_path, status):
        """Throttling and server failures give no fixture and no file."""
        assert status in TRANSIENT_STATUSES
        recorder = Recorder(tmp_path, Redactor(), "https://graph.example.com")
        answer = interaction(b'{"a": 1}', "application/json", status=status)
        assert recorder.fixture(answer) is None
        assert await recorder.save(answer) is None
        assert list(tmp_path.rglob("*.json")) == []

    @pytest.mark.parametrize("status", [200, 201, 204, 400, 401, 403, 404, 409, 501])
    async def test_lasting_status(self, tmp_path, status):
        """Answers that are the answer (errors of the request included) are recorded."""
        recorder = Recorder(tmp_path, Redactor(), "https://graph.example.com")
        assert await recorder.save(interaction(b'{"a": 1}', "application/json", status=status)) is not None
        assert len(list(tmp_path.rglob("*.json"))) == 1

    async def test_through_the_server(self, tmp_path):
        """A 503 reaches the client, is not recorded, and the next request goes upstream again."""
        statuses = iter([503, 200])

        async def upstream(request: web.BaseRequest) -> web.Response:
            return web.json_response({"n": 1}, status=next(statuses))

        runner, address = await serve(upstream)
        try:
            server = await mockgraph_on(tmp_path, record="new", upstream=f"http://{address}")
            async with running(server) as url, aiohttp.ClientSession() as http:
                for expected in (503, 200):
                    async with http.get(f"{url}/v1.0/me") as response:
                        assert response.status == expected
                        assert await response.json() == {"n": 1}  # read whole: the recording, if any, is on disk
        finally:
            await runner.cleanup()
        assert len(list(tmp_path.rglob("*.json"))) == 1

    def test_too_deep_response_body(self, tmp_path):
        """A JSON answer too deep for json.loads is kept as text, not a RecursionError."""
        deep = b"[" * 5000 + b"]" * 5000
        fixture = Recorder(tmp_path, Redactor(), "https://g").fixture(interaction(b"", None, response_body=deep))
        assert fixture is not None and fixture.response.body.text == deep.decode()
