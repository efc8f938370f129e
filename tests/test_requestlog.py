"""The request log's lines (requestlog.py): what each shows, its time, its redacted target."""

from __future__ import annotations

import logging

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from mockgraph.exchange import CONTRACT_HEADER, Answer, Request
from mockgraph.redact import Redactor
from mockgraph.requestlog import MAX_HEADS, MAX_TARGET_CHARS, RequestLog

HEADERS = CIMultiDictProxy(CIMultiDict())


def request(target: str, method: str = "GET") -> Request:
    return Request(method, target, HEADERS, b"", "id", "id", "http://127.0.0.1")


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for r in caplog.records if r.name == "mockgraph.requests" for line in r.getMessage().splitlines()]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0, "0.0 ms"), (0.00123, "1.2 ms"), (0.00125, "1.3 ms"), (0.0999, "99.9 ms"), (0.09996, "100.0 ms"), (0.25, "250.0 ms"), (12.0, "12000.0 ms")],
)
async def test_the_time_is_shown_in_tenths_of_a_millisecond(caplog, seconds, shown):
    caplog.set_level(logging.INFO, logger="mockgraph.requests")
    log = RequestLog(Redactor())
    log.note(request("/v1.0/me"), Answer(200, {}, fixture="me.json"), seconds)
    log.flush()
    assert logged(caplog) == [f"GET /v1.0/me -> 200 me.json {shown}"]


async def test_lines_of_the_same_request_differ_in_what_differs(caplog):
    """Remembered heads never blur lines: another status, fixture, answerer or contract summary
    shows; a secret in the target is redacted in every line, remembered or not."""
    caplog.set_level(logging.INFO, logger="mockgraph.requests")
    log = RequestLog(Redactor())
    secret = "/v1.0/me?access_token=tok-1"
    long = "/v1.0/me?access_token=tok-2&pad=" + "x" * MAX_TARGET_CHARS
    answers = [
        Answer(200, {}, fixture="me.json"),
        Answer(200, {CONTRACT_HEADER: "1 error"}, fixture="me.json"),
        Answer(404, {}, by="miss"),
        Answer(200, {}, by="upstream"),
        Answer(200, {}, fixture="me.json"),
    ]
    for target in (secret, long):
        for answer in answers:
            log.note(request(target), answer, 0.001)
    log.flush()
    lines = logged(caplog)
    assert lines[:5] == [
        "GET /v1.0/me?access_token=REDACTED -> 200 me.json 1.0 ms",
        "GET /v1.0/me?access_token=REDACTED -> 200 me.json [1 error] 1.0 ms",
        "GET /v1.0/me?access_token=REDACTED -> 404 - 1.0 ms",
        "GET /v1.0/me?access_token=REDACTED -> 200 forwarded 1.0 ms",
        "GET /v1.0/me?access_token=REDACTED -> 200 me.json 1.0 ms",
    ]
    assert len(lines) == 10 and all("tok-" not in line for line in lines)


async def test_remembered_heads_are_bounded(caplog):
    """More distinct requests than heads remembered: each line still right, the oldest forgotten."""
    caplog.set_level(logging.INFO, logger="mockgraph.requests")
    log = RequestLog(Redactor())
    count = MAX_HEADS + 10
    for n in [*range(count), 0]:
        log.note(request(f"/v1.0/users/{n}"), Answer(200, {}, fixture="user.json"), 0.002)
    log.flush()
    assert logged(caplog) == [f"GET /v1.0/users/{n} -> 200 user.json 2.0 ms" for n in [*range(count), 0]]
    assert len(log._heads) == MAX_HEADS
