"""The public API is small and deliberate: what `mockgraph` exports is listed, sorted, and importable."""

import mockgraph


def test_all_is_sorted_and_complete():
    """__all__ is sorted, and every name in it exists."""
    assert mockgraph.__all__ == sorted(mockgraph.__all__)
    for name in mockgraph.__all__:
        assert getattr(mockgraph, name) is not None, name


def test_exported_names():
    """The public surface, written out so that a change to it is a visible decision."""
    assert mockgraph.__all__ == [
        "ConfigError",
        "DocPageError",
        "Fixture",
        "FixtureError",
        "FixtureIndex",
        "MockgraphError",
        "Settings",
        "create_server",
        "import_paths",
        "load_fixture",
        "load_fixtures",
        "load_settings",
        "running",
        "save_fixture",
        "write_fixtures",
    ]
