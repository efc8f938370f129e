"""A documented request body that is JSON only to a lenient reader: the fixture holds what a client
really sends (strict JSON), keeps the text as documented, and lint reports it."""

from __future__ import annotations

import json

import pytest

from mockgraph.fixturefile import dumps, loads
from mockgraph.importer import import_paths
from mockgraph.lint import lint_fixture, lint_pages
from mockgraph.verify import verify
from support import DOCS_DIR

EVENTMESSAGE = DOCS_DIR / "api-reference" / "beta" / "api" / "eventmessage-update.md"
WIDE_DIR = DOCS_DIR.parent / "graphdocs-wide" / "api-reference"

COMMENTED_PAGE = """\
# Create contact

<!-- { "blockType": "request", "name": "create_contact" } -->
```http
POST https://graph.microsoft.com/v1.0/me/contacts

// the contact to create
{
  "givenName": "Pavel", /* as in the address book */
  "surname": "Bansky",
}
```

<!-- { "blockType": "response", "name": "create_contact" } -->
```http
HTTP/1.1 201 Created
Content-Type: application/json

{"id": "AAMkAGI2THk0AAA="}
```
"""


class TestSamplePage:
    def test_fixture_holds_strict_json_and_the_documented_text(self):
        """eventmessage-update's trailing comma: the body is what a client sends, the text is kept beside it."""
        [(_, fixture)] = import_paths([EVENTMESSAGE], root=DOCS_DIR).fixtures
        assert fixture.request.body.json == {"isRead": "true"}
        assert fixture.request.body.documented == '{\n  "isRead": "true",\n}'
        text = dumps(fixture)
        assert json.loads(text)["request"]["bodyDocumented"] == fixture.request.body.documented
        assert loads(text).request.body.documented == fixture.request.body.documented

    async def test_verify_sends_the_strict_json(self):
        """verify sends the repaired body, so the server reads it and the documented answer comes back."""
        result = await verify(dict(import_paths([EVENTMESSAGE], root=DOCS_DIR).fixtures))
        assert (result.passed, result.failed) == (1, 0)

    def test_lint_reports_the_lenient_json(self):
        """lint reports the trailing comma as a documentation finding of kind json, beside the contract breaks."""
        [linted], _ = lint_pages([EVENTMESSAGE], root=DOCS_DIR)
        [finding] = [f for f in linted.findings if f.kind == "json"]
        assert (finding.severity, finding.path, finding.actual) == ("warning", "", "a trailing comma (body line 2)")


class TestDocumentedPages:
    def test_comments_and_no_content_type(self, tmp_path):
        """A body opened by a comment, with no Content-Type, is still JSON; comments and commas are reported."""
        page = tmp_path / "contact-post.md"
        page.write_text(COMMENTED_PAGE)
        [(_, fixture)] = import_paths([page], root=tmp_path).fixtures
        assert fixture.request.body.is_json
        assert fixture.request.body.json == {"givenName": "Pavel", "surname": "Bansky"}
        [finding] = lint_fixture(fixture)
        assert finding.kind == "json"
        assert finding.actual == "a comment (body line 1), a comment (body line 3), a trailing comma (body line 4)"

    @pytest.mark.skipif(not WIDE_DIR.is_dir(), reason="needs ../shared/graphdocs-wide")
    def test_repaired_responses_keep_no_text(self):
        """A response is replayed, never sent: a repaired response body keeps no documented text (wide sample)."""
        page = WIDE_DIR / "beta" / "api" / "userinsightssettings-update.md"
        fixtures = import_paths([page], root=WIDE_DIR).fixtures
        assert fixtures and all(f.response.body.documented is None for _, f in fixtures)
        assert all(finding.kind != "json" for _, fixture in fixtures for finding in lint_fixture(fixture))
