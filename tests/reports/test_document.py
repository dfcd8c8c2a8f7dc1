import dataclasses
import datetime as dt

import pytest

from lims.reports.document import (
    Amendment,
    ReportDataError,
    SampleInfo,
    SignatureLine,
    TestLine,
    cma_decision,
)
from tests.reports.sample_data import make_document, make_tests


def test_sample_document_is_valid():
    doc = make_document()
    assert [s.role for s in doc.ordered_signatures] == ["编制", "审核", "批准"]


def test_lists_are_frozen_to_tuples():
    doc = make_document(list(make_tests(2)))
    assert isinstance(doc.tests, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.report_number = "X"  # type: ignore[misc]


def _sample(**changes):
    return dataclasses.replace(make_document().sample, **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sampled_on": dt.date(2026, 11, 5)}, "抽样日期"),
        ({"testing_started_on": dt.date(2026, 11, 1)}, "接收日期"),
        ({"testing_finished_on": dt.date(2026, 11, 3)}, "检验开始日期"),
        ({"issued_on": dt.date(2026, 11, 10)}, "签发日期"),
        ({"condition": ""}, "样品状态"),
        ({"received_on": "2026-11-03"}, "接收日期"),
    ],
)
def test_inconsistent_sample_is_rejected(changes, message):
    with pytest.raises(ReportDataError, match=message):
        _sample(**changes)


def test_delivered_sample_without_sampling_date_is_allowed():
    assert _sample(sampled_on=None).sampled_on is None
    assert isinstance(_sample(deviations=["包装轻微破损"]).deviations, tuple)


def test_verdict_must_be_known():
    with pytest.raises(ReportDataError, match="单项判定"):
        TestLine("铅", "GB 5009.12-2023", "0.1 mg/kg", "≤0.2 mg/kg", "GB 2762-2025", "OK")


def test_test_line_requires_method_and_limit_placeholders():
    with pytest.raises(ReportDataError, match="检验方法"):
        TestLine("铅", "", "0.1 mg/kg", "≤0.2 mg/kg", "GB 2762-2025", "合格")
    with pytest.raises(ReportDataError, match="标准限值"):
        TestLine("铅", "GB 5009.12-2023", "0.1 mg/kg", "", "GB 2762-2025", "合格")


def test_signatures_need_each_role_once():
    sigs = make_document().signatures
    with pytest.raises(ReportDataError, match="编制、审核、批准"):
        make_document(signatures=sigs[:2])
    with pytest.raises(ReportDataError, match="编制、审核、批准"):
        make_document(signatures=(*sigs, sigs[0]))
    with pytest.raises(ReportDataError, match="签字角色"):
        SignatureLine("校对", "王五", dt.date(2026, 11, 14))


def test_reviewer_is_not_the_author():
    d = dt.date(2026, 11, 14)
    sigs = (
        SignatureLine("编制", "张敏", d),
        SignatureLine("审核", "张敏", d),
        SignatureLine("批准", "李四", d),
    )
    with pytest.raises(ReportDataError, match="审核人"):
        make_document(signatures=sigs)


@pytest.mark.parametrize("number", ["", "ab", "报告-001", "A B C", "x" * 65])
def test_report_number_format(number):
    with pytest.raises(ReportDataError, match="报告编号"):
        make_document(report_number=number)


def test_no_tests_and_bad_verify_url_are_rejected():
    with pytest.raises(ReportDataError, match="没有检验项目"):
        make_document([])
    with pytest.raises(ReportDataError, match="验证网址"):
        make_document(verify_url="/verify/abc")


def test_cma_mark_requires_scope_and_reason_when_omitted():
    outside = [*make_tests(2), dataclasses.replace(make_tests(3)[2], in_cma_scope=False)]
    with pytest.raises(ReportDataError, match="总汞"):
        make_document(outside, cma_allowed=True)
    with pytest.raises(ReportDataError, match="原因"):
        make_document(outside, cma_allowed=False)
    allowed, reason = cma_decision(outside, "202365123456")
    assert not allowed and "总汞" in reason
    assert cma_decision(make_tests(3), "202365123456") == (True, None)
    assert cma_decision(make_tests(3), None)[0] is False
    doc = make_document(outside, cma_allowed=False, cma_reason=reason)
    assert doc.cma_reason == reason


def test_amendment_needs_reason():
    with pytest.raises(ReportDataError, match="原因"):
        Amendment("BZJC-2026-000100", " ")


def test_sample_requires_business():
    with pytest.raises(ReportDataError, match="被抽样单位"):
        SampleInfo(
            number="S1",
            name="米",
            category="粮食",
            business="",
            received_on=dt.date(2026, 1, 1),
            testing_started_on=dt.date(2026, 1, 1),
            testing_finished_on=dt.date(2026, 1, 1),
            issued_on=dt.date(2026, 1, 1),
            condition="完好",
            quantity="1 kg",
        )
