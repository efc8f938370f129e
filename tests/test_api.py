"""The public API is small and deliberate: what `mockgraph` exports is listed, sorted, and importable."""

import mockgraph
from mockgraph.config import Settings, load_settings
from mockgraph.errors import ConfigError, DocPageError, FixtureError, MockgraphError
from mockgraph.fixturefile import load_fixture, load_fixtures, save_fixture
from mockgraph.importer import import_paths, write_fixtures
from mockgraph.index import FixtureIndex
from mockgraph.models import Fixture
from mockgraph.server import create_server, running


def test_all_is_sorted_and_complete():
    """__all__ is sorted, and `from mockgraph import *` gives exactly its names, each the object
    its defining module documents (not a stand-in of the same name)."""
    assert mockgraph.__all__ == sorted(mockgraph.__all__)
    star: dict = {}
    exec("from mockgraph import *", star)
    del star["__builtins__"]
    assert star == {
        "ConfigError": ConfigError,
        "DocPageError": DocPageError,
        "Fixture": Fixture,
        "FixtureError": FixtureError,
        "FixtureIndex": FixtureIndex,
        "MockgraphError": MockgraphError,
        "Settings": Settings,
        "create_server": create_server,
        "import_paths": import_paths,
        "load_fixture": load_fixture,
        "load_fixtures": load_fixtures,
        "load_settings": load_settings,
        "running": running,
        "save_fixture": save_fixture,
        "write_fixtures": write_fixtures,
    }


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
