"""JSON batching (`POST /v1.0/$batch`, json-batching.md): up to 20 requests in one, each answered
by the same road as a direct call.

The batch itself is checked as Graph checks it, and refused with a 400 that names the request and
the rule: at most 20 requests; each an object with a unique `id`, a `method` and a relative `url`;
a `body` only with a `Content-Type` in its `headers`; `dependsOn` naming other ids of the batch,
without cycles. A key Graph does not know (the Python SDK writes `depends_on`) is a contract finding
at its JSON Pointer in the batch body (`/requests/1/depends_on`: the second item, whatever its id),
with a hint; in strict mode it refuses the batch.

Items run one at a time, in the order `dependsOn` allows (else as listed); an item whose dependency
failed answers 424. Each carries the batch's Authorization and client-request-id, goes down the road
after the batch (stubs, state, fixtures, ...), and is journaled on its own, its findings rooted at
the item (`/requests/1/body/subject`). JSON bodies travel as JSON; others as base64, both ways.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from .config import Settings
from .differ import json_pointer
from .errors import BodyError
from .exchange import Answer, Request, RequestIds, StreamBroken, graph_error
from .index import KNOWN_METHODS
from .journal import finding_to_json
from .jsonbody import parse_json_body
from .models import Finding
from .paths import split_version

MAX_REQUESTS = 20  # Graph's limit, and so a bound on what one batch holds in memory
ITEM_KEYS = ("id", "method", "url", "headers", "body", "dependsOn")
# Headers an item inherits from the batch request: who calls, and the client's correlation id.
INHERITED = ("Authorization", "client-request-id")

Road = Callable[[Request], Awaitable[Answer]]


class BatchError(Exception):
    """The batch breaks one of Graph's rules: answered 400 with this message."""


class BatchAnswerer:
    def __init__(self, road: Road, ids: RequestIds, settings: Settings) -> None:
        self.road = road  # the answerers after this one, then the miss
        self.ids = ids
        self.strict = settings.strict
        self.max_body_bytes = settings.max_body_bytes  # an item's answer read whole holds at most this
        self.unknown_severity = settings.severity.get("unknown", "error")

    def concerns(self, request: Request) -> bool:
        return request.method == "POST" and "$batch" in request.target

    async def answer(self, request: Request) -> Answer | None:
        if not _is_batch(request.path):
            return None
        try:
            items = _items(parse_json_body(request.body))
            order = _order(items)
        except BodyError as exc:
            return graph_error(request, 400, "BadRequest", exc.message)
        except BatchError as exc:
            return graph_error(request, 400, "BadRequest", str(exc))
        findings = tuple(self._unknown_keys(items))
        if self.strict and any(f.severity == "error" for f in findings):
            first = findings[0]
            message = f"The batch breaks the documented contract: {first.message} at {first.path}."
            return graph_error(request, 400, "BadRequest", message, None, findings=[finding_to_json(f) for f in findings])._replace(
                findings=findings
            )
        version = split_version(request.path)[0]
        done: dict[str, int] = {}
        parts: list[tuple[Request, Answer]] = []
        responses = []
        for index in order:
            item = items[index]
            item_request, refusal = self._request(request, item, version)
            failed = [d for d in item.get("dependsOn", []) if done[d] >= 400]
            if failed:
                message = f"The request depends on request {failed[0]}, which failed."
                answer = graph_error(item_request, 424, "FailedDependency", message)
            else:
                answer = refusal or await self.road(item_request)
            answer = await _whole(answer, item_request, self.max_body_bytes)
            done[item["id"]] = answer.status
            parts.append((item_request, _rooted(answer, f"/requests/{index}/body")))
            responses.append(_response(item["id"], item_request, answer))
        body = json.dumps({"responses": responses}, ensure_ascii=False).encode()
        return Answer(200, {"Content-Type": "application/json"}, body, findings=findings, parts=tuple(parts))

    def _unknown_keys(self, items: list[dict[str, Any]]) -> list[Finding]:
        found = []
        for index, item in enumerate(items):
            for key in item:
                if key in ITEM_KEYS:
                    continue
                close = {k.lower().replace("_", ""): k for k in ITEM_KEYS}.get(key.lower().replace("_", "").replace("-", ""))
                close = close or next(iter(difflib.get_close_matches(key, ITEM_KEYS, n=1)), None)
                hint = f"; did you mean {close}?" if close else ""
                found.append(
                    Finding(
                        kind="unknown",
                        severity=self.unknown_severity,
                        path=json_pointer(("requests", str(index), key)),
                        expected=f"one of {', '.join(ITEM_KEYS)}",
                        actual=key,
                        message=f"{key} is not a property of a batch request{hint}",
                    )
                )
        return found

    def _request(self, batch: Request, item: dict[str, Any], version: str | None) -> tuple[Request, Answer | None]:
        """The item as a request of its own, and the answer that refuses it where its body cannot be read."""
        headers: CIMultiDict[str] = CIMultiDict((k, str(v)) for k, v in (item.get("headers") or {}).items())
        for name in INHERITED:
            if name not in headers and name in batch.headers:
                headers[name] = batch.headers[name]
        url = item["url"]
        target = url if url.startswith("/") else "/" + url
        if version is not None and split_version(target)[0] is None:
            target = f"/{version}{target}"
        request_id = self.ids.next()
        client_id = headers.get("client-request-id") or request_id
        request = Request(item["method"].upper(), target, CIMultiDictProxy(headers), b"", request_id, client_id, batch.base_url)
        body = item.get("body")
        if body is None:
            return request, None
        if "json" in headers.get("Content-Type", "").lower():
            return request._replace(body=json.dumps(body, ensure_ascii=False).encode()), None
        try:  # any other content type: base64, as the page says
            return request._replace(body=base64.b64decode(str(body), validate=True)), None
        except (binascii.Error, ValueError):
            message = f"The body of request {item['id']} is not base64, as a body that is not JSON must be."
            return request, graph_error(request, 400, "BadRequest", message)


def _is_batch(path: str) -> bool:
    return split_version(path)[1].lower() == "/$batch"


def _items(batch: Any) -> list[dict[str, Any]]:
    """The batch's requests, checked against Graph's rules; BatchError names the request and the rule."""
    if not isinstance(batch, dict) or not isinstance(batch.get("requests"), list):
        raise BatchError("A batch is a JSON object with a `requests` array.")
    items = batch["requests"]
    if not items:
        raise BatchError("The batch holds no requests.")
    if len(items) > MAX_REQUESTS:
        raise BatchError(f"A batch holds at most {MAX_REQUESTS} requests; this one holds {len(items)}.")
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BatchError(f"Request {index} of the batch is not an object.")
        name = item.get("id")
        if not isinstance(name, str) or not name:
            raise BatchError(f"Request {index} of the batch has no id: each request needs a unique string id.")
        if name in seen:
            raise BatchError(f"Request id {name} is used twice: ids must be unique within a batch.")
        seen.add(name)
        method = item.get("method")
        if not isinstance(method, str) or method.upper() not in KNOWN_METHODS:
            raise BatchError(f"Request {name} has no valid method.")
        url = item.get("url")
        if not isinstance(url, str) or not url or "://" in url:
            raise BatchError(f"Request {name} needs a relative url, such as /me/messages.")
        headers = item.get("headers")
        if headers is not None and (not isinstance(headers, dict) or not all(isinstance(v, (str, int)) for v in headers.values())):
            raise BatchError(f"Request {name} has headers that are not an object of strings.")
        if item.get("body") is not None and not any(k.lower() == "content-type" for k in headers or {}):
            raise BatchError(f"Request {name} has a body but no Content-Type header.")
    for item in items:
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise BatchError(f"Request {item['id']}: dependsOn must be an array of request ids.")
        for dependency in depends:
            if dependency not in seen or dependency == item["id"]:
                raise BatchError(f"Request {item['id']} depends on {dependency}, which is not another request of this batch.")
    return items


def _order(items: list[dict[str, Any]]) -> list[int]:
    """Indices in an order that runs every request after those it depends on; BatchError on a cycle."""
    index_of = {item["id"]: i for i, item in enumerate(items)}
    order: list[int] = []
    state: dict[int, str] = {}

    def visit(i: int) -> None:
        if state.get(i) == "done":
            return
        if state.get(i) == "visiting":
            raise BatchError(f"Request {items[i]['id']} depends on itself through dependsOn.")
        state[i] = "visiting"
        for dependency in items[i].get("dependsOn", []):
            visit(index_of[dependency])
        state[i] = "done"
        order.append(i)

    for i in range(len(items)):
        visit(i)
    return order


async def _whole(answer: Answer, request: Request, limit: int) -> Answer:
    """An answer whose body still streams (an upstream's), read whole, up to `limit` bytes: a batch
    response holds it. A 502 where it is larger, or breaks off."""
    if answer.stream is None:
        return answer
    chunks: list[bytes] = []
    size = 0
    stream = aiter(answer.stream)
    try:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                message = f"The upstream's answer is larger than {limit} bytes, more than a batch response holds."
                return graph_error(request, 502, "BadGateway", message)._replace(by="upstream")
            chunks.append(chunk)
    except StreamBroken:
        return graph_error(request, 502, "BadGateway", "The upstream's answer broke off.")._replace(by="upstream")
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return answer.settled()._replace(body=b"".join(chunks))


def _rooted(answer: Answer, prefix: str) -> Answer:
    """The answer's findings, with JSON Pointers rooted at the item's body in the batch."""
    if not answer.findings:
        return answer
    findings = tuple(Finding(f.kind, f.severity, prefix + f.path, f.expected, f.actual, f.message) for f in answer.findings)
    return answer._replace(findings=findings)


def _response(item_id: str, request: Request, answer: Answer) -> dict[str, Any]:
    headers = dict(answer.headers)
    headers.update(request.ids)
    out: dict[str, Any] = {"id": item_id, "status": answer.status, "headers": headers}
    if answer.body:
        if "json" in headers.get("Content-Type", headers.get("content-type", "")).lower():
            try:
                out["body"] = parse_json_body(answer.body)
            except BodyError:  # not JSON after all, or JSON the gate refuses: sent as bytes
                out["body"] = base64.b64encode(answer.body).decode("ascii")
        else:
            out["body"] = base64.b64encode(answer.body).decode("ascii")
    return out
