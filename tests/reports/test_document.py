import dataclasses
import datetime as dt

import pytest

from lims.reports.document import (
    Amendment,
    ReportDataError,
    SampleInfo,
    SignatureLine,
    TestLine,
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
    delivered = _sample(sampled_on=None, task_type="委托检验", customer="博乐市某超市",
                        customer_address="博乐市北京路 1 号")
    assert delivered.sampled_on is None
    with pytest.raises(ReportDataError, match="抽样日期"):
        _sample(sampled_on=None)  # official sampling always has its date
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


def test_cma_mark_kept_with_items_outside_marked_and_reason_when_omitted():
    outside = [*make_tests(2), dataclasses.replace(make_tests(3)[2], in_cma_scope=False)]
    assert make_document(outside, cma_allowed=True).cma_allowed
    with pytest.raises(ReportDataError, match="原因"):
        make_document(outside, cma_allowed=False)
    none_inside = [dataclasses.replace(t, in_cma_scope=False) for t in make_tests(2)]
    with pytest.raises(ReportDataError, match="所有项目均不在资质认定范围内"):
        make_document(none_inside, cma_allowed=True)
    reason = "所有检验项目均不在资质认定能力范围内，报告不加盖 CMA 标志"
    doc = make_document(none_inside, cma_allowed=False, cma_reason=reason)
    assert doc.cma_reason == reason


def test_header_per_task_type():
    from lims.reports.document import header_rows

    official = dict(header_rows(_sample()))
    assert official["任务类别"] == "监督抽检" and official["抽样单编号"] == "DC26652700001"
    assert official["被抽样单位许可证号"] == "JY16527010004567"
    assert official["标称生产者地址"] == "黑龙江省五常市工业园区"
    assert official["抽样基数"] == "50 袋" and official["抽样日期"] == "2026年11月2日"
    assert "委托单位" not in official
    with pytest.raises(ReportDataError, match="监督抽检报告不列委托单位"):
        _sample(customer="某局")
    with pytest.raises(ReportDataError, match="抽样单编号"):
        _sample(sampling_form_no=None)
    commissioned = dict(header_rows(_sample(task_type="委托检验", customer="博乐市某超市",
                                            customer_address="博乐市北京路 1 号")))
    assert commissioned["委托单位"] == "博乐市某超市" and "抽样单编号" not in commissioned


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
