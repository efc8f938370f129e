"""Drift: do the answers mockgraph gives still match what Graph returns?

Fixtures answer with documented examples; the documentation may be wrong, or Graph may have moved
on. `drift` sends each fixture's request to a real Graph (or anything that plays it) and compares
the real answer with the fixture's: the status, and the body's shape against the fixture's response
contract (types, enumerations, formats, properties added or gone), never its values, which differ
from tenant to tenant. Record mode compares each recording the same way (`drift_findings`).

Only safe calls (GET, HEAD, OPTIONS) go out unless writes are allowed: a drift check must not create
users in someone's tenant. No secret reaches a report: the token is only ever sent, and paths and
finding texts pass the `Redactor`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import aiohttp
from yarl import URL

from .models import Finding, Fixture, JsonValue
from .redact import Redactor
from .replay import encode_body
from .reports import Case
from .responses import response_findings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Every change of shape is drift: a property gone or added is as much news as a changed type. An
#: `@odata.type` naming a type the contract does not know may be a derived type: a warning.
DRIFT_SEVERITIES: Mapping[str, str] = {
    "type": "error",
    "unknown": "error",
    "missing": "error",
    "enum": "error",
    "format": "error",
    "odata": "warning",
}

# Headers a documented request shows that must not go to a real service as written.
_NOT_SENT = frozenset({"authorization", "host", "content-length", "connection", "transfer-encoding"})


@dataclass(frozen=True)
class DriftResult:
    """One fixture's request sent upstream, and how the answer compares."""

    name: str  # the fixture's name
    fixture: Fixture
    outcome: str  # "same", "drifted", "failed" (no answer) or "skipped" (a write, not sent)
    target: str = ""  # the request's path and query, redacted
    status: int | None = None  # what the upstream answered
    findings: tuple[Finding, ...] = ()
    reason: str = ""  # why it failed or was skipped

    @property
    def case(self) -> Case:
        """The result as a report's case."""
        label = f"{self.fixture.request.method} {self.target}"
        if self.outcome == "failed":
            return Case(label, (), self.name, self.status, error=self.reason, skipped=f"failed: {self.reason}")
        if self.outcome == "skipped":
            return Case(label, (), self.name, skipped=self.reason)
        return Case(label, self.findings, self.name, self.status)


@dataclass(frozen=True)
class DriftReport:
    results: tuple[DriftResult, ...]

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def drifted(self) -> bool:
        """Whether the command fails: an answer drifted, or a request got no answer to compare."""
        return any(r.outcome in ("drifted", "failed") for r in self.results)

    def summary(self) -> str:
        """`N same, M drifted, K failed`, and the writes left out where there were any."""
        line = f"{self.count('same')} same, {self.count('drifted')} drifted, {self.count('failed')} failed"
        if skipped := self.count("skipped"):
            line += f", {skipped} skipped (writes; --allow-writes sends them)"
        return line

    @property
    def cases(self) -> list[Case]:
        return [r.case for r in self.results]


def drift_findings(
    fixture: Fixture,
    status: int,
    body: JsonValue,
    is_json: bool = True,
    severities: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> tuple[Finding, ...]:
    """How a real answer (`status`, and `body` where `is_json`) differs from `fixture`'s: another
    status (the bodies are then not compared, an error answer has its own shape), JSON where the
    fixture answers JSON, and the body's shape against the response contract. Finding texts are
    redacted: an enumeration finding quotes the value it refused."""
    documented = fixture.response.status
    if status != documented:
        return (Finding("status", "error", "", str(documented), str(status), f"the service answered {status}, the fixture {documented}"),)
    if not fixture.response.body.is_json and fixture.response_contract is None:
        return ()
    if not is_json:
        return (Finding("type", "error", "", "JSON", "not JSON", "the service answered a body that is not JSON, the fixture JSON"),)
    findings = response_findings(fixture, body, {**DRIFT_SEVERITIES, **(severities or {})})
    r = redactor or Redactor()
    return tuple(replace(f, actual=r.text(f.actual), message=r.text(f.message)) for f in findings)


def outcome_of(findings: Sequence[Finding]) -> str:
    """ "drifted" where a finding is an error or a warning; "same" otherwise (info is not drift)."""
    return "drifted" if any(f.severity in ("error", "warning") for f in findings) else "same"


async def drift(
    fixtures: Mapping[str, Fixture],
    upstream: str,
    *,
    token: str | None = None,
    allow_writes: bool = False,
    concurrency: int = 8,
    timeout: float = 30.0,
    severities: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> DriftReport:
    """Send each fixture's request to `upstream`, at most `concurrency` at a time, each bounded by
    `timeout` seconds, and compare the answers; results in the fixtures' order."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    r = redactor or Redactor()
    base = upstream.rstrip("/")
    gate = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, name: str, fixture: Fixture) -> DriftResult:
        target = _target(fixture)
        shown = r.text(target)
        if fixture.request.method.upper() not in SAFE_METHODS and not allow_writes:
            return DriftResult(name, fixture, "skipped", shown, reason=f"not sent: {fixture.request.method} may change data")
        headers = [(k, v) for k, v in fixture.request.headers if k.lower() not in _NOT_SENT]
        if fixture.request.body.is_json and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        if token:
            headers.append(("Authorization", f"Bearer {token}"))
        async with gate:
            try:
                async with session.request(
                    fixture.request.method.upper(),
                    URL(base + target, encoded=True),
                    headers=headers,
                    data=encode_body(fixture.request.body) or None,
                    allow_redirects=False,
                ) as answer:
                    data = await answer.read()
                    status, content_type = answer.status, answer.headers.get("Content-Type", "")
            except asyncio.TimeoutError:
                return DriftResult(name, fixture, "failed", shown, reason=f"no answer within {timeout:g} s")
            except (aiohttp.ClientError, ValueError) as exc:
                return DriftResult(name, fixture, "failed", shown, reason=r.text(f"{type(exc).__name__}: {exc}"))
        body, is_json = _parse(data, content_type)
        findings = drift_findings(fixture, status, body, is_json, severities, r)
        return DriftResult(name, fixture, outcome_of(findings), shown, status, findings)

    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout, cookie_jar=aiohttp.DummyCookieJar()) as session:
        results = await asyncio.gather(*(one(session, name, fixture) for name, fixture in fixtures.items()))
    return DriftReport(tuple(results))


def _target(fixture: Fixture) -> str:
    q = fixture.request
    return (f"/{q.version}" if q.version else "") + q.path + (f"?{q.query}" if q.query else "")


def _parse(data: bytes, content_type: str) -> tuple[JsonValue, bool]:
    """The answer's body as JSON where it is JSON (by its type, or an untyped body that parses)."""
    if not data:
        return None, False
    if "json" not in content_type.lower() and content_type:
        return None, False
    try:
        return json.loads(data), True
    except (ValueError, RecursionError):
        return None, False
