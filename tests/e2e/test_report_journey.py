"""A 监督抽检 report that tells the truth, checked in the browser and in the PDF's text.

The prefecture's receiver registers a spinach sample from the sampling form (抽样单): task
source, form number, the stall's address and licence, the nominal producer and its address,
the samplers, the lot size and the sample as she saw it.  Every item goes to the prefecture
lab.  At the bench:

* 铅 0.305 mg/kg against ≤0.3: one rounding step above the limit → 不合格 (full-value
  comparison, GB/T 8170);
* 镉 exactly 0.2 mg/kg against ≤0.2 → 合格;
* 阿维菌素: the technician switches from the declared GB 23200.19 to GB 23200.121 (both
  declared, both allowed by the rules) with a reason; 0.002 mg/kg is below its LOD 0.003 →
  未检出（检出限 0.003 mg/kg）;
* 毒死蜱 by this lab's GB 23200.8 capability (LOD 0.003, LOQ 0.01; outside its CMA scope,
  set up below): 0.005 mg/kg is between LOD and LOQ → <0.01, and the report keeps the CMA
  mark and marks the item ▲.

Each role signs the whole sample in one step (one password entry).  The report's text
(pdftotext) is checked against the sampling form, the stored verdicts and the methods used;
the issue time on the report page, in the PDF's signature block and in the audit trail agree
in local time (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from tests.e2e import steps
from tests.e2e.conftest import run_in_e2e_app

BZ_LAB = "博州食品药品检验检测中心"
LEAD, CADMIUM = "铅(以Pb计)", "镉(以Cd计)"
ABAMECTIN, CHLORPYRIFOS = "阿维菌素", "毒死蜱"
KEPT = (LEAD, CADMIUM, ABAMECTIN, CHLORPYRIFOS)
REMOVED = ("铬(以Cr计)", "氟虫腈", "腐霉利", "甲拌磷", "克百威", "氯氟氰菊酯和高效氯氟氰菊酯", "氧乐果")

FORM = dict(
    task_type="supervision", task_source="博州市场监管局2026年第四季度食品安全监督抽检",
    sampling_form_no="DC26652700123", food_name="菠菜", subcategory="菠菜",
    business_name="博乐市农贸市场 21 号摊位", business_licence="JY16527010002121",
    business_address="博乐市青得里大街 21 号", sampled_on="2026-11-25",
    sampling_place="博乐市农贸市场", sampler="李抽样、王抽样", sampling_base="30 kg",
    producer="精河县某蔬菜合作社", producer_address="精河县托里镇 5 号",
    quantity="2", quantity_unit="kg", condition_description="叶片新鲜，无腐烂，装于洁净聚乙烯袋")


def _chlorpyrifos_outside_the_cma_scope(database_url: str, instance: Path) -> None:
    """The prefecture lab declares 毒死蜱 by GB 23200.8 outside its CMA scope (扩项中)."""

    def work() -> None:
        from lims.capabilities.models import LabCapability
        from lims.extensions import db
        from lims.foods.models import TestItemRecord
        from lims.orgs.services import org_by_code

        bz = org_by_code("BZ-LAB")
        item = db.session.scalar(sa.select(TestItemRecord).where(
            TestItemRecord.code == "34-6:毒死蜱"))
        for capability in db.session.scalars(sa.select(LabCapability).where(
                LabCapability.org_id == bz.id,
                sa.or_(LabCapability.test_item_id == item.id,
                       LabCapability.analyte_key == "毒死蜱"))):
            capability.in_cma_scope = False
            capability.lod, capability.loq, capability.unit = (Decimal("0.003"),
                                                               Decimal("0.01"), "mg/kg")
            capability.notes = "毒死蜱：资质认定扩项中（e2e）"
        db.session.commit()

    run_in_e2e_app(database_url, instance, work)


def _stored(database_url: str, instance: Path, number: str) -> dict:
    """What the records say about each result (to build the expected statement by hand)."""

    def work() -> dict:
        from lims.extensions import db
        from lims.results.models import TestResult
        from lims.samples.models import Sample, SampleTest

        rows = db.session.scalars(sa.select(TestResult).join(SampleTest).join(Sample)
                                  .where(Sample.number == number)).all()
        return {r.sample_test.test_item.name_zh: {
            "verdict": r.verdict, "comparison": r.comparison, "rule": r.decision_rule,
            "detection": r.detection, "method": r.method_standard,
            "reason": r.method_reason, "lod": r.lod, "loq": r.loq, "source": r.lod_source,
            "capability": r.capability.notes if r.capability else None} for r in rows}

    return run_in_e2e_app(database_url, instance, work)


def _sign_sample(page, number: str, meaning: str, *, confirm_limits: bool = False) -> str:
    """One step: the sample's signing page, every waiting result ticked, one password."""
    page.goto(f"/results/samples/{number}/sign?meaning={meaning}")
    form = page.locator(f"form#sign-sample[data-meaning={meaning}]")
    assert form.count() == 1, page.url
    if confirm_limits:
        for box in page.locator("input[name=confirm_limit]").all():
            box.check()
    page.fill("#sign-password", steps.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#sign-selected")
    assert not steps.flash_errors(page), steps.flash_errors(page)
    return page.locator(".flash").first.inner_text() if page.locator(".flash").count() else ""


def _switch_method(page, item: str, method_code: str, reason: str) -> None:
    card = steps.result_card(page, item)
    switch = card.locator("details[data-method-switch]")
    switch.locator("summary").click()
    switch.locator("select[name=method]").select_option(method_code)
    switch.locator("input[name=reason]").fill(reason)
    with page.expect_navigation():
        switch.locator("button[type=submit]").click()
    assert not steps.flash_errors(page), steps.flash_errors(page)


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_supervision_report_says_what_the_records_say(lab, e2e_database, tmp_path):
    _chlorpyrifos_outside_the_cma_scope(e2e_database, tmp_path)
    receiver = lab.person("receiver")
    number = steps.register_sample(receiver, dict(FORM),
                                   removed={i: "本次监督抽检任务不检" for i in REMOVED})
    steps.assign_labs(receiver, {item: BZ_LAB for item in KEPT})
    assert steps.confirm_routing(receiver) == []  # one lab: no sub-samples
    steps.receive(receiver, number, condition="完好，冷藏")
    assert steps.status_of(receiver) == "received_at_lab"

    # --- the bench --------------------------------------------------------------------------
    tech = lab.person("tech")
    steps.create_worksheet(tech, number, "菠菜 监督抽检 重金属与农药")
    _switch_method(tech, ABAMECTIN, "GB23200.121-2021-LCMSMS", "GB 23200.19 液相色谱仪故障，改用多残留方法")
    assert steps.enter_results(tech, LEAD, {"rho": "15.75", "rho0": "0.5", "V": "10",
                                            "m": "0.5000"})[1] == "fail"  # 0.305 > 0.3
    assert steps.enter_results(tech, CADMIUM, {"c1": "4.1", "c0": "0.1", "V": "25",
                                               "m": "0.5000"})[1] == "pass"  # 0.2 = 0.2
    steps.enter_results(tech, ABAMECTIN, {"rho": "0.002", "V": "10", "m": "10"})  # 0.002
    steps.enter_results(tech, CHLORPYRIFOS, {"rho": "0.005", "V": "10", "m": "10"})  # 0.005
    steps.shot(tech, "report-journey-01-worksheet")
    abamectin = steps.result_card(tech, ABAMECTIN)
    assert "未检出（检出限 0.003 mg/kg）" in abamectin.inner_text()
    assert steps.result_card(tech, CHLORPYRIFOS).locator("[data-display]").get_attribute(
        "data-display") == "below_loq", str(_stored(e2e_database, tmp_path, number)[CHLORPYRIFOS])

    # --- one signing step per role ---------------------------------------------------------
    _sign_sample(tech, number, "submitted")
    reviewer = lab.person("reviewer")
    _sign_sample(reviewer, number, "reviewed")
    signatory = lab.person("signatory")
    signatory.goto(f"/results/samples/{number}/sign?meaning=approved")
    cma = signatory.locator("section#cma-decision")
    assert cma.get_attribute("data-cma-mark") == "yes"
    assert [t for t in cma.locator("li[data-cma-outside]").all_inner_texts()
            if CHLORPYRIFOS in t], cma.inner_text()
    steps.shot(signatory, "report-journey-02-approval-one-step")
    _sign_sample(signatory, number, "approved", confirm_limits=True)
    assert steps.wait_for_status(signatory, number, "reported") == "reported", \
        steps.report_failure(signatory)

    report_no, pdf = steps.download_report(signatory, number)
    text = _pdftotext(pdf, tmp_path)
    # the pages as a reader sees them (docs/screenshots/report-journey-pdf-1.png, -2.png)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(tmp_path / "report.pdf"),
                    str(steps.SCREENSHOTS / "report-journey-pdf")], check=True)
    flat = re.sub(r"\s+", "", text)

    # --- the header of a 监督抽检 report: the sampling form, as recorded ----------------------
    # (pdftotext may put a table cell's text after its row: labels and values are checked
    # one by one, not as neighbours)
    header = {"任务类别": "监督抽检", "任务来源": "博州市场监管局2026年第四季度食品安全监督抽检",
              "抽样单编号": "DC26652700123", "被抽样单位": "博乐市农贸市场21号摊位",
              "被抽样单位地址": "博乐市青得里大街21号", "被抽样单位许可证号": "JY16527010002121",
              "标称生产者": "精河县某蔬菜合作社", "标称生产者地址": "精河县托里镇5号",
              "抽样人": "李抽样、王抽样", "抽样基数": "30kg", "抽样日期": "2026年11月25日",
              "样品状态": "叶片新鲜，无腐烂，装于洁净聚乙烯袋",
              "检验依据": "GB5009.12-2023", "判定依据": "GB2762-2025、GB2763-2026"}
    for label, value in header.items():
        assert label in flat and value in flat, (label, value)
    assert "委托单位" not in flat and "样品完好，符合检验要求" not in flat

    # --- results: 未检出 with the LOD, <LOQ, the method used, the CMA item mark --------------
    stored = _stored(e2e_database, tmp_path, number)
    assert stored[ABAMECTIN]["detection"] == "not_detected"
    assert stored[ABAMECTIN]["reason"] == "GB 23200.19 液相色谱仪故障，改用多残留方法"
    assert "未检出（检出限0.003mg/kg）" in flat
    assert stored[CHLORPYRIFOS]["detection"] == "below_loq", stored[CHLORPYRIFOS]
    assert "<0.01mg/kg" in flat
    assert stored[ABAMECTIN]["method"].startswith("GB 23200.121")
    # the row of 阿维菌素: the method used (not the declared GB 23200.19), 未检出 with the LOD
    assert "阿维菌素GB23200.121-2021未检出（检出限0.003mg/kg）" in flat
    assert "GB23200.19" not in flat
    # 铅 judged on 0.305 itself (不合格), whatever its reported rounding
    lead_row = flat[flat.index("1铅(以Pb计)"):flat.index("2镉(以Cd计)")]
    assert lead_row.endswith("不合格"), lead_row
    assert "镉(以Cd计)GB5009.15-2023第一法0.20mg/kg≤0.2mg/kgGB2762-2025合格" in flat
    assert "▲毒死蜱GB23200.8-2016<0.01mg/kg" in flat
    assert stored[LEAD]["verdict"] == "fail" and stored[CADMIUM]["verdict"] == "pass"
    assert "▲毒死蜱" in flat and "▲铅" not in flat
    assert "标注“▲”的检验项目不在本机构资质认定（CMA）能力范围内" in flat
    assert "铅(以Pb计)项目不符合" in flat and "检验结论为不合格" in flat

    # --- the decision-rule statement matches the stored verdicts ----------------------------
    comparison_zh = {"full": "全数值比较法", "rounded": "修约值比较法"}
    rule_zh = {"simple": "简单接受规则"}
    groups: dict[tuple[str, str], list[str]] = {}
    for item in KEPT:  # the report's order is the test plan's order
        row = stored[item]
        if row["verdict"] != "not_judged":
            groups.setdefault((row["comparison"], row["rule"]), []).append(item)
    for (comparison, rule), items in groups.items():
        clause = (f"{'、'.join(items)}：与标准限值比较采用{comparison_zh[comparison]}"
                  f"（GB/T8170-2008），{rule_zh[rule]}")
        assert clause in flat, (clause, flat[flat.find("判定规则"):][:400])
    assert "修约值比较法（GB/T8170-2008）" not in flat or ("rounded", "simple") in groups

    # --- the signature: the lab's own key, Chinese block, local time everywhere ------------
    assert "博州食品药品检验检测中心数字签名" in flat and "签发人：赵批准" in flat
    signed_at = re.search(r"签名时间：(\d{4}-\d{2}-\d{2})(\d{2}:\d{2}):\d{2}", flat)
    assert signed_at, flat[-600:]
    pdf_minute = f"{signed_at.group(1)} {signed_at.group(2)}"
    assert "Asia/Shanghai(UTC+08:00)" in flat

    signatory.locator("section.report-panel a.mono", has_text=report_no).click()
    signatory.wait_for_url(re.compile(r"/reports/\d+$"))
    page_time = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
                          signatory.locator("dl").first.inner_text()).group(0)
    steps.shot(signatory, "report-journey-03-report-page")
    with signatory.expect_navigation():
        signatory.locator("a[href*='/audit/test_report/']").click()
    created = signatory.locator("tbody tr", has_text="create").first.locator("td").first
    audit_time = created.inner_text().strip()
    steps.shot(signatory, "report-journey-04-audit-trail")
    assert page_time == pdf_minute, (page_time, pdf_minute)
    # the audit row is written when the report is stored, a moment after the signing time
    audited = dt.datetime.strptime(audit_time, "%Y-%m-%d %H:%M:%S")
    assert dt.timedelta(0) <= audited - dt.datetime.strptime(pdf_minute, "%Y-%m-%d %H:%M") \
        < dt.timedelta(minutes=2), (audit_time, pdf_minute)
    # local, not UTC: the wall-clock time of Asia/Shanghai for the stored UTC moment
    local_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    shown = dt.datetime.strptime(page_time, "%Y-%m-%d %H:%M").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert abs((local_now - shown).total_seconds()) < 600
