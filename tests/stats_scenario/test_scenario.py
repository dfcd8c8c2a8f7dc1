"""Issue 16's acceptance scenario: a known activity set built through the public interfaces
(samples, results, stations, confirmations and publication APIs, the worksheet page), every
figure of ``/api/v1/stats/targets`` and ``lims stats targets --json`` compared with the value
computed by hand below, incrementally and after ``lims stats rebuild``.

All in 博乐市 (population 281,209; the prefecture 488,198), year 2026; spinach (菠菜, 细类
34-6), lead (limit 0.3 mg/kg) and cadmium (0.2 mg/kg), 氧乐果 (0.02 mg/kg).  Every value sits
far from its limit (0.24 and 0.79 mg/kg lead, 0.12 mg/kg cadmium, 0.05 mg/kg 氧乐果): the
scenario does not depend on whether the worksheet judges the rounded or the unrounded value.

=====  ==============  ==========  =================================================
P1     监督抽检        2026-10-10  lead 0.24, cadmium 0.12: qualified
P2     监督抽检        2026-10-12  lead 0.79: fails
P3     监督抽检        2026-10-15  cancelled: counts nowhere
P4     监督抽检        2026-10-20  tests on a worksheet, no value: not tested
C1     委托检验        2026-10-22  lead 0.79 fails: commissioned, not a plan sample
E1     监督抽检        2026-08-01  before GB 2762-2025 (in force 2026-09-02): qualified
R1     快检阳性复检    2026-11-30  confirms the A-3 positive: 氧乐果 0.05 fails
R2     快检阳性复检    2026-11-30  for the A-4 positive: lead fails, 氧乐果 passes —
                                   another item: not confirmed
=====  ==============  ==========  =================================================

Rapid tests at BL-M01 (wholesale, 186 registered stalls; 精河's JH-M02 wholesale has 58):
stall A-1 written "A-1", "a-1", "A－1", "A 1"; A-2 negative then corrected; positives at A-3
and A-4; an upload naming stall Z-9 is refused whole.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from lims.extensions import db
from lims.users.roles import Role
from tests.conftest import PASSWORD, bearer

BOLE, PREFECTURE = 281209, 488198
YEAR = "2026"

LEAD_PASS = {"rho": "12.5", "rho0": "0.5", "V": "10", "m": "0.5000"}    # 0.24 mg/kg
LEAD_FAIL = {"rho": "40", "rho0": "0.5", "V": "10", "m": "0.5000"}      # 0.79 mg/kg
CADMIUM_PASS = {"c1": "2.5", "c0": "0.1", "V": "25", "m": "0.5000"}     # 0.12 mg/kg
OMETHOATE_FAIL = {"rho": "0.05", "V": "10", "f": "1", "m": "10.00"}     # 0.05 mg/kg
OMETHOATE_PASS = {"rho": "0.0005", "V": "10", "f": "1", "m": "10.00"}   # 0.0005 mg/kg


def per_1000(n: int, population: int) -> float:
    return round(n * 1000 / population, 2)


class Lab:
    """One lab's people and what they do through the APIs."""

    def __init__(self, client, make_user, code: str) -> None:
        tag = code.split("-")[0].lower()
        self.client, self.code = client, code
        self.receiver = bearer(make_user(f"{tag}r", org_code=code, roles=(Role.RECEIVER,)))
        self.tech_user = make_user(f"{tag}t", org_code=code, roles=(Role.TECHNICIAN,))
        self.tech = bearer(self.tech_user)
        self.reviewer = bearer(make_user(f"{tag}v", org_code=code, roles=(Role.REVIEWER,)))
        self.signer_user = make_user(f"{tag}s", org_code=code, roles=(Role.SIGNATORY,))
        self.signer = bearer(self.signer_user)

    def register(self, task: str, sampled_on: str, keep: set[str]) -> str:
        from lims.foods import services as foods

        items = foods.items_for(foods.find_subcategory("菠菜"))
        removed = {i.code: "本次不检" for i in items if i.analyte_key not in keep}
        # what the task's documents record (lims.samples.receipt.REQUIRED_BY_TASK)
        header = {"customer_name": "某餐饮公司", "customer_address": "博乐市某路 2 号"} \
            if task == "commissioned" else {
                "task_source": "2026年州级监督抽检", "sampling_form_no": f"CJ-{sampled_on}",
                "business_licence": "JY16527010000001", "sampler": "李抽样、王抽样",
                "sampling_base": "20 kg"}
        answer = self.client.post("/api/v1/samples", headers=self.receiver, json={
            "task_type": task, "food_name": "菠菜", "subcategory": "菠菜",
            "business_name": "博乐市某蔬菜经营户", "business_address": "博乐市某街 1 号",
            "business_county": "博乐市", "sampled_on": sampled_on, "producer": "某合作社",
            "producer_address": "博乐市某乡", "quantity": "2", "quantity_unit": "kg",
            "condition_ok": "yes", "condition_description": "新鲜，装于洁净塑料袋",
            "removed_items": removed, **header})
        assert answer.status_code == 201, answer.json
        number = answer.json["number"]
        active = [t for t in answer.json["tests"] if not t["removed"]]
        routed = self.client.post(f"/api/v1/samples/{number}/route", headers=self.receiver,
                                  json={"assignments": {str(t["id"]): self.code
                                                        for t in active}})
        assert routed.status_code == 200 and routed.json["samples"] == [number], routed.json
        received = self.client.post(f"/api/v1/samples/{number}/receive",
                                    headers=self.receiver, json={"condition": "完好"})
        assert received.status_code == 200, received.json
        return number

    def tests(self, number: str) -> dict[str, int]:
        assigned = self.client.get("/api/v1/results/assigned", headers=self.tech).json["tests"]
        return {t["item"]: t["test_id"] for t in assigned if t["sample"] == number}

    def result(self, test_id: int, inputs: dict) -> dict:
        made = self.client.post(f"/api/v1/results/tests/{test_id}", headers=self.tech,
                                json={"inputs": inputs})
        assert made.status_code == 201, made.json
        return made.json

    def approve(self, result: dict) -> None:
        for who, meaning in ((self.tech, "submitted"), (self.reviewer, "reviewed"),
                             (self.signer, "approved")):
            # the signatory confirms a 限量待核 limit against the standard (issue 13 item 7)
            signed = self.client.post(f"/api/v1/results/{result['id']}/sign", headers=who,
                                      json={"meaning": meaning, "password": PASSWORD,
                                            "confirm_limit": meaning == "approved"})
            assert signed.status_code == 201, signed.json

    def conclude(self, number: str, values: dict[str, dict]) -> dict[str, dict]:
        tests = self.tests(number)
        out = {}
        for item, inputs in values.items():
            out[item] = self.result(tests[item], inputs)
        for result in out.values():
            self.approve(result)
        return out


def _targets(client, headers, **params) -> dict:
    answer = client.get("/api/v1/stats/targets", headers=headers,
                        query_string={"year": YEAR, **params})
    assert answer.status_code == 200, answer.json
    return answer.json


def _cli_targets(app) -> dict:
    result = app.test_cli_runner().invoke(args=["stats", "targets", "--year", YEAR, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _bole(report: dict) -> dict:
    return next(r for r in report["counties"] if r["region"] == "博乐市")


def _check(report: dict, want: dict, pref: dict) -> None:
    bole = _bole(report)
    assert {k: bole[k] for k in want} == want
    assert {k: report["prefecture"][k] for k in pref} == pref


@pytest.fixture
def scenario(app, client, make_user, network, login, csrf_from):
    from lims.stations.services import load_demo_markets

    load_demo_markets()
    db.session.commit()
    return {"app": app, "client": client, "make_user": make_user, "login": login,
            "csrf_from": csrf_from}


def test_every_figure_as_the_plan_defines_it(scenario):
    client, app, make_user = scenario["client"], scenario["app"], scenario["make_user"]
    bz = Lab(client, make_user, "BZ-LAB")
    viewer = bearer(make_user("zhou", roles=(Role.SUPERVISOR,)))
    lead, cadmium, omethoate = "铅(以Pb计)", "镉(以Cd计)", "氧乐果"

    # --- 监督抽检 and the others ------------------------------------------------------------
    p1 = bz.register("supervision", "2026-10-10", {"铅", "镉"})
    p1_results = bz.conclude(p1, {lead: LEAD_PASS, cadmium: CADMIUM_PASS})
    assert p1_results[lead]["verdict"] == "pass"
    p2 = bz.register("supervision", "2026-10-12", {"铅", "镉"})
    assert bz.conclude(p2, {lead: LEAD_FAIL, cadmium: CADMIUM_PASS})[lead]["verdict"] == "fail"
    p3 = bz.register("supervision", "2026-10-15", {"铅", "镉"})
    cancelled = client.post(f"/api/v1/samples/{p3}/transitions", headers=bz.signer,
                            json={"status": "cancelled", "reason": "样品运输途中破损"})
    if cancelled.status_code == 403:  # cancelling is a receiver's (or manager's) act
        cancelled = client.post(f"/api/v1/samples/{p3}/transitions", headers=bz.receiver,
                                json={"status": "cancelled", "reason": "样品运输途中破损"})
    assert cancelled.status_code == 200, cancelled.json
    p4 = bz.register("supervision", "2026-10-20", {"铅", "镉"})
    browser = app.test_client()  # the technician's browser session (the worksheet page)
    form = browser.get("/login").get_data(as_text=True)
    browser.post("/login", data={"username": bz.tech_user.username, "password": PASSWORD,
                                 "csrf_token": scenario["csrf_from"](form)})
    page = browser.get("/results/").get_data(as_text=True)
    made = browser.post("/results/worksheets", data={
        "csrf_token": scenario["csrf_from"](page), "title": "P4",
        "test": [str(i) for i in bz.tests(p4).values()]})
    assert made.status_code == 302
    c1 = bz.register("commissioned", "2026-10-22", {"铅"})
    bz.conclude(c1, {lead: LEAD_FAIL})
    e1 = bz.register("supervision", "2026-08-01", {"铅", "镉"})
    e1_results = bz.conclude(e1, {lead: LEAD_PASS, cadmium: CADMIUM_PASS})
    # the edition in force on the sampling day decides the limit cited
    assert "2762-2022" in (e1_results[lead]["limit_standard"] or "")
    assert "2762-2025" in (p1_results[lead]["limit_standard"] or "")

    # by hand: tested P1, P2, E1 (P3 cancelled, P4 without a value, C1 commissioned)
    step1 = {"samples_tested": 3, "samples_per_1000": per_1000(3, BOLE),
             "samples_per_1000_meets": False, "residue_samples": 0,
             "supervision_concluded": 3, "supervision_failed": 1,
             "qualified_rate": round(2 / 3, 4), "qualified_meets": False,
             "key_concluded": 3, "key_failed": 1,
             "supervision_published": 0, "published_rate": 0.0, "published_meets": False}
    _check(_targets(client, viewer), step1,
           {"samples_tested": 3, "samples_per_1000": per_1000(3, PREFECTURE)})

    # --- publication: 监督抽检 results on a public notice -------------------------------------
    signer = bz.signer
    refused = client.post("/api/v1/publication/notices", headers=signer,
                          json={"samples": [p1, c1]})
    assert refused.status_code == 422 and "不是监督抽检" in refused.json["error"]
    refused = client.post("/api/v1/publication/notices", headers=signer,
                          json={"samples": [p4]})
    assert refused.status_code == 422 and "未批准" in refused.json["error"]
    assert client.post("/api/v1/publication/notices", headers=bz.tech,
                       json={"samples": [p1]}).status_code == 403
    n1 = client.post("/api/v1/publication/notices", headers=signer, json={"samples": [p1, p2]})
    assert n1.status_code == 201, n1.json
    assert [r["food_name"] for r in n1.json["qualified"]] == ["菠菜"]
    failed_row = n1.json["failed"][0]
    assert failed_row["failing_items"].startswith("铅(以Pb计)║0.79mg/kg║")
    assert failed_row["business_name"] == "博乐市某蔬菜经营户"
    assert failed_row["notice_number"] == n1.json["number"]
    n2 = client.post("/api/v1/publication/notices", headers=signer, json={
        "samples": [p1, p2], "replaces": n1.json["number"], "reason": "更正被抽样单位地址"})
    assert n2.status_code == 201 and n2.json["replaces"] == n1.json["number"]
    # P1 and P2 are on two notices: each counts once
    step2 = {**step1, "supervision_published": 2, "published_rate": round(2 / 3, 4)}
    _check(_targets(client, viewer), step2, {"supervision_published": 2})
    from lims.stats.period import Period
    from lims.stats.services import records

    waiting = records("unpublished", Period.year(2026), None)
    assert [row["number"] for row in waiting.rows] == [e1]  # what the rate still misses
    page = client.get(f"/public/notices/{n2.json['id']}").get_data(as_text=True)
    assert "食品安全监督抽检信息公告" in page and n1.json["number"] in page
    csv_text = client.get(f"/public/notices/{n2.json['id']}.csv").data.decode("utf-8-sig")
    assert "标称生产企业名称" in csv_text and "铅(以Pb计)║0.79mg/kg" in csv_text
    assert client.get(f"/public/notices/{n2.json['id']}.xlsx").status_code == 200
    assert client.post("/api/v1/publication/notices", headers=signer,
                       json={"samples": [e1]}).status_code == 201
    step2 = {**step2, "supervision_published": 3, "published_rate": 1.0,
             "published_meets": True}
    _check(_targets(client, viewer), step2, {"published_rate": 1.0})

    # --- the market registry and rapid tests ----------------------------------------------
    operator = bearer(make_user("sun", org_code="BL-ST01", roles=(Role.STATION_OPERATOR,)))

    def record(uid: str, stall: str, **changes) -> dict:
        values = {"uid": uid, "market": "BL-M01", "stall": stall, "vendor": "王记",
                  "food_name": "菠菜", "food_category": "蔬菜",
                  "test_item": "有机磷和氨基甲酸酯类农药", "method": "enzyme_inhibition",
                  "inhibition_pct": "12.0", "station_verdict": "negative",
                  "tested_at": "2026-11-30T10:00:00+08:00", "operator": "孙快检"}
        values.update(changes)
        return values

    unknown = client.post("/api/v1/stations/results", headers=operator, json={"records": [
        record("q-0", "A-1"), record("q-1", "Z-9")]})
    assert unknown.status_code == 422
    message = unknown.json["details"]["records"][0]["errors"]["stall"]
    assert "Z-9" in message and "已登记摊位" in message and "A-1" in message
    positive = {"inhibition_pct": "72.5", "station_verdict": "positive"}
    batch = client.post("/api/v1/stations/results", headers=operator, json={"records": [
        record("q-1", "A-1"), record("q-2", "a-1"), record("q-3", "A－1"),
        record("q-4", "A 1"), record("q-5", "A-2", inhibition_pct="35.0"),
        record("q-6", "A-3", **positive), record("q-7", "A-4", **positive)]})
    assert batch.status_code == 200, batch.json
    fix = client.post("/api/v1/stations/results", headers=operator, json={"records": [
        record("q-8", "A-2", inhibition_pct="25.0", corrects_uid="q-5",
               correction_reason="抑制率录入错误")]})
    assert fix.status_code == 200, fix.json
    # by hand: stalls A-1…A-4 of BL-M01's 186; current results 4 (A-1) + 1 (A-2, corrected)
    # + 2 positives = 7; the prefecture adds JH-M02's 58 stalls
    step3 = {**step2, "wholesale_stalls": 186, "wholesale_stalls_tested": 4,
             "rapid_testing_rate": round(4 / 186, 4), "rapid_testing_meets": False,
             "station_results": 7, "station_results_published": 0,
             "station_published_rate": 0.0, "rapid_positives": 2, "rapid_concluded": 0,
             "confirmation_rate": None}
    _check(_targets(client, viewer), step3, {"station_results": 7})
    shown = client.post("/api/v1/stations/publish", headers=operator,
                        json={"market": "BL-M01", "date": "2026-11-30"})
    assert shown.status_code == 200, shown.json
    # the 8 stored rows of the day are on the notice board; 7 are current (q-5 is replaced)
    step3 = {**step3, "station_results_published": 7, "station_published_rate": 1.0}
    _check(_targets(client, viewer), step3,
           {"wholesale_stalls": 244, "wholesale_stalls_tested": 4,
            "rapid_testing_rate": round(4 / 244, 4)})

    # --- confirmation: only a failure for a screened item confirms ------------------------
    tasks = client.get("/api/v1/stations/confirmations", headers=viewer).json["tasks"]
    by_stall = {t["result"]["stall"]: t for t in tasks}
    assert set(by_stall) == {"A-3", "A-4"}
    numbers, labs = {}, {"BZ-LAB": bz}
    for stall, values in (("A-3", {omethoate: OMETHOATE_FAIL, lead: LEAD_PASS}),
                          ("A-4", {omethoate: OMETHOATE_PASS, lead: LEAD_FAIL})):
        task = by_stall[stall]
        if task["lab"] not in labs:
            labs[task["lab"]] = Lab(client, make_user, task["lab"])
        lab = labs[task["lab"]]
        number = lab.register("rapid_retest", "2026-11-30", {"铅", "氧乐果"})
        linked = client.post(f"/api/v1/stations/confirmations/{task['id']}/sample",
                             headers=lab.receiver, json={"sample_number": number})
        assert linked.status_code == 200, linked.json
        results = lab.conclude(number, values)
        numbers[stall] = (number, results)
    assert numbers["A-3"][1][omethoate]["verdict"] == "fail"
    assert numbers["A-4"][1][lead]["verdict"] == "fail"
    tasks = {t["result"]["stall"]: t for t in
             client.get("/api/v1/stations/confirmations?status=all",
                        headers=viewer).json["tasks"]}
    assert (tasks["A-3"]["status"], tasks["A-4"]["status"]) == ("confirmed", "not_confirmed")

    # by hand: R1 and R2 are plan samples with concluded 氧乐果 (pesticide) results
    final = {**step3, "samples_tested": 5, "samples_per_1000": per_1000(5, BOLE),
             "residue_samples": 2, "residue_per_1000": per_1000(2, BOLE),
             "rapid_concluded": 2, "rapid_confirmed": 1, "confirmation_rate": 0.5}
    final_pref = {"samples_tested": 5, "samples_per_1000": per_1000(5, PREFECTURE),
                  "residue_samples": 2, "supervision_concluded": 3, "supervision_failed": 1,
                  "supervision_published": 3, "published_rate": 1.0,
                  "wholesale_stalls": 244, "wholesale_stalls_tested": 4,
                  "rapid_positives": 2, "rapid_confirmed": 1, "confirmation_rate": 0.5}
    api = _targets(client, viewer)
    _check(api, final, final_pref)
    _check_varieties_and_failures(client, viewer, api)
    assert _cli_targets(app)["counties"] == api["counties"]
    station_cli = app.test_cli_runner().invoke(
        args=["stations", "confirmation-rate", "--period", YEAR])
    assert station_cli.exit_code == 0, station_cli.output
    assert {k: json.loads(station_cli.output)[k] for k in ("positives", "concluded",
                                                          "confirmed", "rate")} \
        == {"positives": 2, "concluded": 2, "confirmed": 1, "rate": "0.500"}

    # --- after a full rebuild: the same figures ---------------------------------------------
    rebuilt = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    again = _targets(client, viewer)
    _check(again, final, final_pref)
    _check_varieties_and_failures(client, viewer, again)
    assert again["counties"] == api["counties"] and again["prefecture"] == api["prefecture"]
    assert _cli_targets(app)["prefecture"] == api["prefecture"]

    # --- a report that failed to issue, then was retried: counted once -----------------------
    # No lab key was configured, so every approval above failed to issue its report: no
    # report counts toward the turnaround figure, and the other figures do not depend on it.
    assert again["prefecture"]["turnaround_reports"] == 0
    from lims.reports.signing import init_dev_pki, init_lab_key

    keys = init_dev_pki(Path(app.instance_path) / "scenario-keys", lab_name="BZ-LAB")
    init_lab_key(keys.ca_cert.parent, "BZ-LAB", "博州食品药品检验检测中心")
    app.config.update(SIGNING_DIR=str(keys.lab_pkcs12.parent))
    retry = app.test_cli_runner().invoke(
        args=["reports", "issue", p1, "--user", bz.signer_user.username])
    assert retry.exit_code == 0, retry.output
    twice = app.test_cli_runner().invoke(
        args=["reports", "issue", p1, "--user", bz.signer_user.username])
    assert twice.exit_code != 0  # already issued: not a second report
    after_retry = _targets(client, viewer)
    # by hand: one report (P1's), whatever the failed attempts before it
    assert after_retry["prefecture"]["turnaround_reports"] == 1
    _check(after_retry, final, final_pref)
    rebuilt = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _targets(client, viewer)["prefecture"]["turnaround_reports"] == 1


def _check_varieties_and_failures(client, viewer, report: dict) -> None:
    # 菠菜 (细类 34-6): P1, P2, P4, E1, R1, R2 — not P3 (cancelled) nor C1 (commissioned)
    assert [(r["food_name"], r["samples"], r["meets"]) for r in report["varieties"]["rows"]] \
        == [("菠菜", 6, False)]
    # failure charts: 监督抽检 by default (P2's lead); the others only when chosen
    assert report["failures"]["task_type"] == "supervision"
    assert report["failures"]["items"] == [{"item": "铅(以Pb计)", "results": 1}]
    assert report["failures"]["foods"] == [{"food": "菠菜", "samples": 1}]
    commissioned = _targets(client, viewer, task="commissioned")["failures"]
    assert commissioned["items"] == [{"item": "铅(以Pb计)", "results": 1}]
    retest = _targets(client, viewer, task="rapid_retest")["failures"]
    assert retest["items"] == [{"item": "氧乐果", "results": 1},
                               {"item": "铅(以Pb计)", "results": 1}]


def test_definitions_are_documented_once():
    from lims.stats import definitions as df

    for key, definition in df.FIGURES.items():
        assert definition.text and definition.label, key
    # targets are compared on unrounded values
    assert df.meets(Decimal("3.995"), df.TARGETS["samples_per_1000"]) is False
    assert df.meets(df.ratio(95998, 100000), df.TARGETS["qualified"]) is False
    assert df.shown(Decimal("0.95998")) == 0.96
