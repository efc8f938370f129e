"""Importing documentation pages into fixtures: the seed, the sample, broken pages, and writing them."""

from __future__ import annotations

import json
import random
import re
import textwrap
from pathlib import Path

import msgspec.structs
import pytest

from mockgraph import docpage, importer
from mockgraph.differ import ContractChecker
from mockgraph.errors import DocPageError
from mockgraph.fixturefile import load_fixture, save_fixture
from mockgraph.importer import Diagnostic, import_page, import_paths, write_fixtures
from mockgraph.models import Source
from support import DOCS_DIR, SEED_PAGE, make_fixture

SAMPLE = DOCS_DIR / "api-reference"
V1_API = SAMPLE / "v1.0" / "api"
BETA_API = SAMPLE / "beta" / "api"
_ANNOTATION = re.compile(r"<!--\s*(\{.*?\})\s*-->", re.DOTALL)


def reasons(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.reason for d in diagnostics]


def fixtures_by_example(path: Path, root: Path = DOCS_DIR) -> dict:
    return {f.source.example: f for _, f in import_page(path, root).fixtures}


def fenced_json(text: str, after_line: int) -> object:
    """The JSON body of the first fenced block after a line, read without mockgraph's parser."""
    rest = "\n".join(text.split("\n")[after_line:])
    block = re.search(r"```[^\n]*\n(.*?)```", rest, re.DOTALL)[1]
    return json.loads(block[block.index("{") :])


def write_page(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


EXAMPLE = """
## HTTP request
<!-- { "blockType": "ignored" } -->
```http
POST /me/things
POST /users/{id}/things
```

## Response
If successful, this method returns a `201 Created` response code.

## Example
<!-- { "blockType": "request", "name": "create_thing" } -->
```http
POST https://graph.microsoft.com/v1.0/me/things
Content-Type: application/json

{"name": "x"}
```
<!-- { "blockType": "response" } -->
```http
HTTP/1.1 201 Created
Content-Type: application/json

{"id": "1", "name": "x"}
```
"""


@pytest.fixture(scope="module")
def seed():
    return import_page(SEED_PAGE, DOCS_DIR)


@pytest.fixture(scope="module")
def result():
    return import_paths([DOCS_DIR])


class TestSeedPage:
    def test_one_fixture_served_at_its_documented_path(self, seed):
        """The seed gives exactly one POST fixture at /app/onlineMeetings, no version, served only there."""
        ((name, fixture),) = seed.fixtures
        assert name == "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json"
        request = fixture.request
        assert (request.method, request.path, request.version, request.query) == ("POST", "/app/onlineMeetings", None, "")
        assert request.routes == ("/app/onlineMeetings",)

    def test_nested_types_come_from_resource_pages(self):
        """The types the example nests are resolved from the resource pages of the docs tree, transitively."""
        [(_, fixture)] = import_paths([SEED_PAGE], root=DOCS_DIR).fixtures
        types = {t.name: {p.name for p in t.properties} for t in fixture.contract.types}
        assert list(types) == ["meetingParticipants", "audioConferencing", "chatInfo", "meetingParticipantInfo", "identitySet", "identity"]
        assert {"organizer", "attendees"} <= types["meetingParticipants"]
        assert types["identity"] >= {"id", "displayName"}

    def test_bodies_are_the_documented_json(self, seed):
        """Request and response bodies deep-equal the JSON of the page's blocks; the status is 201."""
        text = SEED_PAGE.read_text(encoding="utf-8")
        fixture = seed.fixtures[0][1]
        assert fixture.request.body.json == fenced_json(text, 72)
        assert fixture.response.status == 201
        assert fixture.response.body.is_json and fixture.response.body.json == fenced_json(text, 153)

    def test_wrong_headers_are_dropped(self, seed):
        """Content-Length is dropped from both sides; Content-Type stays as documented."""
        fixture = seed.fixtures[0][1]
        assert fixture.request.headers == (("Content-type", "application/json"),)
        assert fixture.response.headers == (("Content-Type", "application/json"),)

    def test_source_points_at_the_request(self, seed):
        """The source names the page, the example, its annotation line and the URL as written."""
        source = seed.fixtures[0][1].source
        assert (source.kind, source.page, source.example, source.line) == (
            "doc",
            "app-post-onlinemeetings.md",
            "create_onlinemeeting_from_",
            72,
        )
        assert source.url == "https://graph.microsoft.com/docs\\api/app/onlineMeetings"
        assert source.annotations["response"]["@odata.type"] == "microsoft.graph.onlinemeeting"

    def test_diagnostics(self, seed):
        """The seed's known flaws are all reported, none of them dropping the example."""
        by_reason = {d.reason: d for d in seed.diagnostics}
        assert {"malformed-url", "route-mismatch", "todo-permissions", "enum-example"} <= set(by_reason)
        assert not any(d.skipped for d in seed.diagnostics)
        assert by_reason["malformed-url"].line == 78 and "'/app/onlineMeetings'" in by_reason["malformed-url"].message
        assert "POST /app/onlineMeetings/$ref" in by_reason["route-mismatch"].message
        assert by_reason["todo-permissions"].line == 19
        enum_warnings = [d for d in seed.diagnostics if d.reason == "enum-example"]
        enum_lines = {d.message.split(" sets ")[1].split(" ")[0]: d.line for d in enum_warnings}
        assert enum_lines == {"accessLevel": 130, "capabilities": 131}
        assert all(d.page == "app-post-onlinemeetings.md" for d in seed.diagnostics)

    def test_contract_is_the_request_body_table(self, seed):
        """17 documented properties with types, collections and enum values; type and truncation noted."""
        contract = seed.fixtures[0][1].contract
        assert contract.type == "microsoft.graph.onlineMeeting" and contract.truncated
        props = {p.name: p for p in contract.properties}
        assert len(contract.properties) == 17
        assert props["accessLevel"].enum == (
            "everyone",
            "invited",
            "locked",
            "sameEnterprise",
            "sameEnterpriseAndFederated",
        )
        assert (props["capabilities"].type, props["capabilities"].collection) == ("Enumeration", True)
        assert props["participants"].type == "meetingParticipants"
        assert props["id"].description == "Inherited from entity"


class TestOnlineMeetingPages:
    def test_v1_create_is_versioned_and_served_at_both_forms(self):
        """The v1.0 create page: version v1.0, routes for /me and /users/{userId}, 201."""
        fixture = fixtures_by_example(V1_API / "application-post-onlinemeetings.md")["create-onlinemeeting-user-token"]
        assert fixture.request.version == "v1.0" and fixture.request.path == "/me/onlineMeetings"
        assert {"/me/onlineMeetings", "/users/{userId}/onlineMeetings"} <= set(fixture.request.routes)
        assert fixture.response.status == 201

    def test_v1_create_takes_properties_from_the_linked_resource_page(self):
        """With no table of its own, the contract is the Properties table of resources/onlinemeeting.md."""
        resource = (SAMPLE / "v1.0" / "resources" / "onlinemeeting.md").read_text(encoding="utf-8")
        section = resource.split("## Properties", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        names = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ") and "---" not in line]
        examples = fixtures_by_example(V1_API / "application-post-onlinemeetings.md")
        contract = examples["create-onlinemeeting-user-token"].contract
        assert [p.name for p in contract.properties] == names[1:]  # names[0] is the header
        presenters = {p.name: p for p in contract.properties}["allowedPresenters"]
        assert presenters.enum == ("everyone", "organization", "roleIsPresenter", "organizer", "unknownFutureValue")

    def test_routes_keep_to_the_examples_operation(self):
        """A page listing several operations serves each example only at the forms of its own."""
        examples = fixtures_by_example(BETA_API / "onlinemeeting-get.md")
        recording = examples["get-recording-app-token"].request.routes
        assert recording == ("/users/{id}/onlineMeetings/{id}/recording", "/me/onlineMeetings/{meetingId}/recording")
        by_filter = examples["get-onlineMeeting"].request.routes
        assert "/app/onlineMeetings" in by_filter and not any("attendeeReport" in r for r in by_filter)


class TestSample:
    def test_no_page_fails(self, result):
        """Every page of the sample imports without an internal error; README.md is not a page."""
        assert "internal-error" not in reasons(result.diagnostics)
        assert result.pages == 51

    def test_every_request_and_response_is_accounted_for(self, result):
        """Each request block is a fixture or a skip at its line; each response likewise."""
        requests, responses = set(), set()
        for page in DOCS_DIR.rglob("*.md"):
            text = page.read_text(encoding="utf-8")
            for m in _ANNOTATION.finditer(text):
                kind = re.search(r'"blockType"\s*:\s*"(\w+)"', m[1])
                line = text.count("\n", 0, m.start()) + 1
                rel = page.relative_to(DOCS_DIR).as_posix()
                if kind and kind[1] == "request":
                    requests.add((rel, line))
                elif kind and kind[1] == "response":
                    responses.add((rel, line))
        imported = {(f.source.page, f.source.line) for _, f in result.fixtures}
        dropping = ("no-response", "bad-request-line", "no-code-block")
        dropped = {(d.page, d.line) for d in result.diagnostics if d.reason in dropping}
        orphans = {(d.page, d.line) for d in result.diagnostics if d.reason == "response-without-request"}
        assert len(result.fixtures) == len(imported) == 66
        assert requests == imported | dropped and not imported & dropped
        assert orphans <= responses and len(responses) == len(imported) + len(orphans)

    def test_every_skip_has_a_reason_and_a_line(self, result):
        """Skipped examples carry a stable reason code and a 1-based line on a named page."""
        skipped = [d for d in result.diagnostics if d.skipped]
        assert skipped and all(re.fullmatch(r"[a-z]+(-[a-z]+)*", d.reason) and d.line >= 1 and d.page for d in skipped)
        user_list = [d for d in skipped if d.page.endswith("user-list.md")]
        assert reasons(user_list) == ["response-without-request"] * 5
        assert "ignored" in user_list[0].message

    def test_output_names_are_unique(self, result):
        """No two fixtures share an output file name, in any case."""
        names = [name.casefold() for name, _ in result.fixtures]
        assert len(names) == len(set(names))

    def test_204_and_202_have_no_body(self):
        """DELETE user answers 204 and sendMail 202, both without a body or headers."""
        deleted = fixtures_by_example(V1_API / "user-delete.md")["delete_user"]
        assert (deleted.request.method, deleted.response.status, deleted.response.body.empty) == ("DELETE", 204, True)
        sent = fixtures_by_example(V1_API / "user-sendmail.md")
        assert sorted(sent) == ["user_sendmail", "user_sendmail_with_attachment", "user_sendmail_with_headers"]
        assert {f.response.status for f in sent.values()} == {202}
        assert sent["user_sendmail"].request.body.json["saveToSentItems"] == "false"

    def test_302_keeps_its_location(self):
        """The download example (an msgraph-interactive block) answers 302 with its Location header."""
        fixture = fixtures_by_example(V1_API / "driveitem-get-content.md")["download-item-content"]
        assert (fixture.request.method, fixture.request.path) == ("GET", "/me/drive/items/{item-id}/content")
        assert fixture.response.status == 302
        location = "https://b0mpua-by3301.files.1drv.com/y23vmagahszhxzlcvhasdhasghasodfi"
        assert fixture.response.headers == (("Location", location),)
        assert "/me/drive/root:/{item-path}:/content" in fixture.request.routes

    def test_206_from_another_host_keeps_its_text_body(self):
        """The partial download on *.1drv.com: path as written, 206, body kept as text, a note not a warning."""
        result = import_page(V1_API / "driveitem-get-content.md", DOCS_DIR)
        fixture = {f.source.example: f for _, f in result.fixtures}["download-item-partial"]
        request = fixture.request
        assert (request.path, request.version, request.routes) == ("/y23vmag", "v1.0", ("/y23vmag",))
        assert fixture.request.headers == (("Range", "bytes=0-1023"),)
        assert fixture.response.status == 206
        assert fixture.response.body.text == "<first 1024 bytes of file>" and not fixture.response.body.is_json
        (note,) = [d for d in result.diagnostics if d.reason == "foreign-host"]
        assert note.level == "info" and not note.skipped and note.line == 101

    def test_msgraph_interactive_requests_with_queries(self):
        """msgraph-interactive GETs import with their raw query string and no body."""
        fixture = fixtures_by_example(BETA_API / "riskyusers-list.md")["list_filter_riskyusers"]
        assert fixture.request.path == "/identityProtection/riskyUsers" and fixture.request.version == "beta"
        assert fixture.request.query == "$filter=riskLevel eq microsoft.graph.riskLevel'medium'"
        assert fixture.request.body.empty and fixture.response.body.is_json
        assert fixture.request.routes == ("/identityProtection/riskyUsers", "/riskyUsers")

    def test_trailing_comma_bodies_are_repaired_with_a_warning(self):
        """A response body with a trailing comma imports as JSON, with `body-repaired` at the comma's line."""
        result = import_page(BETA_API / "eventmessage-update.md", DOCS_DIR)
        ((_, fixture),) = result.fixtures
        assert fixture.request.body.json == {"isRead": "true"}
        assert [(d.reason, d.line) for d in result.diagnostics] == [("body-repaired", 70)]

    def test_url_version_typo_and_mismatch(self):
        """`/v1/` reads as v1.0 with `malformed-url`; a beta URL on a v1.0 page is a `version-mismatch` note."""
        result = import_page(V1_API / "onlinemeeting-get.md", DOCS_DIR)
        examples = {f.source.example: f for _, f in result.fixtures}
        assert examples["get-onlinemeeting-joinurl-user-token"].request.version == "v1.0"
        assert examples["get-onlinemeeting-user-token"].request.version == "beta"
        assert {(d.reason, d.line) for d in result.diagnostics} >= {("malformed-url", 281), ("version-mismatch", 201)}

    def test_enum_values_outside_the_documentation_are_flagged(self):
        """The sort example's `method-value` is outside `PinYin`, `StrokeCount`."""
        result = import_page(BETA_API / "tablesort-apply.md", DOCS_DIR)
        (warning,) = [d for d in result.diagnostics if d.reason == "enum-example"]
        assert '"method-value"' in warning.message and "PinYin, StrokeCount" in warning.message

    def test_summary_is_aligned_and_counts_by_outcome_and_reason(self, result):
        """Pages, examples imported or skipped (with shares and skip reasons), warnings and notes by reason;
        the counts end in one column."""
        lines = result.summary().splitlines()
        assert [line.split() for line in lines[:6]] == [
            ["Pages", "read", "51"],
            ["Examples", "66"],
            ["imported", "66", "100.0%"],
            ["skipped", "0", "0.0%"],
            ["Unpaired", "blocks", "9"],
            ["response-without-request", "9"],
        ]
        assert lines[6].split()[0] == "Warnings" and any(line.split() == ["malformed-url", "2"] for line in lines)
        ends = {len(line.rsplit(None, 1)[0]) if line.endswith("%") else len(line) for line in lines}
        assert len(ends) == 1

    def test_summary_counts_skipped_examples_apart_from_unpaired_blocks(self, tmp_path):
        """An example whose request line is broken is a skipped example; a lone request is an unpaired block."""
        broken = EXAMPLE.replace("POST https://graph.microsoft.com/v1.0/me/things", "not a request line")
        lone = '<!-- { "blockType": "request", "name": "lone" } -->\n```http\nGET /me\n```\n'
        write_page(tmp_path, "a.md", broken + lone)
        write_page(tmp_path, "b.md", EXAMPLE)
        rows = {line.split()[0]: line.split()[1:] for line in import_paths([tmp_path]).summary().splitlines()}
        assert rows["Examples"] == ["2"] and rows["imported"] == ["1", "50.0%"] and rows["skipped"] == ["1", "50.0%"]
        assert rows["bad-request-line"] == ["1"] and rows["Unpaired"] == ["blocks", "1"] and rows["no-response"] == ["1"]


class TestCrossPageTypes:
    """A small documentation tree: an API page whose request body names a type derived from the one it links."""

    NAMED_LOCATION = """
        # namedLocation resource type
        ## Properties
        | Property | Type | Description |
        |:---|:---|:---|
        | displayName | String | |
        | state | locationState | |

        ### locationState values
        | Member |
        |:---|
        | enabled |
        | disabled |

        ## JSON representation
        <!-- { "blockType": "resource", "@odata.type": "microsoft.graph.namedLocation", "baseType": "microsoft.graph.entity" } -->
        ```json
        {}
        ```
        """
    IP_LOCATION = """
        # ipNamedLocation resource type
        Inherits from [namedLocation](namedLocation.md).
        ## Properties
        | Property | Type | Description |
        |:---|:---|:---|
        | isTrusted | Boolean | |
        | ipRanges | [ipRange](iprange.md) collection | |
        """
    API = """
        ## Request body
        In the request body, supply a JSON representation of a [namedLocation](../resources/namedlocation.md) object.

        ## Example
        <!-- { "blockType": "request", "name": "create_ip_location" } -->
        ```http
        POST https://graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations
        Content-Type: application/json

        {"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "x", "state": "enabled", "isTrusted": true}
        ```
        <!-- { "blockType": "response" } -->
        ```http
        HTTP/1.1 201 Created
        Content-Type: application/json

        {"id": "1"}
        ```
        """

    def test_the_derived_type_named_by_the_body_is_the_contract(self, tmp_path):
        """The body's @odata.type (ipNamedLocation) beats the linked base page: own rows, inherited rows,
        an enumeration from the base page's values table, and no error for the documented example."""
        write_page(tmp_path / "v1.0" / "resources", "namedlocation.md", self.NAMED_LOCATION)
        write_page(tmp_path / "v1.0" / "resources", "ipnamedlocation.md", self.IP_LOCATION)
        write_page(tmp_path / "v1.0" / "api", "create.md", self.API)
        [(_, fixture)] = import_paths([tmp_path]).fixtures
        rows = {p.name: p for p in fixture.contract.properties}
        assert list(rows) == ["isTrusted", "ipRanges", "displayName", "state"]
        assert rows["state"].enum == ("enabled", "disabled")
        checker = ContractChecker(fixture.contract, fixture.request.body.json)
        assert checker.check(fixture.request.body.json) == ()
        assert [f.kind for f in checker.check({**fixture.request.body.json, "state": "on"})] == ["enum"]


class TestArrayBodies:
    def test_an_array_body_takes_no_type_from_the_response(self, tmp_path):
        """OneNote's PATCH sends an array of commands: the response's onenotePage is not its contract type."""
        body = '[{"target": "body", "action": "append", "content": "<p>x</p>"}]'
        text = EXAMPLE.replace('{"name": "x"}', body).replace(
            '<!-- { "blockType": "response" } -->', '<!-- { "blockType": "response", "@odata.type": "microsoft.graph.onenotePage" } -->'
        )
        [(_, fixture)] = import_page(write_page(tmp_path, "page-update.md", text), tmp_path).fixtures
        assert fixture.request.body.json[0]["action"] == "append"
        assert fixture.contract.type is None
        checker = ContractChecker(fixture.contract, fixture.request.body.json)
        assert checker.check([{"target": "#p", "action": "replace", "content": "y"}]) == ()


class TestBrokenPages:
    def test_bad_annotation_json_is_reported(self, tmp_path):
        """Unreadable annotation JSON is `bad-annotation`; the response after it has no request."""
        page = write_page(
            tmp_path,
            "x.md",
            """
            <!-- { "blockType" = "request", } } -->
            ```http
            GET /me
            ```
            <!-- { "blockType": "response" } -->
            ```http
            HTTP/1.1 200 OK
            ```
            """,
        )
        result = import_page(page, tmp_path)
        assert result.fixtures == []
        assert [(d.reason, d.line, d.skipped) for d in result.diagnostics] == [
            ("bad-annotation", 1, False),
            ("response-without-request", 5, True),
        ]

    def test_annotation_without_code_block(self, tmp_path):
        """A request annotation followed by prose is `no-code-block`, and the example is skipped."""
        text = '<!-- { "blockType": "request", "name": "a" } -->\nwords\n'
        text += '<!-- { "blockType": "response" } -->\n```http\nHTTP/1.1 204 No Content\n```\n'
        page = write_page(tmp_path, "x.md", text)
        result = import_page(page, tmp_path)
        assert result.fixtures == []
        assert [(d.reason, d.line, d.skipped) for d in result.diagnostics] == [("no-code-block", 1, True)]

    def test_request_without_response(self, tmp_path):
        """A request never answered is `no-response`, skipped, at its annotation's line."""
        text = 'text\n<!-- { "blockType": "request", "name": "lonely" } -->\n```\nGET /me\n```\n'
        page = write_page(tmp_path, "x.md", text)
        result = import_page(page, tmp_path)
        assert result.fixtures == []
        assert [(d.reason, d.line, d.skipped) for d in result.diagnostics] == [("no-response", 2, True)]
        assert "'lonely'" in result.diagnostics[0].message

    def test_response_pairs_by_name_before_order(self, tmp_path):
        """A named response answers the request of that name even when an older one is waiting."""
        page = write_page(
            tmp_path,
            "x.md",
            """
            <!-- { "blockType": "request", "name": "first" } -->
            ```http
            GET /me/a
            ```
            <!-- { "blockType": "request", "name": "second" } -->
            ```http
            GET /me/b
            ```
            <!-- { "blockType": "response", "name": "second" } -->
            ```http
            HTTP/1.1 200 OK
            ```
            """,
        )
        result = import_page(page, tmp_path)
        assert [f.request.path for _, f in result.fixtures] == ["/me/b"]
        assert [(d.reason, d.line) for d in result.diagnostics] == [("no-response", 1)]

    def test_unnamed_responses_answer_the_oldest_request(self, tmp_path):
        """Responses without a matching name answer waiting requests oldest first."""
        page = write_page(
            tmp_path,
            "x.md",
            """
            <!-- { "blockType": "request", "name": "a" } -->
            ```http
            GET /me/a
            ```
            <!-- { "blockType": "request", "name": "b" } -->
            ```http
            GET /me/b
            ```
            <!-- { "blockType": "response" } -->
            ```http
            HTTP/1.1 200 OK
            ```
            <!-- { "blockType": "response" } -->
            ```http
            HTTP/1.1 204 No Content
            ```
            """,
        )
        result = import_page(page, tmp_path)
        assert [(f.request.path, f.response.status) for _, f in result.fixtures] == [("/me/a", 200), ("/me/b", 204)]

    def test_no_content_response_loses_its_documented_body(self, tmp_path):
        """A 204 documented with a body (it happens) imports without it, and says so."""
        page = write_page(
            tmp_path,
            "x.md",
            """
            <!-- { "blockType": "request", "name": "a" } -->
            ```http
            PATCH /me/a
            ```
            <!-- { "blockType": "response" } -->
            ```http
            HTTP/1.1 204 No Content
            Content-type: application/json

            {"id": "x"}
            ```
            """,
        )
        result = import_page(page, tmp_path)
        [(_, fixture)] = result.fixtures
        assert (fixture.response.status, fixture.response.body.empty) == (204, True)
        assert [(d.reason, d.line, d.skipped) for d in result.diagnostics] == [("body-with-no-content", 7, False)]

    def test_empty_page(self, tmp_path):
        """An empty page imports nothing and says so in a note."""
        page = write_page(tmp_path, "x.md", "\n\n")
        result = import_page(page, tmp_path)
        assert result.fixtures == []
        assert [(d.reason, d.level, d.skipped) for d in result.diagnostics] == [("empty-page", "info", False)]

    @pytest.mark.parametrize("data", [b"\xff\xfe# not utf-8 \x80", b"# title\x00\x00binary"])
    def test_binary_or_non_utf8_page(self, tmp_path, data):
        """Bytes that are not UTF-8 text make `unreadable-page`, never an exception."""
        page = tmp_path / "x.md"
        page.write_bytes(data)
        result = import_page(page, tmp_path)
        assert result.fixtures == []
        assert [(d.reason, d.line, d.skipped, d.page) for d in result.diagnostics] == [("unreadable-page", 1, True, "x.md")]

    def test_oversized_page(self, tmp_path, monkeypatch):
        """A page over the size limit is `unreadable-page` without being read."""
        monkeypatch.setattr(docpage, "MAX_PAGE_BYTES", 100)
        page = write_page(tmp_path, "x.md", EXAMPLE)
        assert reasons(import_page(page, tmp_path).diagnostics) == ["unreadable-page"]

    def test_huge_page_imports_every_example(self, tmp_path):
        """A page with 2,000 examples imports every one of them, each under its own name.

        (How fast is measured in `make bench`, not here.)"""
        example = EXAMPLE.split("## Example", 1)[1]
        page = write_page(tmp_path, "x.md", EXAMPLE + example * 1999)
        result = import_page(page, tmp_path)
        assert len(result.fixtures) == 2000
        assert result.fixtures[-1][0] == "v1.0/x/create_thing-2000.json"

    def test_deeply_nested_body_is_not_json(self, tmp_path):
        """A body nested beyond the parser's depth is kept as text with `body-not-json`."""
        body = "[" * 50_000
        page = write_page(tmp_path, "x.md", EXAMPLE.replace('{"name": "x"}', body))
        result = import_page(page, tmp_path)
        assert result.fixtures[0][1].request.body.text == body
        assert "body-not-json" in reasons(result.diagnostics)

    def test_invalid_body_is_kept_as_text(self, tmp_path):
        """A JSON body that cannot be repaired is kept as text with `body-not-json` at the failing line."""
        page = write_page(tmp_path, "x.md", EXAMPLE.replace('{"name": "x"}', '{"name": {name-value}}'))
        result = import_page(page, tmp_path)
        fixture = result.fixtures[0][1]
        assert fixture.request.body.text == '{"name": {name-value}}' and not fixture.request.body.is_json
        assert [(d.reason, d.line) for d in result.diagnostics] == [("body-not-json", 17)]

    def test_missing_status_line_takes_the_documented_status(self, tmp_path):
        """A response holding only JSON gets the status the Response section states, with `bad-status-line`."""
        text = EXAMPLE.replace("```http\nHTTP/1.1 201 Created\nContent-Type: application/json\n\n", "```json\n")
        result = import_page(write_page(tmp_path, "x.md", text), tmp_path)
        fixture = result.fixtures[0][1]
        assert fixture.response.status == 201 and fixture.response.body.json == {"id": "1", "name": "x"}
        assert fixture.response.headers == ()
        (warning,) = [d for d in result.diagnostics if d.reason == "bad-status-line"]
        assert not warning.skipped and "'Response' section" in warning.message

    def test_missing_status_line_defaults_to_200(self, tmp_path):
        """With no status stated anywhere, a response without a status line answers 200."""
        text = EXAMPLE.replace("`201 Created`", "the thing").replace("HTTP/1.1 201 Created\n", "")
        result = import_page(write_page(tmp_path, "x.md", text), tmp_path)
        assert result.fixtures[0][1].response.status == 200
        assert result.fixtures[0][1].response.headers == (("Content-Type", "application/json"),)
        assert "bad-status-line" in reasons(result.diagnostics)

    def test_status_line_without_a_status(self, tmp_path):
        """`HTTP/1.1 Created` is read as a status line missing its code: the documented status, headers kept."""
        text = EXAMPLE.replace("HTTP/1.1 201 Created", "HTTP/1.1 Created")
        result = import_page(write_page(tmp_path, "x.md", text), tmp_path)
        response = result.fixtures[0][1].response
        assert (response.status, response.headers) == (201, (("Content-Type", "application/json"),))
        assert response.body.json == {"id": "1", "name": "x"}
        assert [(d.reason, d.line) for d in result.diagnostics] == [("bad-status-line", 21)]

    @pytest.mark.parametrize("first_line", ["https://graph.microsoft.com/v1.0/me/things", "FETCH /me/things", ""])
    def test_request_line_without_method(self, tmp_path, first_line):
        """A request whose first line has no HTTP method is `bad-request-line` and skipped."""
        text = EXAMPLE.replace("POST https://graph.microsoft.com/v1.0/me/things", first_line)
        if not first_line:
            text = text.replace('Content-Type: application/json\n\n{"name": "x"}\n', "")
        result = import_page(write_page(tmp_path, "x.md", text), tmp_path)
        assert result.fixtures == []
        assert [d.reason for d in result.diagnostics if d.skipped] == ["bad-request-line"]

    def test_routes_add_the_other_documented_forms(self, tmp_path):
        """An example fitting a documented form is also served at the page's other forms of its operation."""
        result = import_page(write_page(tmp_path, "x.md", EXAMPLE), tmp_path)
        assert result.fixtures[0][1].request.routes == ("/me/things", "/users/{id}/things")
        assert result.diagnostics == []

    def test_mangled_sample_pages_never_raise(self, tmp_path):
        """Every sample page, cut short, shuffled or with quotes swapped, imports without raising."""
        rng = random.Random(1)
        for n, source in enumerate(sorted(DOCS_DIR.rglob("*.md"))):
            lines = source.read_text(encoding="utf-8").split("\n")
            cut = lines[: rng.randrange(len(lines))]
            shuffled = rng.sample(lines, len(lines))
            swapped = [line.replace('"', "'").replace("}", "") for line in lines]
            for k, variant in enumerate((cut, shuffled, swapped)):
                page = write_page(tmp_path, f"{n}-{k}.md", "\n".join(variant))
                result = import_page(page, tmp_path)
                assert all(d.line >= 1 and d.page == page.name for d in result.diagnostics)

    def test_processes_give_the_same_result(self, monkeypatch):
        """The sample imported by two processes: the same fixtures, names, diagnostics and progress as by one."""
        one = import_paths([DOCS_DIR])
        monkeypatch.setattr(importer, "PAGES_PER_JOB", 10)
        seen: list[tuple[int, int]] = []
        two = import_paths([DOCS_DIR], jobs=2, progress=lambda done, total: seen.append((done, total)))
        assert two.fixtures == one.fixtures and two.diagnostics == one.diagnostics and two.pages == one.pages
        assert seen == [(n, one.pages) for n in range(1, one.pages + 1)]

    def test_internal_errors_do_not_stop_the_run(self, tmp_path, monkeypatch):
        """A page that raises unexpectedly becomes `internal-error`; the next page still imports."""
        write_page(tmp_path, "a.md", EXAMPLE)
        write_page(tmp_path, "b.md", EXAMPLE)
        real = importer._PageImporter.run

        def run(self):
            if self.rel == "a.md":
                raise KeyError("boom")
            return real(self)

        monkeypatch.setattr(importer._PageImporter, "run", run)
        result = import_paths([tmp_path])
        assert [name for name, _ in result.fixtures] == ["v1.0/b/create_thing.json"]
        (error,) = result.diagnostics
        assert (error.page, error.reason, error.skipped) == ("a.md", "internal-error", True)
        assert "KeyError" in error.message


class TestFindingPages:
    def test_folders_recurse_in_order_skipping_readme_and_includes(self, tmp_path):
        """A folder gives its *.md pages recursively, sorted, without README.md or includes/."""
        for name in ("b.md", "a/c.md", "README.md", "includes/snippet.md", "a/includes/x.md", "notes.txt"):
            write_page(tmp_path, name, EXAMPLE)
        result = import_paths([tmp_path])
        assert sorted({f.source.page for _, f in result.fixtures}) == ["a/c.md", "b.md"]
        assert result.pages == 2

    def test_root_defaults_to_the_folder_or_the_files_parent(self, tmp_path):
        """Source pages are relative to a folder argument, or to a file argument's folder, unless root is given."""
        page = write_page(tmp_path, "sub/x.md", EXAMPLE)
        assert import_paths([tmp_path]).fixtures[0][1].source.page == "sub/x.md"
        assert import_paths([page]).fixtures[0][1].source.page == "x.md"
        assert import_paths([page], root=tmp_path).fixtures[0][1].source.page == "sub/x.md"

    def test_names_are_unique_across_the_import(self, tmp_path):
        """Examples with the same output name get -2, -3; odd names are slugged; unnamed ones are `example`."""
        write_page(tmp_path, "one/x.md", EXAMPLE)
        write_page(tmp_path, "two/x.md", EXAMPLE.replace("create_thing", "create thing!"))
        write_page(tmp_path, "three/x.md", EXAMPLE.replace('"name": "create_thing"', '"name": "ü"'))
        names = [name for name, _ in import_paths([tmp_path]).fixtures]
        assert names == ["v1.0/x/create_thing.json", "v1.0/x/example.json", "v1.0/x/create-thing.json"]
        write_page(tmp_path, "four/x.md", EXAMPLE)
        names = [name for name, _ in import_paths([tmp_path]).fixtures]
        assert names[:2] == ["v1.0/x/create_thing.json", "v1.0/x/create_thing-2.json"]

    def test_missing_path_is_an_error(self, tmp_path):
        """A path that does not exist is a DocPageError naming it."""
        with pytest.raises(DocPageError, match="nope.md"):
            import_paths([tmp_path / "nope.md"])


class TestWriteFixtures:
    def test_files_land_at_their_names_and_load_back_equal(self, tmp_path):
        """Each fixture is written at its name and loads back equal to the imported one."""
        result = import_paths([SEED_PAGE, V1_API / "application-post-onlinemeetings.md"], root=DOCS_DIR)
        assert write_fixtures(result, tmp_path / "out") == 2
        for name, fixture in result.fixtures:
            assert load_fixture(tmp_path / "out" / name) == fixture
        assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.json")) == [
            "unversioned/app-post-onlinemeetings/create_onlinemeeting_from_.json",
            "v1.0/application-post-onlinemeetings/create-onlinemeeting-user-token.json",
        ]

    def test_clean_removes_stale_doc_fixtures_only(self, tmp_path):
        """`clean` removes doc fixtures this import does not write; recordings and other files stay."""
        out = tmp_path / "out"
        stale, recorded = out / "v1.0" / "gone" / "old.json", out / "recorded" / "r.json"
        save_fixture(make_fixture(), stale)
        save_fixture(msgspec.structs.replace(make_fixture(), source=Source(kind="recorded")), recorded)
        (out / "settings.json").write_text('{"not": "a fixture"}')
        (out / "notes.txt").write_text("keep")
        (out / "broken.json").write_text("{")
        result = import_paths([SEED_PAGE], root=DOCS_DIR)
        write_fixtures(result, out)
        assert stale.exists()
        write_fixtures(result, out, clean=True)
        assert not stale.exists()
        assert all(p.exists() for p in (recorded, out / "settings.json", out / "notes.txt", out / "broken.json"))
        assert (out / result.fixtures[0][0]).exists()

    def test_output_is_byte_identical_across_runs(self, tmp_path):
        """Two imports of the sample write the same bytes, and a rewrite leaves unchanged files alone."""
        for run in ("a", "b"):
            write_fixtures(import_paths([DOCS_DIR]), tmp_path / run)
        files = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.json")}
        assert len(files) == 66
        assert files == {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.json")}
        first = next((tmp_path / "a").rglob("*.json"))
        before = first.stat().st_mtime_ns
        write_fixtures(import_paths([DOCS_DIR]), tmp_path / "a")
        assert first.stat().st_mtime_ns == before
