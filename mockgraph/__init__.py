"""mockgraph: a contract-testing mock for Microsoft Graph, built from its documentation.

The data flows one way: documentation page -> `import_paths` -> fixture files (`save_fixture`,
`load_fixtures`) -> `FixtureIndex` -> `create_server` / `running` -> responses.
"""

from .config import Settings, load_settings
from .errors import ConfigError, DocPageError, FixtureError, MockgraphError
from .fixturefile import load_fixture, load_fixtures, save_fixture
from .importer import import_paths, write_fixtures
from .index import FixtureIndex
from .models import Fixture
from .server import create_server, running

__all__ = [
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
