"""Amendments and withdrawal (ISO/IEC 17025 §7.8.8); the CMA mark only inside the scope."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.reports import services
from lims.reports.models import ReportStatus
from lims.reports.settings import verify_url
from lims.reports.signing import verify_pdf
from lims.reports.verification import check_file
from tests.reports_db.conftest import LAB_CMA_NUMBER, pdf_text, report_of


@pytest.fixture
def issued(cma_lab, received_sample, approve):
    sample = received_sample()
    approve(sample)
    (report,) = report_of(sample)
    return report


def test_amendment_is_a_new_report_that_supersedes_the_original(issued, people, client,
                                                                 login, csrf_from, pki):
    original_bytes, original_hash = issued.pdf, issued.sha256
    login("zhao")
    page = client.get(f"/reports/{issued.id}").get_data(as_text=True)
    response = client.post(f"/reports/{issued.id}/amend", data={
        "csrf_token": csrf_from(page), "reason": "被抽样单位名称录入有误，更正为博乐市农贸市场 12 号"})
    assert response.status_code == 302

    old, new = report_of(issued.sample)
    assert old.id == issued.id and new.number != old.number
    assert old.status == ReportStatus.SUPERSEDED and old.superseded_by_id == new.id
    assert new.status == ReportStatus.ISSUED and new.supersedes_id == old.id
    assert old.pdf == original_bytes and old.sha256 == original_hash  # never changed
    assert verify_pdf(new.pdf, [pki.ca_cert], expected_sha256=new.sha256).valid
    compact = re.sub(r"\s+", "", pdf_text(new.pdf))
    assert f"本报告替代编号为{old.number}的报告" in compact and "被抽样单位名称录入有误" in compact

    client.post("/logout", data={"csrf_token": csrf_from(page)})
    old_page = client.get(f"/verify/{old.verify_token}").get_data(as_text=True)
    assert f"已被报告 {new.number} 替代" in old_page
    new_page = client.get(f"/verify/{new.verify_token}").get_data(as_text=True)
    assert "有效" in new_page and old.number in new_page

    # The superseded file is still genuine: the CLI says so, with its status.
    check = check_file(old.pdf)
    assert check.valid and check.to_dict()["status"] == "superseded"


def test_amendment_and_withdrawal_need_a_reason(issued, people):
    with pytest.raises(services.ReportError, match="原因"):
        services.amend_report(issued, "  ", people["signatory"])
    with pytest.raises(services.ReportError, match="原因"):
        services.withdraw_report(issued, "", people["signatory"])
    db.session.rollback()
    assert len(report_of(issued.sample)) == 1


def test_withdrawn_report_says_so_on_its_page(issued, people, client):
    services.withdraw_report(issued, "样品信息有误，报告收回", people["signatory"])
    db.session.commit()
    page = client.get(f"/verify/{issued.verify_token}").get_data(as_text=True)
    assert "已撤回" in page and "样品信息有误，报告收回" in page
    with pytest.raises(services.ReportError, match="不能再被替代"):
        services.amend_report(issued, "再次更正", people["signatory"])
    db.session.rollback()
    # A withdrawn report does not block a new report of the sample.
    again = services.issue_report(issued.sample, people["signatory"])
    db.session.commit()
    assert again.revision == 1 and again.supersedes_id is None


def test_cma_mark_with_certificate_and_every_test_in_scope(issued):
    assert issued.cma_applied
    assert LAB_CMA_NUMBER in pdf_text(issued.pdf)


def _not_accredited(lab, *codes: str) -> None:
    from lims.capabilities.models import LabCapability
    from lims.foods.models import TestItemRecord

    for capability in db.session.scalars(sa.select(LabCapability).join(TestItemRecord).where(
            LabCapability.org_id == lab.id, TestItemRecord.code.in_(codes))):
        capability.in_cma_scope = False
    db.session.commit()


def test_cma_kept_and_the_item_outside_the_scope_marked(cma_lab, received_sample, approve,
                                                         client, login):
    _not_accredited(cma_lab, "34-6:镉")
    sample = received_sample(names=("铅", "镉"))
    approve(sample)
    (report,) = report_of(sample)
    assert report.cma_applied
    assert report.cma_reason == ("加盖 CMA 标志；以下项目不在资质认定能力范围内，报告中以“▲”"
                                 "标注：镉(以Cd计)（该能力未列入资质认定范围）")
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    assert LAB_CMA_NUMBER in compact
    assert "▲镉(以Cd计)" in compact and "▲铅" not in compact
    assert "标注“▲”的检验项目不在本机构资质认定（CMA）能力范围内" in compact
    # The issue record says which report was issued and why.
    event = sample.events[-1].summary
    assert event == f"签发检验报告 {report.number}（{report.cma_reason}）"
    login("zhao")  # the signatory sees the decision on the sample page and the report page
    sample_page = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    assert "cma-reason" in sample_page and "镉(以Cd计)" in sample_page
    assert report.cma_reason in client.get(f"/reports/{report.id}").get_data(as_text=True)


def test_cma_omitted_when_no_item_is_in_the_scope(cma_lab, received_sample, approve):
    _not_accredited(cma_lab, "34-6:铅", "34-6:镉")
    sample = received_sample(names=("铅", "镉"))
    approve(sample)
    (report,) = report_of(sample)
    assert not report.cma_applied
    assert report.cma_reason == (
        "所有检验项目均不在资质认定能力范围内，报告不加盖 CMA 标志：铅(以Pb计)（该能力未列入资质认定范围）；"
        "镉(以Cd计)（该能力未列入资质认定范围）")
    assert LAB_CMA_NUMBER not in pdf_text(report.pdf)


def test_cma_omitted_without_a_certificate(network, received_sample, approve):
    network["BZ-LAB"].cma_certificate = None
    db.session.commit()
    sample = received_sample()
    approve(sample)
    (report,) = report_of(sample)
    assert not report.cma_applied and "证书编号" in report.cma_reason


def test_issue_amend_withdraw_are_in_the_audit_trail(issued, people):
    from lims.audit.services import history, verify_chain

    new = services.amend_report(issued, "检验方法标准号更正", people["signatory"])
    services.withdraw_report(new, "客户申请作废", people["signatory"])
    db.session.commit()
    old_rows = history("test_report", str(issued.id))
    assert old_rows[0].action == "create" and issued.sha256 in old_rows[0].new_value
    assert "pdf" not in old_rows[0].new_value  # the bytes are represented by their hash
    assert any(r.field == "status" and r.new_value == "superseded"
               and r.reason == "检验方法标准号更正" for r in old_rows)
    assert any(r.field == "status" and r.new_value == "withdrawn" and r.reason == "客户申请作废"
               for r in history("test_report", str(new.id)))
    assert verify_chain().intact


def test_public_url_falls_back_to_the_request_host(app, monkeypatch):
    monkeypatch.delenv("LIMS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("LIMS_PUBLIC_BASE_URL", raising=False)
    app.config["PUBLIC_URL"] = None
    with app.test_request_context("/", base_url="https://jc.example.cn/"):
        assert verify_url("abc") == "https://jc.example.cn/verify/abc"
    app.config["PUBLIC_URL"] = "https://verify.example.cn/"
    assert verify_url("abc") == "https://verify.example.cn/verify/abc"
