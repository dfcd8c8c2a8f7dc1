"""The prefecture's own tools through the browser: the year's plan, a month assigned, a sample
received against a task, a failure concluded, the alert it raises, a targeted task.

The administrator makes next year's plan from the county populations, variety lists and
failure history; the signatory reviews it and assigns January to the labs.  The receiver opens
a January task (Bole, spinach) and registers a sample against it, testing cadmium only; the
prefecture technician finds 0.495 mg/kg (limit 0.2), the reviewer and the signatory sign.  The
approval raises an alert (cadmium never failed for spinach before), which the administrator
turns into a targeted sampling task in next month's plan with one action.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from tests.e2e import steps

BZ_LAB = "博州食品药品检验检测中心"
CADMIUM = "镉(以Cd计)"


def _make_and_approve_plan(lab, year: int) -> str:
    admin = lab.person("admin")
    admin.goto(f"/plans/?year={year}")
    with admin.expect_navigation():
        admin.click("#build-plan button[type=submit]")
    assert not steps.flash_errors(admin), steps.flash_errors(admin)
    plan_url = admin.url
    assert re.search(r"/plans/\d+$", plan_url)
    summary = {row.get_attribute("data-county"): [td.inner_text() for td in
                                                  row.locator("td").all()]
               for row in admin.locator("#plan-summary tbody tr").all()}
    # 博乐市: population 281,209 → 4 per 1,000 = 1,125 and 2 per 1,000 = 563, by hand
    population, target, planned, residue_target, residue = summary["652701"][1:6]
    assert (population, target, residue_target) == ("281209", "1125", "563")
    assert int(planned) >= 1125 and int(residue) >= 563
    steps.shot(admin, "30-plan-made")

    signatory = lab.person("signatory")
    signatory.goto(plan_url)
    signatory.fill("#approve-plan input[name=note]", "同意，按月下达")
    with signatory.expect_navigation():
        signatory.click("#approve-plan button[type=submit]")
    assert not steps.flash_errors(signatory), steps.flash_errors(signatory)
    signatory.goto(plan_url + "?month=1")
    with signatory.expect_navigation():
        signatory.click("#assign-month button[type=submit]")
    assert not steps.flash_errors(signatory), steps.flash_errors(signatory)
    states = signatory.locator("#plan-tasks tbody tr td:nth-child(8)").all_inner_texts()
    assert states and set(states) == {"已下达"}, states
    steps.shot(signatory, "31-plan-approved-january-assigned")
    row = signatory.locator("#plan-tasks tbody tr[data-variety=菠菜]", has_text="博乐市")
    return row.first.get_attribute("data-task")


def _receive_against_task(page, task_id: str) -> str:
    page.goto(f"/plans/tasks/{task_id}")
    with page.expect_navigation():
        page.click("#receive-against-task")
    assert f"plan_task={task_id}" in page.url
    fields = dict(task_type="supervision", food_name="菠菜", subcategory="菠菜",
                  business_name="博乐市农贸市场 21 号摊位", business_address="博乐市（e2e）",
                  sampled_on=dt.date.today().isoformat(), sampling_place="农贸市场",
                  sampler="李抽样", producer="精河县某蔬菜合作社", batch_number="E2E-01",
                  quantity="2", quantity_unit="kg", task_source="州级月度计划任务（靶向）",
                  sampling_form_no="BZ-E2E-0001", business_licence="JY16527010002121",
                  sampling_base="20 kg", producer_address="精河县托里镇",
                  condition_description="新鲜，装于洁净聚乙烯袋")
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.select_option("select[name=business_county]", label="博乐市")
    page.check("input[name=condition_ok][value=yes]")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    rows = page.locator("table.plan tbody tr")
    assert rows.count() > 1
    for row in rows.all():
        if CADMIUM not in row.inner_text():
            row.locator("input[type=checkbox]").check()
            row.locator("input[name^=reason_]").fill("靶向项目：本次只检镉")
    assert page.locator("#plan-task-note").count() == 1
    page.click("button[name=action][value=register]")
    page.wait_for_url(re.compile(r"/samples/(?!new)[^/?]+$"))
    assert not steps.flash_errors(page), steps.flash_errors(page)
    steps.shot(page, "32-received-against-task")
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_plan_month_task_receipt_alert_targeted_task(lab):
    year = dt.date.today().year + 1
    task_id = _make_and_approve_plan(lab, year)
    receiver = lab.person("receiver")
    number = _receive_against_task(receiver, task_id)
    receiver.goto(f"/plans/tasks/{task_id}")
    assert receiver.locator("#task-received").inner_text() == "1"
    assert number in receiver.locator("#task-samples").inner_text()

    # --- the sample to the bench, a failing cadmium result, three signatures ---------------
    steps.open_sample(receiver, number)
    steps.assign_labs(receiver, {CADMIUM: BZ_LAB})
    with receiver.expect_navigation():  # (steps.confirm_routing would retake screenshot 04)
        receiver.click("form[action$='/route'] button[type=submit]")
    assert not steps.flash_errors(receiver), steps.flash_errors(receiver)
    steps.receive(receiver, number, condition="完好")
    tech = lab.person("tech")
    steps.create_worksheet(tech, number, "镉 靶向")
    # (10 − 0.1) µg/L × 25 mL / (0.5000 g × 1000) = 0.495 mg/kg > 0.2 mg/kg
    assert steps.enter_results(tech, CADMIUM, {"c1": "10", "c0": "0.1", "V": "25",
                                               "m": "0.5000"}) == ("fail", "fail")
    steps.submit_results(tech, [CADMIUM])
    assert steps.sign_queue(lab.person("reviewer"), "/results/review", number, "reviewed") == 1
    assert steps.sign_queue(lab.person("signatory"), "/results/approval", number,
                            "approved") == 1

    # --- the alert the approval raised, turned into a targeted task -----------------------
    admin = lab.person("admin")
    # the evaluation is a job: at once without Redis, a moment later on the worker
    deadline = time.monotonic() + 30
    while True:
        admin.goto("/alerts/")
        row = admin.locator("#alerts tbody tr[data-kind=new_failure]", has_text="菠菜")
        if row.count() or time.monotonic() > deadline:
            break
        admin.wait_for_timeout(300)
    assert row.count() >= 1 and CADMIUM in row.first.inner_text(), \
        admin.locator("#alerts").inner_text()
    steps.shot(admin, "33-alert-after-failure")
    with admin.expect_navigation():
        row.first.locator("a").click()
    assert number in admin.locator("#alert-evidence").inner_text()
    with admin.expect_navigation():
        admin.click("#to-targeted")
    assert not steps.flash_errors(admin), steps.flash_errors(admin)
    tasks = admin.locator("#alert-tasks li").all_inner_texts()
    today = dt.date.today()
    next_month = 1 if today.month == 12 else today.month + 1
    assert tasks == [f"#{tasks[0].split()[0][1:]} 博乐市 {next_month}月 菠菜 × 5"], tasks
    assert admin.locator("#alert-state").inner_text() == "已确认"
    steps.shot(admin, "34-targeted-task-added")
    with admin.expect_navigation():
        admin.locator("#alert-tasks a").first.click()
    assert CADMIUM in admin.locator("main").inner_text()
    assert "靶向抽检" in admin.locator("main").inner_text()
