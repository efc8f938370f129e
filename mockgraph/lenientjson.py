"""JSON as the Graph docs write it, read anyway.

Examples and annotations are written by hand: comments, `...` standing for "and so on", trailing
commas and single quotes are common. Strict JSON is tried first; otherwise those are repaired in a
way that keeps every newline, so an error (or a repair) still names its line in the text as given.
"""

from __future__ import annotations

import json
import re
from typing import Any


class JsonRepairError(ValueError):
    """JSON that stays invalid after repair; `line` and `column` are 1-based, in the text as given."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line} column {column}: {message}")
        self.line = line
        self.column = column
        self.reason = message


def parse_json_lenient(text: str) -> tuple[Any, bool]:
    """JSON as the docs write it: `(value, repaired)`.

    Strict JSON first. Otherwise comments (`//`, `/* */`), lines that are only `...`, a trailing
    `...` in an array or object, trailing commas and single-quoted strings are repaired, keeping
    every newline so that an error's line still points into the text as given.
    """
    try:
        return json.loads(text), False
    except RecursionError:
        raise JsonRepairError("nested too deeply", 1, 1) from None
    except json.JSONDecodeError:
        pass
    repaired = _repair(text)
    try:
        return json.loads(repaired), True
    except json.JSONDecodeError as exc:
        raise JsonRepairError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonRepairError("nested too deeply", 1, 1) from None


def json_repairs(text: str) -> list[tuple[int, str]]:
    """What `parse_json_lenient` changes in `text`, as (1-based line, what) pairs in text order."""
    log: list[tuple[int, int, str]] = []
    _repair(text, log)
    return [(line, what) for line, _, what in sorted(log)]


_ELLIPSIS_LINE = re.compile(r"(?m)^[ \t]*(?:\.\.\.|…)[ \t]*,?[ \t]*$")
_TRAILING_ELLIPSIS = re.compile(r",?\s*(?:\.\.\.|…)(?=\s*[\]}])")
_TRAILING_COMMA = re.compile(r",(?=\s*[\]}])")
_REPAIRS = (
    (_ELLIPSIS_LINE, "a line of '...'"),
    (_TRAILING_ELLIPSIS, "a trailing '...'"),
    (_TRAILING_COMMA, "a trailing comma"),
)


def _repair(text: str, log: list[tuple[int, int, str]] | None = None) -> str:
    """Each repair in turn: a line of `...` removed first can leave a trailing comma for the last.

    Newlines are kept, so a position's line is the same before and after; `log` collects
    (line, column, what) for each change.
    """
    text = _strip_comments_and_quotes(text, log)
    for pattern, what in _REPAIRS:
        spans = [(m.start(), m.end()) for m in pattern.finditer(_mask_strings(text))]
        if log is not None:
            log.extend((*_line_col(text, start), what) for start, _ in spans)
        text = _delete_spans(text, spans)
    return text


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _strip_comments_and_quotes(text: str, log: list[tuple[int, int, str]] | None = None) -> str:
    """Drop comments outside strings and turn single-quoted strings into double-quoted ones."""
    out: list[str] = []
    k, n = 0, len(text)
    while k < n:
        ch = text[k]
        if log is not None and (ch == "'" or text.startswith(("//", "/*"), k)):
            what = "a single-quoted string" if ch == "'" else "a comment"
            log.append((*_line_col(text, k), what))
        if ch == '"':
            end = _string_end(text, k, '"')
            out.append(text[k:end])
            k = end
        elif ch == "'":
            end = _string_end(text, k, "'")
            inner = text[k + 1 : end - 1].replace("\\'", "'").replace('"', '\\"')
            out.append('"' + inner + '"')
            k = end
        elif text.startswith("//", k):
            end = text.find("\n", k)
            k = n if end < 0 else end
        elif text.startswith("/*", k):
            end = text.find("*/", k + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", k, end))
            k = end
        else:
            out.append(ch)
            k += 1
    return "".join(out)


def _string_end(text: str, start: int, quote: str) -> int:
    """Index just past the string starting at `start`; an unterminated string ends at its line's end."""
    k = start + 1
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == quote:
            return k + 1
        if ch == "\n":
            return k
        k += 1
    return len(text)


_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*(?:"|(?=\n)|\Z)')


def _mask_strings(text: str) -> str:
    """The text with every string's content replaced by `x` (same length), so that the repair
    patterns never match inside a string."""

    def mask(m: re.Match[str]) -> str:
        closed = len(m[0]) >= 2 and m[0].endswith('"')
        return '"' + "x" * (len(m[0]) - 2) + '"' if closed else '"' + "x" * (len(m[0]) - 1)

    return _JSON_STRING.sub(mask, text)


def _delete_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove the spans, keeping any newline inside them."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            start = pos
        if start >= end:
            continue
        out.append(text[pos:start])
        out.append("\n" * text.count("\n", start, end))
        pos = end
    out.append(text[pos:])
    return "".join(out)
