"""Reading the HTTP in a page: example messages, bodies, URLs and their fixes, documented path forms, routes."""

from __future__ import annotations

import textwrap

import pytest

from mockgraph.docpage import parse_page
from mockgraph.httpexample import (
    HttpMessage,
    PathForm,
    example_routes,
    parse_body,
    parse_url,
    path_forms,
    split_request_line,
    status_code_of,
)
from mockgraph.models import NO_BODY


class TestMessages:
    def test_a_message_has_its_first_line_headers_and_body_with_their_lines(self):
        """Leading blank lines are skipped; headers run to the first blank line; the body keeps its line."""
        message = HttpMessage.parse('\nPOST /me/x\nContent-Type: application/json\n\n{"a": 1}\n\n', 10)
        assert (message.first, message.first_line) == ("POST /me/x", 11)
        assert message.headers == [("Content-Type", "application/json")]
        assert (message.body, message.body_line) == ('{"a": 1}', 14)

    def test_a_json_line_is_never_a_header(self):
        """A body right after the first line, even one that looks like `"a": 1`, is body, not a header."""
        message = HttpMessage.parse('HTTP/1.1 200 OK\n"a": 1\n', 1)
        assert message.headers == [] and message.body == '"a": 1'

    def test_without_a_status_line_the_block_is_headers_and_body(self):
        """With `status_line` false, the first line is read as a header."""
        message = HttpMessage.parse("Location: https://x\n", 5, status_line=False)
        assert (message.first, message.headers, message.body) == ("", [("Location", "https://x")], "")

    def test_an_empty_block_is_an_empty_message(self):
        """A block of blank lines gives no first line, no headers and no body."""
        message = HttpMessage.parse("\n\n", 3)
        assert (message.first, message.headers, message.body) == ("", [], "")

    def test_headers_without_drops_names_in_any_case(self):
        """Dropped headers go whatever their case; the others keep their order and spelling."""
        message = HttpMessage.parse("GET /me\nHost: x\nAccept: a\nCONTENT-LENGTH: 3\nPrefer: b\n", 1)
        assert message.headers_without(frozenset({"host", "content-length"})) == (("Accept", "a"), ("Prefer", "b"))

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("GET https://graph.microsoft.com/v1.0/me HTTP/1.1", ("GET", "https://graph.microsoft.com/v1.0/me")),
            ("patch /me/events/{id}", ("PATCH", "/me/events/{id}")),
            ("FETCH /me", (None, "FETCH /me")),
            ("https://graph.microsoft.com/v1.0/me", (None, "https://graph.microsoft.com/v1.0/me")),
        ],
    )
    def test_request_lines(self, line, expected):
        """A known method, any case, and the URL without its `HTTP/1.1`; otherwise no method and the line."""
        assert split_request_line(line) == expected

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("HTTP/1.1 201 Created", 201),
            ("HTTP 204", 204),
            ("http/2 302 Found", 302),
            ("HTTP/1.1 Created", None),
            ("{", None),
        ],
    )
    def test_status_lines(self, line, expected):
        """The status code of an `HTTP[/x.y] NNN` line; None when there is none."""
        assert status_code_of(line) == expected


class TestBodies:
    def test_an_empty_body_is_no_body(self):
        """Whitespace only is no body, without a note."""
        assert parse_body(HttpMessage.parse("GET /me\n\n   \n", 1)) == (NO_BODY, None)

    def test_json_by_content_type_or_by_look(self):
        """A JSON Content-Type, or no Content-Type and a body starting `{` or `[`, reads as JSON."""
        typed = parse_body(HttpMessage.parse('POST /x\nContent-Type: application/json;odata=x\n\n{"a": 1}', 1))
        bare = parse_body(HttpMessage.parse("POST /x\n\n[1]", 1))
        assert (typed[0].json, typed[1]) == ({"a": 1}, None)
        assert (bare[0].json, bare[1]) == ([1], None)

    def test_other_bodies_are_text(self):
        """A body of another Content-Type stays text, even when it looks like JSON."""
        body, note = parse_body(HttpMessage.parse('HTTP/1.1 200 OK\nContent-Type: text/plain\n\n{"a": 1}', 1))
        assert (body.text, body.is_json, note) == ('{"a": 1}', False, None)

    def test_a_repaired_body_notes_the_first_repair_line(self):
        """A JSON body that needed repair is JSON, with `body-repaired` at the first repair's page line."""
        body, note = parse_body(HttpMessage.parse('POST /x\n\n{\n "a": 1,\n}', 20))
        assert body.json == {"a": 1}
        assert note == (23, "body-repaired", "body is not strict JSON; read after removing a trailing comma (line 23)")

    def test_more_than_three_repairs_are_counted(self):
        """The note lists three repairs and counts the rest."""
        body, note = parse_body(HttpMessage.parse("POST /x\n\n[1, // a\n 2, // b\n 3, // c\n 4, // d\n]", 1))
        assert body.json == [1, 2, 3, 4] and note[2].endswith(" and 2 more")

    def test_a_body_that_is_not_json_is_kept_as_text_with_its_line(self):
        """Unrepairable JSON stays text, with `body-not-json` at the failing page line."""
        body, note = parse_body(HttpMessage.parse('POST /x\nContent-Type: application/json\n\n{\n"a": {b}}', 7))
        assert body.text == '{\n"a": {b}}' and not body.is_json
        assert note[:2] == (11, "body-not-json") and note[2].endswith("; kept as text")


class TestUrls:
    def test_a_graph_url_gives_version_path_and_query(self):
        """An absolute Graph URL splits into version, path and raw query; a fragment leaves the path."""
        target = parse_url("https://graph.microsoft.com/beta/me/events/?$top=2")
        assert (target.version, target.path, target.query, target.graph, target.notes) == (
            "beta",
            "/me/events",
            "$top=2",
            True,
            [],
        )
        assert parse_url("https://graph.microsoft.com/v1.0/me#x").path == "/me"

    def test_a_bare_path_is_a_graph_path(self):
        """A path without scheme and host is read as Graph, with or without a version."""
        target = parse_url("/me//messages")
        assert (target.version, target.path, target.graph) == (None, "/me/messages", True)

    def test_a_windows_path_is_fixed_and_noted(self):
        """A leaked local path before the API path is dropped, with a `malformed-url` note."""
        target = parse_url("https://graph.microsoft.com/docs\\api/app/onlineMeetings")
        assert target.path == "/app/onlineMeetings" and target.version is None
        ((reason, message),) = target.notes
        assert reason == "malformed-url" and "'/app/onlineMeetings'" in message

    def test_a_v1_typo_reads_as_v1_0(self):
        """`/v1/` is read as `/v1.0/` with a `malformed-url` note."""
        target = parse_url("https://graph.microsoft.com/v1/me")
        assert (target.version, target.path) == ("v1.0", "/me")
        assert [reason for reason, _ in target.notes] == ["malformed-url"]

    def test_a_foreign_host_keeps_its_path_as_written(self):
        """A URL on another host is not Graph: no version is split off, and a `foreign-host` note says so."""
        target = parse_url("https://b0.files.1drv.com/v1.0/y23vmag/")
        assert (target.graph, target.version, target.path) == (False, None, "/v1.0/y23vmag")
        assert [reason for reason, _ in target.notes] == ["foreign-host"]

    def test_long_urls_are_shortened_in_notes(self):
        """A note quotes at most 100 characters of the URL."""
        target = parse_url("/v1/" + "x" * 200)
        assert "x" * 90 + "...'" in target.notes[0][1] and "x" * 100 not in target.notes[0][1]


class TestPathForms:
    def test_forms_are_the_http_request_sections_code_lines(self):
        """Unannotated or `ignored` code lines of "HTTP request" are forms; other sections' code is not."""
        page = parse_page(
            textwrap.dedent(
                """
                ## HTTP request
                <!-- { "blockType": "ignored" } -->
                ```http
                GET /me/events/{id}
                POST https://graph.microsoft.com/v1.0/users/{id}/events
                not a form
                ```
                ```json
                GET /ignored/because/json
                ```
                ## Example
                ```http
                GET /me/other
                ```
                """
            )
        )
        assert path_forms(page) == [PathForm("GET", "/me/events/{id}"), PathForm("POST", "/users/{id}/events")]

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("/me/drive/root:/{item-path}:/content", PathForm(None, "/me/drive/root:/{item-path}:/content")),
            ("GET https://contoso.com/x", None),
            ("GET me/x", None),
            ("", None),
        ],
    )
    def test_one_form(self, line, expected):
        """A form is a Graph path, with or without a method, kept as documented; anything else is None."""
        assert PathForm.parse(line) == expected


class TestRoutes:
    FORMS = [
        PathForm("GET", "/me/onlineMeetings/{meetingId}"),
        PathForm("GET", "/users/{userId}/onlineMeetings/{meetingId}"),
        PathForm("GET", "/me/onlineMeetings/{meetingId}/recording"),
        PathForm("POST", "/me/onlineMeetings"),
    ]

    def test_an_example_is_served_at_the_forms_of_its_operation(self):
        """Its own template first, then same-method forms addressing the same thing; others are left out."""
        routes, mismatch = example_routes("GET", parse_url("/me/onlineMeetings/MSo1"), self.FORMS)
        assert routes == ("/me/onlineMeetings/{id}", "/users/{userId}/onlineMeetings/{meetingId}")
        assert mismatch is None

    def test_me_is_an_alias_of_users(self):
        """An example at /me fits a form documented only at /users/{id}, and is served at both."""
        forms = [PathForm("POST", "/users/{id | userPrincipalName}/assignLicense")]
        routes, mismatch = example_routes("POST", parse_url("/me/assignLicense"), forms)
        assert routes == ("/me/assignLicense", "/users/{id | userPrincipalName}/assignLicense")
        assert mismatch is None

    def test_an_example_fitting_no_form_is_served_at_its_own_path_with_a_message(self):
        """No fitting form: only its own template, and a message listing the documented forms."""
        routes, mismatch = example_routes("DELETE", parse_url("/me/onlineMeetings/MSo1"), self.FORMS)
        assert routes == ("/me/onlineMeetings/{id}",)
        assert mismatch.startswith("DELETE /me/onlineMeetings/MSo1 fits none of the page's documented paths (")
        assert "POST /me/onlineMeetings" in mismatch and mismatch.endswith("served only at /me/onlineMeetings/{id}")

    def test_without_forms_or_on_a_foreign_host_there_is_no_message(self):
        """A page without forms, or an example on another host, is served at its own template silently."""
        assert example_routes("GET", parse_url("/me/x"), []) == (("/me/x",), None)
        assert example_routes("GET", parse_url("https://x.1drv.com/a"), self.FORMS) == (("/a",), None)
