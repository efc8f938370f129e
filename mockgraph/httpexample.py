"""The HTTP in a documentation page: example blocks read as messages, their URLs, and the paths the
page's "HTTP request" section documents for the operation.

Examples are typed by hand, so URLs carry Windows paths, `/v1/` for `/v1.0/` and hosts that are not
Graph at all. Everything here returns values, with what had to be fixed or could not be read as
notes (`(reason, message)`, with the line too where it is not the message's first); the importer
decides what becomes a fixture and what a diagnostic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .docpage import DocPage
from .lenientjson import JsonRepairError, json_repairs, parse_json_lenient
from .models import NO_BODY, Body, Headers
from .paths import is_placeholder, split_version, template_matches, template_of

# ------------------------------------------------------------------------------- HTTP messages

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_STATUS_LINE = re.compile(r"^HTTP(?:/\d(?:\.\d)?)?\s+([1-5]\d\d)\b", re.IGNORECASE)
_HEADER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*:\s*(.*)$")
_HTTP_VERSION_SUFFIX = re.compile(r"\s+HTTP/\d(?:\.\d)?\s*$", re.IGNORECASE)


@dataclass
class HttpMessage:
    """A code block read as an HTTP message: first line, headers, body, with page lines."""

    first: str = ""
    first_line: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    body_line: int = 0

    @classmethod
    def parse(cls, code: str, code_line: int, status_line: bool = True) -> HttpMessage:
        """With `status_line` false, the block holds only headers and body (no first line)."""
        lines = code.split("\n")
        i = next((k for k, line in enumerate(lines) if line.strip()), len(lines))
        message = cls(first_line=code_line + i, body_line=code_line + i)
        if i == len(lines):
            return message
        if status_line:
            message.first = lines[i].strip()
            i += 1
        while i < len(lines) and (header := _HEADER.match(lines[i].strip())) and lines[i].strip()[:1] not in '{["':
            message.headers.append((header[1], header[2].strip()))
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        end = len(lines)
        while end > i and not lines[end - 1].strip():
            end -= 1
        message.body = "\n".join(lines[i:end])
        message.body_line = code_line + i
        return message

    def headers_without(self, dropped: frozenset[str]) -> Headers:
        """The headers in order, less those whose lower-case names are in `dropped`."""
        return tuple((k, v) for k, v in self.headers if k.casefold() not in dropped)


def parse_body(message: HttpMessage) -> tuple[Body, tuple[int, str, str] | None]:
    """The body as JSON when its Content-Type (or, without one, its look) says JSON, else as text;
    with a (line, reason, message) note when it had to be repaired or could not be read as JSON."""
    text = message.body
    if not text.strip():
        return NO_BODY, None
    content_type = next((v for k, v in message.headers if k.casefold() == "content-type"), "").casefold()
    looks_json = _LEADING_COMMENTS.sub("", text)[:1] in ("{", "[")
    if not ("json" in content_type or (looks_json and not content_type)):
        return Body.of_text(text), None
    try:
        value, repaired = parse_json_lenient(text)
    except JsonRepairError as exc:
        line, what = message.body_line + exc.line - 1, f"body is not JSON ({exc.reason}, column {exc.column})"
        return Body.of_text(text), (line, "body-not-json", f"{what}; kept as text")
    if not repaired:
        return Body.of_json(value), None
    repairs = json_repairs(text)
    line = message.body_line + (repairs[0][0] - 1 if repairs else 0)
    listed = ", ".join(f"{what} (line {message.body_line + n - 1})" for n, what in repairs[:3])
    more = f" and {len(repairs) - 3} more" if len(repairs) > 3 else ""
    note = (line, "body-repaired", f"body is not strict JSON; read after removing {listed}{more}")
    return Body(json=value, is_json=True, documented=text), note


# Comments and blank space before a body: `// Create a user` above the object still makes it JSON.
_LEADING_COMMENTS = re.compile(r"\A(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)


def split_request_line(line: str) -> tuple[str | None, str]:
    """`GET https://... HTTP/1.1` -> ("GET", "https://..."); no method -> (None, the line)."""
    line = _HTTP_VERSION_SUFFIX.sub("", line.strip())
    word, _, rest = line.partition(" ")
    if word.upper() in _METHODS:
        return word.upper(), rest.strip()
    return None, line


def status_code_of(line: str) -> int | None:
    """`HTTP/1.1 201 Created` -> 201; None when the line is no status line with a code."""
    m = _STATUS_LINE.match(line.strip())
    return int(m[1]) if m else None


# ----------------------------------------------------------------------------------------- URLs

_GRAPH_HOSTS = frozenset(
    {
        "graph.microsoft.com",
        "canary.graph.microsoft.com",
        "graph.microsoft.us",
        "dod-graph.microsoft.us",
        "graph.microsoft.de",
        "microsoftgraph.chinacloudapi.cn",
    }
)
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/\\?#]*)(.*)$")
_VERSION_TYPOS = {"v1": "v1.0"}


@dataclass
class UrlTarget:
    """Where a documented URL points: path without version, query, and what had to be fixed."""

    path: str
    query: str = ""
    version: str | None = None
    graph: bool = True
    notes: list[tuple[str, str]] = field(default_factory=list)  # (reason, message)


def parse_url(url: str) -> UrlTarget:
    """A documented URL, absolute or a bare path, read with its typos fixed and noted."""
    raw = url.strip()
    rest, host = raw, None
    if m := _ABSOLUTE.match(raw):
        host, rest = m[2].casefold(), m[3]
    path, _, query = rest.partition("?")
    path = path.partition("#")[0]
    target = UrlTarget(path="", query=query, graph=host is None or host in _GRAPH_HOSTS)
    if "\\" in path:
        fixed = _normalise_path(_fix_backslashes(path))
        text = f"URL {_short(raw)!r} has a Windows path in it (backslashes); read its path as {fixed!r}"
        target.notes.append(("malformed-url", text))
        path = fixed
    path = _normalise_path(path)
    if not target.graph:
        target.notes.append(("foreign-host", f"URL host {host!r} is not Microsoft Graph; its path is kept as written"))
        target.path = path
        return target
    first = path.split("/")[1] if path.count("/") >= 1 else ""
    if first.casefold() in _VERSION_TYPOS:
        fixed_version = _VERSION_TYPOS[first.casefold()]
        target.notes.append(("malformed-url", f"URL {_short(raw)!r} has version {first!r}; read as {fixed_version!r}"))
        path = "/" + fixed_version + path[len(first) + 1 :]
    target.version, target.path = split_version(path)
    target.path = _normalise_path(target.path)
    return target


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fix_backslashes(path: str) -> str:
    """`/docs\\api/app/x` -> `/app/x`: a leading segment with a backslash is a leaked local path."""
    segments = path.split("/")
    lead = next((k for k, s in enumerate(segments) if s), None)
    if lead is not None and "\\" in segments[lead] and len(segments) > lead + 1:
        segments = segments[lead + 1 :]
    return "/".join(segments).replace("\\", "/")


def _normalise_path(path: str) -> str:
    """Leading slash, no empty segments, no trailing slash."""
    return "/" + "/".join(s for s in path.split("/") if s)


# ------------------------------------------------------------------------- documented path forms

_FORM_LANGUAGES = frozenset({"", "http", "https", "msgraph-interactive"})


@dataclass(frozen=True)
class PathForm:
    """One documented path of the operation, as a route template."""

    method: str | None
    path: str

    @classmethod
    def parse(cls, line: str) -> PathForm | None:
        """A form from one line such as `GET /me/events/{id}`; None for anything else."""
        method, url = split_request_line(line)
        if not url or not (url.startswith("/") or _ABSOLUTE.match(url)):
            return None
        target = parse_url(url)  # kept as documented: template_of would read `root:` as a key
        return cls(method, target.path) if target.graph else None


def path_forms(page: DocPage) -> list[PathForm]:
    """The operation's documented paths: code lines of the "HTTP request" section."""
    forms: list[PathForm] = []
    for block in page.blocks:
        if block.code is None or block.block_type not in (None, "ignored") or block.language not in _FORM_LANGUAGES:
            continue
        if not any("http request" in s.title.casefold() for s in page.enclosing(block.line)):
            continue
        for line in block.code.split("\n"):
            if form := PathForm.parse(line):
                forms.append(form)
    return forms


def example_routes(method: str, target: UrlTarget, forms: list[PathForm]) -> tuple[tuple[str, ...], str | None]:
    """The routes an example is served at, and a `route-mismatch` message when it fits no form.

    The example's own template comes first, then the page's forms of the same operation. A page's
    "HTTP request" section may list several operations (an item, its `/recording`, its
    `/attendeeReport`), so of the forms with the example's method only those ending like the forms
    the example fits are added: `/me/onlineMeetings` and `/users/{userId}/onlineMeetings` are one
    operation, `/me/onlineMeetings/{id}/recording` another.
    """
    template = template_of(target.path)
    if not target.graph:
        return (template,), None
    same = [f for f in forms if f.method in (None, method)]
    fitting = [f for f in same if template_matches(_users_for_me(f.path), _users_for_me(target.path))]
    if fitting:
        operations = {_operation(template), *(_operation(f.path) for f in fitting)}
        return _dedupe([template, *(f.path for f in same if _operation(f.path) in operations)]), None
    if not forms:
        return (template,), None
    documented = "; ".join(f"{f.method or '(any)'} {f.path}" for f in forms)
    text = f"{method} {target.path} fits none of the page's documented paths ({documented}); served only at {template}"
    return (template,), text


def _users_for_me(path: str) -> str:
    """`/me/x` -> `/users/{me}/x`: Graph's alias, so an example at /me fits a form at /users/{id}."""
    head, _, rest = path.lstrip("/").partition("/")
    return f"/users/{{me}}/{rest}" if head.casefold() == "me" else path


def _operation(route: str) -> tuple[str, ...]:
    """What a route addresses, as its segments from the last name on: `/users/{id}/sendMail` ->
    ("sendmail",), `/me/messages/{id}` -> ("messages", "{}"). `/me` counts as `/users/{id}`."""
    segments = ["{}" if is_placeholder(s) else s.casefold() for s in route.split("/") if s]
    if segments[:1] == ["me"]:
        segments = ["users", "{}", *segments[1:]]
    last_name = max((k for k, s in enumerate(segments) if s != "{}"), default=0)
    return tuple(segments[last_name:])


def _dedupe(routes: Iterable[str]) -> tuple[str, ...]:
    """Routes in order, each shape once: any case, any placeholder name."""
    seen: set[str] = set()
    out: list[str] = []
    for route in routes:
        shape = "/".join("{}" if is_placeholder(s) else s.casefold() for s in route.split("/") if s)
        if shape not in seen:
            seen.add(shape)
            out.append(route)
    return tuple(out)
