"""Issue 11's fuzz test: hostile requests over raw sockets to a real server on 127.0.0.1.

Seeded and bounded: each family of inputs runs for a share of `MOCKGRAPH_FUZZ_SECONDS` (default 4
in all) or until `MOCKGRAPH_FUZZ_CASES` cases (default 2,000 a family), whichever comes first;
`MOCKGRAPH_FUZZ_SEED` picks the seed (default 11). `make fuzz` runs it for a minute. Each family
first sends every one of its templates once, in order, so a given seed always covers them, then
random mixes.

For every answer: the status is below 500; a 4xx carries Graph's error shape; a connection closed
without an answer is accepted only where the request line or headers cannot be parsed. Afterwards
the server is healthy, `/_mockgraph/requests` answers JSON, the journal file reads back and every
report format renders from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mockgraph.config import Settings
from mockgraph.fixturefile import load_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.journal import read_journal
from mockgraph.reports import FORMATS, cases_from_journal, render
from mockgraph.server import create_server, running
from support import FIXTURES_DIR

SEED = int(os.environ.get("MOCKGRAPH_FUZZ_SEED", "11"))
SECONDS = float(os.environ.get("MOCKGRAPH_FUZZ_SECONDS", "4"))
CASES = int(os.environ.get("MOCKGRAPH_FUZZ_CASES", "2000"))
BODY_LIMIT = 64 * 1024  # the server's max-body-bytes here, so over-limit bodies stay cheap to send
ANSWER_SECONDS = 5.0  # per request; a server that takes longer has hung


@dataclass(frozen=True)
class Case:
    name: str  # what it tries, for the failure message
    raw: bytes  # the whole request as sent on the socket
    unparseable: bool = False  # a broken request line or header: the server may hang up unanswered


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


# ------------------------------------------------------------------------------------ requests

_FIXTURES = load_fixtures(FIXTURES_DIR)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_JSON_ROUTES = sorted(
    {
        (f.request.method, f.request.version or "", f.request.path)
        for f in _FIXTURES.values()
        if f.request.body.is_json and f.request.body.json
    }
)
_ROUTES = sorted({(f.request.method, f.request.version or "", f.request.path) for f in _FIXTURES.values()})
_BODIES = [json.dumps(f.request.body.json).encode() for f in _FIXTURES.values() if f.request.body.is_json and f.request.body.json]


def _path(rng: random.Random, routes: list[tuple[str, str, str]]) -> tuple[str, str]:
    method, version, path = rng.choice(routes)
    path = _PLACEHOLDER.sub(lambda _: rng.choice(["87d349ed-44d7-43e1-9a83-5f2406dee5bd", "x", "AdeleV@contoso.com"]), path)
    return method, (f"/{version}" if version else "") + path


def request(method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"", length: bool = True) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    if length and body:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


def json_request(
    rng: random.Random, body: bytes, content_type: str = "application/json", extra: list[tuple[str, str]] | None = None
) -> bytes:
    method, target = _path(rng, _JSON_ROUTES)
    return request(method, target, [("Content-Type", content_type), *(extra or [])], body)


def deep(depth: int, opener: bytes = b"[") -> bytes:
    closer = b"]" if opener == b"[" else b"}"
    inner = opener if opener == b"[" else b'{"a":'
    return b'{"subject": ' + inner * depth + b"1" * (opener == b"[") + b"null" * (opener == b"{") + closer * depth + b"}"


def _request_lines(rng: random.Random) -> list[Case]:
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    long_target = "/v1.0/me?" + "a" * rng.choice([9000, 20000])
    templates = [
        b"GET\r\n\r\n",
        b"GET /v1.0/me\r\n\r\n",
        b"GET /v1.0/me HTTP/9.9\r\nConnection: close\r\n\r\n",
        b"GET  /v1.0/me  HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"get /v1.0/me HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"FROB /v1.0/me HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"G\xc3\xa9T /v1.0/me HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /v1.0/m\xffe HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /v1.0/me\x00 HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET http://evil.example/v1.0/me HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET * HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"\r\n\r\nGET /v1.0/me HTTP/1.1\r\nConnection: close\r\n\r\n",
        f"GET {long_target} HTTP/1.1\r\nConnection: close\r\n\r\n".encode(),
        junk.replace(b"\r\n\r\n", b"") + b"\r\n\r\n",
    ]
    return [Case(f"request line {t[:40]!r}", t, unparseable=True) for t in templates]


def _headers(rng: random.Random) -> list[Case]:
    method, target = _path(rng, _ROUTES)
    big = "x" * rng.choice([9000, 70000])
    body = rng.choice(_BODIES)
    parseable = [
        ("duplicate Content-Type", request("POST", target, [("Content-Type", "application/json"), ("Content-Type", "text/plain")], body)),
        ("duplicate Prefer", request(method, target, [("Prefer", "return=minimal"), ("Prefer", "odata.maxpagesize=5")])),
        ("duplicate client-request-id", request(method, target, [("client-request-id", "a"), ("client-request-id", "b")])),
        ("odd client-request-id", request(method, target, [("client-request-id", "\u00e9\u00e9".encode().decode("latin-1"))])),
        ("empty header value", request(method, target, [("Content-Type", ""), ("Prefer", "")])),
        ("many headers", request(method, target, [(f"X-H{i}", "v") for i in range(rng.choice([50, 120]))])),
        ("Expect 100-continue", request("POST", target, [("Content-Type", "application/json"), ("Expect", "100-continue")], body)),
        ("Authorization junk", request(method, target, [("Authorization", "Bearer " + "\u00ff" * 10)])),
    ]
    unparseable = [
        ("header without colon", request(method, target, [("NoColonHere", "")]).replace(b"NoColonHere: ", b"NoColonHere")),
        ("space before colon", request(method, target).replace(b"Host:", b"Host :")),
        ("oversized header", request(method, target, [("X-Big", big)])),
        ("header with control chars", request(method, target, [("X-Ctl", "a\x01b\x7fc")])),
        ("two Content-Lengths", request("POST", target, [("Content-Length", "2"), ("Content-Length", "3")], b"{}", length=False)),
        ("negative Content-Length", request("POST", target, [("Content-Length", "-1")], b"{}", length=False)),
        ("Content-Length not a number", request("POST", target, [("Content-Length", "abc")], b"{}", length=False)),
        (
            "Content-Length and chunked",
            request("POST", target, [("Content-Length", "2"), ("Transfer-Encoding", "chunked")], b"2\r\n{}\r\n0\r\n\r\n", length=False),
        ),
        ("unknown Transfer-Encoding", request("POST", target, [("Transfer-Encoding", "gzip, foo")], b"{}", length=False)),
        ("obsolete line folding", request(method, target).replace(b"Connection: close", b"X-Fold: a\r\n b\r\nConnection: close")),
        ("non-ASCII header name", request(method, target).replace(b"Host:", b"H\xc3\xb6st:")),
        ("bare LF line ends", request(method, target).replace(b"\r\n", b"\n")),
    ]
    return [Case(n, r) for n, r in parseable] + [Case(n, r, unparseable=True) for n, r in unparseable]


def _encodings(rng: random.Random) -> list[Case]:
    body = rng.choice(_BODIES)
    return [
        Case("gzip on plain bytes", json_request(rng, body, extra=[("Content-Encoding", "gzip")])),
        Case("deflate on plain bytes", json_request(rng, body, extra=[("Content-Encoding", "deflate")])),
        Case("br on plain bytes", json_request(rng, body, extra=[("Content-Encoding", "br")])),
        Case("unknown coding", json_request(rng, body, extra=[("Content-Encoding", "x-frob")])),
        Case("gzip, truncated", json_request(rng, gzip.compress(body, mtime=0)[:20], extra=[("Content-Encoding", "gzip")])),
        Case("gzip, valid", json_request(rng, gzip.compress(body, mtime=0), extra=[("Content-Encoding", "gzip")])),
        Case("gzip bomb", json_request(rng, gzip.compress(b"[" * 2_000_000, mtime=0), extra=[("Content-Encoding", "gzip")])),
        Case("gzip twice declared once", json_request(rng, gzip.compress(gzip.compress(body, mtime=0), mtime=0), extra=[("Content-Encoding", "gzip")])),
    ]


def _json_bodies(rng: random.Random) -> list[Case]:
    body = rng.choice(_BODIES)
    cut = rng.randrange(1, len(body))
    templates = [
        ("nesting 65", deep(65)),
        ("nesting 500 (issue 11)", deep(500)),
        ("nesting 5000", deep(5000)),
        ("nesting 60000", deep(60000)),
        ("objects nested 500", deep(500, b"{")),
        ("unclosed brackets", b"[" * 30000),
        ("huge integer", b'{"subject": ' + b"9" * 5000 + b"}"),
        ("NaN", b'{"subject": NaN}'),
        ("Infinity", b'{"subject": Infinity}'),
        ("-Infinity", b'{"subject": -Infinity}'),
        ("1e400", b'{"subject": 1e400}'),
        ("lone surrogate", b'{"subject": "\\ud800"}'),
        ("lone surrogate key", b'{"\\udfff": 1}'),
        ("duplicate keys", b'{"subject": "a", "subject": "b"}'),
        ("invalid UTF-8", b'{"subject": "\xff\xfe"}'),
        ("encoded surrogate", b'{"subject": "\xed\xa0\x80"}'),
        ("BOM", b"\xef\xbb\xbf" + body),
        ("truncated", body[:cut]),
        ("trailing comma", body.rstrip(b"}") + b",}"),
        ("not an object", rng.choice([b"[]", b"1", b'"x"', b"null", b"true"])),
        ("empty with type", b""),
        ("whitespace only", b"   \r\n "),
        ("NUL bytes", b'{"subject": "a\x00b"}'),
        ("escaped NUL", b'{"subject": "a\\u0000b"}'),
        ("mutated", bytes(b ^ (1 << rng.randrange(8)) if rng.random() < 0.02 else b for b in body)),
    ]
    return [Case(f"JSON {name}", json_request(rng, data)) for name, data in templates]


def _content_types(rng: random.Random) -> list[Case]:
    body = rng.choice(_BODIES)
    types = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        "json",
        ";;;",
        "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false",
    ]
    cases = [Case(f"type {t}", json_request(rng, body, t)) for t in types]
    cases.append(Case("form that is a secret", json_request(rng, b"client_secret=S&code=C", "text/plain")))
    cases.append(Case("JSON without a type", request("POST", _path(rng, _JSON_ROUTES)[1], [], body)))
    return cases


def _chunked(rng: random.Random) -> list[Case]:
    body = rng.choice(_BODIES)
    method, target = _path(rng, _JSON_ROUTES)
    headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]

    def chunked(data: bytes, size: int) -> bytes:
        parts = [data[i : i + size] for i in range(0, len(data), size)]
        return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"

    over = b'{"subject": "' + b"x" * (BODY_LIMIT + 10) + b'"}'
    return [
        Case("chunked, one byte at a time", request(method, target, headers, chunked(body, 1), length=False)),
        Case("chunked, whole", request(method, target, headers, chunked(body, 4096), length=False)),
        Case("chunked, over the limit", request(method, target, headers, chunked(over, 8192), length=False)),
        Case("chunked, extensions", request(method, target, headers, chunked(body, 7).replace(b"\r\n", b";ext=1\r\n", 1), length=False)),
        Case("chunked, trailers", request(method, target, headers, chunked(body, 64)[:-2] + b"X-Trailer: 1\r\n\r\n", length=False)),
        Case("chunked, empty", request(method, target, headers, b"0\r\n\r\n", length=False)),
        Case("chunked, bad size", request(method, target, headers, b"zz\r\n{}\r\n0\r\n\r\n", length=False), unparseable=True),
        Case(
            "chunked, size too big",
            request(method, target, headers, b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n", length=False),
            unparseable=True,
        ),
        Case("chunked, no CRLF after data", request(method, target, headers, b"2\r\n{}XX0\r\n\r\n", length=False), unparseable=True),
    ]


def _sizes(rng: random.Random) -> list[Case]:
    method, target = _path(rng, _JSON_ROUTES)
    over = b'{"subject": "' + b"x" * (BODY_LIMIT + rng.randrange(1, 100)) + b'"}'
    return [
        Case("over the limit, declared", request(method, target, [("Content-Type", "application/json")], over)),
        Case(
            "exactly the limit",
            request(method, target, [("Content-Type", "application/json")], b'{"s":"' + b"x" * (BODY_LIMIT - 8) + b'"}'),
        ),
        Case("empty POST", request(method, target, [("Content-Type", "application/json"), ("Content-Length", "0")], length=False)),
        Case("GET with a body", request("GET", _path(rng, _ROUTES)[1], [("Content-Type", "application/json")], rng.choice(_BODIES))),
        Case("DELETE with a JSON body", request("DELETE", _path(rng, _ROUTES)[1], [("Content-Type", "application/json")], b"{}")),
        Case("HEAD", request("HEAD", _path(rng, _ROUTES)[1])),
        Case("OPTIONS", request("OPTIONS", _path(rng, _ROUTES)[1])),
    ]


def _paths(rng: random.Random) -> list[Case]:
    _, base = _path(rng, _ROUTES)
    odd = [
        base + "%",
        base + "%ZZ",
        base + "%00",
        base + "%2F..%2F..",
        base + "/../../../etc/passwd",
        "/v1.0/./me/../me",
        "//v1.0//me//",
        "/v1.0/users/%C0%AE%C0%AE",
        "/v1.0/users/" + "%F0%9F%98%80" * 10,
        "/v1.0/users/\u00e9\u4e2d\U0001f600",
        "/v1.0/users/" + "a" * rng.choice([2000, 7000]),
        "/" + "/".join(["x"] * 500),
        "/_mockgraph/../_mockgraph/health",
        "/_mockgraph/requests?x=%ff",
        "/v1.0/users('87d349ed-44d7-43e1-9a83-5f2406dee5bd')",
        "/v1.0/me/microsoft.graph.delta()",
        "/beta",
        "/",
        "",
    ]
    queries = [
        "$filter=startswith(displayName,'a') and mail eq null",
        "$select=id,,displayName&$select=mail",
        "$expand=members($select=id;$expand=manager($levels=max))",
        "$top=-1&$skip=abc&$count=maybe",
        "$search=%22foo%22&$orderby=displayName desc,id",
        "$filter=" + "(" * 500 + "a eq 1" + ")" * 500,
        "$format=xml&$skiptoken=" + "x" * 3000,
        "a=1&a=2&&=&%ZZ=%ZZ&\u00e9=\u00e9",
        "access_token=t&refresh_token=r&id_token=i&code=c",
    ]
    cases = [Case(f"path {p[:40]!r}", request(rng.choice(["GET", "POST", "DELETE"]), p)) for p in odd]
    cases += [Case(f"query {q[:40]!r}", request("GET", f"{base}?{q}")) for q in queries]
    return cases


FAMILIES: dict[str, Callable[[random.Random], list[Case]]] = {
    "request-lines": _request_lines,
    "headers": _headers,
    "encodings": _encodings,
    "json-bodies": _json_bodies,
    "content-types": _content_types,
    "chunked": _chunked,
    "sizes": _sizes,
    "paths": _paths,
}


# ------------------------------------------------------------------------------------ talking


async def send(port: int, raw: bytes) -> Answer | None:
    """Send `raw` and read the answer to the end; None where the server hung up without one."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        try:
            writer.write(raw)
            await writer.drain()
        except ConnectionError:
            pass  # the server may answer (413, 400) and hang up before it has read everything
        data = await asyncio.wait_for(_read_all(reader), ANSWER_SECONDS)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return parse_answer(data) if data else None


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    try:
        while chunk := await reader.read(65536):
            chunks.append(chunk)
    except ConnectionError:
        pass
    return b"".join(chunks)


def parse_answer(data: bytes) -> Answer:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return Answer(status, headers, body)


def _unchunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2 :]
    return b"".join(out)


def problems(case: Case, answer: Answer | None, method: str) -> list[str]:
    """What is wrong with the answer to `case`; empty where it is right."""
    if answer is None:
        return [] if case.unparseable else ["the server hung up without an answer"]
    found = []
    if answer.status >= 500:
        found.append(f"status {answer.status}")
    if 400 <= answer.status < 600 and method != "HEAD":
        try:
            error = json.loads(answer.body)["error"]
            if not (isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
                found.append(f"a {answer.status} whose error lacks code or message: {answer.body[:200]!r}")
        except (ValueError, KeyError, TypeError, AttributeError):
            found.append(f"a {answer.status} that is not Graph's JSON error: {answer.body[:200]!r}")
    return found


# ------------------------------------------------------------------------------------ the test


@pytest.fixture
async def server(tmp_path):
    """The bundled fixtures, a small body limit, and a journal file."""
    settings = Settings(max_body_bytes=BODY_LIMIT, journal=tmp_path / "journal.jsonl")
    app = create_server(FixtureIndex(dict(_FIXTURES)), settings)
    async with running(app) as url:
        yield int(url.rsplit(":", 1)[1]), settings.journal


def _cases(family: str) -> tuple[random.Random, list[Case]]:
    rng = random.Random(f"{SEED}-{family}")
    return rng, FAMILIES[family](rng)


@pytest.mark.parametrize("family", list(FAMILIES))
async def test_fuzz(server, family):
    """Every answer is below 500 and Graph-shaped; the server, its journal and reports survive."""
    port, journal = server
    rng, templates = _cases(family)
    deadline = time.monotonic() + SECONDS / len(FAMILIES)
    failures: list[str] = []
    sent = 0
    while sent < CASES and (sent < len(templates) or time.monotonic() < deadline):
        if sent < len(templates):
            case = templates[sent]
        else:
            case = rng.choice(FAMILIES[family](rng))
        sent += 1
        method = case.raw.split(b" ", 1)[0].decode("latin-1")
        try:
            answer = await send(port, case.raw)
        except asyncio.TimeoutError:
            failures.append(f"{case.name}: no answer within {ANSWER_SECONDS:g} s")
            continue
        failures += [f"{case.name}: {p}" for p in problems(case, answer, method)]
    assert sent >= len(templates)

    health = await send(port, request("GET", "/_mockgraph/health"))
    if health is None or health.status != 200:
        failures.append(f"afterwards: GET /_mockgraph/health answers {health and health.status}")
    listed = await send(port, request("GET", "/_mockgraph/requests"))
    if listed is None or listed.status != 200:
        failures.append(f"afterwards: GET /_mockgraph/requests answers {listed and listed.status}")
    else:
        json.loads(listed.body)
    try:
        entries = read_journal(journal)
    except Exception as exc:
        failures.append(f"afterwards: the journal does not read back: {exc!r}"[:300])
    else:
        assert entries, "nothing was journalled"
        for fmt in FORMATS:
            try:
                assert render(cases_from_journal(entries), fmt)
            except Exception as exc:
                failures.append(f"afterwards: the {fmt} report does not render: {exc!r}"[:300])
    assert not failures, f"seed {SEED}, family {family}, {sent} cases:\n" + "\n".join(dict.fromkeys(failures))


def test_every_family_has_templates():
    """Each family yields cases, and the same seed yields the same cases."""
    for family in FAMILIES:
        assert _cases(family)[1]
        assert _cases(family)[1] == _cases(family)[1]


def test_answers_are_parsed():
    """The raw-socket reader understands plain and chunked answers (so the fuzz checks can fail)."""
    plain = parse_answer(b'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"error": {"code": "c", "message": "m"}}')
    assert plain.status == 404 and not problems(Case("x", b""), plain, "GET")
    chunked = parse_answer(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert chunked.body == b"abc"
    assert problems(Case("x", b""), chunked, "GET") == ["status 500", "a 500 that is not Graph's JSON error: b'abc'"]
    assert problems(Case("x", b""), None, "GET") and not problems(Case("x", b"", unparseable=True), None, "GET")
