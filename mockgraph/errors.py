"""Every error mockgraph raises on purpose, so callers can catch the package's failures in one place.

MockgraphError
├── FixtureError      a fixture file that cannot be read: names the file and what is wrong
├── ConfigError       a settings file or value that cannot be used
├── DocPageError      a documentation page that cannot be read at all
└── BodyError         a request body the server cannot read as JSON: its message is the client's 400
"""

from __future__ import annotations

from pathlib import Path


class MockgraphError(Exception):
    """Base class of mockgraph's own errors."""


class FixtureError(MockgraphError):
    """A fixture file is unreadable or malformed."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


class ConfigError(MockgraphError):
    """A setting is unknown or has a value of the wrong kind."""


class DocPageError(MockgraphError):
    """A documentation page cannot be read (missing, not UTF-8, not a file)."""


class BodyError(MockgraphError):
    """A JSON request body that cannot be read (not UTF-8, not JSON, too deep, numbers or strings
    out of range). `message` is Graph-worded, for the 400 answer; `reason` is the specific cause."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
