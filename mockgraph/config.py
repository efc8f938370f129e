"""Settings: defaults, overridden by a settings file, overridden by the command line.

Precedence, lowest first: the defaults below; the first settings file found (`--config FILE`, else
`mockgraph.toml` in the working folder, else `[tool.mockgraph]` in its `pyproject.toml`); then the
command-line flags. Paths in a settings file are relative to that file's folder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .models import FINDING_KINDS, SEVERITIES
from .stubs import Stub, StubError, stubs_from_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


class Severities(Mapping[str, str]):
    """Finding kind -> severity, immutable and hashable, so that a whole `Settings` value can key a
    cache (the pytest plugin shares one server per distinct settings)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: tuple[tuple[str, str], ...] = tuple(sorted((items or {}).items()))

    def __getitem__(self, kind: str) -> str:
        for name, level in self._items:
            if name == kind:
                return level
        raise KeyError(kind)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other.items())

    def __repr__(self) -> str:
        return f"Severities({dict(self._items)!r})"


NO_SEVERITIES = Severities()  # the defaults of every kind

#: When `serve` exits 1 besides a request that matched nothing: on contract errors, also on warnings, or never.
FAIL_ON = ("errors", "warnings", "never")


@dataclass(frozen=True)
class Settings:
    fixtures: Path = Path("fixtures")
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 10 * 1024 * 1024
    strict: bool = False  # answer payloads with contract errors with 400 instead of the fixture
    journal: Path | None = None  # JSON Lines file every request is appended to
    journal_limit: int = 1000  # requests kept in memory for GET /_mockgraph/requests
    severity: Severities = NO_SEVERITIES  # finding kind -> severity
    report: tuple[Path, ...] = ()  # contract reports written at the end (format from each one's extension)
    record: str = "none"  # none, once, new or all: see RECORD_MODES
    upstream: str | None = None  # where record modes forward to, e.g. https://graph.microsoft.com
    upstream_timeout: float = 30.0  # seconds to connect, and between bytes of the answer
    redact: tuple[str, ...] = ()  # header and field names to redact, besides the built-in ones
    pseudonymize: bool = False  # replace GUIDs and e-mail addresses in recordings by stable pseudonyms
    stubs: tuple[Stub, ...] = ()  # answers that come before the fixtures: [[stubs]] tables (stubs.py)
    fail_on: str = "errors"  # serve exits 1 on unmatched requests and: contract errors, warnings too, or never (FAIL_ON)
    permissions: str = "report"  # off, report or enforce: see PERMISSION_MODES
    page_size: int | None = None  # most items a collection answer holds, the rest behind @odata.nextLink; None: no paging
    stateful: bool = False  # entities written are kept and read back (state.py); off: every answer as documented
    state_limit: int = 10_000  # entities the stateful mode holds at most; past it, creates answer 507

    def __post_init__(self) -> None:
        # Settings made in code may pass a plain dict or one report path; keep the value hashable.
        if not isinstance(self.severity, Severities):
            object.__setattr__(self, "severity", Severities(self.severity))
        if isinstance(self.report, (str, Path)):
            object.__setattr__(self, "report", (Path(self.report),))

    def but(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, skipping those that are None (flags not given)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


MAX_PORT = 65535

#: What `serve` does with a request no fixture answers, and with the ones that one does.
RECORD_MODES = {
    "none": "replay only; never connect upstream",
    "once": "record everything when the fixtures hold no recording yet, else replay only",
    "new": "replay what a fixture answers, forward and record the rest",
    "all": "forward and record everything",
}


#: What the mock does with a call's token against the operation's documented permissions (access.py).
PERMISSION_MODES = {
    "off": "never look at tokens",
    "report": "never deny; a `permission` finding where enforce would deny (no token sent: nothing)",
    "enforce": "401 for a missing or malformed token, 403 for one without a documented permission",
}


def check_permissions(mode: str, origin: str = "settings") -> str:
    if mode not in PERMISSION_MODES:
        raise ConfigError(f"{origin}: permissions must be one of {', '.join(PERMISSION_MODES)}, not {mode!r}")
    return mode


def check_record(settings: Settings, origin: str = "settings") -> Settings:
    """Refuse a record mode that cannot work: an unknown one, or one with no upstream to forward to.
    Checked once every source of settings is merged, since the upstream may come from another."""
    if settings.record not in RECORD_MODES:
        raise ConfigError(f"{origin}: record mode {settings.record!r} is not one of {', '.join(RECORD_MODES)}")
    if settings.record != "none" and not settings.upstream:
        raise ConfigError(f"{origin}: record mode {settings.record!r} needs an upstream URL to forward to")
    if settings.upstream and urlsplit(settings.upstream).scheme not in ("http", "https"):
        raise ConfigError(f"{origin}: upstream {settings.upstream!r} is not an http:// or https:// URL")
    return settings


# TOML keys are kebab-case, as in other [tool.*] tables.
_KEYS = {f.name.replace("_", "-"): f for f in fields(Settings)}


def load_settings(config_file: Path | None = None, cwd: Path | None = None) -> Settings:
    """Defaults overridden by the settings file that applies (see the module docstring)."""
    cwd = cwd or Path.cwd()
    if config_file is not None:
        table = _read_table(config_file, explicit=True)
        return _apply(Settings(), table, config_file)
    own = cwd / "mockgraph.toml"
    if own.is_file():
        return _apply(Settings(), _read_table(own, explicit=True), own)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        return _apply(Settings(), _read_table(pyproject, explicit=False), pyproject)
    return Settings()


def _read_table(path: Path, explicit: bool) -> dict[str, Any]:
    """The mockgraph table of a TOML file: `[tool.mockgraph]`, or top-level keys in a file of our own."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    tool = data.get("tool", {}).get("mockgraph")
    if tool is not None:
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: [tool.mockgraph] must be a table")
        return tool
    return data if explicit else {}


def _apply(settings: Settings, table: dict[str, Any], origin: Path) -> Settings:
    changes: dict[str, Any] = {}
    for key, value in table.items():
        spec = _KEYS.get(key)
        if spec is None:
            valid = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{origin}: unknown setting {key!r} (valid settings: {valid})")
        changes[spec.name] = _coerce(spec.name, value, origin)
    return replace(settings, **changes)


_PATHS = frozenset({"fixtures", "journal"})


def _coerce(name: str, value: Any, origin: Path) -> Any:
    key = name.replace("_", "-")
    if name == "report":  # one path, or a list of them: each is written
        paths = [value] if isinstance(value, str) else value
        if not isinstance(paths, list) or not all(isinstance(v, str) for v in paths):
            raise ConfigError(f"{origin}: report must be a path string or a list of them")
        return tuple(origin.parent / v for v in paths)
    if name == "fail_on" and value not in FAIL_ON:
        raise ConfigError(f"{origin}: fail-on must be one of {', '.join(FAIL_ON)}, not {value!r}")
    if name in _PATHS:
        if not isinstance(value, str):
            raise ConfigError(f"{origin}: {key} must be a path string")
        return origin.parent / value
    if name == "severity":
        return _severity(value, origin)
    if name == "stubs":
        try:
            return stubs_from_settings(value, str(origin))
        except StubError as exc:
            raise ConfigError(str(exc)) from None
    if name == "redact":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{origin}: redact must be a list of header or field names")
        return tuple(value)
    if name == "upstream":
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise ConfigError(f"{origin}: upstream must be an http:// or https:// URL")
        return value
    if name == "permissions":
        return check_permissions(value, str(origin))
    if name == "page_size" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"{origin}: page-size must be a whole number of at least 1")
    if name == "state_limit" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"{origin}: state-limit must be a whole number of at least 1")
    if name == "record" and value not in RECORD_MODES:
        raise ConfigError(f"{origin}: record must be one of {', '.join(RECORD_MODES)}")
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{origin}: {key} must be true or false")
    elif isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{origin}: {key} must be a number above 0")
        return float(value)
    elif isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{origin}: {key} must be a whole number of at least 0")
        if name == "port" and value > MAX_PORT:
            raise ConfigError(f"{origin}: port must be at most {MAX_PORT}")
    elif isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{origin}: {key} must be a string")
    return value


def _severity(value: Any, origin: Path) -> Severities:
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: severity must be a table of finding kind = severity")
    for kind, level in value.items():
        if kind not in FINDING_KINDS:
            raise ConfigError(f"{origin}: severity: unknown finding kind {kind!r} (kinds: {', '.join(FINDING_KINDS)})")
        if level not in SEVERITIES:
            raise ConfigError(f"{origin}: severity.{kind}: {level!r} is not one of {', '.join(SEVERITIES)}")
    return Severities(value)
