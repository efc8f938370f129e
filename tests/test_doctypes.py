"""Documented types: property tables read as properties, and resource pages found, read once and named exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mockgraph.docpage import parse_page
from mockgraph.doctypes import ResourceCache, parse_type_cell, properties_of_tables, property_tables
from mockgraph.models import Property, TypeDef
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


def resource_page(name: str, rows: str, *, base: str = "", prose: str = "", extra: str = "") -> str:
    """A small resource page: a Properties table of `rows`, an optional baseType and intro text."""
    annotation = f', "baseType": "microsoft.graph.{base}"' if base else ""
    return (
        f"# {name} resource type\n\n{prose}\n\n## Properties\n| Property | Type | Description |\n|:---|:---|:---|\n{rows}\n"
        f"{extra}\n## JSON representation\n"
        f'<!-- {{ "blockType": "resource", "@odata.type": "microsoft.graph.{name}"{annotation} }} -->\n```json\n{{}}\n```\n'
    )


class TestInheritance:
    def test_rows_of_the_base_type_follow_the_own_rows(self, tmp_path):
        """A type inherits its base's rows (the annotation's baseType), own rows first, and knows its bases."""
        folder = tmp_path / "resources"
        write_page(folder / "entity.md", resource_page("entity", "| id | String | |"))
        write_page(folder / "attachment.md", resource_page("attachment", "| name | String | |", base="entity"))
        path = write_page(folder / "fileattachment.md", resource_page("fileAttachment", "| contentBytes | Binary | |", base="attachment"))
        typedef = ResourceCache().type_def(path)
        assert typedef.name == "fileAttachment"
        assert [p.name for p in typedef.properties] == ["contentBytes", "name", "id"]
        assert typedef.bases == ("attachment", "entity")

    def test_an_inherits_from_link_names_the_base(self, tmp_path):
        """Without a baseType, "Inherits from [outlookItem](outlookitem.md)." before the table names the base."""
        folder = tmp_path / "resources"
        write_page(folder / "outlookitem.md", resource_page("outlookItem", "| changeKey | String | |"))
        prose = "An email. Inherits from [outlookItem](outlookitem.md)."
        path = write_page(folder / "message.md", resource_page("message", "| subject | String | |", prose=prose))
        typedef = ResourceCache().type_def(path)
        assert [p.name for p in typedef.properties] == ["subject", "changeKey"]
        assert typedef.bases == ("outlookItem",)

    def test_a_row_the_type_lists_itself_wins_over_the_inherited_one(self, tmp_path):
        """A row documented again on the derived page ("id ... Inherited from entity") is kept once, as written there."""
        folder = tmp_path / "resources"
        write_page(folder / "entity.md", resource_page("entity", "| id | String | |"))
        path = write_page(folder / "user.md", resource_page("user", "| id | String | Inherited from entity. Read-only. |", base="entity"))
        rows = ResourceCache().type_def(path).properties
        assert [(p.name, p.description) for p in rows] == [("id", "Inherited from entity. Read-only.")]

    def test_a_base_without_a_page_is_still_named(self, tmp_path):
        """A base type whose page is not at hand adds no rows, but the type still knows it derives from it."""
        path = write_page(tmp_path / "resources" / "user.md", resource_page("user", "| id | String | |", base="directoryObject"))
        typedef = ResourceCache().type_def(path)
        assert [p.name for p in typedef.properties] == ["id"] and typedef.bases == ("directoryObject",)

    def test_a_cycle_of_bases_ends(self, tmp_path):
        """Two pages naming each other as base do not loop: each is read once."""
        folder = tmp_path / "resources"
        write_page(folder / "a.md", resource_page("a", "| x | String | |", base="b"))
        path = write_page(folder / "b.md", resource_page("b", "| y | String | |", base="a"))
        typedef = ResourceCache().type_def(path)
        assert {p.name for p in typedef.properties} == {"x", "y"}

    def test_the_inherits_link_is_the_one_after_the_words(self, tmp_path):
        """A link earlier on the line, or a name mentioned before the words, is not taken for the base."""
        folder = tmp_path / "resources"
        write_page(folder / "outlookitem.md", resource_page("outlookItem", "| changeKey | String | |"))
        write_page(folder / "mailfolder.md", resource_page("mailFolder", "| folderName | String | |"))
        prose = "An outlookItem in a [mailFolder](mailfolder.md). Inherits from [outlookItem](outlookitem.md)."
        path = write_page(folder / "message.md", resource_page("message", "| subject | String | |", prose=prose))
        assert ResourceCache().type_def(path).bases == ("outlookItem",)

    def test_odd_resource_pages_do_not_raise(self, tmp_path):
        """A baseType that is not a string, a page inheriting from itself, a values heading with no table."""
        folder = tmp_path / "resources"
        odd = resource_page("odd", "| a | oddKind | |").replace('"microsoft.graph.odd"', '"microsoft.graph.odd", "baseType": ["x"]')
        odd_path = write_page(folder / "odd.md", odd + "\n### oddKind values\nNone yet.\n")
        selfish = resource_page("self", "| b | String | |", prose="Inherits from [self](self.md).")
        self_path = write_page(folder / "self.md", selfish)
        cache = ResourceCache()
        assert cache.type_def(odd_path) == TypeDef("odd", (Property("a", "oddKind"),))
        assert [p.name for p in cache.type_def(self_path).properties] == ["b"]

    def test_relationships_are_properties_too(self, tmp_path):
        """Navigation properties in the Relationships table belong to the type: request bodies send them."""
        extra = "## Relationships\n| Relationship | Type | Description |\n|:---|:---|:---|\n| attachments | [attachment](attachment.md) collection | |\n"
        path = write_page(tmp_path / "resources" / "message.md", resource_page("message", "| subject | String | |", extra=extra))
        rows = {p.name: p for p in ResourceCache().type_def(path).properties}
        assert list(rows) == ["subject", "attachments"]
        assert (rows["attachments"].type, rows["attachments"].collection) == ("attachment", True)

    def test_nested_types_follow_a_derived_odata_type(self, tmp_path):
        """An example item naming a derived type brings that type's table into the contract, beside the declared one."""
        folder = tmp_path / "resources"
        write_page(folder / "attachment.md", resource_page("attachment", "| name | String | |"))
        write_page(folder / "fileattachment.md", resource_page("fileAttachment", "| contentBytes | Binary | |", base="attachment"))
        write_page(folder / "otherthing.md", resource_page("otherThing", "| z | String | |"))
        api_page = tmp_path / "api" / "message-send.md"
        props = (Property("attachments", "attachment", collection=True),)
        example = {
            "attachments": [
                {"@odata.type": "#microsoft.graph.fileAttachment", "contentBytes": "x"},
                {"@odata.type": "#microsoft.graph.otherThing"},
            ]
        }
        types = ResourceCache().nested_types(props, example, api_page)
        assert [(t.name, t.bases) for t in types] == [("attachment", ()), ("fileAttachment", ("attachment",))]


class TestEnumerations:
    def test_an_enumeration_documented_on_another_page(self, tmp_path):
        """A type with no page of its own, whose values table is on another resource page, takes those values."""
        extra = "### ageGroup values\n| Member | Description |\n|:---|:---|\n| minor | |\n| adult | |\n"
        write_page(tmp_path / "resources" / "user.md", resource_page("user", "| ageGroup | [ageGroup](#agegroup-values) | |", extra=extra))
        path = write_page(tmp_path / "resources" / "person.md", resource_page("person", "| group | ageGroup | |"))
        assert ResourceCache().type_def(path).properties[0].enum == ("minor", "adult")

    def test_a_complex_type_is_not_taken_for_an_enumeration(self, tmp_path):
        """A type with a page of its own keeps no enumeration, even where a values table carries its name."""
        extra = "### identity values\n| Member | Description |\n|:---|:---|\n| a | |\n"
        write_page(tmp_path / "resources" / "enums.md", "# Enums\n" + extra)
        write_page(tmp_path / "resources" / "identity.md", resource_page("identity", "| id | String | |"))
        path = write_page(tmp_path / "resources" / "thing.md", resource_page("thing", "| who | [identity](identity.md) | |"))
        assert ResourceCache().type_def(path).properties[0].enum == ()

    def test_the_documented_enums_page(self, tmp_path):
        """An enums page with "### x values" tables documents enumerations for every page of its folder."""
        enums = "# Enum types\n\n### bodyType values\n| Value |\n|:---|\n| text |\n| html |\n"
        write_page(tmp_path / "resources" / "enums.md", enums)
        api_page = tmp_path / "api" / "x.md"
        cache = ResourceCache()
        assert cache.enum_values("microsoft.graph.bodyType", api_page) == ("text", "html")
        assert cache.enum_values("nothing", api_page) == ()
