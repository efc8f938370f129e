"""Reading the documented Permissions tables into fixtures: the sample pages and their quirks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mockgraph.docpage import parse_page
from mockgraph.fixturefile import dumps, loads
from mockgraph.importer import import_page, import_paths
from mockgraph.models import PermissionTable
from mockgraph.permissions import read_cell, read_permissions, scoped
from support import DOCS_DIR, SEED_PAGE

V1_API = DOCS_DIR / "api-reference" / "v1.0" / "api"
BETA_API = DOCS_DIR / "api-reference" / "beta" / "api"


def permissions_of(path: Path) -> tuple[PermissionTable, ...]:
    fixtures = import_page(path, DOCS_DIR).fixtures
    assert fixtures
    tables = {f.permissions for _, f in fixtures}
    assert len(tables) == 1, "every example of a one-table page carries the same permissions"
    return tables.pop()


def page(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


class TestSamplePages:
    def test_seed_todo_leaves_the_operation_unenforced_with_a_warning(self):
        """The seed's TODO table is a warning, and its example carries no permissions."""
        result = import_page(SEED_PAGE, DOCS_DIR)
        assert [d.reason for d in result.diagnostics].count("todo-permissions") == 1
        assert all(f.permissions == () for _, f in result.fixtures)

    def test_online_meeting_delegated_and_application_rows(self):
        """onlinemeeting-get: two delegated permissions least privileged first, two application ones
        (the `*` of the access policy dropped), and "Not Supported." for personal accounts."""
        (table,) = permissions_of(V1_API / "onlinemeeting-get.md")
        assert table.delegated_work == (("OnlineMeetings.Read",), ("OnlineMeetings.ReadWrite",))
        assert table.application == (("OnlineMeetings.Read.All",), ("OnlineMeetings.ReadWrite.All",))
        assert table.delegated_personal == ()

    def test_not_supported_row(self):
        """tablecolumn-get: application callers are "Not supported."; delegated work needs Files.ReadWrite."""
        (table,) = permissions_of(V1_API / "tablecolumn-get.md")
        assert table.application == () and table.delegated_work == (("Files.ReadWrite",),)

    def test_and_joins_permissions_needed_together(self):
        """conditionalaccessroot-post-namedlocations: "Policy.Read.All and Policy.ReadWrite.ConditionalAccess" is one alternative."""
        (table,) = permissions_of(BETA_API / "conditionalaccessroot-post-namedlocations.md")
        assert table.delegated_work == (("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),)

    def test_none_means_no_permission_is_needed(self):
        """call-mute: applications need no permission ("None."); delegated callers are not supported."""
        (table,) = permissions_of(V1_API / "call-mute.md")
        assert table.application == ((),) and table.delegated_work == ()

    def test_a_table_by_resource_gives_each_caller_type_its_whole_column(self):
        """subscription-post-subscriptions: rows are resources, so any permission of a column lets that caller type call."""
        (table,) = permissions_of(V1_API / "subscription-post-subscriptions.md")
        assert ("Mail.Read",) in table.delegated_work and ("CallRecords.Read.All",) in table.application
        assert ("CallRecords.Read.All",) not in table.delegated_work

    def test_every_sample_page_with_a_readable_table_imports_it(self):
        """Of the sample's operations, all but the TODO seed carry permissions; the summary says so."""
        result = import_paths([SEED_PAGE, DOCS_DIR / "api-reference"], root=DOCS_DIR)
        lines = {line.strip().split("  ")[0]: line.split() for line in result.summary().splitlines()}
        assert lines["permissions imported (share: of tables)"][-2:] == ["41", "100.0%"]
        assert lines["permissions table says TODO"][-1] == "1"


SEVERAL = page(
    """
    # Delete phoneAuthenticationMethod

    ## Permissions
    ### Permissions acting on self
    |Permission type | Permissions (from least to most privileged) |
    |:---|:---|
    | Delegated (work or school account) | UserAuthenticationMethod.ReadWrite |
    | Delegated (personal Microsoft account) | Not supported. |
    | Application | Not supported. |

    ### Permissions acting on other users
    |Permission type | Permissions (from least to most privileged) |
    |:---|:---|
    | Delegated (work or school account) | UserAuthenticationMethod.ReadWrite.All |
    | Delegated (personal Microsoft account) | Not supported. |
    | Application | UserAuthenticationMethod.ReadWrite.All |

    ## HTTP request
    <!-- { "blockType": "ignored" } -->
    ```http
    DELETE /me/authentication/phoneMethods/{id}
    DELETE /users/{id | userPrincipalName}/authentication/phoneMethods/{id}
    ```

    ## Example
    <!-- { "blockType": "request", "name": "delete_phone" } -->
    ```http
    DELETE https://graph.microsoft.com/beta/me/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7
    ```
    <!-- { "blockType": "response" } -->
    ```http
    HTTP/1.1 204 No Content
    ```
    """
)

BY_PATH = page(
    """
    # List deleted items

    ## Permissions
    ### For users:
    |Permission type | Permissions (from least to most privileged) |
    |:---|:---|
    | Delegated (work or school account) | User.Read.All |
    | Application | User.Read.All |

    ### For groups:
    |Permission type | Permissions (from least to most privileged) |
    |:---|:---|
    | Delegated (work or school account) | Group.Read.All |
    | Application | Group.Read.All |
    """
)


class TestSeveralTables:
    def test_self_and_others_tables_are_scoped_by_who(self, tmp_path):
        """"acting on self" and "acting on other users" apply by who the call is about, decided per call."""
        path = tmp_path / "phone-delete.md"
        path.write_text(SEVERAL)
        ((_, fixture),) = import_page(path, tmp_path).fixtures
        assert [(t.label, t.who) for t in fixture.permissions] == [
            ("Permissions acting on self", "self"),
            ("Permissions acting on other users", "others"),
        ]
        assert fixture.permissions[1].application == (("UserAuthenticationMethod.ReadWrite.All",),)

    def test_tables_named_for_a_path_form_apply_to_it_alone(self):
        """"For users:" applies to `.../microsoft.graph.user`, "For groups:" to `.../microsoft.graph.group`."""
        found = read_permissions(parse_page(BY_PATH))
        routes = ("/directory/deletedItems/microsoft.graph.user", "/directory/deletedItems/microsoft.graph.group")
        tables, note = scoped(found, routes)
        assert note is None
        assert [(t.label, t.routes) for t in tables] == [("For users:", routes[:1]), ("For groups:", routes[1:])]

    def test_tables_naming_no_route_all_apply_with_a_warning(self):
        """A route no heading names is judged by every table (any one enough), and the importer says so."""
        tables, note = scoped(read_permissions(parse_page(BY_PATH)), ("/directory/deletedItems/{id}",))
        assert len(tables) == 2 and note is not None and "any of them" in note


class TestCells:
    @pytest.mark.parametrize(
        ("cell", "grants"),
        [
            ("Mail.Send", (("Mail.Send",),)),
            ("**Not Supported**", ()),
            ("n/a", ()),
            ("None.", ((),)),
            ("ChannelMessage.Read.Group*, ChannelMessage.Read.All", (("ChannelMessage.Read.Group",), ("ChannelMessage.Read.All",))),
            ("Files.ReadWrite.All </br>Group.Read.All", (("Files.ReadWrite.All",), ("Group.Read.All",))),
            ("For **user** resource: Chat.Read<br/><br/>For **channel** resource: Not supported.", (("Chat.Read",),)),
            ("A.Read.All B.Read.All", (("A.Read.All",), ("B.Read.All",))),
            ("Directory AccessAsUser.All", None),
            ("**TODO: Determine scopes**", None),
            ("", None),
        ],
    )
    def test_cells(self, cell, grants):
        """Each way the docs write a cell reads as alternatives, not supported, none needed, or unreadable (None)."""
        assert read_cell(cell) == grants

    def test_most_to_least_privileged_tables_are_turned_around(self):
        """Intune's tables list the most privileged first; fixtures always keep the least privileged first."""
        text = page(
            """
            ## Prerequisites
            |Permission type|Permissions (from most to least privileged)|
            |:---|:---|
            |Delegated (work or school account)|Devices.ReadWrite.All, Devices.Read.All|
            """
        )
        (table,) = read_permissions(parse_page(text)).tables
        assert table.delegated_work == (("Devices.Read.All",), ("Devices.ReadWrite.All",))

    def test_an_unreadable_table_is_reported(self):
        """A cell that is prose rather than permission names is a `permissions-unreadable` problem with its line."""
        text = page(
            """
            ## Permissions
            |Permission type|Permissions (from least to most privileged)|
            |:---|:---|
            |Delegated (work or school account)|Ask your administrator|
            """
        )
        found = read_permissions(parse_page(text))
        assert found.tables == () and [(p.line, p.reason) for p in found.problems][0] == (4, "permissions-unreadable")


class TestFixtureFormat:
    def test_permissions_round_trip_in_a_fixed_order(self):
        """The `permissions` field is written after the contract, keys in a fixed order, and loads back equal."""
        ((_, fixture), *_) = import_page(V1_API / "onlinemeeting-get.md", DOCS_DIR).fixtures
        text = dumps(fixture)
        assert text.index('"contract"') < text.index('"responseContract"') < text.index('"permissions"')
        permissions = text[text.index('"permissions"') :]  # property names elsewhere may read "application"
        assert permissions.index('"delegatedWork"') < permissions.index('"delegatedPersonal"') < permissions.index('"application"')
        assert '"delegatedPersonal": "not supported"' in text
        assert loads(text) == fixture

    def test_old_fixtures_without_permissions_still_load(self):
        """A fixture written before this field loads, with no permissions (unenforced)."""
        text = '{"mockgraph": 1, "source": {"kind": "doc"}, "request": {"method": "GET", "path": "/me"}, "response": {"status": 200}}'
        assert loads(text).permissions == ()

    def test_a_malformed_permissions_row_names_the_field(self):
        """A row that is neither a list nor one of the words stops the load with the field named."""
        text = '{"mockgraph": 1, "source": {"kind": "doc"}, "request": {"method": "GET", "path": "/me"}, "response": {"status": 200}, "permissions": [{"application": "maybe"}]}'
        with pytest.raises(Exception, match=r"permissions\[0\]\.application"):
            loads(text)
