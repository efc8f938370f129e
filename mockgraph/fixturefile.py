"""Fixture files: the on-disk JSON format, loading with precise errors, and atomic saving.

Files are written for people to review: a format version first, fields in a fixed order, two-space
indentation and a trailing newline, so that a regenerated fixture diffs cleanly.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .errors import FixtureError
from .models import (
    CALLER_TYPES,
    NO_BODY,
    Body,
    Contract,
    Drift,
    Finding,
    Fixture,
    FixtureRequest,
    FixtureResponse,
    Grants,
    Headers,
    PermissionTable,
    Property,
    Source,
    TypeDef,
)

FORMAT_VERSION = 1
FORMAT_KEY = "mockgraph"  # the key holding the format version, first in every file


# ---------------------------------------------------------------------------------------- writing


def dumps(fixture: Fixture) -> str:
    """The fixture as the text of its file."""
    return json.dumps(_fixture_to_json(fixture), indent=2, ensure_ascii=False) + "\n"


def save_fixture(fixture: Fixture, path: Path) -> None:
    """Write `fixture` to `path` atomically: a crash leaves the old file or none, never half of one."""
    write_atomic(path, dumps(fixture))


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; a report or fixture is an ordinary file, so follow the umask.
        os.chmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


def _fixture_to_json(f: Fixture) -> dict[str, Any]:
    source: dict[str, Any] = {"kind": f.source.kind}
    for key in ("page", "example", "line", "url"):
        if value := getattr(f.source, key):
            source[key] = value
    if f.source.annotations:
        source["annotations"] = f.source.annotations

    request: dict[str, Any] = {
        "method": f.request.method,
        "version": f.request.version,
        "path": f.request.path,
    }
    if f.request.query:
        request["query"] = f.request.query
    request["routes"] = list(f.request.routes)
    request["headers"] = _headers_to_json(f.request.headers)
    request.update(_body_to_json(f.request.body))

    response: dict[str, Any] = {
        "status": f.response.status,
        "headers": _headers_to_json(f.response.headers),
    }
    response.update(_body_to_json(f.response.body))

    out = {
        FORMAT_KEY: FORMAT_VERSION,
        "source": source,
        "request": request,
        "response": response,
        "contract": _contract_to_json(f.contract),
    }
    # Optional parts come last, in this order, and only where set: older fixtures keep their text.
    if f.response_contract is not None:
        out["responseContract"] = _contract_to_json(f.response_contract)
    if f.drift is not None:
        out["drift"] = {"fixture": f.drift.fixture, "findings": [_finding_to_json(x) for x in f.drift.findings]}
    if f.permissions:
        out["permissions"] = [_permission_table_to_json(t) for t in f.permissions]
    return out


def _contract_to_json(c: Contract) -> dict[str, Any]:
    contract: dict[str, Any] = {
        "type": c.type,
        **({"collection": True} if c.collection else {}),
        "truncated": c.truncated,
        **({"inferred": True} if c.inferred else {}),
        "properties": [_property_to_json(p) for p in c.properties],
    }
    if c.types:
        contract["types"] = {t.name: [_property_to_json(p) for p in t.properties] for t in c.types}
        if bases := {t.name: list(t.bases) for t in c.types if t.bases}:
            contract["bases"] = bases
    return contract


_FINDING_FIELDS = ("kind", "severity", "path", "expected", "actual", "message")


def _finding_to_json(finding: Finding) -> dict[str, str]:
    return {name: getattr(finding, name) for name in _FINDING_FIELDS}


# How a Permissions row is written: a list of alternatives, least privileged first (a name, or a
# list of names all needed), or one of these words.
NOT_SUPPORTED = "not supported"
NONE_NEEDED = "none"


def _permission_table_to_json(table: PermissionTable) -> dict[str, Any]:
    """Keys in a fixed order: label, routes, who, then the caller types in CALLER_TYPES order."""
    out: dict[str, Any] = {}
    if table.label:
        out["label"] = table.label
    if table.routes:
        out["routes"] = list(table.routes)
    if table.who:
        out["who"] = table.who
    for caller in CALLER_TYPES:
        grants = table.grants(caller)
        if grants is not None:
            out[caller] = _grants_to_json(grants)
    return out


def _grants_to_json(grants: Grants) -> str | list[Any]:
    if not grants:
        return NOT_SUPPORTED
    if grants == ((),):
        return NONE_NEEDED
    return [alt[0] if len(alt) == 1 else list(alt) for alt in grants]


def _headers_to_json(headers: Headers) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in headers:
        if name not in out:
            out[name] = value
        elif isinstance(existing := out[name], list):
            existing.append(value)
        else:
            out[name] = [existing, value]
    return out


def _body_to_json(body: Body) -> dict[str, Any]:
    if body.is_json:
        return {"body": body.json, **({"bodyDocumented": body.documented} if body.documented is not None else {})}
    if body.text:
        return {"bodyText": body.text}
    return {}


def _property_to_json(p: Property) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "type": p.type}
    if p.collection:
        out["collection"] = True
    if p.enum:
        out["enum"] = list(p.enum)
    if p.required:
        out["required"] = True
    if p.description:
        out["description"] = p.description
    return out


# ---------------------------------------------------------------------------------------- reading


def load_fixture(path: Path) -> Fixture:
    """Read one fixture file; a FixtureError names the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(path, f"cannot be read: {exc}") from None
    return loads(text, path)


def loads(text: str, path: Path | str = "<fixture>") -> Fixture:
    if fixture := _fast_loads(text):
        return fixture
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(path, _invalid_json(exc)) from None
    return _from_data(data, path)


def _invalid_json(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def _from_data(data: Any, path: Path | str) -> Fixture:
    # Only files msgspec refused come here, and lone surrogates are among what it refuses: a string
    # holding one cannot be sent as UTF-8, so the fixture could never answer.
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise FixtureError(path, "holds a lone surrogate (a \\ud800-\\udfff escape without its pair), which no answer can carry") from None
    try:
        return _fixture_from_json(_Reader(data, ""))
    except _Invalid as exc:
        raise FixtureError(path, str(exc)) from None


#: What to do about a missing folder, said wherever one is reported.
FOLDER_ADVICE = 'import some with `mockgraph import PAGE... --out DIR`, then pass `--fixtures DIR` (or set fixtures = "DIR")'


def load_fixtures(folder: Path) -> dict[str, Fixture]:
    """Every fixture below `folder`, keyed by its path relative to `folder`, in name order.
    JSON files that are not mockgraph fixtures (no format marker) are left out: see `scan_fixtures`."""
    return scan_fixtures(folder).fixtures


@dataclass(frozen=True)
class FixtureFolder:
    """The fixtures of a folder, and the JSON files in it that are not mockgraph fixtures."""

    folder: Path
    fixtures: dict[str, Fixture]
    skipped: tuple[str, ...] = ()  # relative names of JSON files without the "mockgraph" marker

    def skipped_note(self) -> str | None:
        """The one warning about skipped files, or None."""
        if not self.skipped:
            return None
        n = len(self.skipped)
        return f'{self.folder}: skipped {n} JSON file{"s" if n > 1 else ""} that {"are" if n > 1 else "is"} not mockgraph fixtures (no "{FORMAT_KEY}" format marker), e.g. {self.skipped[0]}'


def scan_fixtures(folder: Path) -> FixtureFolder:
    """Every fixture below `folder`; a project's other JSON (`users.json`) is skipped and counted,
    while a file that has the marker but is malformed stops with its name and the field at fault."""
    if not folder.is_dir():
        raise FixtureError(folder, f"is not a folder of fixtures: {FOLDER_ADVICE}")
    with gc_paused():
        return _scan(folder)


def _scan(folder: Path) -> FixtureFolder:
    fixtures: dict[str, Fixture] = {}
    skipped: list[str] = []
    contracts: _Contracts = {}
    for name, location in _json_files(folder):
        try:
            fixture = _fast_loads(_read_bytes(location), contracts)  # msgspec checks the UTF-8
            if fixture:
                fixtures[name] = fixture
                continue
            text = Path(location).read_text(encoding="utf-8")  # read again, as text, to say what is wrong
        except (OSError, UnicodeDecodeError) as exc:
            raise FixtureError(folder / name, f"cannot be read: {exc}") from None
        path = folder / name  # only here: making a Path for each of 10,000 files took 0.05 s
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if f'"{FORMAT_KEY}"' not in text:  # some other file; one that names the marker is a fixture being edited
                skipped.append(name)
                continue
            raise FixtureError(path, _invalid_json(exc)) from None
        if isinstance(data, dict) and FORMAT_KEY in data:
            fixtures[name] = _from_data(data, path)
        else:
            skipped.append(name)
    return FixtureFolder(folder, fixtures, tuple(skipped))


def _read_bytes(location: str) -> bytes:
    """A file's bytes, by os.open and os.read: open() builds two io objects for each file, and took
    twice as long over 10,000 fixtures (0.15 s against 0.09 s)."""
    fd = os.open(location, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block. Loading fixtures makes hundreds of thousands
    of objects that live as long as the server and no garbage: the collector's passes over them,
    as they pile up, took a fifth of reading 10,000 fixtures and half with real contracts."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def holds_fixtures(folder: Path) -> bool:
    """Whether `folder` holds at least one mockgraph fixture (stops reading at the first)."""
    if not folder.is_dir():
        return False
    for _, path in iter_fixture_files(folder):
        try:
            if _is_fixture(path.read_text(encoding="utf-8")):
                return True
        except (OSError, UnicodeDecodeError):
            return True  # unreadable: let loading say why
    return False


def _is_fixture(text: str) -> bool:
    """A fixture is a JSON object with the format marker; JSON that does not parse counts as one
    (a fixture being edited) only where it mentions the marker, so its error is shown."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return f'"{FORMAT_KEY}"' in text
    return isinstance(data, dict) and FORMAT_KEY in data


def bundled_fixtures() -> Path:
    """The fixtures that come with mockgraph (package `mockgraph.fixtures`), in a wheel as in a clone."""
    return Path(str(resources.files("mockgraph.fixtures")))


def iter_fixture_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """The `.json` files below `folder`, hidden files and folders left out, in name order (compared
    folder by folder, as paths sort). Symbolic links to files count; those to folders are not followed."""
    for name, _ in _json_files(folder):
        yield name, folder / name


def _json_files(folder: Path) -> list[tuple[str, str]]:
    """`iter_fixture_files` as (name relative to `folder`, path as a string)."""
    # os.scandir knows from the directory listing which entries are files and folders: `rglob`,
    # `relative_to` and sorting Path objects took a fifth of loading 10,000 fixtures (BENCHMARKS.md).
    # Walking each folder's entries in name order gives the order of paths compared folder by folder,
    # with no sort of the whole list. A stack, not recursion: a folder may nest deeper than Python's limit.
    found: list[tuple[str, str]] = []
    walks = [(iter(_entries(str(folder))), "")]
    while walks:
        entries, prefix = walks[-1]
        entry = next(entries, None)
        if entry is None:
            walks.pop()
        elif entry.name.startswith("."):
            continue
        elif entry.is_dir(follow_symlinks=False):
            walks.append((iter(_entries(entry.path)), prefix + entry.name + "/"))
        elif entry.name.endswith(".json") and entry.is_file():
            found.append((prefix + entry.name, entry.path))
    return found


def _entries(directory: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=attrgetter("name"))
    except PermissionError:
        return []  # as rglob did: a folder we may not list holds no fixtures


# ------------------------------------------------------------------------ reading, the fast way

# The file format as msgspec types, with every rule the _Reader below enforces but one (`body`
# beside `bodyText`, `_fast_loads`). msgspec decodes and checks a file against them in C, five
# times faster than json.loads and the _Reader's walk (10,000 fixtures, BENCHMARKS.md). A file it
# refuses goes to the _Reader, which names the field at fault, or accepts what msgspec alone
# refuses (NaN, a lone surrogate, 1e400). The _Reader refuses null wherever it is not said to be
# allowed, so optional fields default to UNSET, never to None; a missing "routes" means the path.
_Path = Annotated[str, msgspec.Meta(pattern="^/")]
_Permission = Annotated[str, msgspec.Meta(min_length=1)]
# A Permissions row: NOT_SUPPORTED, NONE_NEEDED, or alternatives (a name, or names needed together).
_GrantsFile = Literal["not supported", "none"] | list[_Permission | Annotated[list[_Permission], msgspec.Meta(min_length=1)]]
_HeadersFile = dict[str, str | list[str]]


class _RequestFile(msgspec.Struct, rename="camel"):
    method: str
    path: str  # starts with "/": `_fast_loads` checks, at a third of the cost of msgspec's pattern (re)
    version: str | None = None
    query: str = ""
    routes: list[str] = []  # as `path`
    headers: _HeadersFile = {}
    body: Any = UNSET  # any JSON, null included
    body_text: str | UnsetType = UNSET
    body_documented: str | UnsetType = UNSET


class _ResponseFile(msgspec.Struct, rename="camel"):
    status: Annotated[int, msgspec.Meta(ge=100, le=599)]
    headers: _HeadersFile = {}
    body: Any = UNSET
    body_text: str | UnsetType = UNSET
    body_documented: str | UnsetType = UNSET


class _ContractFile(msgspec.Struct):
    type: str | None = None
    truncated: bool = False
    inferred: bool = False
    collection: bool = False
    properties: tuple[Property, ...] = ()  # the models' dataclasses where the file spells them alike
    types: dict[str, tuple[Property, ...]] = {}
    bases: dict[str, tuple[str, ...]] = {}


class _PermissionTableFile(msgspec.Struct, rename="camel"):
    label: str = ""
    routes: tuple[_Path, ...] = ()
    who: Literal["", "self", "others"] = ""
    delegated_work: _GrantsFile | UnsetType = UNSET
    delegated_personal: _GrantsFile | UnsetType = UNSET
    application: _GrantsFile | UnsetType = UNSET


_NO_CONTRACT = msgspec.Raw(b"{}")
_ABSENT = msgspec.Raw(b"")  # no responseContract: JSON has no empty text


class _FixtureFile(msgspec.Struct, rename={"format": FORMAT_KEY, "response_contract": "responseContract"}):
    format: Annotated[int, msgspec.Meta(ge=FORMAT_VERSION, le=FORMAT_VERSION)]
    source: Source
    request: _RequestFile
    response: _ResponseFile
    # Contracts are decoded on their own, once per distinct text (`_contract`): left raw here.
    contract: msgspec.Raw = _NO_CONTRACT
    response_contract: msgspec.Raw = _ABSENT
    drift: Drift | UnsetType = UNSET
    permissions: tuple[_PermissionTableFile, ...] = ()


_DECODER = msgspec.json.Decoder(_FixtureFile)
_CONTRACT_DECODER = msgspec.json.Decoder(_ContractFile)

#: Contracts already read, by their text. Fixtures of one resource share its contract word for word
#: (the 66 bundled ones hold 39 distinct contracts and 28 distinct response contracts, 30% and 70%
#: of their text repeated), so each is decoded, checked and built once, and held once in memory.
#: One per scan, as long as it lasts: no larger than the folder's distinct contracts.
_Contracts = dict[bytes, Contract]


def _fast_loads(text: bytes | str, contracts: _Contracts | None = None) -> Fixture | None:
    """The fixture in `text` (bytes: UTF-8), or None where the _Reader must look: it is malformed,
    not JSON to msgspec, or not UTF-8."""
    contracts = {} if contracts is None else contracts
    try:
        f = _DECODER.decode(text)
        contract = _contract(f.contract, contracts)
        response_contract = None if f.response_contract is _ABSENT else _contract(f.response_contract, contracts)
    except msgspec.DecodeError:  # ValidationError included
        return None
    q, p = f.request, f.response
    if not q.path.startswith("/"):
        return None
    for route in q.routes:
        if not route.startswith("/"):
            return None
    if (q.body is not UNSET and q.body_text is not UNSET) or (p.body is not UNSET and p.body_text is not UNSET):
        return None
    request = FixtureRequest(
        method=q.method.upper(),
        path=q.path,
        version=q.version,
        query=q.query,
        headers=_headers_from_file(q.headers),
        body=_body_from_file(q.body, q.body_text, q.body_documented),
        routes=tuple(q.routes) or (q.path,),
    )
    response = FixtureResponse(p.status, _headers_from_file(p.headers), _body_from_file(p.body, p.body_text, p.body_documented))
    drift = None if f.drift is UNSET else f.drift
    permissions = tuple(map(_permission_table_from_file, f.permissions)) if f.permissions else ()
    return Fixture(
        source=f.source,
        request=request,
        response=response,
        contract=contract,
        response_contract=response_contract,
        drift=drift,
        permissions=permissions,
    )


def _headers_from_file(headers: _HeadersFile) -> Headers:
    if not headers:
        return ()
    pairs = tuple(headers.items())
    if list not in map(type, headers.values()):  # the usual case: no header repeats
        return pairs  # type: ignore[return-value]  # every value is a str
    return tuple((name, item) for name, value in pairs for item in (value if isinstance(value, list) else (value,)))


def _body_from_file(body: Any, text: str | UnsetType, documented: str | UnsetType) -> Body:
    if body is not UNSET:
        return Body(json=body, is_json=True, documented=None if documented is UNSET else documented)
    if not isinstance(text, UnsetType):
        return Body.of_text(text)
    return NO_BODY


def _contract(raw: msgspec.Raw, contracts: _Contracts) -> Contract:
    text = bytes(raw)
    contract = contracts.get(text)
    if contract is None:
        contract = contracts[text] = _contract_from_file(_CONTRACT_DECODER.decode(text))
    return contract


def _contract_from_file(c: _ContractFile) -> Contract:
    return Contract(
        type=c.type,
        truncated=c.truncated,
        inferred=c.inferred,
        properties=c.properties,
        types=tuple(TypeDef(name, properties, c.bases.get(name, ())) for name, properties in c.types.items()) if c.types else (),
        collection=c.collection,
    )


def _permission_table_from_file(t: _PermissionTableFile) -> PermissionTable:
    return PermissionTable(
        _grants_from_file(t.delegated_work),
        _grants_from_file(t.delegated_personal),
        _grants_from_file(t.application),
        t.label,
        t.routes,
        t.who,
    )


def _grants_from_file(row: str | list[Any] | UnsetType) -> Grants | None:
    if isinstance(row, UnsetType):
        return None
    if row == NOT_SUPPORTED:
        return ()
    if row == NONE_NEEDED:
        return ((),)
    return tuple((item,) if isinstance(item, str) else tuple(item) for item in row)


# ------------------------------------------------------------------ reading, with precise errors


class _Invalid(Exception):
    pass


class _Reader:
    """A JSON value and where it sits in the file, for error messages like `request.status: ...`."""

    def __init__(self, value: Any, where: str) -> None:
        self.value = value
        self.where = where

    def _fail(self, problem: str) -> _Invalid:
        return _Invalid(f"{self.where or 'the file'}: {problem}")

    def _where(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        # The happy path touches the dict only; readers for error messages are made on failure.
        if not isinstance(self.value, dict):  # parsed JSON: a dict, never another Mapping
            raise self._fail(f"expected an object, got {_kind(self.value)}")
        value = self.value.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise _Reader(value, self._where(key))._fail("is missing")
            return default
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise _Reader(value, self._where(key))._fail(f"expected {names}, got {_kind(value)}")
        return value

    def obj(self, key: str, required: bool = True) -> _Reader:
        return _Reader(self.get(key, dict, default={}, required=required), self._where(key))

    def items(self, key: str) -> list[_Reader]:
        where = self._where(key)
        return [_Reader(v, f"{where}[{i}]") for i, v in enumerate(self.get(key, list, default=[]))]


_MISSING = object()


def _kind(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _fixture_from_json(r: _Reader) -> Fixture:
    version = r.get(FORMAT_KEY, int, required=True)
    if version != FORMAT_VERSION:
        raise _Invalid(f"format version {version} is not supported (this mockgraph reads {FORMAT_VERSION})")
    s = r.obj("source")
    source = Source(
        kind=s.get("kind", str, required=True),
        page=s.get("page", str, ""),
        example=s.get("example", str, ""),
        line=s.get("line", int, 0),
        url=s.get("url", str, ""),
        annotations=s.get("annotations", dict, {}),
    )
    q = r.obj("request")
    path = q.get("path", str, required=True)
    if not path.startswith("/"):
        raise _Invalid(f"request.path: must start with '/', got {path!r}")
    routes = tuple(q.get("routes", list, [path]) or [path])
    for i, route in enumerate(routes):
        if not isinstance(route, str) or not route.startswith("/"):
            raise _Invalid(f"request.routes[{i}]: expected a path starting with '/', got {route!r}")
    request = FixtureRequest(
        method=q.get("method", str, required=True).upper(),
        path=path,
        version=q.get("version", (str, type(None))),
        query=q.get("query", str, ""),
        headers=_headers_from_json(q.obj("headers", required=False)),
        body=_body_from_json(q),
        routes=routes,
    )
    p = r.obj("response")
    status = p.get("status", int, required=True)
    if not 100 <= status <= 599:
        raise _Invalid(f"response.status: {status} is not an HTTP status")
    response = FixtureResponse(
        status=status,
        headers=_headers_from_json(p.obj("headers", required=False)),
        body=_body_from_json(p),
    )
    contract = _contract_from_json(r.obj("contract", required=False))
    response_contract = _contract_from_json(r.obj("responseContract")) if r.has("responseContract") else None
    drift = _drift_from_json(r.obj("drift")) if r.has("drift") else None
    permissions = tuple(_permission_table_from_json(t) for t in r.items("permissions"))
    return Fixture(
        source=source,
        request=request,
        response=response,
        contract=contract,
        response_contract=response_contract,
        drift=drift,
        permissions=permissions,
    )


def _contract_from_json(c: _Reader) -> Contract:
    types = c.obj("types", required=False)
    bases = c.obj("bases", required=False)
    for name in bases.value:
        chain = bases.get(name, list)
        if not all(isinstance(b, str) for b in chain):
            raise _Invalid(f"{c.where}.bases.{name}: expected a list of type names")
    return Contract(
        type=c.get("type", (str, type(None))),
        truncated=c.get("truncated", bool, False),
        inferred=c.get("inferred", bool, False),
        properties=tuple(_property_from_json(item) for item in c.items("properties")),
        types=tuple(
            TypeDef(name, tuple(_property_from_json(item) for item in types.items(name)), tuple(bases.value.get(name, ())))
            for name in types.value
        ),
        collection=c.get("collection", bool, False),
    )


def _drift_from_json(d: _Reader) -> Drift:
    findings = []
    for item in d.items("findings"):
        values = [item.get(name, str, required=True) for name in _FINDING_FIELDS]
        findings.append(Finding(*values))
    return Drift(fixture=d.get("fixture", str, required=True), findings=tuple(findings))


def _permission_table_from_json(r: _Reader) -> PermissionTable:
    routes = r.get("routes", list, [])
    if not all(isinstance(v, str) and v.startswith("/") for v in routes):
        raise _Invalid(f"{r.where}.routes: expected a list of paths starting with '/'")
    who = r.get("who", str, "")
    if who not in ("", "self", "others"):
        raise _Invalid(f"{r.where}.who: expected 'self' or 'others', got {who!r}")
    rows = {caller: _grants_from_json(r, caller) for caller in CALLER_TYPES}
    return PermissionTable(
        rows["delegatedWork"], rows["delegatedPersonal"], rows["application"], r.get("label", str, ""), tuple(routes), who
    )


def _grants_from_json(r: _Reader, caller: str) -> Grants | None:
    value = r.get(caller, (str, list))
    if value is None:
        return None
    if value == NOT_SUPPORTED:
        return ()
    if value == NONE_NEEDED:
        return ((),)
    if isinstance(value, str):
        raise _Invalid(f"{r.where}.{caller}: expected a list of permissions, {NOT_SUPPORTED!r} or {NONE_NEEDED!r}, got {value!r}")
    grants: list[tuple[str, ...]] = []
    for item in value:
        alternative = [item] if isinstance(item, str) else item
        if not isinstance(alternative, list) or not alternative or not all(isinstance(v, str) and v for v in alternative):
            raise _Invalid(f"{r.where}.{caller}: each entry is a permission name or a list of names needed together")
        grants.append(tuple(alternative))
    return tuple(grants)


def _headers_from_json(h: _Reader) -> Headers:
    pairs: list[tuple[str, str]] = []
    for name in h.value:
        value = h.get(name, (str, list))
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                raise _Invalid(f"{h.where}.{name}: expected a string or a list of strings")
            pairs.append((name, item))
    return tuple(pairs)


def _body_from_json(r: _Reader) -> Body:
    if r.has("body") and r.has("bodyText"):
        raise _Invalid(f"{r.where}: has both 'body' and 'bodyText'; keep one")
    if r.has("body"):
        return Body(json=r.value["body"], is_json=True, documented=r.get("bodyDocumented", str))
    if r.has("bodyText"):
        return Body.of_text(r.get("bodyText", str))
    return NO_BODY


def _property_from_json(r: _Reader) -> Property:
    enum = r.get("enum", list, [])
    if not all(isinstance(v, str) for v in enum):
        raise _Invalid(f"{r.where}.enum: expected a list of strings")
    return Property(
        name=r.get("name", str, required=True),
        type=r.get("type", str, required=True),
        collection=r.get("collection", bool, False),
        enum=tuple(enum),
        required=r.get("required", bool, False),
        description=r.get("description", str, ""),
    )
