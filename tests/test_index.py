"""Which fixture answers a request, and how a miss explains itself."""

from msgspec.structs import replace

from mockgraph.index import FixtureIndex, Incoming, Match, Miss
from support import make_fixture


def index_of(**fixtures):
    return FixtureIndex(fixtures)


class TestMatching:
    def test_version_prefix_is_optional_on_both_sides(self):
        """A fixture without a version answers /x, /v1.0/x and /beta/x."""
        index = index_of(seed=make_fixture("POST", "/app/onlineMeetings"))
        for path in ("/app/onlineMeetings", "/v1.0/app/onlineMeetings", "/beta/app/onlineMeetings"):
            assert index.match(Incoming("POST", path)), path

    def test_stated_version_is_kept(self):
        """A v1.0 fixture answers /v1.0/x and /x, but not /beta/x, and the miss says why."""
        index = index_of(v1=make_fixture("POST", "/me/onlineMeetings", version="v1.0"))
        assert index.match(Incoming("POST", "/v1.0/me/onlineMeetings"))
        assert index.match(Incoming("POST", "/me/onlineMeetings"))
        miss = index.match(Incoming("POST", "/beta/me/onlineMeetings"))
        assert isinstance(miss, Miss)
        [(route, differences)] = miss.nearest
        assert [d.field for d in differences] == ["version"]

    def test_segments_compare_case_insensitively(self):
        """Graph ignores the case of path segments; so does the matcher."""
        index = index_of(seed=make_fixture("POST", "/app/onlineMeetings"))
        assert index.match(Incoming("POST", "/V1.0/APP/ONLINEMEETINGS"))

    def test_key_segments_match_any_value(self):
        """A template key matches any id, percent-encoded or not, and the match carries it."""
        index = index_of(f=make_fixture("POST", "/users/{userId}/onlineMeetings"))
        match = index.match(Incoming("POST", "/v1.0/users/adele%40contoso.com/onlineMeetings"))
        assert isinstance(match, Match)
        assert match.params == {"userId": "adele@contoso.com"}

    def test_literal_beats_key(self):
        """/users/delta is the delta function, not a user called delta."""
        index = index_of(
            user=make_fixture("GET", "/users/{id}", status=200, response={"id": "x"}),
            delta=make_fixture("GET", "/users/delta", status=200, response={"value": []}),
        )
        assert index.match(Incoming("GET", "/users/delta")).route.name == "delta"
        assert index.match(Incoming("GET", "/users/abc")).route.name == "user"

    def test_falls_back_to_key_when_literal_branch_has_no_method(self):
        """A literal branch without the method does not hide a key branch that has it."""
        index = index_of(
            user=make_fixture("PATCH", "/users/{id}", status=204),
            delta=make_fixture("GET", "/users/delta", status=200, response={"value": []}),
        )
        assert index.match(Incoming("PATCH", "/users/delta")).route.name == "user"

    def test_every_route_of_a_fixture_answers(self):
        """A fixture is served at each of its documented path forms."""
        index = index_of(f=make_fixture("POST", "/me/onlineMeetings", routes=("/me/onlineMeetings", "/users/{userId}/onlineMeetings")))
        assert index.match(Incoming("POST", "/me/onlineMeetings"))
        assert index.match(Incoming("POST", "/users/1/onlineMeetings"))

    def test_nearest_body_wins_among_examples_of_one_endpoint(self):
        """Where several examples share an endpoint, the nearest documented body picks the answer."""
        index = index_of(
            mail=make_fixture("POST", "/me/sendMail", body={"message": {"subject": "s", "body": {}}, "saveToSentItems": True}),
            headers=make_fixture("POST", "/me/sendMail", body={"message": {"subject": "s", "internetMessageHeaders": [{"name": "x"}]}}),
        )
        sent = {"message": {"subject": "other", "internetMessageHeaders": [{"name": "y", "value": "z"}]}}
        assert index.match(Incoming("POST", "/me/sendMail", json=sent)).route.name == "headers"
        assert index.match(Incoming("POST", "/me/sendMail", json={"message": {"body": {}}, "saveToSentItems": False})).route.name == "mail"

    def test_odata_type_tells_variants_apart(self):
        """Two examples with the same keys but different @odata.type are told apart by it."""
        index = index_of(
            ip=make_fixture("POST", "/namedLocations", body={"@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "a"}),
            country=make_fixture(
                "POST", "/namedLocations", body={"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "a"}
            ),
        )
        sent = {"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "b"}
        assert index.match(Incoming("POST", "/namedLocations", json=sent)).route.name == "country"

    def test_query_values_tell_variants_apart(self):
        """$format=text/csv and $format=application/json are different examples of one report."""
        index = index_of(
            csv=make_fixture("GET", "/reports/x", query="$format=text/csv"),
            json=make_fixture("GET", "/reports/x", query="$format=application/json"),
        )
        assert index.match(Incoming("GET", "/reports/x", query="$format=application/json")).route.name == "json"
        assert index.match(Incoming("GET", "/reports/x", query="%24format=text%2Fcsv")).route.name == "csv"

    def test_prefer_header_tells_variants_apart(self):
        """An update documented with and without `Prefer: return=representation` answers each as documented."""
        minimal = make_fixture("PATCH", "/security/alerts/{id}", status=204)
        full = make_fixture("PATCH", "/security/alerts/{id}", status=200, response={"id": "a"})
        full = replace(full, request=replace(full.request, headers=(("Prefer", "return=representation"),)))
        index = index_of(minimal=minimal, full=full)
        assert index.match(Incoming("PATCH", "/security/alerts/1", prefer="return=representation")).route.name == "full"
        assert index.match(Incoming("PATCH", "/security/alerts/1")).route.name == "minimal"

    def test_example_ids_tell_variants_apart(self):
        """GETs that differ only in their documented example ids answer the one whose ids were sent."""
        index = index_of(
            file=make_fixture("GET", "/me/messages/AAMkAD1=/attachments/FILE1=", routes=("/me/messages/{id}/attachments/{id}",)),
            item=make_fixture("GET", "/me/messages/AAMkAD1=/attachments/ITEM1=", routes=("/me/messages/{id}/attachments/{id}",)),
        )
        assert index.match(Incoming("GET", "/v1.0/me/messages/AAMkAD1=/attachments/ITEM1=")).route.name == "item"
        assert index.match(Incoming("GET", "/v1.0/me/messages/AAMkAD1=/attachments/FILE1=")).route.name == "file"

    def test_match_says_whether_the_path_alone_decided(self):
        """A route with no rival for its method is `unique`; where examples compete, the request chose."""
        index = index_of(
            seed=make_fixture("POST", "/app/onlineMeetings"),
            mail=make_fixture("POST", "/me/sendMail", body={"message": {}}),
            headers=make_fixture("POST", "/me/sendMail", body={"message": {"internetMessageHeaders": []}}),
            user=make_fixture("GET", "/users/{id}"),
            delta=make_fixture("GET", "/users/delta"),
        )
        assert index.match(Incoming("POST", "/v1.0/app/onlineMeetings", json={"subject": "x"})).unique
        assert not index.match(Incoming("POST", "/me/sendMail", json={"message": {}})).unique
        assert index.match(Incoming("GET", "/users/delta")).unique
        assert index.match(Incoming("GET", "/users/abc")).unique


class TestMisses:
    def test_miss_names_nearest_and_differences(self):
        """An unmatched path names the closest route and the segment that differed."""
        index = index_of(seed=make_fixture("POST", "/app/onlineMeetings"), other=make_fixture("GET", "/me/events"))
        miss = index.match(Incoming("POST", "/v1.0/app/onlineMeeting"))
        assert isinstance(miss, Miss) and not miss
        route, differences = miss.nearest[0]
        assert route.name == "seed"
        assert [str(d) for d in differences] == ["path segment 2: expected 'onlinemeetings', got 'onlinemeeting'"]

    def test_wrong_method_lists_allowed(self):
        """A path that exists under other methods reports them."""
        index = index_of(seed=make_fixture("POST", "/app/onlineMeetings"))
        miss = index.match(Incoming("GET", "/app/onlineMeetings"))
        assert isinstance(miss, Miss)
        assert miss.allowed == ("POST",)
        assert str(miss.nearest[0][1][0]) == "method: expected POST, got GET"

    def test_lookup_does_not_scan(self):
        """A hit visits the trie only: ten thousand other fixtures cost the lookup nothing extra."""
        many = {f"f{i}": make_fixture("GET", f"/things{i}/{{id}}") for i in range(10_000)}
        index = FixtureIndex({**many, "seed": make_fixture("POST", "/app/onlineMeetings")})
        calls = 0
        original = index.nearest

        def counting(*args, **kwargs):
            nonlocal calls
            calls += 1
            return original(*args, **kwargs)

        index.nearest = counting
        assert index.match(Incoming("POST", "/app/onlineMeetings")).route.name == "seed"
        assert index.match(Incoming("GET", "/things9999/abc")).route.name == "f9999"
        assert calls == 0
