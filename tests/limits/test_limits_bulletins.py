"""Results that provincial authorities published as non-compliant in 2026 (山东, 安徽, 浙江,
辽宁, 重庆 sampling bulletins), judged again by lims: each must stay 不符合.

tests/limits/cases_bulletins_2026.csv is written by scripts/limits_bulletin_check.py from
the public collection 5678Hub/jianyu data/master.json (commit 3278f1e); every row cites its
bulletin and record.  The expected verdict is the bulletin's, not lims's own output.  Items
lims does not yet judge 不符合 (another edition in force, a product's own grade, a food name
lims does not know) are listed by the script, not here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lims.limits.checking import check_result

from .case_files import load_cases

CASES = load_cases("cases_bulletins_2026.csv")


def test_the_bulletin_cases_are_many_and_cited() -> None:
    assert len(CASES) >= 900
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert all("master.json r" in c["note"] for c in CASES)
    assert all(c["expected"] == "fail" for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_published_non_compliant_result_stays_non_compliant(case: dict[str, str], index) -> None:  # noqa: ANN001
    outcome = check_result(
        index, case["analyte"], case["food"], case["result"], dt.date.fromisoformat(case["date"]),
        declared=case["declared"] or None,
    )  # fmt: skip
    assert outcome.verdict == "fail", (case["note"], outcome.data.get("reason"))
