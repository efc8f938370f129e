"""How to: see where your payload differs from what Graph documents."""

import json
import urllib.request

import pytest

MEETING = {"subject": "Quarterly review", "startDateTime": "2026-01-05T09:00:00+00:00", "endDateTime": "2026-01-05T10:00:00+00:00"}


def send(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.status


def test_findings_of_a_payload(mockgraph_server):
    """Not strict, a payload that breaks the contract still gets the documented answer; the
    findings say what is wrong, with JSON Pointers."""
    assert send(mockgraph_server.url + "/v1.0/me/onlineMeetings", {**MEETING, "startDateTime": "tomorrow", "agenda": "x"}) == 201
    assert [(f.kind, f.path) for f in mockgraph_server.findings] == [("format", "/startDateTime"), ("unknown", "/agenda")]


@pytest.mark.mockgraph(strict=True)
def test_strict_mode(mockgraph_server):
    """Strict, a conforming payload passes; one with contract errors would fail this test."""
    assert send(mockgraph_server.url + "/v1.0/me/onlineMeetings", MEETING) == 201
    assert mockgraph_server.findings == []
