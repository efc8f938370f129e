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
# Secret only as a form field or URL query parameter: OAuth's authorization `code` (which a client
# trades for tokens). In a JSON body `code` is Graph's error code (`{"error": {"code": ...}}`) or a
# resource's own property, which are no secrets, and redacting them would make recorded errors useless.
SECRET_PARAMETERS = frozenset({"code"})

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# A `name=value` pair of a URL query or a form: after `?` or `&`, or where a text (a form body sent
# as text/plain or with no Content-Type) or a line of it starts.
_URL_QUERY = re.compile(r"(?:^|(?<=[?&]))([^=&#?\s\"]+)=([^&#\s\"]*)", re.MULTILINE)
# A `"name": value` member of JSON-looking text that does not parse: the value is a string (escapes
# and all) or a bare token. A string value that never closes is left for the JWT check.
_JSON_MEMBER = re.compile(r'"([^"\\]{1,128})"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}\]]+)')
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
        self._parameters = self._fields | {_normal(name) for name in SECRET_PARAMETERS}
        self._key = pseudonym_key.encode() if pseudonym_key is not None else None

    @property
    def pseudonymises(self) -> bool:
        return self._key is not None

    # ------------------------------------------------------------------------------ secrets

    def is_secret_header(self, name: str) -> bool:
        lower = name.lower()
        return lower in self._headers or (lower.startswith("x-ms-") and bool(_SECRET_X_MS.search(lower[5:])))

    def is_secret_field(self, name: str) -> bool:
        """A JSON field whose value is a secret."""
        return _normal(name) in self._fields

    def is_secret_parameter(self, name: str) -> bool:
        """A form field or URL query parameter whose value is a secret: the JSON fields, and `code`."""
        return _normal(name) in self._parameters

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
        """A string with JSON Web Tokens and secret `name=value` pairs (URL query parameters, form
        fields) replaced, then pseudonymised. A request path with its query goes through here."""
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
            f"{quote(name, safe='')}={REDACTED if self.is_secret_parameter(name) else quote(self.text(value), safe='')}"
            for name, value in pairs
        )

    def body(self, data: bytes, content_type: str) -> bytes:
        """Body bytes with secrets removed: JSON field by field, forms by field, and any other text
        (JSON that does not parse, a form sent as text/plain or with no type) by name and by look."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        kind = content_type.lower()
        if "json" in kind:
            try:
                value = self.json(json.loads(text))
            except (ValueError, RecursionError):  # not JSON after all (or too deep to walk): as text
                pass
            else:
                try:
                    return json.dumps(value, ensure_ascii=False).encode()
                except UnicodeEncodeError:  # a lone surrogate (`"\ud800"`) has no UTF-8: kept escaped
                    return json.dumps(value).encode()
        elif "x-www-form-urlencoded" in kind:
            return self.form(text).encode()
        return self.loose_text(text).encode()

    def loose_text(self, text: str) -> str:
        """Text of unknown shape with secrets removed: JSON-looking `"name": value` members named as
        secrets, then `text` (form and query pairs, tokens)."""
        if '"' in text and ":" in text:
            text = _JSON_MEMBER.sub(self._json_member, text)
        return self.text(text)

    def _query_pair(self, match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={REDACTED}" if self.is_secret_parameter(unquote(name)) else match.group(0)

    def _json_member(self, match: re.Match[str]) -> str:
        name, colon, value = match.groups()
        if not self.is_secret_field(name) or value == "null":
            return match.group(0)
        return f'"{name}"{colon}"{REDACTED}"'

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
