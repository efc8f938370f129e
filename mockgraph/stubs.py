"""Answers a test writes: canned responses, Graph errors and throttling, placed before the fixtures.

One mechanism behind three doors: the pytest fixture (`stub`, `error`, `throttle`), the admin API
(`POST /_mockgraph/stubs`) and the settings (`[[stubs]]`). Each door hands a plain mapping to
`Stub.from_mapping`, the one place that reads and checks it:

    {"method", "path", "times", "status", "json" | "body", "headers"}        a canned response
    {"method", "path", "times", "error": {"status", "code", "message"}}       a Graph error
    {"method", "path", "times", "throttle": {"status", "retryAfter"}}         throttling

`path` follows the fixtures' rules: a template (`/users/{id}`) or a concrete path, the version prefix
optional. `times` counts answers (absent: every time); a stub added later wins over earlier ones.

Throttling is checked from the client's side too: once a throttled answer named a `Retry-After`, a
retry of the same request before it has elapsed is answered 429 again, with a `throttle` finding
("retried after 0.2 s, Retry-After was 2.128 s"): how a test proves its client honours throttling.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .errors import MockgraphError
from .exchange import SERVER_HEADERS, Answer, Request, graph_error
from .index import KNOWN_METHODS
from .models import Finding, JsonValue
from .paths import is_placeholder, segments, split_version
from .responses import response_findings

if TYPE_CHECKING:
    from .replay import FixtureAnswerer

# Graph's error code for each status it documents (errors.md), for error stubs that name none.
ERROR_CODES = {
    400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "ResourceNotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Gone", 411: "LengthRequired",
    412: "PreconditionFailed", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 416: "InvalidRange",
    422: "UnprocessableEntity", 423: "Locked", 429: "TooManyRequests", 500: "InternalServerError",
    501: "NotImplemented", 503: "ServiceUnavailable", 504: "GatewayTimeout", 507: "InsufficientStorage",
    509: "BandwidthLimitExceeded",
}  # fmt: skip
THROTTLE_STATUSES = (429, 503, 504)
# Stubs a server holds at most (those added through the pytest fixture or the admin API); a door
# that adds more is refused. Early-retry windows are bounded the same way.
MAX_STUBS = 1000
MAX_WINDOWS = 1000
_KEYS = {"method", "path", "times", "status", "json", "body", "headers", "error", "throttle"}
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an RFC 9110 token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # no CR, LF or NUL: nothing that splits the answer


class StubError(MockgraphError):
    """A stub that cannot be used: names the door it came through and what is wrong."""


@dataclass(frozen=True)
class Stub:
    method: str
    path: str
    kind: str  # "respond", "error" or "throttle"
    status: int
    times: int | None = None
    json: JsonValue = None
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    code: str | None = None  # error
    message: str | None = None  # error
    retry_after: str | None = None  # throttle: "3", "2.128", an HTTP date, or None (no header)
    pattern: tuple[str | None, ...] = field(default=(), compare=False, repr=False)
    version: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, data: Any, origin: str = "stub") -> Stub:
        """A stub from the plain mapping every door speaks; StubError where it is not one."""
        if not isinstance(data, Mapping):
            raise StubError(f"{origin}: a stub must be an object (a table)")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise StubError(f"{origin}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_KEYS))})")
        method = data.get("method")
        if not isinstance(method, str) or method.upper() not in KNOWN_METHODS:
            raise StubError(f"{origin}: method must be one of {', '.join(sorted(KNOWN_METHODS))}")
        path = data.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise StubError(f"{origin}: path must be a string that starts with /")
        times = data.get("times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise StubError(f"{origin}: times must be a whole number of at least 1 (absent: every time)")
        shared: dict[str, Any] = {"method": method.upper(), "path": path, "times": times}
        kinds = [k for k in ("error", "throttle") if k in data]
        if len(kinds) > 1 or (kinds and {"json", "body", "status", "headers"} & set(data)):
            raise StubError(f"{origin}: a stub is one of a response (status, json or body), an error, or a throttle")
        if "error" in data:
            return _with_pattern(cls(kind="error", **shared, **_error(data["error"], origin)))
        if "throttle" in data:
            return _with_pattern(cls(kind="throttle", **shared, **_throttle(data["throttle"], origin)))
        return _with_pattern(cls(kind="respond", **shared, **_response(data, origin)))

    def __hash__(self) -> int:  # a JSON body is a dict: hash the stub by its words instead
        return hash(json.dumps(self.to_json(), sort_keys=True, default=str))

    def to_json(self) -> dict[str, Any]:
        """The stub in the admin API's words (the same keys `from_mapping` reads)."""
        out: dict[str, Any] = {"method": self.method, "path": self.path}
        if self.times is not None:
            out["times"] = self.times
        if self.kind == "error":
            out["error"] = {"status": self.status, "code": self.code, "message": self.message}
        elif self.kind == "throttle":
            out["throttle"] = {"status": self.status, "retryAfter": self.retry_after}
        else:
            out["status"] = self.status
            out.update({"json": self.json} if self.body is None else {"body": self.body})
            if self.headers:
                out["headers"] = dict(self.headers)
        return out

    def matches(self, method: str, version: str | None, wanted: list[str]) -> bool:
        if method != self.method or len(wanted) != len(self.pattern):
            return False
        if self.version is not None and version is not None and version != self.version:
            return False
        return all(p is None or p == w for p, w in zip(self.pattern, wanted))

    def answer(self, request: Request) -> Answer:
        if self.kind == "error":
            return graph_error(request, self.status, self.code or "", self.message or "")._replace(by="stub")
        if self.kind == "throttle":
            return throttled(request, self.status, self.retry_after)
        headers = dict(self.headers)
        if self.body is not None:
            body = self.body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        elif self.json is not None:
            body = json.dumps(self.json, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = b""
        return Answer(self.status, headers, body, by="stub")


def _with_pattern(stub: Stub) -> Stub:
    version, rest = split_version(stub.path.partition("?")[0])
    pattern = tuple(None if is_placeholder(s) else s for s in segments(rest))
    object.__setattr__(stub, "pattern", pattern)
    object.__setattr__(stub, "version", version)
    return stub


def _status(value: Any, origin: str, allowed: Iterable[int] | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise StubError(f"{origin}: status must be an HTTP status code (100 to 599)")
    if allowed is not None and value not in allowed:
        raise StubError(f"{origin}: a throttle's status is one of {', '.join(map(str, allowed))}")
    return value


def _response(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    if "json" in data and "body" in data:
        raise StubError(f"{origin}: give json or body, not both")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise StubError(f"{origin}: body must be a string (use json for a JSON body)")
    headers = data.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise StubError(f"{origin}: headers must be a table of header names to string values")
    for name, value in headers.items():
        if name.lower() in SERVER_HEADERS:
            raise StubError(f"{origin}: the {name} header is the server's to set")
        if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
            raise StubError(f"{origin}: header {name!r} is not a valid HTTP header (a token, and a value without control characters)")
    for value in (data.get("json"), body):
        try:  # whatever the door, the answer must be sendable: UTF-8, and no deeper than JSON can go
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except (UnicodeEncodeError, ValueError, RecursionError, TypeError) as exc:
            raise StubError(f"{origin}: the answer cannot be sent as UTF-8 JSON: {type(exc).__name__}") from None
    return {
        "status": _status(data.get("status", 200), origin),
        "json": data.get("json"),
        "body": body,
        "headers": tuple(headers.items()),
    }


def _error(data: Any, origin: str) -> dict[str, Any]:
    if not isinstance(data, Mapping) or set(data) - {"status", "code", "message"}:
        raise StubError(f"{origin}: error must be a table of status, code and message")
    status = _status(data.get("status"), f"{origin}: error")
    code, message = data.get("code"), data.get("message")
    if not isinstance(code, (str, type(None))) or not isinstance(message, (str, type(None))):
        raise StubError(f"{origin}: error code and message must be strings")
    return {
        "status": status,
        "code": code or ERROR_CODES.get(status, "generalException"),
        "message": message or f"mockgraph answers {status}, as a stub asked.",
    }


def _throttle(data: Any, origin: str) -> dict[str, Any]:
    if not isinstance(data, Mapping) or set(data) - {"status", "retryAfter"}:
        raise StubError(f"{origin}: throttle must be a table of status and retryAfter")
    status = _status(data.get("status", 429), f"{origin}: throttle", THROTTLE_STATUSES)
    retry_after = data.get("retryAfter")
    if retry_after is not None:
        if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float, str)):
            raise StubError(f"{origin}: retryAfter must be seconds (3, 2.128) or an HTTP date")
        retry_after = str(retry_after)
        if retry_after_seconds(retry_after, time.time()) is None:
            raise StubError(f"{origin}: retryAfter {retry_after!r} is neither seconds (3, 2.128) nor an HTTP date")
    return {"status": status, "retry_after": retry_after}


def retry_after_seconds(value: str, now: float) -> float | None:
    """How long `Retry-After: value` asks a client to wait from `now`: seconds as given, or until an
    HTTP date (a past date: no wait); None where it is neither."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - now)
    return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None


def throttled(request: Request, status: int, retry_after: str | None, findings: tuple[Finding, ...] = ()) -> Answer:
    """Graph's throttled answer (throttling.md): its body, and `Retry-After` where one is given."""
    code = ERROR_CODES[status]
    answer = graph_error(
        request,
        status,
        code,
        "Please retry again later.",
        {"Retry-After": retry_after} if retry_after is not None else None,
        code=str(status),
        message="Please retry after",
        status=str(status),
    )
    return answer._replace(findings=findings, by="stub")


@dataclass
class _Active:
    stub: Stub
    id: int
    left: int | None  # answers left; None: every time


@dataclass
class _Window:
    """A throttled request's `Retry-After`, for telling early retries."""

    status: int
    retry_after: str
    started: float  # monotonic
    seconds: float


class StubAnswerer:
    """The stubs in force, newest first; the ones from the settings come back at every reset."""

    def __init__(
        self, configured: Sequence[Stub] = (), severity: Mapping[str, str] | None = None, fixtures: FixtureAnswerer | None = None
    ) -> None:
        self._configured = tuple(configured)
        self._severity = severity or {}
        self._throttle_severity = self._severity.get("throttle", "error")
        self._fixtures = fixtures  # what the stubs stand in for: their requests and answers are checked by it
        self._ids = 0
        self._active: list[_Active] = []
        self._windows: dict[tuple[str, str | None, tuple[str, ...]], _Window] = {}
        self.reset()

    def reset(self) -> None:
        """Only the configured stubs, with their counts anew; no throttling remembered."""
        self._active = []
        self._windows.clear()
        for stub in self._configured:
            self.add(stub)

    def add(self, stub: Stub) -> int:
        if len(self._active) >= MAX_STUBS:
            raise StubError(f"a server holds at most {MAX_STUBS} stubs; remove some first")
        self._ids += 1
        self._active.append(_Active(stub, self._ids, stub.times))
        return self._ids

    def clear(self) -> None:
        """No stubs at all, the configured ones included (until the next reset)."""
        self._active = []
        self._windows.clear()

    def listing(self) -> list[dict[str, Any]]:
        return [{"id": a.id, **a.stub.to_json(), **({"left": a.left} if a.left is not None else {})} for a in reversed(self._active)]

    def concerns(self, request: Request) -> bool:
        return bool(self._active or self._windows)

    async def answer(self, request: Request) -> Answer | None:
        version, rest = split_version(request.path)
        wanted = segments(rest)
        key = (request.method, version, tuple(wanted))
        now = time.monotonic()
        window = self._windows.get(key)
        if window is not None:
            waited = now - window.started
            if waited < window.seconds:
                finding = _early_retry(waited, window, self._throttle_severity)
                return throttled(request, window.status, window.retry_after, (finding,))
            del self._windows[key]
        for active in reversed(self._active):
            if active.stub.matches(request.method, version, wanted):
                if active.left is not None:
                    active.left -= 1
                    if active.left == 0:
                        self._active.remove(active)
                stub = active.stub
                if stub.kind == "throttle" and stub.retry_after is not None:
                    seconds = retry_after_seconds(stub.retry_after, time.time()) or 0.0
                    if len(self._windows) >= MAX_WINDOWS:
                        self._windows.pop(next(iter(self._windows)))
                    self._windows[key] = _Window(stub.status, stub.retry_after, now, seconds)
                return self._checked(stub, request)
        return None

    def _checked(self, stub: Stub, request: Request) -> Answer:
        """The stub's answer, with what the operation it stands in for (the fixture that would have
        answered) says of it: the request payload's findings, and a JSON answer's findings against
        the documented response contract. A stub with no documented operation behind it is unchecked."""
        answer = stub.answer(request)
        if self._fixtures is None:
            return answer
        inspected = self._fixtures.inspect(request)
        if isinstance(inspected, Answer):  # a payload that cannot be read, or (strict) breaks the contract
            return inspected
        writes_json = stub.kind == "respond" and stub.json is not None
        if inspected is None:
            return answer._replace(unchecked=writes_json)
        findings = inspected.findings
        if writes_json:
            written = response_findings(inspected.route.fixture, stub.json, self._severity)
            findings += tuple(replace(f, message=f"the stub's answer: {f.message}") for f in written)
        return answer._replace(fixture=inspected.route.name, findings=findings, unchecked=inspected.unchecked)


def _early_retry(waited: float, window: _Window, severity: str) -> Finding:
    asked = f"{window.retry_after} s" if _is_number(window.retry_after) else f"{window.retry_after} ({window.seconds:.1f} s)"
    message = f"retried after {waited:.1f} s, Retry-After was {asked}"
    return Finding(
        kind="throttle",
        severity=severity,
        path="",
        expected=f"a retry after {window.seconds:g} s",
        actual=f"a retry after {waited:.1f} s",
        message=message,
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def stubs_from_settings(tables: Any, origin: str) -> tuple[Stub, ...]:
    """`[[stubs]]` tables of a settings file."""
    if not isinstance(tables, list):
        raise StubError(f"{origin}: stubs must be a list of tables ([[stubs]])")
    return tuple(Stub.from_mapping(t, f"{origin}: stubs[{i}]") for i, t in enumerate(tables))


def http_date(seconds_from_now: float) -> str:
    """An HTTP date `seconds_from_now` ahead, the third form of Retry-After."""
    from email.utils import format_datetime

    return format_datetime(datetime.fromtimestamp(time.time() + seconds_from_now, timezone.utc), usegmt=True)
