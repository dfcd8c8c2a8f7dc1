"""Table-driven cases built from the standards: tests/limits/cases.csv.

Each row gives (analyte, food, date, result) and the verdict expected from reading the
standard (the note cites table and line).  The row goes through the library lookup and
the judgement exactly as ``lims limits check`` does.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from lims.limits.checking import check_result
from lims.limits.judgement import JudgementError
from lims.limits.parsing import ParseError
from lims.limits.units import UnitError

from .case_files import load_cases

DEFAULT_DATE = dt.date(2026, 10, 1)


CASES = load_cases("cases.csv")


def test_case_table_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    verdicts = Counter(c["expected"] for c in CASES)
    for verdict in ("pass", "fail", "conditional_pass", "conditional_fail", "no_limit", "error"):
        assert verdicts[verdict] > 0, verdict
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['id']}-{c['analyte']}-{c['food']}" for c in CASES]
)
def test_case(case: dict[str, str], index) -> None:  # noqa: ANN001
    on = dt.date.fromisoformat(case["date"]) if case["date"] else DEFAULT_DATE
    foods = case["food"].split("|")
    kwargs = {
        "standard": case["standard"] or None,
        "comparison": case["comparison"] or None,
        "rule": case["rule"] or "simple",
        "uncertainty": case["uncertainty"] or None,
        "lod": case["lod"] or None,
        "basis": case["basis"] or None,
        "condition": case["condition"] or None,
    }
    if case["expected"] == "error":
        with pytest.raises((ParseError, JudgementError, UnitError)):
            check_result(index, case["analyte"], foods, case["result"], on, **kwargs)
        return
    outcome = check_result(index, case["analyte"], foods, case["result"], on, **kwargs)
    assert outcome.verdict == case["expected"], (case["note"], outcome.data["reason"])
    assert outcome.data["reason"]
    assert outcome.data["rule"] in ("simple", "guarded", "non-binary")
