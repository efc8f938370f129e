"""Bearer tokens as Graph reads them, without checking their signature: tests use fake ones.

Graph tells its callers apart by the token's claims: `scp` (space-separated scopes) makes a
delegated caller acting for a signed-in user, `roles` an application acting as itself; `idtyp`
("user" or "app") says which where a token has both or neither. A personal Microsoft account signs
in through the consumers tenant (`tid`). `upn` (else `oid`) names the signed-in user, so that
`/users/{upn}` is the caller acting on themselves. `make_token` writes such a token for tests
(`mockgraph token`, `mockgraph_server.token(...)`); it is signed with nothing (`alg: none`).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import BodyError
from .jsonbody import parse_json_body

#: The tenant personal Microsoft accounts sign in through.
CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
#: The audiences Graph accepts: its URL and its application id.
GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000"})
DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DEFAULT_UPN = "adelev@contoso.com"


class TokenError(Exception):
    """A token Graph would refuse with 401; the message is Graph's own where Graph has one."""


@dataclass(frozen=True)
class Caller:
    """Who a token says is calling, and with which permissions."""

    type: str  # "delegatedWork", "delegatedPersonal" or "application" (models.CALLER_TYPES)
    permissions: tuple[str, ...]  # as the token lists them
    upn: str = ""
    oid: str = ""
    expires: float = float("inf")  # the token's `exp`, in seconds since the epoch

    @property
    def delegated(self) -> bool:
        return self.type != "application"

    @property
    def folded(self) -> frozenset[str]:
        """The permissions as compared: Graph's permission names are case-insensitive."""
        return frozenset(p.casefold() for p in self.permissions)

    def is_user(self, key: str) -> bool:
        """Whether `key` (a path segment: an id or a user principal name) names the signed-in user."""
        key = key.casefold()
        return bool(key) and self.delegated and key in (self.upn.casefold(), self.oid.casefold())


def read_authorization(header: str | None, now: float | None = None) -> Caller:
    """The caller an `Authorization` header names; TokenError where Graph would answer 401."""
    if not header or not header.strip():
        raise TokenError("Access token is empty.")
    scheme, _, token = header.strip().partition(" ")
    if scheme.casefold() != "bearer" or not token.strip():
        raise TokenError("Access token is empty.")
    return caller_of(decode(token.strip()), now)


def decode(token: str) -> dict[str, Any]:
    """The claims of a compact JWT, signature unchecked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("CompactToken parsing failed with error code: 80049217")
    try:  # through the gate every JSON body passes: a token is the client's input too
        claims = parse_json_body(_unb64(parts[1]))
        header = parse_json_body(_unb64(parts[0]))
    except (binascii.Error, ValueError, BodyError):
        raise TokenError("CompactToken parsing failed with error code: 80049217") from None
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise TokenError("CompactToken parsing failed with error code: 80049217")
    return claims


def caller_of(claims: dict[str, Any], now: float | None = None) -> Caller:
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp < (time.time() if now is None else now):
        raise TokenError("Lifetime validation failed, the token is expired.")
    aud = claims.get("aud")
    if aud is not None and aud not in GRAPH_AUDIENCES:
        raise TokenError("Access token validation failure. Invalid audience.")
    scp, roles, idtyp = claims.get("scp"), claims.get("roles"), claims.get("idtyp")
    if scp is not None and not isinstance(scp, str):
        raise TokenError("Access token validation failure: scp must be a string of space-separated scopes.")
    if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
        raise TokenError("Access token validation failure: roles must be a list of strings.")
    app = idtyp == "app" if idtyp in ("app", "user") else scp is None and roles is not None
    if scp is None and roles is None:
        raise TokenError("Either scp or roles claim need to be present in the token.")
    upn, oid = claims.get("upn"), claims.get("oid")
    upn = upn if isinstance(upn, str) else ""
    oid = oid if isinstance(oid, str) else ""
    expires = float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else float("inf")
    if app:
        return Caller("application", tuple(roles or ()), oid=oid, expires=expires)
    personal = claims.get("tid") == CONSUMERS_TENANT
    return Caller("delegatedPersonal" if personal else "delegatedWork", tuple((scp or "").split()), upn, oid, expires)


def make_token(
    scopes: Iterable[str] = (),
    roles: Iterable[str] = (),
    *,
    upn: str | None = None,
    personal: bool = False,
    lifetime: int = 3600,
    **claims: Any,
) -> str:
    """A fake access token (unsigned) for a delegated caller with `scopes`, or an application with
    `roles`; extra `claims` are added as given (`exp=0` makes an expired one)."""
    # A string is taken as the token's own notation, space-separated: "User.Read Mail.Send".
    scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
    roles = roles.split() if isinstance(roles, str) else list(roles)
    now = int(time.time())
    body: dict[str, Any] = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{CONSUMERS_TENANT if personal else DEFAULT_TENANT}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "tid": CONSUMERS_TENANT if personal else DEFAULT_TENANT,
        "oid": "00000000-0000-0000-0000-0000000000a1",
    }
    if roles and not scopes:
        body.update(idtyp="app", roles=roles)
    else:
        body.update(idtyp="user", scp=" ".join(scopes), upn=upn or DEFAULT_UPN)
        if roles:
            body["roles"] = roles
    body.update(claims)
    head = {"typ": "JWT", "alg": "none"}
    return f"{_b64(head)}.{_b64(body)}.mockgraph"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
