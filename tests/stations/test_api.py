"""The station API: batches stored exactly once, all or nothing, for the token's station only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lims.extensions import db
from lims.stations.models import ConfirmationTask, StationBatch, StationResult
from lims.users.roles import Role

URL = "/api/v1/stations/results"


def test_a_batch_of_500_is_stored_once_and_a_retry_gets_the_same_answer(
        client, bl_operator, token_for, record, count):
    auth = token_for(bl_operator)
    batch = [record() for _ in range(499)] + [record(inhibition_pct="66.3",
                                                     station_verdict="positive")]
    first = client.post(URL, json={"records": batch}, headers=auth)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["accepted"] == 500 and body["positives"] == 1
    assert [r["uid"] for r in body["records"]] == [r["uid"] for r in batch]
    assert first.headers["Idempotent-Replayed"] == "false"
    assert count(StationResult) == 500 and count(StationBatch) == 1

    # the connection dropped before the answer arrived: the agent sends the same batch again
    again = client.post(URL, json={"records": batch}, headers=auth)
    assert again.status_code == 200
    assert again.get_json() == body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(StationResult) == 500 and count(StationBatch) == 1
    assert count(ConfirmationTask) == 1


def test_the_same_uid_with_other_content_is_a_conflict_and_nothing_is_stored(
        client, bl_operator, token_for, record, count):
    auth = token_for(bl_operator)
    kept = record()
    assert client.post(URL, json={"records": [kept]}, headers=auth).status_code == 200
    changed = dict(kept, inhibition_pct="71.0", station_verdict="positive")
    fresh = record()
    resp = client.post(URL, json={"records": [fresh, changed]}, headers=auth)
    assert resp.status_code == 409
    problems = resp.get_json()["details"]["records"]
    assert problems == [{"index": 1, "uid": kept["uid"],
                         "errors": {"uid": f"uid {kept['uid']} 已用于另一条内容不同的记录"}}]
    assert count(StationResult) == 1  # the fresh record of the refused batch is not stored


def test_one_invalid_record_in_500_refuses_the_whole_batch(client, bl_operator, token_for,
                                                           record, count):
    auth = token_for(bl_operator)
    batch = [record() for _ in range(500)]
    batch[137] = record(inhibition_pct="150", stall="")
    batch[401] = record(method="colloidal_gold", test_item="克伦特罗", inhibition_pct=None,
                        tc_ratio="0.42", food_name="猪肉", food_category="畜禽肉")
    resp = client.post(URL, json={"records": batch}, headers=auth)
    assert resp.status_code == 422
    listed = {p["index"]: p for p in resp.get_json()["details"]["records"]}
    assert sorted(listed) == [137, 401]
    assert listed[137]["errors"] == {"stall": "不能为空",
                                     "inhibition_pct": "抑制率 150% 超出 -100~100"}
    assert listed[401]["uid"] == batch[401]["uid"]
    assert "临界值" in listed[401]["errors"]["tc_cutoff"]
    assert count(StationResult) == 0 and count(StationBatch) == 0


def test_limits_on_batch_size_and_request_size(app, client, bl_operator, token_for, record,
                                               count):
    auth = token_for(bl_operator)
    resp = client.post(URL, json={"records": [record() for _ in range(1001)]}, headers=auth)
    assert resp.status_code == 413 and "1000" in resp.get_json()["error"]
    app.config["STATION_MAX_BATCH_BYTES"] = 4000
    resp = client.post(URL, json={"records": [record() for _ in range(20)]}, headers=auth)
    assert resp.status_code == 413 and "4000" in resp.get_json()["error"]
    assert count(StationResult) == 0


def test_unknown_fields_and_naive_times_are_named(client, bl_operator, token_for, record):
    auth = token_for(bl_operator)
    resp = client.post(URL, json={"records": [record(colour="red"),
                                              record(tested_at="2026-11-28T08:00:00")]},
                       headers=auth)
    assert resp.status_code == 422
    errors = [p["errors"] for p in resp.get_json()["details"]["records"]]
    assert errors[0] == {"colour": "未知字段"}
    assert "时区" in errors[1]["tested_at"]
    assert client.post(URL, data="not json", headers={**auth, "Content-Type":
                                                      "application/json"}).status_code == 400


def test_the_server_rejudges_and_flags_a_disagreement(client, bl_operator, token_for, record):
    auth = token_for(bl_operator)
    batch = [record(inhibition_pct="62.0", station_verdict="negative"),
             record(inhibition_pct="50", station_verdict="positive"),
             record(method="colloidal_gold", test_item="克伦特罗", food_name="猪肉",
                    food_category="畜禽肉", inhibition_pct=None, tc_ratio="0.40",
                    tc_cutoff="0.80", station_verdict="negative"),
             record(method="other_kit", test_item="甲醛", inhibition_pct=None,
                    kit_result="negative", station_verdict="negative")]
    body = client.post(URL, json={"records": batch}, headers=auth).get_json()
    outcome = [(r["server_verdict"], r["disagreement"]) for r in body["records"]]
    assert outcome == [("positive", True), ("positive", False), ("positive", True),
                       ("negative", False)]
    assert body["disagreements"] == 2
    # a positive by either judgement opens a confirmation task
    assert [r["confirmation_task_id"] is not None for r in body["records"]] == \
        [True, True, True, False]
    stored = db.session.scalar(sa.select(StationResult).where(
        StationResult.uid == batch[0]["uid"]))
    assert "62.0% ≥ 50%" in stored.server_reason


def test_a_positive_opens_exactly_one_task_at_the_right_lab(client, bl_operator, jh_operator,
                                                            token_for, record, network, today,
                                                            count):
    spinach = record(inhibition_pct="70.2", station_verdict="positive")
    resp = client.post(URL, json={"records": [spinach]}, headers=token_for(bl_operator))
    task_id = resp.get_json()["records"][0]["confirmation_task_id"]
    client.post(URL, json={"records": [spinach]}, headers=token_for(bl_operator))  # retry
    assert count(ConfirmationTask) == 1
    task = db.session.get(ConfirmationTask, task_id)
    # Bole's county lab declared pesticide residues in vegetables
    assert task.lab_org.code == "BL-LAB" and task.status.value == "open"
    assert task.due_on > today and task.sample_id is None
    # Jinghe's county lab has no veterinary-drug capability: the prefecture lab confirms
    pork = record(uid="JH-1", market="JH-M01", method="colloidal_gold", test_item="克伦特罗",
                  food_name="猪肉", food_category="畜禽肉", inhibition_pct=None,
                  tc_ratio="0.35", tc_cutoff="0.80", station_verdict="positive")
    resp = client.post(URL, json={"records": [pork]}, headers=token_for(jh_operator))
    assert resp.status_code == 200, resp.get_json()
    task = db.session.get(ConfirmationTask, resp.get_json()["records"][0]["confirmation_task_id"])
    assert task.lab_org.code == "BZ-LAB" and "州级" in task.lab_reason


def test_a_station_token_acts_for_its_own_station_only(client, app, bl_operator, jh_operator,
                                                       token_for, record, make_user, count):
    jh = token_for(jh_operator)
    resp = client.post(URL, json={"records": [record(market="BL-M01")]}, headers=jh)
    assert resp.status_code == 422
    assert resp.get_json()["details"]["records"][0]["errors"]["market"] == \
        "市场 BL-M01 不存在或不属于本快检室"
    client.post(URL, json={"records": [record()]}, headers=token_for(bl_operator))
    # nor read another station's day, nor the labs' records
    assert client.get("/api/v1/stations/results?market=BL-M01", headers=jh).status_code == 404
    assert client.get("/api/v1/stations/results", headers=jh).get_json()["results"] == []
    assert client.get("/api/v1/samples", headers=jh).get_json()["samples"] == []
    assert client.post("/api/v1/samples", json={}, headers=jh).status_code == 403
    assert client.get("/api/v1/instruments/BZ-BAL-01", headers=jh).status_code == 404
    assert client.get("/api/v1/orgs/BL-ST01", headers=jh).status_code == 404
    # and a lab technician cannot upload station results
    tech = make_user("wang", org_code="BL-LAB", roles=(Role.TECHNICIAN,))
    resp = client.post(URL, json={"records": [record(uid="x-1")]}, headers=token_for(tech))
    assert resp.status_code == 403
    assert client.post(URL, json={"records": [record(uid="x-2")]}).status_code == 401
    assert count(StationResult) == 1


def test_csv_export_of_a_reader(client, bl_operator, token_for, morning, count):
    auth = {**token_for(bl_operator), "Content-Type": "text/csv"}
    csv_text = (
        "记录编号,市场编号,摊位号,经营户,样品名称,食品类别,检测项目,检测方法,抑制率,结论,检测时间,检测员,仪器序列号,原始数据\n"
        f"R-1,BL-M01,A-17,李四,韭菜,蔬菜,有机磷和氨基甲酸酯类农药,酶抑制法,58.1,阳性,{morning.isoformat()},孙快检,PR-2024-0117,\"$PR,1,S-1,0.310,0.130,58.1,POS*00\"\n"
        f"R-2,BL-M01,A-8,,白菜,蔬菜,有机磷和氨基甲酸酯类农药,酶抑制法,12.0,阴性,{(morning + dt.timedelta(minutes=1)).isoformat()},孙快检,PR-2024-0117,\n"
    )
    resp = client.post("/api/v1/stations/results.csv", data=csv_text.encode("utf-8"),
                       headers=auth)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["positives"] == 1
    assert count(StationResult) == 2 and count(ConfirmationTask) == 1
    # the same export in GB18030 (as Excel on a Chinese Windows saves it) is the same batch
    again = client.post("/api/v1/stations/results.csv", data=csv_text.encode("gb18030"),
                        headers=auth)
    assert again.get_json() == resp.get_json() and count(StationResult) == 2
    bad = csv_text.replace("12.0,阴性", "abc,阴性").replace("R-1,", "R-9,").replace("R-2,", "R-10,")
    resp = client.post("/api/v1/stations/results.csv", data=bad.encode(), headers=auth)
    assert resp.status_code == 422
    [problem] = resp.get_json()["details"]["records"]
    assert problem["line"] == 3 and "inhibition_pct" in problem["errors"]
    assert count(StationResult) == 2


def test_day_view_and_markets_of_the_station(client, bl_operator, token_for, record, today):
    auth = token_for(bl_operator)
    client.post(URL, json={"records": [record(), record(market="BL-M02")]}, headers=auth)
    markets = client.get("/api/v1/stations/markets", headers=auth).get_json()["markets"]
    assert [m["code"] for m in markets] == ["BL-M01", "BL-M02", "BL-M03"]
    assert markets[0]["name"] == "博乐市农产品批发市场" and markets[0]["kind"] == "wholesale"
    day = client.get(f"/api/v1/stations/results?date={today}&market=BL-M02",
                     headers=auth).get_json()
    assert [r["market"] for r in day["results"]] == ["BL-M02"]
    assert client.get("/api/v1/stations/results?date=yesterday",
                      headers=auth).status_code == 422


def test_the_lab_links_its_confirmation_sample_through_the_api(client, bl_operator, make_user,
                                                               token_for, record, today):
    from lims.samples.receipt import ReceiptInput
    from lims.samples.services import register_sample

    body = client.post(URL, json={"records": [record(inhibition_pct="68.0",
                                                     station_verdict="positive")]},
                       headers=token_for(bl_operator)).get_json()
    task_id = body["records"][0]["confirmation_task_id"]
    receiver = make_user("chen", org_code="BL-LAB", roles=(Role.RECEIVER,))
    lab = token_for(receiver)
    listed = client.get("/api/v1/stations/confirmations", headers=lab).get_json()["tasks"]
    assert [(t["id"], t["lab"], t["agreement"]) for t in listed] == [
        (task_id, "BL-LAB", "awaiting_sample")]
    assert listed[0]["result"]["inhibition_pct"] == "68.0"
    sample = register_sample(ReceiptInput(
        task_type="rapid_retest", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
        business_name="博乐市农产品批发市场", business_county="博乐市",
        sampled_on=today.isoformat(), quantity="1", quantity_unit="kg", condition_ok="yes"),
        receiver)
    db.session.commit()
    url = f"/api/v1/stations/confirmations/{task_id}/sample"
    resp = client.post(url, json={"sample_number": sample.number}, headers=lab)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "sample_registered"
    assert resp.get_json()["sample"] == sample.number
    assert client.post(url, json={"sample_number": sample.number},
                       headers=lab).status_code == 409
    # the station sees its result's task; another lab does not
    station_view = client.get("/api/v1/stations/confirmations?status=all",
                              headers=token_for(bl_operator)).get_json()["tasks"]
    assert [t["sample"] for t in station_view] == [sample.number]
    other = token_for(make_user("wu", org_code="JH-LAB", roles=(Role.RECEIVER,)))
    assert client.get("/api/v1/stations/confirmations", headers=other).get_json()["tasks"] == []
    assert client.post(url, json={"sample_number": sample.number},
                       headers=other).status_code == 404


def test_cli_lists_markets_and_the_confirmation_rate(app, markets, today):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["stations", "markets"])
    assert out.exit_code == 0 and "BL-M01" in out.output and "186" in out.output
    out = runner.invoke(args=["stations", "confirmation-rate", "--period",
                              today.strftime("%Y-%m")])
    assert out.exit_code == 0, out.output
    assert '"positives": 0' in out.output and '"rate": null' in out.output
    bad = runner.invoke(args=["stations", "confirmation-rate", "--period", "last-month"])
    assert bad.exit_code != 0 and "YYYY" in bad.output


def test_nul_characters_are_refused_as_the_clients_error(client, bl_operator, token_for, record,
                                                         count):
    auth = token_for(bl_operator)
    resp = client.post(URL, json={"records": [record(stall="A-\x0012")]}, headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["details"]["records"][0]["errors"] == {"stall": "含有不可见的控制字符"}
    assert client.get("/api/v1/samples/BL%00", headers=auth).status_code == 400
    assert client.get("/api/v1/samples?q=%00", headers=auth).status_code == 400
    assert client.post("/api/v1/stations/publish", json={"market": "\x00", "date": "2026-11-28"},
                       headers=auth).status_code == 422
    assert count(StationResult) == 0
