"""The permissions answerer: a call's bearer token judged against its operation's documented
permissions, before any answer is looked up.

It stands on the road after admin and batch and before stubs and fixtures, so that no remembered
answer can skip it, and reads `Authorization` from each request it is offered: a `$batch` item
travelling the rest of the road with its batch's token is judged like any call. It passes where the
call is allowed, or not under test; otherwise, by mode:

    enforce   401 InvalidAuthenticationToken for a missing or malformed token, 400 for `/me` without
              a signed-in user, 403 Authorization_RequestDenied naming the permissions that would
              suffice (least privileged first), or saying the caller type is not supported
    report    never denies: the rest of the road answers, and the answer carries a `permission`
              finding where enforce would have denied. A call that sends no token at all is not
              under permission test, and gets nothing.

Calls it judges also carry an `info` finding naming what allowed them, so that a report can work
out the least privileged permissions that would have covered every call. Findings on an answer it
does not give travel in a `Pass`: the road adds them to whatever answer comes.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from .admin import PREFIX as ADMIN_PREFIX
from .config import Settings
from .exchange import AUTHORIZATION, Answer, Answerer, Pass, Request, graph_error
from .index import Match, Route
from .models import Finding
from .paths import segments, split_version
from .permissions import CALLER_WORDS, allows, applicable, describe, grants_for
from .replay import Lookup
from .tokens import Caller, TokenError, read_authorization

# Remembered: an operation per (method, path); a verdict per (method, path, Authorization), for
# Authorization headers up to MAX_REMEMBERED_TOKEN characters (so at most about 8 MB of them).
MEMO = 1024
MAX_REMEMBERED_TOKEN = 8 * 1024
_WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)
_ME_MESSAGE = "/me request is only valid with delegated authentication flow."


class Verdict(NamedTuple):
    """What a token may do on one operation: a finding, and the denial enforce mode answers with."""

    finding: Finding | None
    status: int = 0  # 0: allowed
    code: str = ""
    message: str = ""
    expires: float = float("inf")  # the token's `exp`: the verdict holds until then


def permission_answerers(lookup: Lookup, settings: Settings) -> tuple[Answerer, ...]:
    """The permissions answerer for the road, or none when `permissions = "off"`."""
    if settings.permissions == "off":
        return ()
    return (PermissionAnswerer(lookup, settings),)


class PermissionAnswerer:
    def __init__(self, lookup: Lookup, settings: Settings) -> None:
        self.lookup = lookup  # the fixtures' own way of finding an operation, recordings included
        self.enforce = settings.permissions == "enforce"
        self.severity = settings.severity.get("permission", "warning")
        self._routes: dict[tuple[str, str], Route | None] = {}
        self._verdicts: dict[tuple[str, str, str], Verdict] = {}

    def concerns(self, request: Request) -> bool:
        # In report mode, a request with no token at all is not under permission test.
        return self.enforce or AUTHORIZATION in request.headers

    async def answer(self, request: Request) -> Answer | Pass | None:
        authorization = request.headers.get(AUTHORIZATION)
        if request.target.startswith(ADMIN_PREFIX):
            return None
        route = self._route(request)
        if route is None or not route.fixture.permissions:
            return None  # no fixture, or none documents its permissions: not enforced
        verdict = self._verdict(request, route, authorization or "")
        if verdict is None:
            return None
        if verdict.status and self.enforce:
            headers = {"WWW-Authenticate": _WWW_AUTHENTICATE} if verdict.status == 401 else {}
            answer = graph_error(request, verdict.status, verdict.code, verdict.message, headers)
            return answer._replace(fixture=route.name, findings=(verdict.finding,) if verdict.finding else ())
        return Pass((verdict.finding,)) if verdict.finding is not None else None

    def _route(self, request: Request) -> Route | None:
        key = (request.method, request.path)
        if key in self._routes:
            return self._routes[key]
        outcome = self.lookup.match(request)
        route = outcome.route if isinstance(outcome, Match) else None
        if len(self._routes) >= MEMO:
            self._routes.pop(next(iter(self._routes)))
        self._routes[key] = route
        return route

    def _verdict(self, request: Request, route: Route, authorization: str) -> Verdict | None:
        key = (request.method, request.path, authorization)
        verdict = self._verdicts.get(key)
        if verdict is None or verdict.expires < time.time():
            verdict = self._judge(request, route, authorization)
            if len(authorization) > MAX_REMEMBERED_TOKEN:  # a batch item's header comes from the body: any length
                return verdict
            if len(self._verdicts) >= MEMO:
                self._verdicts.pop(next(iter(self._verdicts)))
            self._verdicts[key] = verdict
        return verdict

    def _judge(self, request: Request, route: Route, authorization: str) -> Verdict:
        operation = f"{request.method} {route.template}"
        try:
            caller = read_authorization(authorization)
        except TokenError as exc:
            finding = Finding("permission", self.severity, "", "a valid bearer token", str(exc), f"{operation}: {exc}")
            return Verdict(finding, 401, "InvalidAuthenticationToken", str(exc))
        expires = caller.expires
        words = CALLER_WORDS[caller.type]
        has = " ".join(caller.permissions) or "(none)"
        parts = segments(split_version(request.path)[1])
        if parts[:1] == ["me"] and not caller.delegated:
            finding = self._finding(caller, "delegated caller", has, f"{operation} needs a signed-in user: {_ME_MESSAGE}")
            return Verdict(finding, 400, "BadRequest", _ME_MESSAGE, expires)
        tables = applicable(route.fixture, route.template, request.path, caller.is_user)
        grants = grants_for(tables, caller.type)
        if grants is None:
            return Verdict(None, expires=expires)  # the docs say nothing for this caller type
        expected = f"{caller.type}: {describe(grants)}"
        actual = f"{caller.type}: {has}"
        if not grants:
            message = f"{operation} does not support {words} permissions (the documentation says: Not supported.)."
            return Verdict(
                Finding("permission", self.severity, "", expected, actual, message), 403, "Authorization_RequestDenied", message, expires
            )
        if allows(grants, caller.folded):
            used = next(alt for alt in grants if all(p.casefold() in caller.folded for p in alt))
            message = f"{operation} allowed by {' and '.join(used) or 'no permission needed'}; least privileged documented: {describe(grants[:1])}"
            return Verdict(Finding("permission", "info", "", expected, actual, message), expires=expires)
        message = (
            f"Insufficient privileges to complete the operation. {operation} needs one of these {words} permissions, "
            f"least privileged first: {describe(grants)}; the token has: {has}."
        )
        return Verdict(
            Finding("permission", self.severity, "", expected, actual, message), 403, "Authorization_RequestDenied", message, expires
        )

    def _finding(self, caller: Caller, expected: str, has: str, message: str) -> Finding:
        return Finding("permission", self.severity, "", expected, f"{caller.type}: {has}", message)
