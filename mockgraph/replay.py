"""Answering from the fixtures: the documented (or recorded) response of the fixture that matches,
with the payload's contract findings; and, last on the road, the explained miss.

The fixtures' answers never change while the fixtures do not, so this is the one answerer that
remembers them: the answer to an identical request (same method, target, Content-Type, Prefer and
body bytes), the route a path matched where no other route competes for it, each fixture's contract
checker, the answer shared by every payload without findings, and the headers shared by every
answer with the same contract summary. Its memory cannot hide another answerer: everything placed
before it on the road (stubs, state, permissions, throttling) has answered, or passed, before this
memory is read.

Collection answers are paged, and documented links pointed at the mock, by `paging`; such answers
depend on where the client reached the mock too, so they are remembered apart, by base URL. Which
fixtures they can concern is learnt once, on a fixture's first answer: a plain replay never parses a response body again.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, TypeAlias

from multidict import istr

from . import paging
from .config import Settings
from .differ import ContractChecker, checker_for
from .errors import BodyError
from .exchange import CONTENT_TYPE, CONTRACT_HEADER, PREFER, SERVER_HEADERS, Answer, Request, graph_error
from .fastcheck import FastDecoders
from .index import FixtureIndex, Incoming, Match, Miss, Route, Unchosen, choose_example
from .journal import contract_summary, finding_to_json
from .jsonbody import parse_json_body
from .models import Body, Finding, Fixture, FixtureResponse, Headers, JsonValue
from .recorder import RECORDED_KIND
from .redact import Redactor

# Identical requests are answered from memory: how many answers, for bodies up to what size
# (so at most 1,024 x 64 KB of remembered request bodies, plus the answers, which are shared).
MEMO_ANSWERS = 1024
MEMO_BODY_BYTES = 64 * 1024
# A request's head as the memo knows it: method, target, Content-Type, Prefer, the headers that
# tell examples apart, and the body's length. It holds the one body remembered for that head and its
# answer, or, once there are several, a dict of them by body.
MemoHead = tuple[str, str, str, str, Headers, int]
Remembered: TypeAlias = "tuple[bytes, Answer] | dict[bytes, Answer]"
# Route matches remembered where the body cannot change them (see `Match.unique`).
MEMO_MATCHES = 1024
# Contract checkers (one a fixture, each with its shape caches and compiled decoder) kept at most.
MEMO_CHECKERS = 1024


class PreparedResponse(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def prepare_response(response: FixtureResponse) -> PreparedResponse:
    """A fixture's response as the bytes it is sent as, rendered once."""
    # istr names: aiohttp takes them into its headers without folding their case, on every answer.
    headers: dict[str, str] = {istr(name): value for name, value in response.headers if name.lower() not in SERVER_HEADERS}
    body = encode_body(response.body)
    if response.body.is_json and not any(name.lower() == "content-type" for name in headers):
        headers[CONTENT_TYPE] = "application/json"
    return PreparedResponse(response.status, headers, body)


def encode_body(body: Body) -> bytes:
    if body.is_json:
        return json.dumps(body.json, ensure_ascii=False, separators=(",", ":")).encode()
    return (body.text or "").encode()


class Lookup:
    """Turns a request into what the index matches. Recordings hold redacted (pseudonymised)
    requests, so once the index holds one, requests are looked up by the same redaction."""

    def __init__(self, index: FixtureIndex, redactor: Redactor) -> None:
        self.index = index
        self.redactor = redactor
        self.recorded = any(route.fixture.source.kind == RECORDED_KIND for route in index.routes)

    def incoming(self, method: str, path: str, query: str, payload: JsonValue = None, prefer: str = "", headers: Headers = ()) -> Incoming:
        if not self.recorded:
            return Incoming(method, path, query, payload, prefer, headers)
        r = self.redactor
        return Incoming(method, r.path(path), r.query(query), r.json(payload), prefer, headers)

    def match(self, request: Request) -> Match | Miss:
        """The fixture a request's method, path and query find, body and headers aside: the
        operation it calls, as the miss, the record modes and the permission check ask."""
        return self.index.match(self.incoming(request.method, request.path, request.query))

    def add(self, name: str, fixture: Fixture) -> None:
        self.index.add(name, fixture)
        self.recorded = self.recorded or fixture.source.kind == RECORDED_KIND


class Inspected(NamedTuple):
    """A request as the fixtures see it: who would answer, and what its payload breaks."""

    route: Route
    findings: tuple[Finding, ...]
    parsed: bool  # a JSON payload was read
    checked: bool  # and checked against a contract

    @property
    def unchecked(self) -> bool:
        return self.parsed and not self.checked


_UNKNOWN: Any = object()  # a fixture whose checker is not made yet


class FixtureAnswerer:
    """The matching fixture's response, its payload checked against the fixture's contract; passes
    where no fixture matches. In strict mode a payload with contract errors is answered 400."""

    def __init__(self, lookup: Lookup, settings: Settings) -> None:
        self.lookup = lookup
        self.severity = settings.severity
        self.strict = settings.strict
        # Each fixture's response as sent, and its paging shape: worked out on first use, as a
        # server of 10,000 fixtures answers from a few, and its start is the time to its first answer.
        self._prepared: dict[str, tuple[PreparedResponse, paging.Shape]] = {}
        self._checkers: dict[str, ContractChecker | None] = {}  # made on first use; one a fixture
        self._answers: dict[MemoHead, Remembered] = {}  # see `answer`
        self._remembered = 0  # answers in `_answers`, at most MEMO_ANSWERS
        self._matches: dict[tuple[str, str, str], Route] = {}  # (method, target, Prefer)
        self._clean: dict[tuple[str, bool], Answer] = {}  # by (fixture, checked): see `_answer_for`
        self._summaries: dict[tuple[str, str], dict[str, str]] = {}  # (fixture, contract summary): headers
        # Paging (paging.py): each response's shape, worked out once; paged bodies by where they lead.
        self.page_size = settings.page_size
        self._pages: dict[tuple[str, str, str, str], bytes] = {}  # (fixture, method, target, base URL)
        self._fast = FastDecoders()  # compiled contracts that prove a payload clean: see `_proven`
        self._weighs_headers = bool(lookup.index.header_names)  # usually not: a call saved on every request

    def concerns(self, request: Request) -> bool:
        return True

    async def answer(self, request: Request) -> Answer | None:
        headers = request.headers
        content_type, prefer = headers.get(CONTENT_TYPE, ""), headers.get(PREFER, "")
        matched = self.lookup.index.matched_headers(headers) if self._weighs_headers else ()  # those that tell examples apart
        # An identical request is found by its head and its body's length, then its body compared
        # whole. Hashing the body, as a key holding it would, costs 3 instructions a byte (siphash):
        # 5,000 for the seed's 1.7 KB. Only a head with several bodies remembered hashes them.
        body = request.body
        head = (request.method, request.target, content_type, prefer, matched, len(body))
        remembered = self._answers.get(head)
        if remembered is not None:
            if isinstance(remembered, tuple):
                if remembered[0] == body:
                    return remembered[1]
            elif (answer := remembered.get(body)) is not None:
                return answer
        inspected = self._inspect(request, content_type, prefer, matched)
        if not isinstance(inspected, Inspected):
            return inspected  # refused, or (None) no fixture matches
        route = inspected.route
        prepared, shape = self._prepared.get(route.name) or self._prepare(route.name, route.fixture)
        answer = self._answer_for(route.name, prepared, inspected.parsed, inspected.checked, inspected.findings)
        if shape is not paging.PLAIN and (paged := self._paged(request, route, shape, answer)) is not None:
            return paged  # depends on the base URL too: never remembered by target alone
        self._remember(head, body, answer)
        return answer

    def inspect(self, request: Request) -> Inspected | Answer | None:
        """What the fixtures make of a request, short of answering it: the fixture that would answer
        and the payload's contract findings; an answer where the request is refused (a payload that
        cannot be read, an example that cannot be chosen, contract errors in strict mode); None
        where no fixture matches. Stubs use it to check what they stand in for."""
        headers = request.headers
        prefer = headers.get(PREFER, "")
        return self._inspect(request, headers.get(CONTENT_TYPE, ""), prefer, self.lookup.index.matched_headers(headers))

    def _inspect(self, request: Request, content_type: str, prefer: str, matched: Headers) -> Inspected | Answer | None:
        payload = None
        if request.body and "json" in content_type.lower():
            if (proven := self._proven(request, prefer)) is not None:
                return Inspected(proven, (), True, True)
            try:
                payload = parse_json_body(request.body)
            except BodyError as exc:  # not JSON, too deep, numbers or strings JSON cannot carry
                return graph_error(request, 400, "BadRequest", exc.message)
        route = self._route(request, prefer, matched, payload)
        if route is None:
            return None
        if isinstance(route, Unchosen):
            return graph_error(request, 400, "BadRequest", route.message, choices=list(route.choices))
        checker = self._checker(route) if payload is not None else None
        findings = checker.check(payload) if checker is not None else ()
        if self.strict and any(f.severity == "error" for f in findings):
            return _contract_error(request, route.name, findings)
        return Inspected(route, findings, payload is not None, checker is not None)

    def add(self, name: str, fixture: Fixture) -> None:
        """Serve a new fixture from now on (a recording may replace an earlier one of the same request)."""
        self.lookup.add(name, fixture)
        self._prepare(name, fixture)  # now, so a response that cannot be sent fails the add, not each request
        self._weighs_headers = bool(self.lookup.index.header_names)
        self._pages.clear()
        # Everything remembered may now be wrong: an answer may come from the fixture this one
        # replaces, and a remembered match or shared answer may now have rivals.
        self._checkers.pop(name, None)
        self._fast.forget(name)
        self._answers.clear()
        self._remembered = 0
        self._matches.clear()
        self._clean.clear()
        self._summaries.clear()

    def _proven(self, request: Request, prefer: str) -> Route | None:
        """The route, where it is remembered and its contract's compiled decoder proves from the
        body's bytes that the payload has no findings; else None, and the payload is parsed and
        checked as usual (which gives the same findings, explained)."""
        route = self._matches.get((request.method, request.target, prefer))
        if route is None:
            return None
        checker = self._checkers.get(route.name, _UNKNOWN)  # the usual case without the call
        if checker is _UNKNOWN:
            checker = self._checker(route)
        if checker is None:
            return None
        return route if self._fast.proves(route.name, checker, request.body) else None

    def _remember(self, head: MemoHead, body: bytes, answer: Answer) -> None:
        """Keep an answer for the next identical request; bounded in count and body size. The
        oldest goes first: of the head remembered first, its oldest body."""
        if len(body) > MEMO_BODY_BYTES:
            return
        answers = self._answers
        if self._remembered >= MEMO_ANSWERS:
            oldest = next(iter(answers))
            bodies = answers[oldest]
            if isinstance(bodies, tuple) or len(bodies) == 1:
                del answers[oldest]
            else:
                del bodies[next(iter(bodies))]
            self._remembered -= 1
        remembered = answers.get(head)
        if remembered is None:
            answers[head] = (body, answer)
        elif isinstance(remembered, tuple):
            answers[head] = {remembered[0]: remembered[1], body: answer}
        else:
            remembered[body] = answer
        self._remembered += 1

    def _paged(self, request: Request, route: Route, shape: paging.Shape, answer: Answer) -> Answer | None:
        """The answer with its collection paged and its documented links leading to the mock
        (paging.py); None where neither applies, so a plain collection replays as documented."""
        paged = shape.collection and request.method == "GET" and paging.applies(request, self.page_size)
        if not paged and not shape.linked:
            return None
        key = (route.name, request.method, request.target, request.base_url)
        body = self._pages.get(key)
        if body is None:
            content: Any = route.fixture.response.body.json
            if paged:
                content = paging.page(content, request, self.page_size, shape.tokens)
                if isinstance(content, Answer):  # malformed paging options: a 400, not kept
                    return content._replace(fixture=route.name)
            body = json.dumps(paging.rewrite_links(content, request.base_url), ensure_ascii=False, separators=(",", ":")).encode()
            if len(self._pages) >= MEMO_ANSWERS:
                self._pages.pop(next(iter(self._pages)))
            self._pages[key] = body
        return answer._replace(body=body)

    def _checker(self, route: Route) -> ContractChecker | None:
        """The contract checker of a route's fixture; None where the fixture documents no contract."""
        if route.name not in self._checkers:
            if len(self._checkers) >= MEMO_CHECKERS:
                self._checkers.pop(next(iter(self._checkers)))
            self._checkers[route.name] = checker_for(route.fixture, self.severity)
        return self._checkers[route.name]

    def _route(self, request: Request, prefer: str, matched: Headers, payload: JsonValue) -> Route | Unchosen | None:
        """The route that answers (or why `Prefer: example=`/`code=` chose none); remembered by
        method, target and Prefer where no other route competes for it, so that requests differing
        only in their body or headers skip the match."""
        key = (request.method, request.target, prefer)
        route = self._matches.get(key)
        if route is not None:
            return route
        query = paging.for_matching(request.query)  # a skiptoken of ours means nothing to the matcher
        outcome = self.lookup.index.match(self.lookup.incoming(request.method, request.path, query, payload, prefer, matched))
        if isinstance(outcome, Miss):
            return None
        chosen = choose_example(outcome, prefer)
        if outcome.unique and isinstance(chosen, Route):
            if len(self._matches) >= MEMO_MATCHES:
                self._matches.pop(next(iter(self._matches)))
            self._matches[key] = chosen
        return chosen

    def _prepare(self, name: str, fixture: Fixture) -> tuple[PreparedResponse, paging.Shape]:
        prepared = self._prepared[name] = (prepare_response(fixture.response), _shape(fixture))
        return prepared

    def _answer_for(self, name: str, prepared: PreparedResponse, parsed: bool, checked: bool, findings: tuple[Finding, ...]) -> Answer:
        """A fixture's answer depends on the findings alone, so every payload without findings (the
        usual case) shares one, built once. Answers with findings are built each time: their findings
        seldom repeat (enum and format findings quote the value), and hashing them costs more than it saves."""
        unchecked = parsed and not checked
        if not findings and (answer := self._clean.get((name, unchecked))) is not None:
            return answer
        headers = prepared.headers
        if checked:
            headers = self._summed_up(name, headers, contract_summary(findings))
        elif unchecked:
            headers = {**headers, CONTRACT_HEADER: "unchecked"}
        answer = Answer(prepared.status, headers, prepared.body, name, findings, unchecked=unchecked)
        if not findings:
            self._clean[(name, unchecked)] = answer  # two a fixture at most: no bound needed
        return answer

    def _summed_up(self, name: str, headers: dict[str, str], summary: str) -> dict[str, str]:
        """A fixture's headers with the contract's summary: one dict for each summary, shared by every
        answer that has it, so the edge writes it out once (wire.py)."""
        key = (name, summary)
        summed_up = self._summaries.get(key)
        if summed_up is None:
            if len(self._summaries) >= MEMO_ANSWERS:
                self._summaries.pop(next(iter(self._summaries)))
            summed_up = self._summaries[key] = {**headers, CONTRACT_HEADER: summary}
        return summed_up


class MissAnswerer:
    """Last on the road: no answerer answered, so say why, with the nearest fixtures and what
    differed (405 where the path answers other methods)."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    async def answer(self, request: Request) -> Answer:
        outcome = self.lookup.match(request)
        miss = outcome if isinstance(outcome, Miss) else Miss()  # matched, yet nothing answered: no hint
        method, path = request.method, request.path
        nearest = [
            {
                "fixture": route.name,
                "method": route.method,
                "route": route.template,
                "version": route.version,
                "differences": [str(d) for d in differences],
            }
            for route, differences in miss.nearest
        ]
        if miss.allowed:
            allowed = ", ".join(miss.allowed)
            message = f"No fixture answers {method} {path}; this path answers {allowed}."
            return graph_error(request, 405, "BadRequest", message, {"Allow": allowed}, nearest=nearest)._replace(by="miss")
        hint = f" Nearest: {nearest[0]['method']} {nearest[0]['route']} ({nearest[0]['fixture']})." if nearest else ""
        if miss.nearest and [d.field for d in miss.nearest[0][1]] == ["version"]:
            route = miss.nearest[0][0]
            hint = f" The operation exists in {route.version}: {route.method} /{route.version}{route.template} ({route.name})."
        message = f"mockgraph has no fixture for {method} {path}.{hint}"
        return graph_error(request, 404, "ResourceNotFound", message, nearest=nearest)._replace(by="miss")


def _shape(fixture: Fixture) -> paging.Shape:
    body = fixture.response.body
    return paging.shape_of(body.json, fixture.request.query) if body.is_json else paging.PLAIN


def _contract_error(request: Request, fixture: str, findings: tuple[Finding, ...]) -> Answer:
    errors = [f for f in findings if f.severity == "error"]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    answer = graph_error(
        request,
        400,
        "BadRequest",
        f"The payload breaks the documented contract: {first.message} at {first.path or '/'}{more}.",
        {CONTRACT_HEADER: contract_summary(findings)},
        findings=[finding_to_json(f) for f in findings],
    )
    return answer._replace(fixture=fixture, findings=findings)
