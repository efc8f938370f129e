"""Graph URL paths: version prefixes, segments as Graph compares them, and which segments are keys.

Shared by the importer (which turns documented paths into route templates) and the index (which
matches incoming paths against them), so both sides agree on what a segment is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from .models import GRAPH_VERSIONS

_VERSIONS = {v.lower(): v for v in GRAPH_VERSIONS}

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Characters that never appear in a navigation property or action name but are common in ids:
# user principal names (@), channel ids (19:...@thread.skype), site ids (host,guid,guid),
# drive ids (b!...), base64 message ids (=), GUIDs (-).
_KEY_CHARS = re.compile(r"[@:,!=\-_%'~+ ]")


# Collections of directory objects, named by their last segment: they page by $skiptoken only
# (Graph refuses $skip on them) and a missing one is `Request_ResourceNotFound`. `contacts` is one
# only at the root (organisational contacts), not under a user (Outlook's).
DIRECTORY_COLLECTIONS = frozenset(
    {
        "users", "groups", "devices", "applications", "serviceprincipals", "directoryobjects", "directoryroles",
        "administrativeunits", "orgcontacts", "memberof", "transitivememberof", "members", "transitivemembers", "owners",
        "ownedobjects", "registeredowners", "registeredusers", "directreports", "createdobjects",
    }
)  # fmt: skip


def is_directory_collection(parts: Sequence[str]) -> bool:
    """Whether the collection at these case-folded segments (`users`, `groups/<id>/members`) holds directory objects."""
    return bool(parts) and (parts[-1] in DIRECTORY_COLLECTIONS or list(parts) == ["contacts"])


def split_version(path: str) -> tuple[str | None, str]:
    """`/v1.0/me/x` -> ("v1.0", "/me/x"); a path without a version prefix -> (None, path)."""
    stripped = path.lstrip("/")
    first, _, rest = stripped.partition("/")
    version = _VERSIONS.get(first.lower())
    if version is None:
        return None, "/" + stripped
    return version, "/" + rest


def segments(raw_path: str) -> list[str]:
    """The path's segments as Graph compares them: percent-decoded, case-folded, empty ones dropped.

    Splitting happens before decoding, so an encoded slash (%2F) stays inside its segment.
    """
    # This runs for every route at start (10,000 fixtures' worth) and for every request matched, and
    # most paths are neither encoded nor call a function: for them, the path is folded whole (no
    # character folds into a "/") and split, with no Python loop (10,000 paths: 62M instructions
    # instead of 162M).
    if "%" in raw_path:
        folded = [(unquote(s, errors="replace") if "%" in s else s).casefold() for s in raw_path.split("/") if s]
    else:
        text = raw_path.casefold()
        folded = list(filter(None, text.split("/")))
        if "()" not in text and "microsoft.graph." not in text:
            return folded
    return [_canonical(s) if s.endswith("()") or s.startswith("microsoft.graph.") else s for s in folded]


def _canonical(segment: str) -> str:
    # Graph answers `delta`, `delta()` and `microsoft.graph.delta()` alike.
    if segment.endswith("()"):
        segment = segment[:-2]
    return segment.removeprefix("microsoft.graph.")


def is_placeholder(segment: str) -> bool:
    """A documented template segment such as `{userId}` or `{id | userPrincipalName}`."""
    return "{" in segment and "}" in segment


def looks_like_key(segment: str) -> bool:
    """Whether a concrete documented segment is an example id rather than a property or action name.

    `onlineMeetings`, `sendMail`, `$ref`, `microsoft.graph.delta()` and `oauth2PermissionGrants` are
    names; `87d349ed-44d7-43e1-9a83-5f2406dee5bd`, `MSpkYzE3...`, `AAMkAGI2TG93AAA=` and
    `19:meeting_x@thread.skype` are keys.
    """
    if is_placeholder(segment):
        return True
    if segment.startswith("$") or "(" in segment or segment.endswith(":"):
        return False  # OData segments, function calls, and path addressing such as `root:`
    if _GUID.match(segment) or _KEY_CHARS.search(segment):
        return True
    if segment[:1].isdigit():
        return True
    has_digit = any(c.isdigit() for c in segment)
    # Names are lowerCamelCase; ids that are letters and digits tend to start upper-case or be long.
    return has_digit and (segment[:1].isupper() or len(segment) >= 24)


def template_of(path: str) -> str:
    """The documented path with its key segments replaced by `{id}`."""
    parts = [("{id}" if looks_like_key(s) and not is_placeholder(s) else s) for s in path.split("/") if s]
    return "/" + "/".join(parts)


def template_matches(template: str, path: str) -> bool:
    """Whether a concrete or templated `path` fits `template` segment by segment."""
    want = [s for s in template.split("/") if s]
    have = [s for s in path.split("/") if s]
    if len(want) != len(have):
        return False
    return all(is_placeholder(w) or is_placeholder(h) or unquote(w).casefold() == unquote(h).casefold() for w, h in zip(want, have))
