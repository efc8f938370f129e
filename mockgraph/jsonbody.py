"""The gate every JSON request body passes before anything walks it.

`json.loads` and the contract checker both recurse once per level of nesting, so a 1 KB body of
brackets can exhaust Python's stack; `json.loads` also accepts what no Graph payload holds and what
later steps cannot carry (NaN, a float that overflows to infinity, a lone surrogate that UTF-8
cannot encode when the body is journalled or recorded). `parse_json_body` refuses all of these with
a `BodyError` whose message reads like Graph's, so the server can answer 400 and every later step
may assume a bounded, encodable value.

It is on the path of every request, so the common case costs one `bytes.translate` and one
msgspec decode: a body with no more brackets than the depth bound cannot nest deeper than it, and
a body without `\\u` escapes cannot hold a lone surrogate. msgspec reads JSON about twice as fast
as `json.loads` with the hooks below, and refuses everything the gate refuses (NaN, Infinity,
overflowing floats, integers over 4,300 digits, invalid UTF-8, lone surrogates); where it refuses a
body, `json.loads` reads it again, so a refused body gets the same message as before and a body
msgspec cannot read but `json.loads` can (a float that underflows to 0) still gives the same value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import NoReturn

import msgspec

from .errors import BodyError
from .models import JsonValue

# Graph payloads nest a handful of levels (an event's attendees' email addresses: 4). 64 levels
# leaves ample room for open types and extensions while keeping every recursive walk (json.loads,
# the contract checker, the redactor) far inside Python's default recursion limit of 1,000.
MAX_DEPTH = 64

_PREFIX = "Unable to read JSON request payload."
# A `\u` escape in the surrogate range (D800-DFFF); an escaped backslash before "ud8.." may match too,
# which only sends the body to the exact check.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_NOT_OPENERS = bytes(set(range(256)) - set(b"[{"))  # one pass of translate: cheaper than two counts
# The depth scan's step per bracket: +1 for an opener, -1 for a closer.
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SCAN_CHUNK = 8192  # brackets per step of the scan, so a deep body is refused without reading it all


def parse_json_body(body: bytes) -> JsonValue:
    """The JSON value of a request body; `BodyError` where it is empty, not UTF-8, not JSON, nested
    deeper than `MAX_DEPTH`, or holds NaN, Infinity, a number Python cannot hold sanely (a float
    that overflows, an integer longer than `sys.get_int_max_str_digits()`) or a lone surrogate."""
    if not body or body.isspace():  # the ASCII whitespace strip() takes, without a copy
        raise _error("The body is empty.")
    deep = nests_too_deep(body)
    if not deep and not may_hold_surrogate(body):
        try:
            return _FAST(body)  # msgspec refuses what is not UTF-8 as well
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass  # read again below, for the same value or the same message
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(f"The body is not UTF-8 (byte {exc.start} is invalid).") from None
    if deep:
        raise _error(f"The body nests deeper than {MAX_DEPTH} levels.")
    try:
        value: JsonValue = _DECODER.decode(text)
    except BodyError:
        raise
    except RecursionError:  # json_depth's bound makes this unreachable; belt and braces
        raise _error(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:  # JSONDecodeError, and int()'s "Exceeds the limit (4300 digits)"
        if "digits" in str(exc):
            raise _error("It holds an integer with more digits than Python reads.") from None
        raise _error(f"It is not valid JSON: {exc}.") from None
    if may_hold_surrogate(body):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise _error("A string holds a lone surrogate (an unpaired \\ud800-\\udfff escape).") from None
    return value


def nests_too_deep(body: bytes) -> bool:
    """Whether the JSON text nests deeper than `MAX_DEPTH`. A body with fewer openers (brackets
    and braces, in strings or not) cannot: counting them is one C pass, and only bodies with more
    are scanned. The count costs about 11 instructions a byte (BENCHMARKS.md)."""
    return len(body.translate(None, _NOT_OPENERS)) > MAX_DEPTH and json_depth(body) > MAX_DEPTH


def may_hold_surrogate(body: bytes) -> bool:
    """Whether a body may hold an escaped surrogate (only those bodies are checked for lone ones)."""
    # A one-byte search first: memchr, nine times faster than looking for the two bytes of `\\u`.
    return b"\\" in body and b"\\u" in body and _SURROGATE_ESCAPE.search(body) is not None


def json_depth(body: bytes) -> int:
    """How deep the JSON text nests (brackets outside strings), or a number over `MAX_DEPTH` as
    soon as it is known to be deeper. Linear, and never recursive: strings are cut out with
    `bytes` methods (escaped backslashes and quotes first), so only C loops see every byte.

    For text that is not JSON the answer is at least the depth `json.loads` reaches before it
    stops at the first error, which is all the bound needs."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[0::2])  # even pieces lie between strings
    brackets = outside.translate(None, _NOT_BRACKETS)
    deepest = depth = 0
    for start in range(0, len(brackets), _SCAN_CHUNK):
        steps = accumulate(map(_STEP.__getitem__, brackets[start : start + _SCAN_CHUNK]), initial=depth)
        levels = list(steps)
        deepest = max(deepest, max(levels))
        depth = levels[-1]
        if deepest > MAX_DEPTH:
            break
    return deepest


def _no_constant(name: str) -> NoReturn:
    raise _error(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _error(f"The number {text[:40]} is too large for a double.")
    return number


_FAST: Callable[[bytes], JsonValue] = msgspec.json.Decoder().decode
# Built once: json.loads with hooks would build a decoder per call, which costs as much as the parse.
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def _error(reason: str) -> BodyError:
    return BodyError(f"{_PREFIX} {reason}", reason)
