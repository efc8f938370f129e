"""Reading one documentation page: its file as text, then its blocks, annotations, sections, tables, links."""

from __future__ import annotations

import textwrap

import pytest

from mockgraph import docpage
from mockgraph.docpage import heading_anchor, parse_page, plain_text, read_page, split_row
from mockgraph.errors import DocPageError
from support import SEED_PAGE


def page(text: str):
    return parse_page(textwrap.dedent(text).lstrip("\n"))


class TestReadingTheFile:
    def test_a_page_is_utf8_text_without_its_bom(self, tmp_path):
        """A page's bytes decode as UTF-8, a leading byte-order mark dropped."""
        path = tmp_path / "x.md"
        path.write_bytes("\ufeff# Títle\n".encode())
        assert read_page(path) == "# Títle\n"

    @pytest.mark.parametrize(
        ("data", "message"),
        [(b"\xff\xfe# x \x80", "is not UTF-8 text"), (b"# x\x00", "looks binary"), (None, "cannot be read")],
    )
    def test_what_is_not_a_page_is_a_docpage_error(self, tmp_path, data, message):
        """Bytes that are not UTF-8, NUL bytes, or a missing file raise DocPageError saying which."""
        path = tmp_path / "x.md"
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(DocPageError, match=message):
            read_page(path)

    def test_a_page_over_the_size_limit_is_refused(self, tmp_path, monkeypatch):
        """A file larger than MAX_PAGE_BYTES raises DocPageError naming its size."""
        monkeypatch.setattr(docpage, "MAX_PAGE_BYTES", 10)
        path = tmp_path / "x.md"
        path.write_text("# a longer title\n", encoding="utf-8")
        with pytest.raises(DocPageError, match="is 17 bytes, more than the 10"):
            read_page(path)


class TestBlocks:
    def test_annotation_attaches_to_the_fence_after_blank_lines(self):
        """An annotation comment, blank lines, then a fence: one block carrying both, with their lines."""
        doc = page(
            """
            # Title
            <!-- {
              "blockType": "request",
              "name": "create_x"
            }-->

            ``` http
            POST /me/x
            ```
            """
        )
        (block,) = doc.blocks
        assert block.annotation == {"blockType": "request", "name": "create_x"}
        assert block.block_type == "request"
        assert (block.annotation_line, block.language, block.code_line) == (2, "http", 8)
        assert block.code == "POST /me/x"

    def test_fence_languages_are_read_lower_case_and_bare_fences_have_none(self):
        """```msgraph-interactive, ```JSON and a bare ``` give their language or an empty one."""
        doc = page(
            """
            ```msgraph-interactive
            GET /me
            ```
            ```JSON
            {}
            ```
            ```
            text
            ```
            """
        )
        assert [b.language for b in doc.blocks] == ["msgraph-interactive", "json", ""]
        assert all(b.annotation is None for b in doc.blocks)

    def test_annotation_followed_by_prose_has_no_code(self):
        """An annotation followed by text rather than a fence gives a block whose code is None."""
        doc = page(
            """
            <!-- { "blockType": "request", "name": "a" } -->
            Some words.
            ```http
            GET /me
            ```
            """
        )
        assert [(b.annotation is not None, b.code) for b in doc.blocks] == [(True, None), (False, "GET /me")]

    def test_comments_and_headings_inside_a_fence_are_code(self):
        """`<!--`, `#` and `|` lines inside a fence are code, not annotations, headings or tables."""
        doc = page(
            """
            ```
            <!-- { "blockType": "request" } -->
            # not a heading
            | a | b |
            |---|---|
            ```
            """
        )
        assert len(doc.blocks) == 1 and doc.blocks[0].annotation is None
        assert doc.sections == () and doc.tables == ()

    def test_other_comments_are_not_annotations(self):
        """uuid comments and page metadata annotations (no blockType) do not annotate a block."""
        doc = page(
            """
            <!-- uuid: 8fcb5dbc
            2015-10-25 14:57:30 UTC -->
            <!-- { "type": "#page.annotation", "description": "x" } -->
            ```http
            GET /me
            ```
            """
        )
        assert doc.blocks[0].annotation is None
        assert doc.problems == ()

    def test_an_unclosed_fence_runs_to_the_end_and_is_reported(self):
        """A fence never closed holds the rest of the page, and an `unclosed-fence` problem names its line."""
        doc = page(
            """
            text
            ```http
            GET /me
            """
        )
        assert doc.blocks[0].code.startswith("GET /me")
        assert [(p.line, p.reason) for p in doc.problems] == [(2, "unclosed-fence")]

    def test_an_indented_fence_loses_its_indentation(self):
        """A fence inside a list item is read with the item's indentation removed from its code."""
        doc = page('1. Step\n\n   ```json\n   {"a": 1}\n   ```\n')
        assert doc.blocks[0].code == '{"a": 1}'


class TestAnnotations:
    def test_trailing_comma_is_repaired_and_reported(self):
        """An annotation with a trailing comma is read, with an `annotation-repaired` problem."""
        doc = page('<!-- { "blockType": "response", "truncated": true, } -->\n```http\nHTTP/1.1 200 OK\n```\n')
        assert doc.blocks[0].annotation == {"blockType": "response", "truncated": True}
        assert [p.reason for p in doc.problems] == ["annotation-repaired"]

    def test_single_quotes_are_repaired(self):
        """An annotation written with single quotes is read as if double-quoted."""
        doc = page("<!-- { 'blockType': 'request', 'name': 'it' } -->\n```http\nGET /me\n```\n")
        assert doc.blocks[0].annotation == {"blockType": "request", "name": "it"}

    def test_a_hopeless_annotation_keeps_its_block_type_and_name(self):
        """Unrepairable JSON that still shows blockType and name keeps those two, with `bad-annotation`."""
        doc = page('<!-- { "blockType": "request" "name": "broken" :: } -->\n```http\nGET /me\n```\n')
        assert doc.blocks[0].annotation == {"blockType": "request", "name": "broken"}
        assert [(p.line, p.reason) for p in doc.problems] == [(1, "bad-annotation")]

    def test_a_hopeless_annotation_without_a_block_type_annotates_nothing(self):
        """Unrepairable JSON naming no readable blockType gives `bad-annotation` and an unannotated block."""
        doc = page('<!-- { "blockType" = request, } } -->\n```http\nGET /me\n```\n')
        assert doc.blocks[0].annotation is None
        assert [p.reason for p in doc.problems] == ["bad-annotation"]

    def test_an_unclosed_comment_is_reported_and_the_page_still_reads(self):
        """A `<!--` never closed is reported; the lines after it are still read."""
        doc = page('<!-- { "blockType": "request" }\n# Heading\n')
        assert [p.reason for p in doc.problems] == ["unclosed-comment"]
        assert [s.title for s in doc.sections] == ["Heading"]


class TestSections:
    def test_sections_nest_by_level(self):
        """A section runs to the next heading of the same or a higher level."""
        doc = page(
            """
            # Title
            ## HTTP request
            text
            ### Request body
            text
            ## Response
            """
        )
        assert [(s.title, s.level, s.line, s.end) for s in doc.sections] == [
            ("Title", 1, 1, 7),
            ("HTTP request", 2, 2, 5),
            ("Request body", 3, 4, 5),
            ("Response", 2, 6, 7),
        ]
        assert [s.title for s in doc.enclosing(5)] == ["Title", "HTTP request", "Request body"]

    def test_sdk_tab_markers_are_not_headings(self):
        """`# [C#](#tab/csharp)` lines are snippet tabs and do not end the section they are in."""
        doc = page("## Request\n# [HTTP](#tab/http)\n```http\nGET /me\n```\n# [C#](#tab/csharp)\ntext\n")
        assert [s.title for s in doc.sections] == ["Request"]
        assert doc.blocks[0].section.title == "Request"

    def test_front_matter_is_skipped(self):
        """The YAML front matter is neither prose nor a table nor a heading."""
        doc = page('---\ntitle: "x | y"\n---\n# Title\n')
        assert [s.line for s in doc.sections] == [4]
        assert 2 not in doc.prose

    def test_section_text_leaves_out_code(self):
        """A section's prose lines exclude its code blocks and comments."""
        doc = page("## Response\nReturns `201 Created`.\n```http\nHTTP/1.1 200 OK\n```\n<!-- note -->\n")
        assert [text for _, text in doc.text_of(doc.sections[0])] == ["Returns `201 Created`.", ""]


class TestTablesAndLinks:
    def test_a_table_has_header_cells_lines_and_section(self):
        """A pipe table gives its header, its rows with their lines, and the section it is in."""
        doc = page(
            """
            ## Request body
            | Property | Type | Description |
            |:---|:---|:---|
            |accessLevel|Enumeration|Possible values are: `everyone`, `invited`.|
            |participants|[meetingParticipants](../resources/meetingParticipants.md)||
            """
        )
        (table,) = doc.tables
        assert table.header == ("Property", "Type", "Description")
        assert [r.line for r in table.rows] == [4, 5]
        assert table.rows[1].cells == ("participants", "[meetingParticipants](../resources/meetingParticipants.md)", "")
        assert table.section.title == "Request body"
        assert table.column("type") == 1 and table.column("parameter", "property") == 0

    def test_a_dash_line_under_prose_is_not_a_table(self):
        """A line holding `|` above a `---` rule is prose, not a table header."""
        doc = page("a | b\n---\n")
        assert doc.tables == ()

    def test_cells_keep_escaped_pipes_and_code_spans(self):
        """`\\|` and `|` inside backticks stay in their cell."""
        assert split_row("| a\\|b | `x|y` | c |") == ("a|b", "`x|y`", "c")
        assert split_row("a | b") == ("a", "b")

    def test_links_are_collected_with_their_lines(self):
        """Inline links and reference definitions, from prose and tables, each with its line."""
        doc = page("See [user](../resources/user.md).\n\n[error-response]: /graph/errors\n")
        assert [(k.text, k.target, k.line) for k in doc.links] == [
            ("user", "../resources/user.md", 1),
            ("error-response", "/graph/errors", 3),
        ]


class TestInlineMarkdown:
    def test_plain_text_drops_markup(self):
        """Links, emphasis, backticks and `<br>` reduce to words."""
        assert plain_text("**[identitySet](identityset.md)** `collection`<br/>x") == "identitySet collection x"

    def test_heading_anchor_is_the_docs_anchor(self):
        """A heading's anchor is lower-case, punctuation dropped, spaces as hyphens."""
        assert heading_anchor("onlineMeetingPresenters values") == "onlinemeetingpresenters-values"


def test_the_seed_page_reads_as_documented():
    """The seed page: an ignored block in "HTTP Request", a request and a response, a 17-row property table."""
    doc = parse_page(SEED_PAGE.read_text(encoding="utf-8"))
    assert [(b.block_type, b.annotation_line, b.section.title) for b in doc.annotated_blocks] == [
        ("ignored", 24, "HTTP Request"),
        ("request", 72, "Request"),
        ("response", 153, "Response"),
    ]
    (table,) = [t for t in doc.tables if t.section.title == "Request body"]
    assert len(table.rows) == 17
    assert doc.problems == ()
