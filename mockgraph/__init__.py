"""mockgraph: a contract-testing mock for Microsoft Graph, built from its documentation.

The data flows one way: documentation page -> `import_paths` -> fixture files (`save_fixture`,
`load_fixtures`) -> `FixtureIndex` -> `create_server` / `running` -> responses.
"""

from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .errors import ConfigError, DocPageError, FixtureError, MockgraphError
from .fixturefile import load_fixture, load_fixtures, save_fixture
from .index import FixtureIndex
from .models import Fixture
from .server import create_server, running

if TYPE_CHECKING:
    from .importer import import_paths, write_fixtures


def __getattr__(name: str) -> object:
    # The importer, which a server never uses, is imported when first asked for: every command,
    # `serve` included, imports this package first, and the importer was a tenth of its imports.
    if name in ("import_paths", "write_fixtures"):
        from . import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
