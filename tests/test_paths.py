"""How documented and incoming paths are split, compared and templated."""

import pytest

from mockgraph.paths import looks_like_key, segments, split_version, template_matches, template_of


class TestSplitVersion:
    def test_version_prefix_is_taken_off(self):
        """A leading v1.0 or beta is the version, in any case; the rest is the path."""
        assert split_version("/v1.0/me/onlineMeetings") == ("v1.0", "/me/onlineMeetings")
        assert split_version("/BETA/me") == ("beta", "/me")

    def test_path_without_version(self):
        """A path that starts with anything else has no version."""
        assert split_version("/app/onlineMeetings") == (None, "/app/onlineMeetings")
        assert split_version("/v2.0/me") == (None, "/v2.0/me")


class TestSegments:
    def test_case_and_encoding_are_folded(self):
        """Segments compare case-insensitively and percent-decoded, as Graph compares them."""
        assert segments("/Users/John%40Contoso.com/OnlineMeetings/") == ["users", "john@contoso.com", "onlinemeetings"]

    def test_encoded_slash_stays_in_its_segment(self):
        """%2F does not split a segment: a key may contain a slash."""
        assert segments("/drives/a%2Fb/items") == ["drives", "a/b", "items"]

    def test_function_spellings_are_one(self):
        """delta, delta() and microsoft.graph.delta() name the same function."""
        assert segments("/users/delta()") == segments("/users/microsoft.graph.delta()") == segments("/users/delta")

    def test_unencoded_paths_fold_as_encoded_ones(self):
        """A path with no '%' is folded whole: the same segments as one folded segment by segment
        (empty ones dropped, full case folding, function spellings in any case)."""
        assert segments("//Users//Microsoft.Graph.Delta()/Straße/") == ["users", "delta", "strasse"]
        assert segments("//Users//Microsoft.Graph.Delta()/Straße/") == segments("/Users/Microsoft.Graph.Delta%28%29/Stra%C3%9Fe")


@pytest.mark.parametrize(
    "segment",
    [
        "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZdFpHRTNaR1F6WGhyZWFkLnYy",
        "AAMkAGI2TG93AAA=",
        "19:meeting_x@thread.skype",
        "{userId}",
        "{id | userPrincipalName}",
        "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K",
        "contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A",
        "b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1Blcjgm",
    ],
)
def test_documented_ids_are_keys(segment):
    """Example ids of every shape the documentation uses are recognised as keys."""
    assert looks_like_key(segment)


@pytest.mark.parametrize(
    "segment", ["onlineMeetings", "sendMail", "$ref", "$value", "microsoft.graph.delta()", "oauth2PermissionGrants", "me", "root", "root:"]
)
def test_names_are_not_keys(segment):
    """Navigation properties, actions and OData segments stay literal."""
    assert not looks_like_key(segment)


def test_template_replaces_keys_only():
    """A documented path keeps its names and turns its example ids into {id}."""
    assert template_of("/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd/onlineMeetings") == "/users/{id}/onlineMeetings"


def test_template_matching():
    """Placeholders match any one segment; literals match case-insensitively; lengths must agree."""
    assert template_matches("/users/{userId}/onlineMeetings", "/users/abc/OnlineMeetings")
    assert not template_matches("/users/{userId}/onlineMeetings", "/users/abc/onlineMeetings/x")
    assert not template_matches("/app/onlineMeetings/$ref", "/app/onlineMeetings")
