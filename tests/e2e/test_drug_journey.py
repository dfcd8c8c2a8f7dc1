"""A medicine's journey through the browser: receipt of an amoxicillin capsule sample taken
at a Bole pharmacy (经营环节), its test plan from the 中国药典 monograph, routing to the
prefecture lab (the only lab that declares drug testing), receipt at the lab, entry of each
item's figures judged at once by the pharmacopoeia's rules (溶出度 needs a retest of 6 more
units and passes on the 12), the 检验 → 审核 → 批准 signatures, the signed 药品检验报告书 with
its 检验结论, and the supervisor's dashboard counting the sample beside the food figures.
"""

from __future__ import annotations

from tests.e2e import steps

BZ_LAB = "博州食品药品检验检测中心"
AMOXICILLIN = dict(
    task_type="supervision", monograph="阿莫西林胶囊", generic_name="阿莫西林胶囊",
    trade_name="", strength="0.25g", approval_number="国药准字H20000002",
    batch_number="20260915", expiry="2028-09-14", manufacturer="某药业股份有限公司",
    holder="某药业股份有限公司", sampling_unit="博尔塔拉蒙古自治州市场监督管理局",
    link="distribution", business_name="博乐市某大药房（连锁）", business_address="博乐市北京路 1 号",
    sampled_on="2026-11-25", sampling_place="药品零售企业", sampler="李抽样、王抽样",
    quantity="4", quantity_unit="盒", manufacturer_address="某省某市医药产业园 9 号",
    task_source="2026年州药品监督抽检计划", sampling_form_no="YP-BZ-2026-0042",
    business_licence="新AA9090002", sampling_base="30 盒", condition_description="包装完好，在有效期内")

CAPSULES = " ".join(["0.30"] * 20)  # 20 capsule fills, all alike
RESULTS = {
    "性状": {"conforms": "1", "evidence": "内容物为白色粉末"},
    "鉴别": {"conforms": "1", "evidence": "主峰保留时间与对照品一致"},
    "溶出度": {"first": "69.9 85 85 85 85 85", "retest": "85 85 85 85 85 85"},
    "水分": {"value": "12.6"},
    "装量差异": {"weights": CAPSULES},
    "含量测定": {"found": "0.2478"},  # 99.12 % of 0.25 g → 99.1
}


def _register(page) -> str:
    page.goto("/drugs/new")
    for name, value in AMOXICILLIN.items():
        field = page.locator(f"#drug-receipt-form [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.select_option("#drug-receipt-form select[name=business_county]", label="博乐市")
    page.check("#drug-receipt-form input[name=condition_ok][value=yes]")
    steps.shot(page, "30-drug-receipt")
    with page.expect_navigation():
        page.click("#register-drug")
    assert not steps.flash_errors(page), steps.flash_errors(page)
    assert page.locator("#drug-panel").count() == 1
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def _enter(page, number: str, item: str, values: dict[str, str]) -> str:
    page.goto(f"/drugs/samples/{number}")
    card = page.locator(f"section.drug-test[data-item='{item}']")
    for name, value in values.items():
        field = card.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        card.locator("form.drug-entry button[type=submit]").click()
    card = page.locator(f"section.drug-test[data-item='{item}']")
    if steps.flash_errors(page):
        return "refused: " + " ".join(steps.flash_errors(page))
    return card.locator("[data-verdict]").get_attribute("data-verdict")


def _submit_all(page, number: str) -> int:
    signed = 0
    while True:
        page.goto(f"/drugs/samples/{number}")
        forms = page.locator("section.drug-test form[data-sign=submitted]")
        if forms.count() == 0:
            return signed
        form = forms.first
        form.locator("input[name=password]").fill(steps.DEMO_PASSWORD)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert not steps.flash_errors(page), steps.flash_errors(page)
        signed += 1


def _drug_figures(page) -> dict[str, str]:
    page.goto("/stats/")
    rate = page.locator("#drug-qualified-rate")
    combined = page.locator("#combined-item-coverage")
    food = page.locator("#coverage-rate")
    return {"judged": rate.get_attribute("data-judged"),
            "qualified": rate.get_attribute("data-qualified"),
            "combined_items": combined.get_attribute("data-items"),
            "food_items": food.get_attribute("data-items"),
            "drug_items": page.locator("#drug-item-coverage").get_attribute("data-items")}


def test_drug_from_receipt_to_signed_report_and_dashboard(lab):
    supervisor = lab.person("supervisor")
    before = _drug_figures(supervisor)
    assert int(before["combined_items"]) == int(before["food_items"]) + int(before["drug_items"])

    receiver = lab.person("receiver")
    number = _register(receiver)
    steps.shot(receiver, "31-drug-registered")
    assert steps.status_of(receiver) == "registered"
    label = steps.download_labels(receiver)
    assert number in steps.pdf_text(label)
    proposal = steps.routing_proposal(receiver)
    assert set(proposal) == set(RESULTS) and set(proposal.values()) == {BZ_LAB}, proposal
    with receiver.expect_navigation():
        receiver.click("form[action$='/route'] button[type=submit]")
    assert not steps.flash_errors(receiver), steps.flash_errors(receiver)
    assert steps.sub_samples(receiver) == []  # one lab: no sub-samples
    steps.receive(receiver, number, condition="完好，密封")
    assert steps.status_of(receiver) == "received_at_lab"

    tech = lab.person("tech")
    # 溶出度: one unit below Q−10 → the chapter asks for 6 more; the first stage alone is
    # refused and nothing is saved
    refused = _enter(tech, number, "溶出度", {"first": RESULTS["溶出度"]["first"]})
    assert refused.startswith("refused") and "复试" in refused, refused
    for item, values in RESULTS.items():
        assert _enter(tech, number, item, values) == "pass", item
    steps.shot(tech, "32-drug-results-judged")
    card = tech.locator("section.drug-test[data-item='含量测定']").inner_text()
    assert "99.1%" in card
    assert _submit_all(tech, number) == 6

    reviewer = lab.person("reviewer")
    assert steps.sign_queue(reviewer, "/results/review", number, "reviewed") == 6
    signatory = lab.person("signatory")
    assert steps.sign_queue(signatory, "/results/approval", number, "approved") == 6
    assert steps.wait_for_status(signatory, number, "reported") == "reported", \
        steps.report_failure(signatory)

    report_no, pdf = steps.download_report(signatory, number, screenshot="33-drug-report")
    assert pdf.startswith(b"%PDF") and b"/ByteRange" in pdf
    text = "".join(steps.pdf_text(pdf).split())
    for words in ("药品检验报告书", report_no, "阿莫西林胶囊", "国药准字H20000002", "20260915",
                  "剂型药品／胶囊剂", "99.1%",
                  "本品按中国药典2025年版二部《阿莫西林胶囊》检验，结果符合规定。"):
        assert words in text, words

    after = _drug_figures(supervisor)
    steps.shot(supervisor, "34-dashboard-drugs", full_page=False)
    assert int(after["judged"]) == int(before["judged"]) + 1
    assert int(after["qualified"]) == int(before["qualified"]) + 1
