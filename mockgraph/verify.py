"""`mockgraph verify`: every fixture must answer its own documented request.

Each fixture's documented request goes to the real server, in-process over a socket, and must get
the fixture's documented status and body back. That catches what no single file shows: examples
whose requests are identical, routes that hand a request to another example, paths the server
reads differently from the importer. Where a documented request breaks its own contract (what
`mockgraph lint` reports of the page) that is a note, not a failure: the documentation is what it
is, and the mock must still answer it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .config import Settings
from .differ import json_pointer
from .errors import FixtureError
from .fixturefile import load_fixtures
from .index import FixtureIndex, Incoming, Match, Route, Unchosen, choose_example, example_labels, signature
from .journal import JournalEntry, counted
from .models import Finding, Fixture, Headers
from .paging import rewrite_links
from .replay import encode_body
from .server import create_server, running

#: Why a fixture failed: its own answer differs (status, body); no fixture answered (unmatched);
#: another fixture answered (other-fixture), one whose documented request is the same to the
#: matcher (indistinguishable: left only where `Prefer: example=` cannot choose it either); the
#: request could not be sent or answered at all (error).
REASONS = ("status", "body", "unmatched", "other-fixture", "indistinguishable", "error")

# Headers that frame the message or the connection. aiohttp sets its own; a documented one (the
# original body's Content-Length, Expect: 100-continue, Content-Encoding over a plain body) would
# break the exchange.
_NOT_SENT = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "expect", "upgrade", "te", "trailer", "content-encoding"}
)
_SHOWN_CHARS = 60  # of a value in a failure message
_SHOWN_POINTERS = 3  # per finding kind in a note


@dataclass(frozen=True)
class FixtureResult:
    """Whether one fixture's documented request got its documented response, and if not, why."""

    name: str
    passed: bool
    reason: str = ""  # one of REASONS where it failed
    message: str = ""  # what differed, on one line
    # How its request was told apart, where the documented request alone cannot be: another
    # fixture's documented request is the same, so verify sent `Prefer: example=<label>`.
    chosen: str = ""


@dataclass(frozen=True)
class VerifyResult:
    results: tuple[FixtureResult, ...]
    # The contract findings of each fixture's own documented request, for fixtures that have any.
    notes: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict, hash=False)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def failures(self) -> tuple[FixtureResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def chosen(self) -> tuple[FixtureResult, ...]:
        """Fixtures that passed only when asked for by name: their documented request is another's."""
        return tuple(r for r in self.results if r.passed and r.chosen)


@dataclass(frozen=True)
class _Request:
    """A documented request as verify sends it; equal requests cannot be told apart by any rule."""

    method: str
    target: str  # "/v1.0/me/events?$top=5", as documented; yarl encodes what must be encoded
    headers: Headers
    body: bytes


@dataclass(frozen=True)
class _Reply:
    status: int = 0
    body: bytes = b""
    error: str = ""  # why there is no reply


def run_verify(folder: Path, out: TextIO, settings: Settings | None = None, notes: bool = True) -> int:
    """Verify the fixtures below `folder` and write the report to `out`; 0 when all pass, else 1.

    A missing folder, a folder without fixtures or a malformed fixture raises FixtureError."""
    fixtures = {(folder / name).as_posix(): fixture for name, fixture in load_fixtures(folder).items()}
    if not fixtures:
        raise FixtureError(folder, "holds no fixture files")
    result = asyncio.run(verify(fixtures, settings))
    out.write(_response_notes(fixtures, notes))
    out.write(render_verify(result, notes=notes))
    return int(result.failed > 0)


async def verify(fixtures: Mapping[str, Fixture], settings: Settings | None = None, concurrency: int = 16) -> VerifyResult:
    """Send each fixture's documented request to a server of `fixtures`, at most `concurrency` at a
    time over one session, and compare what comes back with the documented response."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    # Of the settings, only what shapes the answers: the severities and the body limit. Never
    # strict (a request that breaks its contract must still get its response), no journal file, no
    # forwarding anywhere; and a journal that keeps every request, since it says which fixture
    # answered each, and with what findings.
    given = settings or Settings()
    served = Settings(severity=given.severity, max_body_bytes=given.max_body_bytes, journal_limit=len(fixtures))
    index = FixtureIndex(fixtures)
    signatures = {name: signature(_incoming(index, fixture)) for name, fixture in fixtures.items()}
    chosen = _chosen(index, fixtures, signatures)
    requests = {name: _documented_request(fixture, chosen.get(name, "")) for name, fixture in fixtures.items()}
    server = create_server(index, served)
    replies: dict[str, _Reply] = {}
    async with running(server) as base_url:
        urls = {name: URL(base_url + request.target) for name, request in requests.items()}
        # The journal records method and target, not headers or body: requests that share those
        # are sent one after another, so their journal entries come in the order they were sent.
        targets: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
        for name, request in requests.items():
            targets[(request.method, urls[name].raw_path_qs)].append(name)
        pending = iter(targets.values())  # shared by the workers: each takes the next target's requests

        async def worker(session: aiohttp.ClientSession) -> None:
            for names in pending:
                for name in names:
                    replies[name] = await _send(session, urls[name], requests[name])

        connector = aiohttp.TCPConnector(limit=concurrency)
        # auto_decompress off: a documented Content-Encoding is replayed over a body that is not encoded.
        async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
            await asyncio.gather(*(worker(session) for _ in range(min(concurrency, len(targets)))))
        answered = _attribute(targets, server.journal)
    results = tuple(
        _result(name, fixture, replies[name], answered.get(name), signatures, chosen.get(name, ""), base_url)
        for name, fixture in fixtures.items()
    )
    notes = {name: entry.findings for name, entry in answered.items() if entry.fixture == name and entry.findings}
    return VerifyResult(results, {name: notes[name] for name in fixtures if name in notes})


def render_verify(result: VerifyResult, notes: bool = True) -> str:
    """One line per failure, one per fixture with contract notes (with `notes`), their count, and
    last `N passed, M failed`."""
    lines = [f"{r.name}: fail: {r.reason}: {r.message}" for r in result.failures]
    if result.chosen:
        if notes:
            lines.extend(f"{r.name}: note: reachable with Prefer: example={r.chosen} ({r.message})" for r in result.chosen)
        lines.append(
            f"{counted(len(result.chosen), 'fixture')} reachable only with Prefer: example=... "
            "(documented requests that are another example's; not failures)"
        )
    if result.notes:
        if notes:
            lines.extend(f"{name}: note: {_note(findings)}" for name, findings in result.notes.items())
        total = sum(len(findings) for findings in result.notes.values())
        lines.append(
            f"{counted(total, 'contract note')} in {counted(len(result.notes), 'fixture')}: documented requests "
            "that break their own contract (not failures; `mockgraph lint` explains them)"
        )
    lines.append(f"{result.passed} passed, {result.failed} failed")
    return "\n".join(lines) + "\n"


def _incoming(index: FixtureIndex, fixture: Fixture) -> Incoming:
    """A fixture's documented request as the matcher sees it once the server has read it."""
    r = fixture.request
    headers = CIMultiDict(r.headers)
    return Incoming(
        r.method.upper(),
        (f"/{r.version}" if r.version else "") + r.path,
        r.query,
        r.body.json if r.body.is_json else None,
        headers.get("Prefer", ""),
        index.matched_headers(headers),
    )


def _chosen(index: FixtureIndex, fixtures: Mapping[str, Fixture], signatures: Mapping[str, Hashable]) -> dict[str, str]:
    """Fixture name -> the `Prefer: example=` label that reaches it, for each fixture whose
    documented request the matcher hands to another fixture with the very same request: no rule
    can tell those apart, but a client can choose, and verify chooses as a client would."""
    chosen: dict[str, str] = {}
    for name, fixture in fixtures.items():
        incoming = _incoming(index, fixture)
        match = index.match(incoming)
        if not isinstance(match, Match) or match.route.name == name or signatures.get(match.route.name) != signatures[name]:
            continue
        for route, label in zip(match.candidates, example_labels(match.candidates)):
            if route.name == name and _route_of(choose_example(match, _with_example(incoming.prefer, label))) == name:
                chosen[name] = label
                break
    return chosen


def _route_of(chosen: Route | Unchosen) -> str:
    return chosen.name if isinstance(chosen, Route) else ""


def _with_example(prefer: str, label: str) -> str:
    """The documented Prefer header with `example=<label>` added (quoted where it must be)."""
    value = label if label and all(c.isalnum() or c in "-_.!#$%&'*+^`|~/" for c in label) else f'"{label}"'
    return f"{prefer}, example={value}" if prefer.strip() else f"example={value}"


def _documented_request(fixture: Fixture, chosen: str = "") -> _Request:
    r = fixture.request
    target = (f"/{r.version}" if r.version else "") + r.path + (f"?{r.query}" if r.query else "")
    headers = tuple((name, value) for name, value in r.headers if name.lower() not in _NOT_SENT)
    if chosen:
        prefer = next((value for name, value in headers if name.lower() == "prefer"), "")
        headers = tuple((name, value) for name, value in headers if name.lower() != "prefer")
        headers += (("Prefer", _with_example(prefer, chosen)),)
    # A page may leave the Content-Type out; a client sending JSON never does, and without it the
    # server neither parses the body nor matches by it.
    if r.body.is_json and not any(name.lower() == "content-type" for name, _ in headers):
        headers += (("Content-Type", "application/json"),)
    return _Request(r.method.upper(), target, headers, encode_body(r.body))


async def _send(session: aiohttp.ClientSession, url: URL, request: _Request) -> _Reply:
    try:
        async with session.request(
            request.method, url, headers=list(request.headers), data=request.body or None, allow_redirects=False
        ) as response:
            return _Reply(response.status, await response.read())
    except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a header aiohttp will not send
        return _Reply(error=f"request failed: {type(exc).__name__}: {exc}")


def _attribute(targets: Mapping[tuple[str, str], Sequence[str]], journal: Iterable[JournalEntry]) -> dict[str, JournalEntry]:
    """The journal entry of each fixture's request. A target whose entries are not one per request
    (a request aiohttp could not parse is answered before it reaches the journal) gets none."""
    entries: defaultdict[tuple[str, str], list[JournalEntry]] = defaultdict(list)
    for entry in journal:
        entries[(entry.method, entry.path)].append(entry)
    return {name: entry for key, names in targets.items() if len(entries[key]) == len(names) for name, entry in zip(names, entries[key])}


def _result(
    name: str,
    fixture: Fixture,
    reply: _Reply,
    entry: JournalEntry | None,
    signatures: Mapping[str, Hashable],
    chosen: str,
    base_url: str = "",
) -> FixtureResult:
    if reply.error:
        return FixtureResult(name, False, "error", reply.error)
    difference = _difference(fixture, reply, base_url)
    if difference is None:
        if chosen:
            same = sorted(other for other, key in signatures.items() if key == signatures[name] and other != name)
            return FixtureResult(name, True, message=f"its documented request is also {', '.join(same)}'s", chosen=chosen)
        return FixtureResult(name, True)
    reason, message = difference
    if entry is not None and entry.fixture is None:
        return FixtureResult(name, False, "unmatched", f"got {reply.status} {_graph_error(reply.body)}")
    if entry is not None and entry.fixture is not None and entry.fixture != name:
        other = entry.fixture
        if signatures.get(other) == signatures[name]:
            return FixtureResult(name, False, "indistinguishable", f"answered by {other}, whose documented request is the same; {message}")
        return FixtureResult(name, False, "other-fixture", f"answered by {other}; {message}")
    return FixtureResult(name, False, reason, message)


def _difference(fixture: Fixture, reply: _Reply, base_url: str = "") -> tuple[str, str] | None:
    """(reason, message) where the reply is not the documented response; None where it is. The
    documented next and delta links to Graph are expected to lead to the mock at `base_url` instead."""
    documented = fixture.response
    if reply.status != documented.status:
        return "status", f"expected status {documented.status}, got {reply.status}"
    if not documented.body.is_json:
        expected = encode_body(documented.body)
        if reply.body == expected:
            return None
        return "body", f"body: expected {_show_text(expected)}, got {_show_text(reply.body)}"
    try:
        got = json.loads(reply.body)
    except ValueError:
        return "body", f"body: expected {_show(documented.body.json)}, got {_show_text(reply.body)}"
    found = _first_difference(rewrite_links(documented.body.json, base_url), got, ())
    if found is None:
        return None
    path, expected_value, got_value = found
    where = f"body at {json_pointer(path)}" if path else "body"
    return "body", f"{where}: expected {_show(expected_value)}, got {_show(got_value)}"


_ABSENT: Any = object()


def _first_difference(expected: Any, got: Any, path: tuple[str, ...]) -> tuple[tuple[str, ...], Any, Any] | None:
    """Where two JSON values first differ, in the documented order, and the values there. Stricter
    than ==: true is not 1, and 1 is not 1.0 (the server re-encodes, it never converts)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            found = _first_difference(expected.get(key, _ABSENT), got.get(key, _ABSENT), (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list):
        for i in range(max(len(expected), len(got))):
            item = (expected[i] if i < len(expected) else _ABSENT, got[i] if i < len(got) else _ABSENT)
            found = _first_difference(*item, (*path, str(i)))
            if found is not None:
                return found
        return None
    if type(expected) is type(got) and expected == got:
        return None
    return path, expected, got


def _show(value: Any) -> str:
    """A JSON value, shortened, as one line of ASCII (a payload must not steer a terminal)."""
    return "nothing" if value is _ABSENT else _shorten(json.dumps(value))


def _show_text(body: bytes) -> str:
    return _show(body.decode("utf-8", errors="replace")) if body else "nothing"


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _graph_error(body: bytes) -> str:
    """`ResourceNotFound: mockgraph has no fixture for ...`, from the server's Graph-style error."""
    try:
        error = json.loads(body)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return _show_text(body)


def _note(findings: Sequence[Finding]) -> str:
    """`2 enum findings at /accessLevel, /capabilities/0; 1 format finding at /startDateTime`."""
    by_kind: dict[str, list[str]] = {}
    for finding in findings:
        by_kind.setdefault(finding.kind, []).append(finding.path or "(root)")
    parts = []
    for kind, pointers in by_kind.items():
        more = len(pointers) - _SHOWN_POINTERS
        shown = ", ".join(pointers[:_SHOWN_POINTERS]) + (f" and {more} more" if more > 0 else "")
        parts.append(f"{counted(len(pointers), f'{kind} finding')} at {shown}")
    return "; ".join(parts)


def _response_notes(fixtures: Mapping[str, Fixture], each: bool) -> str:
    """Fixtures whose documented answer breaks its own response contract (issue 18): notes, not
    failures, as for requests; a line per fixture where `each`, and their count."""
    from .responses import documented_response_findings

    noted = {name: found for name, fixture in fixtures.items() if (found := documented_response_findings(fixture))}
    if not noted:
        return ""
    lines = [f"{name}: note: response: {_note(found)}" for name, found in noted.items()] if each else []
    lines.append(
        f"{counted(len(noted), 'fixture')} whose documented response breaks its own response contract "
        "(not failures; `mockgraph lint` explains them)"
    )
    return "\n".join(lines) + "\n"
