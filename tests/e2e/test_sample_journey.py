"""A spinach sample's journey through the browser, from the receipt desk to the public.

The prefecture's receiver registers a sample taken at a Bole market (chromium is not tested
in this task), prints its labels and routes it: the Bole county lab can test everything left,
but this month the heavy metals go to the prefecture lab, so the receiver changes those two.
The county part travels in a cool box and is received in Bole; the prefecture part is
received at once.  The timeline of the sample shows all of it.

At the prefecture lab the technician puts the part's tests on a worksheet, captures the lead
test portion's weight from the balance (the bench agent answers the capture request), types
the other inputs and sees the judgement, and signs; the reviewer and the signatory sign on
their queues.  The approval issues the signed report: its PDF comes from the sample page,
and its QR target, opened by someone with no login, shows it valid and matches the file.

A Bole market's rapid-test station uploads its morning CSV and publishes it (公示), and the
supervisor's statistics dashboard counts the new sample.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from tests.e2e import steps

SPINACH = dict(task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", producer_address="精河县托里镇", food_name="菠菜", subcategory="菠菜",
               business_name="博乐市农贸市场 12 号摊位", business_licence="JY16527010001234",
               business_address="博乐市青得里大街 8 号", sampled_on="2026-11-20",
               sampling_place="农贸市场", sampler="李抽样、王抽样", producer="精河县某合作社",
               quantity="2", quantity_unit="kg")


BZ_LAB, BL_LAB = "博州食品药品检验检测中心", "博乐市食品检验检测站"
LEAD, CADMIUM = "铅(以Pb计)", "镉(以Cd计)"


def _receipt_to_labs(lab) -> tuple[str, str, str]:
    receiver = lab.person("receiver")
    steps.shot(receiver, "01-home-receiver")
    number = steps.register_sample(receiver, dict(SPINACH),
                                   removed={"铬(以Cr计)": "本次监督抽检任务不检铬",
                                            # no lab of the network is fit for these: the
                                            # rules do not allow GB 23200.113 for them
                                            "阿维菌素": "本次监督抽检任务不检",
                                            "甲拌磷": "本次监督抽检任务不检",
                                            "克百威": "本次监督抽检任务不检"})
    assert steps.status_of(receiver) == "registered"

    label = steps.download_labels(receiver)
    assert label.startswith(b"%PDF")
    assert number in steps.pdf_text(label)

    # The county lab can test everything left on the plan; the receiver sends the heavy
    # metals to the prefecture lab all the same (its graphite furnace; this month's plan).
    proposal = steps.routing_proposal(receiver)
    assert "铬(以Cr计)" not in proposal and set(proposal.values()) == {BL_LAB}, proposal
    steps.assign_labs(receiver, {LEAD: BZ_LAB, CADMIUM: BZ_LAB})
    assert steps.routing_proposal(receiver)[LEAD] == BZ_LAB
    parts = steps.confirm_routing(receiver)
    assert parts == [f"{number}-A", f"{number}-B"]
    assert steps.status_of(receiver) == "split"
    prefecture_part, county_part = parts
    steps.open_sample(receiver, prefecture_part)
    assert BZ_LAB in receiver.locator("main").inner_text()

    steps.receive(receiver, prefecture_part, condition="完好",
                  screenshot="05-prefecture-part-received")
    assert steps.status_of(receiver) == "received_at_lab"
    steps.dispatch(receiver, county_part, condition="密封完好，冷藏", temperature="4.0",
                   screenshot="06-county-part-dispatched")
    assert steps.status_of(receiver) == "in_transit"

    county = lab.person("bl_receiver")
    steps.receive(county, county_part, condition="完好", temperature="5.5",
                  screenshot="07-county-part-received")
    assert steps.status_of(county) == "received_at_lab"

    events = steps.timeline(receiver, number)
    steps.shot(receiver, "08-timeline")
    text = "\n".join(events)
    assert f"{number}-A" in text and f"{number}-B" in text
    assert "4.0 °C" in text and "5.5 °C" in text
    assert "陈接收" in text  # the Bole receiver's name on the county receipt
    return number, prefecture_part, county_part


def test_sample_from_receipt_to_signed_report_station_and_statistics(
        lab, bench_agent, browser, tmp_path):
    supervisor = lab.person("supervisor")
    before = steps.dashboard_figures(supervisor)["targets"]
    number, part, _county_part = _receipt_to_labs(lab)

    # --- the bench at the prefecture lab ---------------------------------------------------
    bench_agent("tech", "BZ-BAL-01", "stable 0.5012 g")
    tech = lab.person("tech")
    sheet = steps.create_worksheet(tech, part, "重金属 石墨炉 11-28",
                                   screenshot="09-worksheet-created")
    assert sheet.startswith("WS-")
    steps.type_inputs(tech, LEAD, {"rho": "12.5", "rho0": "0.5", "V": "10"})
    reading = steps.capture_weight(tech, LEAD, "0.5012")
    assert steps.preview_verdict(tech, LEAD) == "pass"
    steps.shot(tech, "10-weight-captured-judgement-shown")
    assert steps.save_result(tech, LEAD) == "pass"
    lead_card = steps.result_card(tech, LEAD).inner_text()
    assert "0.24" in lead_card and f"#{reading}" in lead_card  # (12.5-0.5)×10/(0.5012×1000)
    # cadmium weighed on the bench by hand: typed, no reading behind it
    assert steps.enter_results(tech, CADMIUM, {"c1": "2.5", "c0": "0.1", "V": "25",
                                               "m": "0.5000"}) == ("pass", "pass")
    steps.submit_results(tech, [LEAD, CADMIUM])
    steps.shot(tech, "11-results-submitted")

    reviewer = lab.person("reviewer")
    assert steps.sign_queue(reviewer, "/results/review", part, "reviewed",
                            screenshot="12-review-queue") == 2
    signatory = lab.person("signatory")
    assert steps.sign_queue(signatory, "/results/approval", part, "approved",
                            screenshot="13-approval-queue") == 2
    # approved, and the report issued (at once, or by the job worker when Redis is set up);
    # else the page says why it was not
    assert steps.wait_for_status(signatory, part, "reported") == "reported", \
        steps.report_failure(signatory)

    # --- the signed report and its public verification ------------------------------------
    report_no, pdf = steps.download_report(signatory, part, screenshot="14-report-issued")
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf  # a signed PDF
    text = steps.pdf_text(pdf)
    assert report_no in text and part in text
    for words in ("检 验 报 告", "菠菜", "博乐市农贸市场", "铅", "镉", BZ_LAB):
        assert words in text, words
    url = steps.verification_url(signatory, report_no)
    assert "/verify/" in url
    # the report prints the URL its QR code holds (line breaks of the PDF text aside)
    assert url in "".join(text.split())
    public = steps.open_verification(browser, url, pdf, tmp_path,
                                     screenshot="15-public-verification")
    assert public["number"] == report_no
    assert "verdict-pass" in public["status_class"] and public["status"] == "有效"
    assert public["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert "flash-success" in public["check_class"] and public["check"].startswith("一致")
    tampered = steps.open_verification(browser, url, pdf[:-200] + b" " * 200, tmp_path)
    assert "flash-error" in tampered["check_class"]

    # --- a rapid-test station's morning ----------------------------------------------------
    station = lab.person("bl_station")
    tested = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=30)
    csv = tmp_path / "reader-export.csv"
    rows = [("E2E-PR-0001", "A-12", "菠菜", "18.5", "negative"),
            ("E2E-PR-0002", "A-15", "韭菜", "66.3", "positive"),
            ("E2E-PR-0003", "A-2", "芹菜", "7.1", "negative")]
    csv.write_text(
        "uid,market,stall,food_name,food_category,test_item,method,inhibition_pct,"
        "station_verdict,tested_at,operator\n" + "".join(
            f"{uid},BL-M01,{stall},{food},蔬菜,有机磷和氨基甲酸酯类农药,enzyme_inhibition,"
            f"{pct},{verdict},{(tested + dt.timedelta(minutes=i)).isoformat()},孙快检\n"
            for i, (uid, stall, food, pct, verdict) in enumerate(rows)), encoding="utf-8")
    message = steps.upload_station_csv(station, csv, screenshot="16-station-csv-uploaded")
    assert "3" in message
    assert steps.public_results(station, "BL-M01") == {}  # nothing public before 公示
    steps.publish_day(station, "BL-M01")
    visitor = browser.new_context(base_url=lab.base_url, locale="zh-CN")
    try:
        shown = steps.public_results(visitor.new_page(), "BL-M01",
                                     screenshot="17-public-market-results")
    finally:
        visitor.close()
    assert set(shown) == {uid for uid, *_ in rows}
    assert "韭菜" in shown["E2E-PR-0002"] and "A-15" in shown["E2E-PR-0002"]

    # --- the supervisor's dashboard --------------------------------------------------------
    figures = steps.dashboard_figures(supervisor, screenshot="18-statistics-dashboard")
    assert int(figures["coverage"]["items"]) > 0
    assert 0 < float(figures["coverage"]["rate"]) <= 1
    after = figures["targets"]

    def added(figure: str, county: str = "博乐市") -> int:
        return int(after[figure][county]) - int(before[figure][county])

    # one more sample, approved and reported, in Bole and so in the prefecture; the station's
    # three results, all published, one of them positive
    for county in ("博乐市", "博尔塔拉蒙古自治州"):
        assert added("检验样品数", county) == 1
        assert added("已批准结果的样品", county) == 1
        assert added("已出具报告", county) == 1
        assert added("快检结果数", county) == 3
        assert added("快检已公示", county) == 3
        assert added("快检阳性", county) == 1
    assert added("检验样品数", "精河县") == 0
