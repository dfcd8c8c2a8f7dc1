"""The overall conclusion printed on the report, from the single verdicts."""

from types import SimpleNamespace

from lims.reports.content import conclusion
from lims.reports.document import TestLine


def _line(item: str, verdict: str, standard: str | None):
    line = TestLine(item, "GB 5009.12-2023", "0.1 mg/kg", "≤0.2 mg/kg" if standard else "/",
                    standard or "/", verdict)
    return line, SimpleNamespace(limit_standard=standard)


def _conclusion(*pairs):
    return conclusion(tuple(p[0] for p in pairs), [p[1] for p in pairs])


def test_pass_names_the_standards_judged():
    text = _conclusion(_line("铅", "合格", "GB 2762-2025"), _line("甲醛", "不判定", None))
    assert text == "经抽样检验，所检项目符合 GB 2762-2025 要求，检验结论为合格。"


def test_fail_names_only_the_failed_items_and_their_standard():
    text = _conclusion(_line("铅", "合格", "GB 2762-2025"),
                       _line("毒死蜱", "不合格", "GB 2763-2026"))
    assert text == "经抽样检验，毒死蜱项目不符合 GB 2763-2026 要求，检验结论为不合格。"


def test_nothing_judged_makes_no_verdict():
    assert _conclusion(_line("甲醛", "不判定", None)) == "本报告仅提供检测结果，不作合格判定。"


def test_fail_without_a_named_standard():
    assert "不符合标准要求" in _conclusion(_line("铅", "不合格", None))
