"""Redaction: secrets found by name and by look are replaced by the marker; pseudonyms are stable."""

from __future__ import annotations

import json

import pytest

from mockgraph.redact import REDACTED, Redactor

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2ln"
GUID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"


class TestSecrets:
    @pytest.mark.parametrize(
        "name",
        ["Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "x-ms-token-aad-access-token", "X-MS-Client-Secret", "api-key"],
    )
    def test_secret_headers(self, name):
        """Credential headers, and x-ms-* headers named for tokens or secrets, are replaced whole."""
        assert Redactor().headers(((name, "value"),)) == ((name, REDACTED),)

    @pytest.mark.parametrize("name", ["Content-Type", "Prefer", "x-ms-ags-diagnostic", "client-request-id", "WWW-Authenticate"])
    def test_ordinary_headers_kept(self, name):
        """Headers that carry no credential stay as they are."""
        assert Redactor().headers(((name, "text/plain"),)) == ((name, "text/plain"),)

    def test_json_fields_at_any_depth(self):
        """Secret fields are replaced wherever they sit; others, and nulls, are kept."""
        body = {
            "access_token": "a",
            "refresh_token": "r",
            "id_token": "i",
            "client_secret": "c",
            "passwordProfile": {"password": "p", "forceChangePasswordNextSignIn": True},
            "passwordCredentials": [{"secretText": "s", "displayName": "d"}],
            "clientState": None,
        }
        assert Redactor().json(body) == {
            "access_token": REDACTED,
            "refresh_token": REDACTED,
            "id_token": REDACTED,
            "client_secret": REDACTED,
            "passwordProfile": {"password": REDACTED, "forceChangePasswordNextSignIn": True},
            "passwordCredentials": [{"secretText": REDACTED, "displayName": "d"}],
            "clientState": None,
        }

    def test_tokens_found_by_look(self):
        """A JSON Web Token is replaced wherever it appears, even under an innocent name."""
        assert Redactor().json({"note": f"Bearer {JWT} end"}) == {"note": f"Bearer {REDACTED} end"}

    def test_secret_url_parameters(self):
        """Secret query parameters inside URLs and query strings lose their values, nothing else."""
        r = Redactor()
        url = "https://x.sharepoint.com/download.aspx?UniqueId=1&tempauth=abc.def&sig=xyz"
        assert r.text(url) == f"https://x.sharepoint.com/download.aspx?UniqueId=1&tempauth={REDACTED}&sig={REDACTED}"
        assert r.query("$top=5&access_token=t") == f"$top=5&access_token={REDACTED}"

    def test_form_bodies(self):
        """A token request's form fields are redacted by name."""
        body = b"grant_type=client_credentials&client_id=app&client_secret=s%26cret&scope=x"
        out = Redactor().body(body, "application/x-www-form-urlencoded").decode()
        assert "client_secret=" + REDACTED in out and "s%26cret" not in out and "client_id=app" in out

    def test_configured_names(self):
        """Names given in the settings are redacted too, as headers and as fields."""
        r = Redactor(["X-Tenant-Key", "pin"])
        assert r.headers((("x-tenant-key", "k"),)) == (("x-tenant-key", REDACTED),)
        assert r.json({"PIN": "1234"}) == {"PIN": REDACTED}

    def test_json_body_bytes(self):
        """Body bytes are redacted by their content type; bytes that are not UTF-8 pass unchanged."""
        r = Redactor()
        assert json.loads(r.body(b'{"password": "p"}', "application/json")) == {"password": REDACTED}
        assert r.body(b"\xff\xfe", "application/octet-stream") == b"\xff\xfe"


class TestPseudonyms:
    def test_off_by_default(self):
        """Without a key, identifiers are kept."""
        assert Redactor().text(f"{GUID} adele@contoso.com") == f"{GUID} adele@contoso.com"

    def test_stable_and_keyed(self):
        """The same identifier always gets the same pseudonym; another key gives another one."""
        one, again, other = Redactor(pseudonym_key="k1"), Redactor(pseudonym_key="k1"), Redactor(pseudonym_key="k2")
        text = f"/users/{GUID}/manager and {GUID.upper()} mail AdeleV@contoso.com"
        assert one.text(text) == again.text(text)
        assert one.text(text) != other.text(text)
        assert GUID not in one.text(text).lower() and "contoso" not in one.text(text)
        first, second = one.text(GUID), one.text(GUID.upper())
        assert first == second  # GUIDs compare without case

    def test_pseudonyms_keep_their_form(self):
        """A GUID stays a GUID and an address an address, so the contract's formats still hold."""
        r = Redactor(pseudonym_key="k")
        guid = r.text(GUID)
        assert len(guid) == 36 and guid.count("-") == 4
        assert r.text("a@b.com").count("@") == 1

    def test_paths_segment_by_segment(self):
        """Percent-encoded addresses in a path are pseudonymised too, and stay encoded."""
        r = Redactor(pseudonym_key="k")
        out = r.path("/users/adele%40contoso.com/events")
        assert out.startswith("/users/user-") and out.endswith("/events") and "contoso" not in out
