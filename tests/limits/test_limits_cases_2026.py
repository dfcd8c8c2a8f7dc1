"""Table-driven cases of issue 13 (tests/limits/cases_2026.csv): every family of the 2026
sampling rules through the shipped library, as ``lims limits check`` judges them.

Each row gives (item, food — the rules' 细类 name, result, date) and the verdict read from
the standard; ``note`` cites the table/line (or, for rows written from knowledge, says so).
Group items and sums give member/component results as ``a=…;b=…``; a plan gives n results;
``declared`` is the value or limit recorded at receipt for a 明示值 limit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from lims.limits.checking import check_result

from .case_files import load_cases

DEFAULT_DATE = dt.date(2026, 10, 1)


CASES = load_cases("cases_2026.csv")


def test_case_table_covers_every_family() -> None:
    assert len(CASES) >= 300
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert all(c["note"].strip() for c in CASES)
    verdicts = Counter(c["expected"] for c in CASES)
    assert verdicts["pass"] > 100 and verdicts["fail"] > 100
    notes = " ".join(c["note"] for c in CASES)
    for family in ("GB 2762", "GB 2760", "GB 2763", "GB 31650", "公告第250号", "整顿办函",
                   "GB 29921", "GB 2716", "GB 7099", "GB 8537", "GB 26878", "不得使用"):  # fmt: skip
        assert family in notes, family
    assert any(";" in c["result"] and "=" in c["result"] for c in CASES)  # groups / sums
    assert any("CFU/250mL" in c["result"] for c in CASES)  # per-volume plans
    assert any(c["declared"] for c in CASES)  # declared values


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['id']}-{c['analyte']}-{c['food']}" for c in CASES]
)
def test_case(case: dict[str, str], index) -> None:  # noqa: ANN001
    on = dt.date.fromisoformat(case["date"]) if case["date"] else DEFAULT_DATE
    outcome = check_result(
        index, case["analyte"], case["food"], case["result"], on,
        lod=case["lod"] or None, declared=case["declared"] or None,
        condition=case["condition"] or None,
    )  # fmt: skip
    assert outcome.verdict == case["expected"], (case["note"], outcome.data.get("reason"))
