"""Stubs over real sockets: canned responses, Graph errors and throttling, one mechanism behind
the admin API and the settings (the pytest door is tested with the plugin)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from mockgraph.config import Settings, load_settings
from mockgraph.errors import ConfigError
from mockgraph.index import FixtureIndex
from mockgraph.server import create_server, running
from mockgraph.stubs import Stub, StubError, http_date, retry_after_seconds
from support import make_fixture

MEETING = {"id": "m1", "subject": "Subject value"}
SEED = "/v1.0/app/onlineMeetings"


def _server(stubs=()):
    fixtures = {"seed.json": make_fixture("POST", "/app/onlineMeetings", body={"subject": "x"}, response=MEETING)}
    return create_server(FixtureIndex(fixtures), Settings(stubs=tuple(stubs)))


@pytest.fixture
async def mock():
    server = _server()
    async with running(server) as url, aiohttp.ClientSession() as http:
        yield server, url, http


async def add(http, url, stub) -> dict:
    async with http.post(url + "/_mockgraph/stubs", json=stub) as response:
        assert response.status == 201, await response.text()
        return await response.json()


async def post_seed(http, url, **kwargs):
    async with http.post(url + SEED, json={"subject": "x"}, **kwargs) as response:
        return response.status, response.headers, await response.read()


class TestResponses:
    async def test_a_stub_answers_before_the_fixtures_then_they_answer_again(self, mock):
        """`times` counts the stub's answers; after them the documented answer comes back."""
        server, url, http = mock
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "times": 2, "status": 200, "json": {"id": "custom"}})
        answers = [await post_seed(http, url) for _ in range(3)]
        assert [a[0] for a in answers] == [200, 200, 201]
        assert answers[0][2] == b'{"id": "custom"}'
        assert [e.answered_by for e in server.journal] == ["stub", "stub", ""]

    async def test_later_stubs_win_and_templates_match_any_id(self, mock):
        """A path template matches any key; of two stubs for one path, the newer answers."""
        _, url, http = mock
        await add(http, url, {"method": "GET", "path": "/users/{id}", "json": {"displayName": "first"}})
        await add(http, url, {"method": "GET", "path": "/v1.0/users/{id}", "json": {"displayName": "second"}})
        async with http.get(url + "/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd") as response:
            assert (await response.json()) == {"displayName": "second"}
        async with http.get(url + "/beta/users/adele@contoso.com") as response:
            assert (await response.json()) == {"displayName": "first"}  # the second is for v1.0 only

    async def test_a_text_body_and_headers(self, mock):
        _, url, http = mock
        await add(http, url, {"method": "GET", "path": "/me/photo/$value", "body": "jpeg?", "headers": {"Content-Type": "image/jpeg"}})
        async with http.get(url + "/v1.0/me/photo/$value") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/jpeg"
            assert await response.read() == b"jpeg?"

    async def test_stubs_are_listed_and_removed(self, mock):
        _, url, http = mock
        added = await add(http, url, {"method": "GET", "path": "/me", "times": 3, "json": {}})
        async with http.get(url + "/_mockgraph/stubs") as response:
            listed = (await response.json())["stubs"]
        assert listed == [{"id": added["id"], "method": "GET", "path": "/me", "times": 3, "status": 200, "json": {}, "left": 3}]
        async with http.delete(url + "/_mockgraph/stubs") as response:
            assert response.status == 204
        async with http.get(url + "/_mockgraph/stubs") as response:
            assert (await response.json())["stubs"] == []

    @pytest.mark.parametrize(
        ("stub", "message"),
        [
            ({"path": "/me"}, "method must be"),
            ({"method": "GET", "path": "me"}, "path must be"),
            ({"method": "GET", "path": "/me", "times": 0}, "times must be"),
            ({"method": "GET", "path": "/me", "json": {}, "body": "x"}, "not both"),
            ({"method": "GET", "path": "/me", "status": 700}, "status must be"),
            ({"method": "GET", "path": "/me", "throttle": {"status": 400}}, "throttle's status"),
            ({"method": "GET", "path": "/me", "throttle": {"retryAfter": "soon"}}, "neither seconds"),
            ({"method": "GET", "path": "/me", "error": {"status": 404}, "json": {}}, "one of a response"),
            ({"method": "GET", "path": "/me", "answer": 1}, "unknown key 'answer'"),
        ],
    )
    async def test_a_bad_stub_is_a_400_that_says_why(self, mock, stub, message):
        _, url, http = mock
        async with http.post(url + "/_mockgraph/stubs", json=stub) as response:
            body = await response.json()
            assert response.status == 400
        assert body["error"]["code"] == "BadRequest"
        assert message in body["error"]["message"]


class TestErrors:
    async def test_an_error_stub_answers_in_graphs_shape(self, mock):
        """Status, code and message as given; innerError with date and both request ids."""
        server, url, http = mock
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "error": {"status": 403, "code": "accessDenied", "message": "No."}})
        async with http.post(url + SEED, json={"subject": "x"}, headers={"client-request-id": "abc"}) as response:
            body = await response.json()
            assert response.status == 403
        error = body["error"]
        assert (error["code"], error["message"]) == ("accessDenied", "No.")
        assert error["innerError"]["client-request-id"] == "abc"
        assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
        assert [(e.answered_by, e.unmatched) for e in server.journal] == [("stub", False)]

    async def test_an_error_code_defaults_to_graphs_for_the_status(self, mock):
        _, url, http = mock
        await add(http, url, {"method": "GET", "path": "/me", "error": {"status": 404}})
        async with http.get(url + "/v1.0/me") as response:
            assert (await response.json())["error"]["code"] == "ResourceNotFound"


class TestThrottling:
    @pytest.mark.parametrize("retry_after", ["3", "2.128", None])
    async def test_every_form_of_retry_after(self, mock, retry_after):
        """Whole seconds, decimal seconds (as the docs show), or no header at all."""
        _, url, http = mock
        throttle = {"status": 429} if retry_after is None else {"status": 429, "retryAfter": retry_after}
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "times": 1, "throttle": throttle})
        status, headers, body = await post_seed(http, url)
        assert status == 429
        assert headers.get("Retry-After") == retry_after
        assert b'"code": "TooManyRequests"' in body and b'"status": "429"' in body

    async def test_an_http_date(self, mock):
        _, url, http = mock
        when = http_date(30)
        await add(http, url, {"method": "GET", "path": "/me", "times": 1, "throttle": {"status": 503, "retryAfter": when}})
        async with http.get(url + "/v1.0/me") as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == when
            assert (await response.json())["error"]["code"] == "ServiceUnavailable"
        assert 28 <= retry_after_seconds(when, time.time()) <= 31

    async def test_an_early_retry_is_throttled_again_and_is_a_finding(self, mock):
        """Retrying before Retry-After elapsed gets 429 and a `throttle` finding; after it, the fixture."""
        server, url, http = mock
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "times": 1, "throttle": {"retryAfter": "0.4"}})
        first, early = await post_seed(http, url), await post_seed(http, url)
        await asyncio.sleep(0.45)
        late = await post_seed(http, url)
        assert [first[0], early[0], late[0]] == [429, 429, 201]
        findings = [[f.kind for f in e.findings] for e in server.journal]
        assert findings == [[], ["throttle"], []]
        (finding,) = list(server.journal)[1].findings
        assert finding.severity == "error"
        assert finding.message.startswith("retried after 0.") and finding.message.endswith("Retry-After was 0.4 s")


class TestSettings:
    def test_stubs_tables_in_the_settings_file(self, tmp_path):
        """`[[stubs]]` tables use the admin API's keys; a bad one names the file and the table."""
        (tmp_path / "mockgraph.toml").write_text(
            '[[stubs]]\nmethod = "GET"\npath = "/me"\njson = {displayName = "Adele"}\n\n'
            '[[stubs]]\nmethod = "POST"\npath = "/app/onlineMeetings"\ntimes = 1\nthrottle = {status = 429, retryAfter = 2.128}\n'
        )
        settings = load_settings(cwd=tmp_path)
        assert [s.kind for s in settings.stubs] == ["respond", "throttle"]
        assert settings.stubs[1].retry_after == "2.128"
        (tmp_path / "mockgraph.toml").write_text('[[stubs]]\nmethod = "GET"\n')
        with pytest.raises(ConfigError, match=r"mockgraph.toml: stubs\[0\]: path must be"):
            load_settings(cwd=tmp_path)

    async def test_configured_stubs_come_back_at_every_reset(self):
        """A reset (each pytest test) restores the configured stubs with fresh counts, and drops added ones."""
        stub = Stub.from_mapping({"method": "POST", "path": "/app/onlineMeetings", "times": 1, "error": {"status": 500}})
        server = _server([stub])
        async with running(server) as url, aiohttp.ClientSession() as http:
            await add(http, url, {"method": "GET", "path": "/me", "json": {}})
            assert [(await post_seed(http, url))[0] for _ in range(2)] == [500, 201]
            server.reset()
            async with http.get(url + "/_mockgraph/stubs") as response:
                assert [s["path"] for s in (await response.json())["stubs"]] == ["/app/onlineMeetings"]
            assert (await post_seed(http, url))[0] == 500

    def test_a_stub_is_a_plain_hashable_value(self):
        one = Stub.from_mapping({"method": "get", "path": "/me", "json": {"a": [1]}})
        two = Stub.from_mapping({"method": "GET", "path": "/me", "json": {"a": [1]}})
        assert one == two and hash(one) == hash(two)
        with pytest.raises(StubError):
            Stub.from_mapping(["GET", "/me"])


class TestCheckedAgainstTheContract:
    """What no other mock does: a stub is checked against the operation it stands in for."""

    @pytest.fixture
    async def bundled(self):
        from mockgraph.fixturefile import load_fixtures
        from support import FIXTURES_DIR

        server = create_server(FixtureIndex(load_fixtures(FIXTURES_DIR)), Settings())
        async with running(server) as url, aiohttp.ClientSession() as http:
            yield server, url, http

    async def test_a_stub_answer_that_drifts_from_the_documented_response_is_a_finding(self, bundled):
        server, url, http = bundled
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "status": 201, "json": {"subject": 5, "bogus": True}})
        status, _, _ = await post_seed(http, url)
        assert status == 201
        (entry,) = server.journal
        kinds = {(f.kind, f.path) for f in entry.findings if f.severity == "error"}
        assert kinds == {("type", "/subject"), ("unknown", "/bogus")}
        assert all(f.message.startswith("the stub's answer: ") for f in entry.findings if f.severity == "error")
        assert entry.fixture == "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"

    async def test_a_stub_that_follows_the_documented_response_has_no_errors(self, bundled):
        server, url, http = bundled
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "status": 201, "json": {"id": "x", "subject": "Review"}})
        await post_seed(http, url)
        (entry,) = server.journal
        assert not [f for f in entry.findings if f.severity == "error"]

    async def test_the_request_to_a_stubbed_path_is_still_checked(self, bundled):
        server, url, http = bundled
        await add(http, url, {"method": "POST", "path": "/app/onlineMeetings", "error": {"status": 409}})
        async with http.post(url + SEED, json={"subject": "x", "extra": 1}) as response:
            assert response.status == 409
        (entry,) = server.journal
        assert ("unknown", "/extra") in {(f.kind, f.path) for f in entry.findings}

    async def test_a_stub_with_no_documented_operation_is_served_unchecked(self, bundled):
        server, url, http = bundled
        await add(http, url, {"method": "GET", "path": "/me/somethingUndocumented", "json": {"a": 1}})
        async with http.get(url + "/v1.0/me/somethingUndocumented") as response:
            assert (response.status, await response.json()) == (200, {"a": 1})
        (entry,) = server.journal
        assert (entry.unchecked, entry.unmatched, entry.findings) == (True, False, ())


async def test_the_stub_listing_shows_no_secret(mock):
    """A stub that answers a token (a fake one, as a test writes it) is listed redacted."""
    _, url, http = mock
    added = await add(http, url, {"method": "POST", "path": "/oauth2/v2.0/token", "json": {"access_token": "fake-secret-1"}})
    async with http.get(url + "/_mockgraph/stubs") as response:
        listed = await response.text()
    assert "fake-secret-1" not in listed and "fake-secret-1" not in str(added)
