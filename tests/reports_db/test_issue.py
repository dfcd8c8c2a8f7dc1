"""The approval of a spinach sample's last test issues its signed report, once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re

import pytest

from lims.core.localtime import local_today
from lims.extensions import db
from lims.reports import hooks, services
from lims.reports.models import ReportFailure, ReportStatus
from lims.reports.signing import SigningSetupError, verify_pdf
from lims.samples.lifecycle import SampleStatus
from tests.reports_db.conftest import LAB_CMA_NUMBER, PUBLIC_URL, pdf_text, report_of


def test_approval_issues_one_signed_report(cma_lab, received_sample, approve, pki, people):
    sample = received_sample()
    approve(sample)

    (report,) = report_of(sample)
    year = local_today().year
    assert re.fullmatch(rf"BZ-LAB-R-{year}-\d{{6}}", report.number)
    assert report.status == ReportStatus.ISSUED and report.lab.code == "BZ-LAB"
    assert report.issued_by.username == "zhao"
    assert report.sha256 == hashlib.sha256(report.pdf).hexdigest()
    assert sample.status == SampleStatus.REPORTED
    assert any(e.summary.startswith(f"签发检验报告 {report.number}") for e in sample.events)

    check = verify_pdf(report.pdf, [pki.ca_cert], expected_sha256=report.sha256)
    assert check.valid, check.reason
    assert check.report_number == report.number
    # Signed by the testing lab's own certificate, whose subject names the lab.
    assert check.signer_subject == ("Common Name: 博州食品药品检验检测中心 检验报告签名, "
                                    "Organization: 博州食品药品检验检测中心, Country: CN")

    # A second approval signal (or a retry) never issues a second report.
    with pytest.raises(services.ReportError, match="已出具报告"):
        services.issue_report(sample, people["signatory"])
    db.session.rollback()
    assert hooks.issue_or_record(sample, people["signatory"]) is None
    assert len(report_of(sample)) == 1


def test_report_contents_are_extractable_chinese_text(cma_lab, received_sample, approve):
    sample = received_sample(names=("铅", "镉"))
    approve(sample)
    (report,) = report_of(sample)
    text = pdf_text(report.pdf)
    compact = re.sub(r"\s+", "", text)
    for expected in ("检验报告", "菠菜", report.number, sample.number, "博乐市农贸市场12号摊位",
                     "博州食品药品检验检测中心", "铅(以Pb计)", "0.052mg/kg", "≤0.3mg/kg",
                     "未检出（检出限0.001mg/kg）", "GB2762-2025", "GB5009.12-2023", "合格",
                     "王检验", "张审核", "赵批准", "检验结论为合格", LAB_CMA_NUMBER):
        assert expected.replace(" ", "") in compact, expected
    assert f"{PUBLIC_URL}/verify/{report.verify_token}" in compact
    assert report.cma_applied
    assert report.cma_reason == "加盖 CMA 标志：全部检验项目在资质认定能力范围内"


def test_a_failed_test_makes_the_conclusion_fail(cma_lab, received_sample, approve):
    sample = received_sample(names=("铅", "毒死蜱"))
    approve(sample)
    (report,) = report_of(sample)
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    assert "毒死蜱项目不符合GB2763-2026要求" in compact and "不合格" in compact


def test_condition_deviation_is_printed(cma_lab, received_sample, approve):
    sample = received_sample(condition_ok="no", condition_notes="包装袋轻微破损，样品未受污染")
    approve(sample)
    (report,) = report_of(sample)
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    assert "包装袋轻微破损，样品未受污染" in compact


def test_failure_keeps_the_approval_and_offers_a_retry(cma_lab, received_sample, approve, app,
                                                       tmp_path, pki, client, login, csrf_from):
    app.config["SIGNING_DIR"] = str(tmp_path / "no-keys")  # the key is not installed yet
    sample = received_sample()
    approve(sample)

    assert report_of(sample) == []
    db.session.refresh(sample)
    assert sample.status == SampleStatus.APPROVED  # the approval stands
    failure = db.session.query(ReportFailure).filter_by(sample_id=sample.id).one()
    assert "实验室 BZ-LAB 没有自己的签名证书" in failure.message and not failure.resolved

    login("zhao")
    page = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    assert "实验室 BZ-LAB 没有自己的签名证书" in page and "生成报告" in page

    app.config["SIGNING_DIR"] = str(pki.lab_pkcs12.parent)  # the key is installed: retry
    response = client.post(f"/reports/sample/{sample.number}/issue",
                           data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert response.status_code == 200
    (report,) = report_of(sample)
    assert report.number in response.get_data(as_text=True)
    db.session.refresh(failure)
    assert failure.resolved
    db.session.refresh(sample)
    assert sample.status == SampleStatus.REPORTED


def test_only_the_labs_signatory_issues(cma_lab, received_sample, approve, people, make_user):
    from lims.users.roles import Role

    sample = received_sample()
    other = make_user("huang", org_code="BL-LAB", roles=(Role.SIGNATORY,))
    approve(sample)
    (report,) = report_of(sample)
    with pytest.raises(services.ReportError, match="授权签字人"):
        services.withdraw_report(report, "误发", other)
    with pytest.raises(services.ReportError, match="授权签字人"):
        services.amend_report(report, "更正", people["tech"])
    db.session.rollback()
    assert report.status == ReportStatus.ISSUED


def test_each_sub_sample_is_reported_by_the_lab_that_tested_it(cma_lab, people, network,
                                                               approve, make_user):
    """Spinach from Bole split between the county lab (铅) and the prefecture lab (镉)."""
    from decimal import Decimal

    from lims.foods import services as foods
    from lims.samples import services as samples
    from lims.samples.receipt import ReceiptInput
    from lims.users.roles import Role

    bl = {role: make_user(f"bl_{role}", org_code="BL-LAB", roles=(Role(role),),
                          display_name=name)
          for role, name in (("technician", "刘检验"), ("reviewer", "杨审核"),
                             ("signatory", "黄批准"))}
    plan = foods.items_for(foods.find_subcategory("菠菜"))
    receiver = people["receiver"]
    sample = samples.register_sample(ReceiptInput(
        task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
        business_name="博乐市农贸市场 3 号摊位", business_county="博乐市",
        sampled_on=(local_today() - dt.timedelta(days=3)).isoformat(), quantity="2",
        quantity_unit="kg", condition_ok="yes",
        removed_items={i.code: "本次不检" for i in plan if i.code not in ("34-6:铅", "34-6:镉")}),
        receiver)
    lab_for = {"34-6:铅": network["BL-LAB"].id, "34-6:镉": network["BZ-LAB"].id}
    own, county = samples.route_sample(
        sample, {t.id: lab_for[t.test_item.code] for t in sample.active_tests}, receiver)
    samples.receive_at_lab(own, receiver, condition="完好")
    samples.dispatch(county, receiver, condition="密封完好，冷藏", temperature_c=Decimal("4"))
    samples.receive_at_lab(county, bl["technician"], condition="完好")
    db.session.commit()

    approve(own)
    approve(county, tech=bl["technician"], reviewer=bl["reviewer"], signatory=bl["signatory"])

    (own_report,) = report_of(own)
    (county_report,) = report_of(county)
    assert own_report.lab.code == "BZ-LAB" and county_report.lab.code == "BL-LAB"
    assert county_report.number.startswith("BL-LAB-R-")
    assert county_report.issued_by.username == "bl_signatory"
    text = re.sub(r"\s+", "", pdf_text(county_report.pdf))
    assert county.number in text and "博乐市食品检验检测站" in text and "黄批准" in text
    assert "铅(以Pb计)" in text and "镉(以Cd计)" not in text
    # 铅 is inside the county lab's accredited scope (GB 5009.12), under its own certificate.
    county_lab = county_report.lab
    assert county_report.cma_applied and county_lab.cma_certificate in text
    with pytest.raises(services.ReportError, match="已分样"):
        services.issue_report(sample, people["signatory"])


def test_issue_by_ids_for_a_background_job(cma_lab, received_sample, approve, app, tmp_path,
                                           pki, people):
    app.config["SIGNING_DIR"] = str(tmp_path / "none")
    sample = received_sample()
    approve(sample)
    assert report_of(sample) == []
    app.config["SIGNING_DIR"] = str(pki.lab_pkcs12.parent)
    number = hooks.issue_for_sample_id(sample.id, people["signatory"].id)
    (report,) = report_of(sample)
    assert number == report.number
    assert hooks.issue_for_sample_id(sample.id, people["signatory"].id) is None  # once only


def test_cli_issue_command(cma_lab, received_sample, approve, app, tmp_path, pki, people):
    app.config["SIGNING_DIR"] = str(tmp_path / "none")
    sample = received_sample()
    approve(sample)
    app.config["SIGNING_DIR"] = str(pki.lab_pkcs12.parent)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["reports", "issue", sample.number, "--user", "wang"])
    assert refused.exit_code != 0 and "授权签字人" in refused.output
    done = runner.invoke(args=["reports", "issue", sample.number, "--user", "zhao"])
    assert done.exit_code == 0, done.output
    (report,) = report_of(sample)
    assert report.number in done.output


def test_header_of_a_supervision_report_is_the_sampling_form(cma_lab, received_sample, approve):
    sample = received_sample(condition_description="叶片新鲜，无腐烂，装于洁净聚乙烯袋",
                             producer="精河县某合作社", producer_address="精河县托里镇")
    approve(sample)
    (report,) = report_of(sample)
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    for expected in ("任务类别监督抽检", "任务来源2026年博州食品安全监督抽检",
                     "抽样单编号NCP20266527000001", "被抽样单位地址博乐市青得里大街8号",
                     "被抽样单位许可证号JY16527010001234", "标称生产者精河县某合作社",
                     "标称生产者地址精河县托里镇", "抽样人李抽样、王抽样", "抽样基数20kg",
                     "样品状态叶片新鲜，无腐烂，装于洁净聚乙烯袋", "检验依据GB5009.12",
                     "判定依据GB2762"):
        assert expected in compact, expected
    assert "委托单位" not in compact and "样品完好，符合检验要求" not in compact


def test_decision_rule_statement_follows_the_stored_verdicts(cma_lab, received_sample, approve):
    from tests.reports_db.conftest import CADMIUM

    sample = received_sample()
    # Cadmium judged by the rounded value (the task said so), lead by the full value.
    approve(sample, changed={"镉(以Cd计)": dataclasses.replace(CADMIUM, comparison="rounded")})
    (report,) = report_of(sample)
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    statement = ("铅(以Pb计)：与标准限值比较采用全数值比较法（GB/T8170-2008），简单接受规则；"
                 "镉(以Cd计)：与标准限值比较采用修约值比较法（GB/T8170-2008），简单接受规则。"
                 "全数值比较法：以未经修约的测定值与限量比较，报告值按方法规定修约。"
                 "修约值比较法：以按限量位数修约后的测定值与限量比较。"
                 "简单接受规则：测量不确定度未纳入判定（ISO/IEC17025:2017§7.1.3）。"
                 "“未检出”表示低于方法检出限（括号内为检出限，未给出检出限时为定量限）。")
    assert statement in compact
    assert "修约值比较法…简单接受规则" not in compact


def test_each_lab_signs_with_its_own_key_in_chinese(cma_lab, received_sample, approve, app,
                                                   tmp_path):
    import subprocess

    from lims.reports.settings import lab_signer

    sample = received_sample()
    approve(sample)
    (report,) = report_of(sample)
    result = verify_pdf(report.pdf, [app.config["SIGNING_DIR"] + "/dev-ca.crt.pem"])
    assert result.valid and "博州食品药品检验检测中心" in result.signer_subject
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    assert "博州食品药品检验检测中心数字签名" in compact and "签发人：赵批准" in compact
    assert "签名时间：" in compact and "Asia/Shanghai(UTC+08:00)" in compact
    path = tmp_path / "r.pdf"
    path.write_bytes(report.pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded
    assert "Courier" not in fonts
    # A lab without its own key: refused unless the installation key is allowed.
    with pytest.raises(SigningSetupError, match="实验室 WQ-LAB 没有自己的签名证书"):
        lab_signer("WQ-LAB")
    app.config["SIGNING_FALLBACK"] = "1"
    assert lab_signer("WQ-LAB").subject == lab_signer().subject


def test_commissioned_report_names_the_client_not_a_sampling_form(cma_lab, received_sample,
                                                                  approve):
    sample = received_sample(task_type="commissioned", task_source="", sampling_form_no="",
                             business_licence="", sampler="", sampling_base="",
                             customer_name="博乐市某连锁超市有限公司",
                             customer_address="博乐市北京路 66 号")
    approve(sample)
    (report,) = report_of(sample)
    compact = re.sub(r"\s+", "", pdf_text(report.pdf))
    for expected in ("任务类别", "委托检验", "委托单位", "博乐市某连锁超市有限公司", "委托单位地址",
                     "博乐市北京路66号"):
        assert expected in compact, expected
    for absent in ("抽样单编号", "抽样基数", "抽样人", "被抽样单位许可证号"):
        assert absent not in compact, absent
