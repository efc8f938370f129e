"""Documented types: property tables read as properties, and resource pages found, read once and named exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mockgraph.docpage import parse_page
from mockgraph.doctypes import ResourceCache, parse_type_cell, properties_of_tables, property_tables
from support import DOCS_DIR

V1_RESOURCES = DOCS_DIR / "api-reference" / "v1.0" / "resources"

RESOURCE = """
# thing resource type
## Properties
| Property | Type | Description |
|:---|:---|:---|
| id | String | Read-only. |
| kind | [thingKind](#thingkind-values) | The kind of thing. |

### thingKind values
| Member | Description |
|:---|:---|
| small | |
| large | |

## JSON representation
<!-- { "blockType": "resource", "@odata.type": "microsoft.graph.Thing" } -->
```json
{"id": "String"}
```
"""


def page(text: str):
    return parse_page(textwrap.dedent(text).lstrip("\n"))


def write_page(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def properties(text: str):
    doc = page(text)
    return {p.name: p for p in properties_of_tables(doc.tables, doc)}


class TestTypeCells:
    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            ("String", ("String", False, None)),
            ("[identitySet](identityset.md) collection", ("identitySet", True, None)),
            ("Collection(microsoft.graph.attendee)", ("microsoft.graph.attendee", True, None)),
            ("collection of String", ("String", True, None)),
            ("[ageGroup](#agegroup-values)", ("ageGroup", False, "#agegroup-values")),
            ("**String**", ("String", False, None)),
        ],
    )
    def test_type_cells(self, cell, expected):
        """A type cell gives its type name, whether it is a collection, and a same-page values anchor."""
        assert parse_type_cell(cell) == expected


class TestPropertyTables:
    def test_only_tables_with_a_name_and_a_type_column_list_properties(self):
        """Tables with a Property, Parameter or Name column and a Type column count; others do not."""
        doc = page(
            """
            ## Request body
            | Parameter | Type | Description |
            |---|---|---|
            | a | String | |

            | Permission type | Permissions |
            |---|---|
            | Application | Thing.Read |
            """
        )
        (section,) = doc.sections
        assert [t.line for t in property_tables(doc, section)] == [2]

    def test_rows_become_properties(self):
        """Name (first word), type, collection, required and description without links."""
        props = properties(
            """
            | Property | Type | Description |
            |---|---|---|
            | `subject` (optional) | String | The [subject](x.md). Required. |
            | tags | String collection | |
            """
        )
        subject = props["subject"]
        assert (subject.type, subject.collection, subject.required) == ("String", False, True)
        assert subject.description == "The subject. Required."
        assert (props["tags"].type, props["tags"].collection, props["tags"].required) == ("String", True, False)

    def test_the_first_row_of_a_name_wins(self):
        """A name repeated, in any case or another table, keeps its first row."""
        props = properties(
            """
            | Name | Type |
            |---|---|
            | a | String |
            | A | Int32 |
            |  | Int32 |
            """
        )
        assert [(p.name, p.type) for p in props.values()] == [("a", "String")]

    @pytest.mark.parametrize(
        ("description", "expected"),
        [
            ("Possible values are: `everyone`, `invited`, `everyone`.", ("everyone", "invited")),
            ("The values. Possible values are: low, medium or high. More text.", ("low", "medium", "high")),
            ("Supported values include: `a`<br>then `b`", ("a",)),
            ("Possible values are: anything you like.", ()),
            ("No enumeration here.", ()),
        ],
    )
    def test_enum_values_from_the_description(self, description, expected):
        """Values after "Possible values are" to the sentence's end or `<br>`: backticked ones, else plain words."""
        props = properties(f"| Property | Type | Description |\n|---|---|---|\n| p | Enum | {description} |\n")
        assert props["p"].enum == expected

    def test_enum_values_from_a_linked_values_table(self):
        """A type linking to a values table on the page takes that table's first column as its values."""
        assert properties(RESOURCE)["kind"].enum == ("small", "large")


class TestResourceCache:
    def test_find_matches_file_names_in_any_case(self, tmp_path):
        """A file is found whatever the case of the name asked for; a missing folder finds nothing."""
        found = write_page(tmp_path / "OnlineMeeting.md", RESOURCE)
        cache = ResourceCache()
        assert cache.find(tmp_path, "onlinemeeting.MD") == found
        assert cache.find(tmp_path / "nope", "x.md") is None

    def test_links_resolve_relative_to_the_page(self, tmp_path):
        """A relative `.md` link resolves from the page's folder; web links, anchors and other files do not."""
        target = write_page(tmp_path / "resources" / "thing.md", RESOURCE)
        api_page = tmp_path / "api" / "thing-get.md"
        cache = ResourceCache()
        assert cache.resolve_link(api_page, "../resources/Thing.md#properties") == target
        for link in ("https://learn.microsoft.com/x.md", "#thing", "/graph/x.md", "../resources/thing.png"):
            assert cache.resolve_link(api_page, link) is None

    def test_a_resource_page_gives_its_type_and_properties(self, tmp_path):
        """The type is the resource annotation's `@odata.type`; properties are the Properties table's."""
        resource = ResourceCache().resource(write_page(tmp_path / "thing.md", RESOURCE))
        assert resource.type == "microsoft.graph.Thing"
        assert [p.name for p in resource.properties] == ["id", "kind"]

    def test_an_unreadable_resource_page_is_none(self, tmp_path):
        """A resource page that cannot be read gives None rather than an error."""
        path = tmp_path / "thing.md"
        path.write_bytes(b"\xff\xfe\x80")
        assert ResourceCache().resource(path) is None

    def test_resource_pages_are_read_once(self, tmp_path):
        """A second look at a resource page answers from the cache, even after the file changed."""
        path = write_page(tmp_path / "thing.md", RESOURCE)
        cache = ResourceCache()
        first = cache.resource(path)
        path.write_text("# changed\n", encoding="utf-8")
        assert cache.resource(path) is first

    def test_exact_type_takes_the_resource_pages_spelling(self, tmp_path):
        """`microsoft.graph.thing` is spelt as the sibling resources folder's page spells it; unknown types stay."""
        write_page(tmp_path / "resources" / "thing.md", RESOURCE)
        api_page = tmp_path / "api" / "thing-get.md"
        cache = ResourceCache()
        assert cache.exact_type("microsoft.graph.thing", api_page) == "microsoft.graph.Thing"
        assert cache.exact_type("microsoft.graph.other", api_page) == "microsoft.graph.other"

    def test_exact_type_of_a_sub_namespace(self, tmp_path):
        """`microsoft.graph.security.alert` is looked up as `security-alert.md` too."""
        text = RESOURCE.replace("microsoft.graph.Thing", "microsoft.graph.security.Alert")
        write_page(tmp_path / "resources" / "security-alert.md", text)
        api_page = tmp_path / "api" / "alert-get.md"
        exact = ResourceCache().exact_type("microsoft.graph.security.alert", api_page)
        assert exact == "microsoft.graph.security.Alert"

    def test_linked_properties_come_from_the_first_resource_page_with_any(self, tmp_path):
        """Links to pages without properties are passed over; the first linked page with properties answers."""
        write_page(tmp_path / "resources" / "empty.md", "# empty\n")
        write_page(tmp_path / "resources" / "thing.md", RESOURCE)
        api_page = tmp_path / "api" / "thing-create.md"
        doc = page("## Request body\nA [empty](../resources/empty.md) or a [thing](../resources/thing.md).\n")
        props = ResourceCache().linked_properties(api_page, doc.links)
        assert [p.name for p in props] == ["id", "kind"]
        assert ResourceCache().linked_properties(api_page, []) == ()

    def test_the_sample_onlinemeeting_resource(self):
        """The sample's onlineMeeting resource page names its type exactly and documents allowedPresenters."""
        resource = ResourceCache().resource(V1_RESOURCES / "onlinemeeting.md")
        assert resource.type == "microsoft.graph.onlineMeeting"
        assert "allowedPresenters" in {p.name for p in resource.properties}
