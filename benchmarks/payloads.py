"""Varied payloads for the contract-checking targets: every request a body the server has not seen.

mockgraph answers an identical request (method, path, Content-Type, Prefer, body bytes) from a
memo of its last 1,024 answers, so a benchmark that repeats one body measures that memo, never
parsing or checking. These payloads start from the seed's documented body and change every value
on every request, in two families:

- conforming: the documentation's own enum breaks repaired (`accessLevel` rotates through its
  enumeration, `capabilities` is `["questionAndAnswer"]`); subjects, ids, ISO 8601 times with
  offsets, booleans and absolute URLs all vary. The checker should find no errors.
- violating: the same, plus violations whose values also vary: `isBroadcast` as a string, an
  undocumented property with a new value each time, `accessLevel` outside its enumeration, and no
  `joinUrl`. Every payload breaks the same rules, so the server's contract header is the same on
  every answer and the load generator can check it on each one. The names stay fixed: the issue
  asks for changed values, and the checker reuses its work per payload shape, as designed. (A
  client inventing new property names on every request used to defeat that reuse, at about 1.5 ms
  a request; since `c1674f0` the checker looks such a shape up by its documented keys.)

Bodies are built from the request index alone, so a run is reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

ACCESS_LEVELS = ("everyone", "invited", "locked", "sameEnterprise", "sameEnterpriseAndFederated")
_OFFSETS = (timezone.utc, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)))
_EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
_TOPICS = ("budget review", "sprint planning", "release go/no-go", "design critique", "all hands", "1:1", "incident retro")
_NAMES = ("Adele Vance", "Megan Bowen", "Lee Gu", "Nestor Wilke", "Lidia Holloway", "Diego Siciliani")


def conforming(base: dict[str, Any], i: int) -> dict[str, Any]:
    """The seed's body with every value changed for request `i`, and nothing the contract refuses."""
    body = json.loads(json.dumps(base))  # a deep copy that keeps the documented key order
    start = _EPOCH + timedelta(minutes=17 * i, microseconds=i * 7919 % 1_000_000)
    body["creationDateTime"] = _time(start - timedelta(hours=2, seconds=i % 59), i)
    body["startDateTime"] = _time(start, i + 1)
    body["endDateTime"] = _time(start + timedelta(minutes=30 + i % 90), i + 2)
    body["canceledDateTime"] = _time(start - timedelta(minutes=5), i + 3)
    body["expirationDateTime"] = _time(start + timedelta(days=60), i + 4)
    body["entryExitAnnouncement"] = bool(i & 1)
    body["joinUrl"] = f"https://teams.example.com/l/meetup-join/19%3ameeting_{i:08x}%40thread.v2/{i * 2654435761 % 10**9}"
    body["subject"] = f"{_TOPICS[i % len(_TOPICS)].capitalize()} #{i}"
    body["isCancelled"] = bool(i & 2)
    organizer = body["participants"]["organizer"]
    organizer["identity"]["application"]["id"] = _guid(i)
    organizer["identity"]["application"]["displayName"] = f"{_NAMES[i % len(_NAMES)]} ({i})"
    organizer["upn"] = f"user{i}@contoso.example"
    body["isBroadcast"] = bool(i & 4)
    body["accessLevel"] = ACCESS_LEVELS[i % len(ACCESS_LEVELS)]
    body["capabilities"] = ["questionAndAnswer"]
    audio = body["audioConferencing"]
    audio["conferenceId"] = str(100_000_000 + i * 7)
    audio["tollNumber"] = f"+1 425 555 {i % 10_000:04d}"
    audio["tollFreeNumber"] = f"+1 800 555 {(i * 3) % 10_000:04d}"
    audio["dialinUrl"] = f"https://dialin.example.org/{i % 97}/{i}"
    chat = body["chatInfo"]
    chat["threadId"] = f"19:meeting_{_guid(i * 31)}@thread.v2"
    chat["messageId"] = str(1_600_000_000_000 + i)
    chat["replyChainMessageId"] = str(i % 3)
    body["videoTeleconferenceId"] = f"{i * 48271 % 10**10:010d}"
    return body


def violating(base: dict[str, Any], i: int) -> dict[str, Any]:
    """`conforming(base, i)` broken four ways, each with values that change per request."""
    body = conforming(base, i)
    body["isBroadcast"] = ("true", "false", f"yes-{i}", "1")[i % 4]  # a string, not a Boolean
    body["accessLevel"] = f"{ACCESS_LEVELS[i % len(ACCESS_LEVELS)]}Plus{i}"  # outside the enumeration
    del body["joinUrl"]  # a documented property left out
    body["undocumentedNote"] = f"extra value {i * 13}"  # not in the contract
    return body


def renamed(base: dict[str, Any], i: int) -> dict[str, Any]:
    """`violating(base, i)` whose undocumented property has a new name on every request (issue 16's
    "new undocumented property name on every request")."""
    body = violating(base, i)
    body[f"undocumentedNote{i}"] = body.pop("undocumentedNote")
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def varied(base: dict[str, Any], count: int, *, violations: bool, new_names: bool = False) -> Iterator[bytes]:
    """`count` distinct encoded bodies of one family."""
    make = (renamed if new_names else violating) if violations else conforming
    for i in range(count):
        yield encode(make(base, i))


def _time(moment: datetime, i: int) -> str:
    """ISO 8601 with an offset, in the forms Graph sends: no fraction, milliseconds, or 7 digits."""
    local = moment.astimezone(_OFFSETS[i % len(_OFFSETS)])
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    digits = (0, 3, 7)[i % 3]
    if digits:
        text += "." + f"{local.microsecond:06d}0"[:digits]
    offset = local.strftime("%z")
    return text + ("Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}")


def _guid(i: int) -> str:
    h = f"{(i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
