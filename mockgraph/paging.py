"""Paging: one page of a collection, and links that lead the client back to the mock.

Graph answers a collection (a JSON object with a `value` array) one page at a time, sized by `$top`
or by a page size of its own; every page but the last carries an absolute `@odata.nextLink` whose
`$skiptoken` (or `$skip`, for the APIs that page by `$skip`) leads to the next one. Documented
collections hold one to three items, so the mock pages whatever a collection holds: a client's
paging loop (the SDK's PageIterator) is then exercised against the mock as it would be against Graph.

`page` is a pure function of a collection's body and the request, so every answerer that holds a
collection (the fixtures' now, the stateful mode's later) pages the same way. Links the
documentation itself shows (`https://graph.microsoft.com/v1.0/...?$skiptoken=...`) are rewritten to
the scheme, host and port the client reached the mock at (`rewrite_links`), so a client following
one stays on the mock; a documented link that leads back to the collection that shows it is its
end, answered as an empty last page, so a loop over it ends.

Deciding that paging applies must cost the common replay nothing: `applies` reads the query string
alone, and what a response holds (a collection, documented links) is worked out once, by `shape_of`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from .exchange import Answer, Request, graph_error
from .paths import is_directory_collection

GRAPH_ROOT = "https://graph.microsoft.com"
NEXT_LINK = "@odata.nextLink"
DELTA_LINK = "@odata.deltaLink"
COUNT = "@odata.count"

# The query options that page a collection; on beta their `$` is optional (query-parameters.md).
PAGING_OPTIONS = frozenset({"$top", "$skip", "$skiptoken", "$count"})
_TOKEN_PREFIX = "mockgraph:"
_TOKEN_CHARS = 64  # longer than any token of ours: refused before it is decoded
_SHOWN_CHARS = 60  # of a bad value quoted in an error message
_WHOLE = re.compile(r"[0-9]{1,18}")  # more digits than an int64 holds is no count of items


class Shape(NamedTuple):
    """What paging needs to know of a response body, worked out once per fixture."""

    collection: bool = False  # a JSON object with a `value` array: paging applies to it
    linked: bool = False  # it shows a next or delta link to Graph, which the mock rewrites to itself
    tokens: frozenset[str] = frozenset()  # the $skiptoken values of the documented request: its own page, not malformed


PLAIN = Shape()


def shape_of(body: Any, documented_query: str = "") -> Shape:
    """The shape of a response body (parsed JSON), with the documented request's query."""
    if not isinstance(body, dict):
        return PLAIN
    collection = isinstance(body.get("value"), list)
    linked = any(True for _ in _links(body))
    tokens = frozenset(value for name, value in _options(documented_query, beta=True) if name == "$skiptoken")
    return Shape(collection, linked, tokens) if collection or linked else PLAIN


def applies(request: Request, page_size: int | None) -> bool:
    """Whether a collection answer to `request` is paged: a page size is set, or the query names a
    paging option. Reads the query string only."""
    if page_size is not None:
        return True
    query = request.query
    if not query:
        return False
    return any(name in PAGING_OPTIONS for name, _ in _options(query, _beta(request)))


def page(body: Mapping[str, Any], request: Request, page_size: int | None, known: Collection[str] = ()) -> dict[str, Any] | Answer:
    """The page of the collection `body` that `request` asks for, or a Graph-style 400 where its
    paging options are malformed.

    The page holds at most `$top` items, and at most `page_size` where one is set; `$skiptoken` (one
    of ours, from a nextLink) or `$skip` says where it starts. A page that is not the last gets an
    absolute `@odata.nextLink` to the mock, holding the request's other query options as sent; the
    last keeps the body's own next link and delta link, if any. `$count=true` adds `@odata.count`,
    the count of the whole collection. `known` are skiptokens that are not ours but are not
    malformed either: the documented request's own (its body is that page, served from its start).
    `body` is never changed; the page shares its items."""
    items = body.get("value")
    if not isinstance(items, list):
        return dict(body)
    options: dict[str, str] = {}
    for name, value in _options(request.query, _beta(request)):
        options.setdefault(name, value)  # the first of a repeated option wins
    size = page_size
    if "$top" in options:
        top = _whole(options["$top"])
        if top is None or top < 1:
            return _invalid(request, "$top", options["$top"], "The minimum value of $top is 1.")
        size = top if size is None else min(size, top)
    start, by_skip, followed = 0, False, False
    if "$skiptoken" in options:
        token = options["$skiptoken"]
        offset = decode_token(token)
        if offset is not None:
            start = offset
        elif token and token == _option(body.get(NEXT_LINK), "$skiptoken"):
            start, followed = len(items), True  # the documented next page, past what the documentation shows
        elif token not in known:
            return _invalid(request, "$skiptoken", token, "Send the whole @odata.nextLink of the previous page.")
    elif "$skip" in options:
        if _directory(body):
            return graph_error(request, 400, "BadRequest", "'$skip' is not supported by the service.", None, code="invalidQueryOption")
        skip = _whole(options["$skip"])
        if skip is None:
            return _invalid(request, "$skip", options["$skip"], "$skip takes a whole number, 0 or more.")
        start, by_skip = skip, True
        followed = options["$skip"] == _option(body.get(NEXT_LINK), "$skip")  # the documented link: not again
    count: int | None = None
    if "$count" in options:
        flag = options["$count"].lower()
        if flag not in ("true", "false"):
            return _invalid(request, "$count", options["$count"], "$count takes true or false.")
        count = len(items) if flag == "true" else None
    end = len(items) if size is None else min(start + size, len(items))
    last = end >= len(items)
    link = next_link(request, end, by_skip) if not last else (None if followed else body.get(NEXT_LINK))
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "value":
            if count is not None:
                out[COUNT] = count
            if link is not None:
                out[NEXT_LINK] = link
            out["value"] = items[start:end]
        elif key == NEXT_LINK or (key == COUNT and "$count" in options) or (key == DELTA_LINK and not last):
            continue  # set above, or not for this page
        else:
            out[key] = value
    return out


def for_matching(query: str) -> str:
    """The query as the fixtures' matcher should see it: without the skiptokens of ours, which
    mean nothing to it (the documentation never shows them) and would steer it to an example that
    documents another skiptoken."""
    if "skiptoken" not in query.lower():
        return query
    return "&".join(
        part
        for part in query.split("&")
        if not (_name(part, True) == "$skiptoken" and decode_token(unquote_plus(part.partition("=")[2])) is not None)
    )


def next_link(request: Request, offset: int, by_skip: bool = False) -> str:
    """The absolute link to the page starting at `offset`: the request's own URL on the mock, its
    other query options kept as sent, with a fresh `$skiptoken` (or `$skip`, where it paged by it)."""
    beta = _beta(request)
    kept = [part for part in request.query.split("&") if part and _name(part, beta) not in ("$skiptoken", "$skip")]
    kept.append(f"$skip={offset}" if by_skip else f"$skiptoken={encode_token(offset)}")
    return f"{request.base_url}{request.path}?{'&'.join(kept)}"


def encode_token(offset: int) -> str:
    """An opaque-looking skiptoken for the page that starts at `offset`; URL-safe as it is."""
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int | None:
    """The offset a skiptoken of ours stands for; None for anything else."""
    if not token or len(token) > _TOKEN_CHARS:
        return None
    try:
        text = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    digits = text[len(_TOKEN_PREFIX) :]
    return int(digits) if text.startswith(_TOKEN_PREFIX) and _WHOLE.fullmatch(digits) else None


def rewrite_links(body: Any, base_url: str) -> Any:
    """`body` with every next and delta link to Graph (at any depth: `children@odata.nextLink` too)
    pointing at `base_url` instead, path and query kept; other values, `@odata.context` among them,
    untouched. Returns `body` itself where there is nothing to rewrite."""
    if not base_url:
        return body
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            if _is_link(key, value):
                value = base_url + value[len(GRAPH_ROOT) :]
            elif isinstance(value, (dict, list)):
                value = rewrite_links(value, base_url)
            out[key] = value
        return out
    if isinstance(body, list):
        return [rewrite_links(item, base_url) for item in body]
    return body


def _links(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            if _is_link(key, value):
                yield value
            elif isinstance(value, (dict, list)):
                yield from _links(value)
    elif isinstance(body, list):
        for item in body:
            yield from _links(item)


def _is_link(key: str, value: Any) -> bool:
    return (
        key.endswith((NEXT_LINK, DELTA_LINK))
        and isinstance(value, str)
        and value[: len(GRAPH_ROOT)].lower() == GRAPH_ROOT
        and value[len(GRAPH_ROOT) : len(GRAPH_ROOT) + 1] in ("/", "?", "")
    )


def _options(query: str, beta: bool) -> Iterator[tuple[str, str]]:
    """(name, value) of each query option, decoded, names case-folded: `$top`, `$skiptoken`; on beta
    the paging options' `$` is optional, and added."""
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            yield _canonical(unquote_plus(name), beta), unquote_plus(value)


def _name(part: str, beta: bool) -> str:
    return _canonical(unquote_plus(part.partition("=")[0]), beta)


def _canonical(name: str, beta: bool) -> str:
    name = name.strip().lower()
    return "$" + name if beta and "$" + name in PAGING_OPTIONS else name


def _beta(request: Request) -> bool:
    return request.target[:6].lower() == "/beta/"


def _whole(text: str) -> int | None:
    return int(text) if _WHOLE.fullmatch(text.strip()) else None


def _option(link: Any, option: str) -> str | None:
    """The value of a query option (`$skiptoken`, `$skip`) in a (documented) next link."""
    if not isinstance(link, str):
        return None
    for name, value in _options(link.partition("?")[2], beta=True):
        if name == option:
            return value
    return None


def _directory(body: Mapping[str, Any]) -> bool:
    """Whether `body` is a collection of directory objects, as its `@odata.context` names it
    (`$metadata#users`, `$metadata#groups('id')/members`); Outlook's `#users('id')/contacts` is not."""
    context = body.get("@odata.context")
    if not isinstance(context, str) or "#" not in context:
        return False
    parts = [re.sub(r"\(.*\)$", "", part).lower() for part in context.partition("#")[2].split("/") if not part.startswith("$")]
    if not parts:
        return False
    return is_directory_collection(parts)


def _invalid(request: Request, option: str, value: str, rule: str) -> Answer:
    shown = value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 3] + "..."
    message = f"Invalid value '{shown}' for query option {option}. {rule}"
    return graph_error(request, 400, "BadRequest", message, None, code="invalidQueryOption")
