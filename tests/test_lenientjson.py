"""Reading JSON as the docs write it: strict first, then comments, `...`, trailing commas and quotes repaired."""

from __future__ import annotations

import pytest

from mockgraph.lenientjson import JsonRepairError, json_repairs, parse_json_lenient


class TestLenientJson:
    def test_strict_json_is_not_repaired(self):
        """Valid JSON parses as it is, with `repaired` false."""
        assert parse_json_lenient('{"a": [1, 2]}') == ({"a": [1, 2]}, False)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('{"a": 1,}', {"a": 1}),
            ("[1, 2, ]", [1, 2]),
            ('{"a": 1, // a note\n "b": 2}', {"a": 1, "b": 2}),
            ('{"a": /* gone */ 1}', {"a": 1}),
            ('{\n "a": 1,\n ...\n}', {"a": 1}),
            ('{\n "a": [\n  1,\n  …\n ]\n}', {"a": [1]}),
            ('{"a": [1, 2, ...]}', {"a": [1, 2]}),
            ('{"a": 1, ...}', {"a": 1}),
            ("{'a': 'it\\'s'}", {"a": "it's"}),
        ],
    )
    def test_repairs(self, text, expected):
        """Comments, `...` lines, trailing `...`, trailing commas and single quotes are repaired."""
        assert parse_json_lenient(text) == (expected, True)

    def test_strings_are_never_touched(self):
        """`//`, `...` and `,]` inside strings stay as written."""
        value, repaired = parse_json_lenient('{"u": "https://x//y", "e": "a, ...]", "t": 1,}')
        assert value == {"u": "https://x//y", "e": "a, ...]", "t": 1} and repaired

    def test_unrepairable_json_raises_with_its_line(self):
        """JSON that stays invalid raises a ValueError naming the line in the text as given."""
        with pytest.raises(ValueError, match=r"line 3 column") as info:
            parse_json_lenient('{\n  "a": 1, // ok\n  "b": }\n')
        assert isinstance(info.value, JsonRepairError) and info.value.line == 3

    def test_deep_nesting_is_an_error_not_a_crash(self):
        """JSON nested too deeply for the parser raises ValueError rather than RecursionError."""
        with pytest.raises(ValueError):
            parse_json_lenient("[" * 100_000)

    def test_repairs_are_listed_with_their_lines(self):
        """json_repairs names each change and its line, in text order."""
        text = '{\n "a": 1, // c\n ...\n "b": \'x\',\n}'
        assert json_repairs(text) == [
            (2, "a comment"),
            (3, "a line of '...'"),
            (4, "a single-quoted string"),
            (4, "a trailing comma"),
        ]
