"""Recording: what a real upstream answered, turned into a fixture file that replays it offline.

One file per distinct request (method, path, query and body), so a repeated interaction is never
written twice and concurrent recordings of one endpoint never overwrite each other. Every part is
redacted before it is written, the file name included, and the request body's observed shape
becomes the fixture's contract, so the differ checks later payloads against it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from msgspec.structs import replace

from .differ import has_format
from .fixturefile import dumps, write_atomic
from .models import (
    NO_BODY,
    Body,
    Contract,
    Drift,
    Fixture,
    FixtureRequest,
    FixtureResponse,
    Headers,
    JsonValue,
    Property,
    Source,
)
from .paths import segments, split_version
from .redact import Redactor

RECORDED_FOLDER = "recorded"
RECORDED_KIND = "recorded"

# Headers that describe one connection, not the message (RFC 9110, section 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Request headers that belong to one connection or one client run, not to the request's meaning.
_REQUEST_HEADERS_DROPPED = HOP_BY_HOP | {"host", "content-length", "expect", "accept-encoding", "client-request-id"}
# Response headers the replay server sets itself, or that change on every call (so that an
# identical interaction gives an identical file).
_RESPONSE_HEADERS_DROPPED = HOP_BY_HOP | {
    "content-length",
    "content-encoding",
    "date",
    "request-id",
    "client-request-id",
    "x-ms-ags-diagnostic",
}
# Answers that say "not now", not "this is the answer": throttling (429) and the gateway and
# server failures Graph retries (500, 502, 503, 504). Recorded, they would replay an outage for
# ever; they are forwarded to the client but never written, so the next run asks again.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_PART_CHARS = 40  # per path segment in a file name
_NAME_CHARS = 120  # for the whole file name before the identity suffix


@dataclass(frozen=True)
class Interaction:
    """One request forwarded upstream and what came back, bodies decoded, nothing redacted yet."""

    method: str
    raw_path: str  # as sent, still percent-encoded, query included
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes

    @property
    def path(self) -> str:
        """The path without its query, for logs: secrets travel in queries (access_token=, sig=, code=)."""
        return self.raw_path.partition("?")[0]


class Recorder:
    """Writes interactions as fixture files under `folder/recorded/`, redacted, one per distinct request."""

    def __init__(self, folder: Path, redactor: Redactor, upstream: str) -> None:
        self.folder = folder
        self.redactor = redactor
        self.upstream = _without_credentials(upstream)
        self.known: set[str] = set()  # identities of the requests recorded in the folder

    def load_known(self, fixtures: Iterable[Fixture]) -> None:
        """Remember the requests the folder's recordings answer, as `identity` sees them."""
        for fixture in fixtures:
            if fixture.source.kind == RECORDED_KIND:
                self.known.add(_identity_of_fixture(fixture))

    def identity(self, method: str, raw_path: str, body: bytes, content_type: str) -> str:
        """What tells recorded requests apart: method, path, query and body, after redaction."""
        path, _, query = raw_path.partition("?")
        return _identity(
            method,
            self.redactor.path(path),
            self.redactor.query(query),
            _decode(body, content_type, self.redactor),
        )

    def fixture(self, interaction: Interaction) -> Fixture | None:
        """The interaction as a redacted fixture; None where it is not recordable: a body is binary,
        or the status is transient (`TRANSIENT_STATUSES`)."""
        if interaction.status in TRANSIENT_STATUSES:
            return None
        r = self.redactor
        raw_path, _, raw_query = interaction.raw_path.partition("?")
        version, path = split_version(r.path(raw_path))
        request_type = _header(interaction.request_headers, "content-type")
        response_type = _header(interaction.response_headers, "content-type")
        request_body = _decode(interaction.request_body, request_type, r)
        response_body = _decode(interaction.response_body, response_type, r)
        if request_body is None or response_body is None:
            return None
        query = r.query(raw_query)
        request = FixtureRequest(
            method=interaction.method,
            path=path,
            version=version,
            query=query,
            headers=r.headers(_kept(interaction.request_headers, _REQUEST_HEADERS_DROPPED)),
            body=request_body,
            routes=(path,),
        )
        response = FixtureResponse(
            status=interaction.status,
            headers=r.headers(_kept(interaction.response_headers, _RESPONSE_HEADERS_DROPPED)),
            body=response_body,
        )
        url = self.upstream + (f"/{version}" if version else "") + path + (f"?{query}" if query else "")
        return Fixture(Source(kind=RECORDED_KIND, url=url), request, response, inferred_contract(request_body))

    async def save(self, interaction: Interaction, drift: Callable[[Fixture], Drift | None] | None = None) -> tuple[str, Fixture] | None:
        """Write the interaction's fixture (atomically, and only if its content is new); its name and
        the fixture, or None when it cannot be recorded. `drift` compares the recording with the
        documented fixture of its operation; what it finds is kept in the recording."""
        fixture = self.fixture(interaction)
        if fixture is None:
            return None
        if drift is not None and (found := drift(fixture)) is not None:
            fixture = replace(fixture, drift=found)
        identity = _identity_of_fixture(fixture)
        name = _name_for(fixture.request, identity)
        await asyncio.get_running_loop().run_in_executor(None, _write_if_changed, self.folder / name, dumps(fixture))
        self.known.add(identity)
        return name, fixture


def inferred_contract(body: Body) -> Contract:
    """The contract one observed request body implies: its properties and the types their values
    suggest. Marked inferred, so a property it lacks is a warning, not an error."""
    if not body.is_json or not isinstance(body.json, dict):
        return Contract(truncated=True, inferred=True)
    odata_type = body.json.get("@odata.type")
    properties = tuple(_inferred_property(key, value) for key, value in body.json.items() if "@" not in key)
    return Contract(
        type=odata_type.lstrip("#") if isinstance(odata_type, str) else None,
        truncated=True,
        inferred=True,
        properties=properties,
    )


def _inferred_property(name: str, value: JsonValue) -> Property:
    if isinstance(value, list):
        return Property(name, _inferred_type(value[0]) if value else "Edm.Untyped", collection=True)
    return Property(name, _inferred_type(value))


def _inferred_type(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        if has_format(value, "DateTimeOffset"):
            return "DateTimeOffset"
        return "Guid" if has_format(value, "Guid") else "String"
    if isinstance(value, dict):  # checked against the observed object's shape
        odata_type = value.get("@odata.type")
        return odata_type.lstrip("#") if isinstance(odata_type, str) else "Object"
    return "Edm.Untyped"  # null: any value


# ------------------------------------------------------------------------------------- helpers


def _name_for(request: FixtureRequest, identity: str) -> str:
    """`recorded/v1.0/post-me-onlineMeetings-1a2b3c4d5e.json`: readable, and always inside the folder."""
    parts = [_UNSAFE_NAME.sub("_", s)[:_NAME_PART_CHARS].strip("._") for s in request.path.split("/")]
    stem = "-".join([request.method.lower(), *(p for p in parts if p)])[:_NAME_CHARS]
    return f"{RECORDED_FOLDER}/{request.version or 'unversioned'}/{stem}-{identity[:10]}.json"


def _identity(method: str, path: str, query: str, body: Body | None) -> str:
    version, rest = split_version(path)
    if body is None or body.empty:
        body_key = ""
    elif body.is_json:
        body_key = json.dumps(body.json, sort_keys=True, separators=(",", ":"))
    else:
        body_key = body.text or ""
    query_key = "&".join(sorted(p for p in query.split("&") if p))
    key = json.dumps([method.upper(), version or "", segments(rest), query_key, body_key])
    return hashlib.sha256(key.encode()).hexdigest()


def _identity_of_fixture(fixture: Fixture) -> str:
    request = fixture.request
    path = (f"/{request.version}" if request.version else "") + request.path
    return _identity(request.method, path, request.query, request.body)


def _decode(data: bytes, content_type: str, redactor: Redactor) -> Body | None:
    """A redacted body: parsed JSON where it is JSON, text otherwise; None where it is binary."""
    if not data:
        return NO_BODY
    try:
        text = redactor.body(data, content_type).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "json" in content_type.lower():
        try:
            return Body.of_json(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or too deep to hold as such: kept as text
            pass
    return Body.of_text(text)


def _header(headers: Headers, name: str) -> str:
    return next((value for key, value in headers if key.lower() == name), "")


def _kept(headers: Headers, dropped: frozenset[str]) -> Headers:
    return tuple((name, value) for name, value in headers if name.lower() not in dropped)


def _without_credentials(url: str) -> str:
    """The upstream URL as recorded: no user name or password, no trailing slash."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _write_if_changed(path: Path, text: str) -> None:
    """Atomic write, skipped when the file already holds exactly `text` (a repeated interaction)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)
