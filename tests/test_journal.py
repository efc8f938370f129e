"""The journal's wording of findings: the contract header every checked answer carries."""

from __future__ import annotations

import pytest

import mockgraph.journal as journal
from mockgraph.journal import contract_summary
from mockgraph.models import Finding


def _findings(errors: int, warnings: int, info: int) -> list[Finding]:
    made = [("error", errors), ("warning", warnings), ("info", info)]
    return [Finding("type", severity, f"/p{i}", "x", "y", "m") for severity, n in made for i in range(n)]


@pytest.mark.parametrize(
    ("counts", "header"),
    [
        ((0, 0, 0), "0 errors"),
        ((1, 0, 0), "1 error"),
        ((2, 1, 0), "2 errors, 1 warning"),
        ((0, 3, 2), "3 warnings, 2 info"),
        ((1, 1, 1), "1 error, 1 warning, 1 info"),
    ],
)
def test_the_contract_header_counts_by_severity(counts: tuple[int, int, int], header: str) -> None:
    assert contract_summary(_findings(*counts)) == header
    assert contract_summary(iter(_findings(*counts))) == header  # any iterable, worded alike when remembered


def test_worded_headers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_SUMMARIES wordings are kept; past that each is worded afresh, and still right."""
    monkeypatch.setattr(journal, "MAX_SUMMARIES", 3)
    monkeypatch.setattr(journal, "_SUMMARIES", {})
    for n in range(1, 7):
        assert contract_summary(_findings(n, 0, 0)) == journal.counted(n, "error")
    assert len(journal._SUMMARIES) == 3
