"""What a recording must not keep: secrets, replaced by a fixed marker, and, when asked, the tenant's
and users' identifiers, replaced by stable pseudonyms.

Secrets are found by name (headers, JSON fields, form fields, query parameters) and by look (a JSON
Web Token inside any string), so a token the names miss is still caught. Pseudonyms are keyed
hashes: the same identifier always becomes the same pseudonym, so a recording stays consistent and
the server can pseudonymise an incoming request the same way to find its recording.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote

from .models import Headers, JsonValue

REDACTED = "REDACTED"

# Header names whose values are credentials; x-ms-* headers are checked by the words in their names.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"})
_SECRET_X_MS = re.compile(r"token|auth|secret|signature|credential|key|cookie|ticket|session", re.IGNORECASE)

# Field and parameter names whose values are secrets, compared without case, `_` or `-`:
# OAuth's token and client-credential fields, passwords, and Graph's own secret-bearing properties
# (passwordCredential.secretText, a subscription's clientState, SAS `sig` and OneDrive `tempauth`).
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "client_assertion",
        "assertion",
        "password",
        "newPassword",
        "currentPassword",
        "secretText",
        "clientState",
        "sig",
        "tempauth",
    }
)

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URL_QUERY = re.compile(r"(?<=[?&])([^=&#\s\"]+)=([^&#\s\"]*)")
_GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
# Used when no key is configured: pseudonyms are then stable across machines, but anyone holding a
# candidate identifier can check it. Set MOCKGRAPH_PSEUDONYM_KEY to make them unguessable.
DEFAULT_PSEUDONYM_KEY = "mockgraph"


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


class Redactor:
    """Removes secrets from the parts of an HTTP exchange; pseudonymises identifiers when given a key."""

    def __init__(self, extra_names: Iterable[str] = (), pseudonym_key: str | None = None) -> None:
        extra = {name.lower() for name in extra_names}
        self._headers = SECRET_HEADERS | extra
        self._fields = {_normal(name) for name in SECRET_FIELDS | extra}
        self._key = pseudonym_key.encode() if pseudonym_key is not None else None

    @property
    def pseudonymises(self) -> bool:
        return self._key is not None

    # ------------------------------------------------------------------------------ secrets

    def is_secret_header(self, name: str) -> bool:
        lower = name.lower()
        return lower in self._headers or (lower.startswith("x-ms-") and bool(_SECRET_X_MS.search(lower[5:])))

    def is_secret_field(self, name: str) -> bool:
        return _normal(name) in self._fields

    def headers(self, headers: Headers) -> Headers:
        return tuple((name, REDACTED if self.is_secret_header(name) else self.text(value)) for name, value in headers)

    def json(self, value: JsonValue) -> JsonValue:
        """A copy of a JSON value with secret fields replaced and every string cleaned by `text`."""
        if isinstance(value, dict):
            return {key: REDACTED if self.is_secret_field(key) and item is not None else self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def text(self, text: str) -> str:
        """A string with JSON Web Tokens and secret URL query parameters replaced, then pseudonymised."""
        if "eyJ" in text:
            text = _JWT.sub(REDACTED, text)
        if "=" in text:
            text = _URL_QUERY.sub(self._query_pair, text)
        return self.pseudonymise(text)

    def query(self, query: str) -> str:
        """A raw query string (without `?`) with secret parameters' values replaced."""
        if not query:
            return query
        return self.text("?" + query)[1:]

    def form(self, body: str) -> str:
        """An `application/x-www-form-urlencoded` body with secret fields' values replaced."""
        pairs = parse_qsl(body, keep_blank_values=True)
        return "&".join(
            f"{quote(name, safe='')}={REDACTED if self.is_secret_field(name) else quote(self.text(value), safe='')}"
            for name, value in pairs
        )

    def body(self, data: bytes, content_type: str) -> bytes:
        """Body bytes with secrets removed: JSON field by field, forms by field, other text by look."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        kind = content_type.lower()
        if "json" in kind:
            try:
                return json.dumps(self.json(json.loads(text)), ensure_ascii=False).encode()
            except ValueError:
                pass
        elif "x-www-form-urlencoded" in kind:
            return self.form(text).encode()
        return self.text(text).encode()

    def _query_pair(self, match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={REDACTED}" if self.is_secret_field(unquote(name)) else match.group(0)

    # ---------------------------------------------------------------------------- pseudonyms

    def pseudonymise(self, text: str) -> str:
        """Replace GUIDs and e-mail addresses (user principal names) by stable pseudonyms."""
        if self._key is None:
            return text
        if "-" in text:
            text = _GUID.sub(self._guid, text)
        if "@" in text:
            text = _EMAIL.sub(self._email, text)
        return text

    def path(self, raw_path: str) -> str:
        """A percent-encoded URL path with identifiers pseudonymised segment by segment."""
        if self._key is None:
            return raw_path
        return "/".join(self._segment(s) for s in raw_path.split("/"))

    def _segment(self, segment: str) -> str:
        decoded = unquote(segment)
        changed = self.pseudonymise(decoded)
        return segment if changed == decoded else quote(changed, safe="@:'(),=!$&+;*~")

    def _digest(self, value: str) -> str:
        assert self._key is not None
        return hmac.new(self._key, value.lower().encode(), hashlib.sha256).hexdigest()

    def _guid(self, match: re.Match[str]) -> str:
        guid = match.group(0)
        if guid == _NIL_GUID:
            return guid
        h = self._digest(guid)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def _email(self, match: re.Match[str]) -> str:
        local, _, domain = match.group(0).rpartition("@")
        return f"user-{self._digest(local + '@' + domain)[:10]}@tenant-{self._digest(domain)[:8]}.example.com"
