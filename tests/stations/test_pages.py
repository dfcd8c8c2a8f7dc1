"""Station pages: hand entry on a phone, CSV upload, the day view, 公示 and corrections, and the
lab's side of a confirmation task."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lims.extensions import db
from lims.stations.models import ConfirmationTask, StationResult
from lims.users.roles import Role

URL = "/api/v1/stations/results"


def _form(client, csrf_from, url: str, **fields) -> tuple[dict, str]:
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    import re

    uid = re.search(r'name="uid" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_from(html), "uid": uid, "market": "BL-M01", "stall": "A-3",
            "vendor": "赵大姐", "food_name": "小白菜", "food_category": "蔬菜",
            "test_item": "有机磷和氨基甲酸酯类农药", "method": "enzyme_inhibition",
            "inhibition_pct": "23.4", "tc_ratio": "", "tc_cutoff": "", "kit_result": "",
            "station_verdict": "negative", "tested_at": "", "operator": "孙快检",
            "instrument_serial": "PR-2024-0117", "kit_lot": "K20261101"}
    data.update(fields)
    return data, html


def test_hand_entry_on_a_phone_saves_once(client, login, csrf_from, bl_operator, today,
                                         morning, count):
    login("sun")
    data, html = _form(client, csrf_from, "/stations/new",
                       tested_at=f"{morning:%Y-%m-%dT%H:%M}")
    assert 'name="viewport"' in html and 'inputmode="decimal"' in html
    resp = client.post("/stations/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    # a double tap on "save" sends the same form (same uid): still one result
    client.post("/stations/new", data=data)
    assert count(StationResult) == 1
    day = client.get(f"/stations/?date={today}").get_data(as_text=True)
    assert "小白菜" in day and "23.4%" in day


def test_hand_entry_names_the_missing_reading(client, login, csrf_from, bl_operator, morning,
                                              count):
    login("sun")
    data, _ = _form(client, csrf_from, "/stations/new", inhibition_pct="",
                    tested_at=f"{morning:%Y-%m-%dT%H:%M}")
    resp = client.post("/stations/new", data=data)
    assert resp.status_code == 422
    assert 'data-field="inhibition_pct"' in resp.get_data(as_text=True)
    assert count(StationResult) == 0


def test_csv_upload_page_lists_bad_lines(client, login, csrf_from, bl_operator, morning,
                                         count):
    import io

    login("sun")
    page = client.get("/stations/upload").get_data(as_text=True)
    header = "uid,market,stall,food_name,food_category,test_item,method,inhibition_pct," \
             "station_verdict,tested_at,operator\n"
    good = f"U-1,BL-M01,A-21,芹菜,蔬菜,有机磷和氨基甲酸酯类农药,enzyme_inhibition,11.0,negative,{morning.isoformat()},孙快检\n"
    bad = f"U-2,BL-M09,D-2,芹菜,蔬菜,有机磷和氨基甲酸酯类农药,enzyme_inhibition,11.0,negative,{morning.isoformat()},孙快检\n"
    resp = client.post("/stations/upload", data={
        "csrf_token": csrf_from(page),
        "file": (io.BytesIO((header + good + bad).encode()), "reader.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "BL-M09" in resp.get_data(as_text=True) and count(StationResult) == 0
    resp = client.post("/stations/upload", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO((header + good).encode()), "r.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 302 and count(StationResult) == 1


def test_published_results_are_public_and_a_correction_shows_both(
        app, client, login, csrf_from, bl_operator, token_for, record, today):
    from lims.stations.services import StationError

    auth = token_for(bl_operator)
    wrong = record(stall="A-12", food_name="豇豆", inhibition_pct="55.0",
                   station_verdict="positive")
    other = record(market="BL-M02", food_name="黄瓜")
    client.post(URL, json={"records": [wrong, other]}, headers=auth)
    # nothing is public before the market posts its results
    public = f"/public/markets/BL-M01/?date={today}"
    assert "豇豆" not in client.get(public).get_data(as_text=True)
    resp = client.post("/api/v1/stations/publish",
                       json={"market": "BL-M01", "date": today.isoformat()}, headers=auth)
    assert resp.get_json()["published"] == 1
    page = client.get(public)
    assert page.status_code == 200  # no login
    html = page.get_data(as_text=True)
    assert "豇豆" in html and "A-12" in html and "阳性" in html and "黄瓜" not in html

    # a published result cannot be changed silently ...
    stored = db.session.scalar(sa.select(StationResult).where(StationResult.uid == wrong["uid"]))
    stored.station_verdict = "negative"
    with pytest.raises(StationError):
        db.session.flush()
    db.session.rollback()
    # ... it is corrected by a new record that references it, with a reason
    fix = record(stall="A-12", food_name="豇豆", inhibition_pct="35.0",
                 station_verdict="negative", corrects_uid=wrong["uid"],
                 correction_reason="复测：第一次测定时酶试剂已过期")
    resp = client.post(URL, json={"records": [fix]}, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    html = client.get(public).get_data(as_text=True)
    # both rows are on the page: the original (marked corrected) and the correction
    assert f'data-uid="{wrong["uid"]}"' in html and f'data-uid="{fix["uid"]}"' in html
    assert html.count("复测：第一次测定时酶试剂已过期") == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(StationResult.station_verdict).where(
        StationResult.uid == wrong["uid"])).value == "positive"
    # and a correction needs its reason
    resp = client.post(URL, json={"records": [record(corrects_uid=wrong["uid"])]}, headers=auth)
    assert resp.status_code == 422
    assert "correction_reason" in resp.get_json()["details"]["records"][0]["errors"]


def test_publish_from_the_day_view(client, login, csrf_from, bl_operator, token_for, record,
                                   today):
    client.post(URL, json={"records": [record()]}, headers=token_for(bl_operator))
    login("sun")
    page = client.get(f"/stations/?date={today}").get_data(as_text=True)
    resp = client.post("/stations/publish", data={"csrf_token": csrf_from(page),
                                                  "market": "BL-M01", "date": today.isoformat()})
    assert resp.status_code == 302
    assert "菠菜" in client.get(f"/public/markets/BL-M01/?date={today}").get_data(as_text=True)
    assert "博乐市农产品批发市场" in client.get("/public/markets/").get_data(as_text=True)


@pytest.fixture
def bl_receiver(make_user):
    return make_user("chen", org_code="BL-LAB", roles=(Role.RECEIVER,), display_name="陈接收")


def _retest_sample(receiver, today, **changes):
    from lims.samples.receipt import ReceiptInput
    from lims.samples.services import register_sample

    values = dict(task_type="rapid_retest", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
                  business_name="博乐市农产品批发市场 A-7 摊位", business_county="博乐市",
                  sampled_on=today.isoformat(), quantity="1", quantity_unit="kg",
                  condition_ok="yes")
    values.update(changes)
    sample = register_sample(ReceiptInput(**values), receiver)
    db.session.commit()
    return sample


def test_the_lab_links_its_sample_and_the_agreement_is_shown(
        client, login, csrf_from, bl_operator, bl_receiver, token_for, record, today,
        monkeypatch):
    from lims.stations import confirmation

    positive = record(stall="A-7", inhibition_pct="72.5", station_verdict="positive")
    body = client.post(URL, json={"records": [positive]}, headers=token_for(bl_operator)
                       ).get_json()
    result_id = body["records"][0]["id"]
    task = db.session.get(ConfirmationTask, body["records"][0]["confirmation_task_id"])
    supervision = _retest_sample(bl_receiver, today, task_type="supervision")
    sample = _retest_sample(bl_receiver, today)

    login("chen")
    tasks = client.get("/stations/confirmations").get_data(as_text=True)
    assert "A-7" in tasks and "菠菜" in tasks
    page = client.get(f"/stations/results/{result_id}").get_data(as_text=True)
    assert 'data-agreement="awaiting_sample"' in page
    # a sample of another task type is refused
    resp = client.post(f"/stations/confirmations/{task.id}/sample",
                       data={"csrf_token": csrf_from(page),
                             "sample_number": supervision.number}, follow_redirects=True)
    assert "快检阳性复检" in resp.get_data(as_text=True)
    client.post(f"/stations/confirmations/{task.id}/sample",
                data={"csrf_token": csrf_from(page), "sample_number": sample.number})
    db.session.expire_all()
    assert task.sample_id == sample.id and task.status.value == "sample_registered"

    # the lab's result (lims.results) says the sample fails for an item the rapid test
    # screens for (an organophosphate): the rapid positive is confirmed
    class Line:
        def __init__(self, test, verdict):
            self.sample_test, self.verdict, self.status = test, verdict, "approved"
            self.reported_value, self.unit = "0.52", "mg/kg"

    tests = sample.active_tests
    screened = next(t for t in tests
                    if confirmation.screened_by(task.station_result, t.test_item))
    monkeypatch.setattr(confirmation, "_lab_results",
                        lambda s: [Line(t, "fail" if t is screened else "pass")
                                   for t in s.active_tests])
    page = client.get(f"/stations/results/{result_id}").get_data(as_text=True)
    assert 'data-agreement="confirmed"' in page and "72.5%" in page
    assert screened.test_item.name_zh in page
    db.session.expire_all()
    assert task.status.value == "confirmed"
    rate = confirmation.confirmation_rate((today - dt.timedelta(days=1), today))
    assert (rate.positives, rate.concluded, rate.confirmed) == (1, 1, 1) and rate.rate == 1
    assert confirmation.confirmation_rate(today.strftime("%Y-%m"), region="652722").positives == 0


def test_agreement_waits_for_results_when_the_results_package_is_absent(
        client, bl_operator, bl_receiver, token_for, record, today, monkeypatch):
    from lims.stations import confirmation

    body = client.post(URL, json={"records": [record(inhibition_pct="80",
                                                     station_verdict="positive")]},
                       headers=token_for(bl_operator)).get_json()
    task = db.session.get(ConfirmationTask, body["records"][0]["confirmation_task_id"])
    confirmation.link_sample(task, _retest_sample(bl_receiver, today), bl_receiver)
    monkeypatch.setattr(confirmation, "_lab_results", lambda s: None)
    assert confirmation.agreement(task).state == "results_unavailable"
    monkeypatch.setattr(confirmation, "_lab_results", lambda s: [])
    assert confirmation.agreement(task).state == "awaiting_result"


def test_pages_respect_the_station_boundary(client, login, bl_operator, jh_operator, token_for,
                                            record):
    body = client.post(URL, json={"records": [record()]}, headers=token_for(bl_operator)
                       ).get_json()
    login("zheng")
    assert client.get(f"/stations/results/{body['records'][0]['id']}").status_code == 404
    assert client.get("/stations/?station=BL-ST01").status_code == 404
    nav = client.get("/stations/").get_data(as_text=True)
    assert "精河县农贸市场" in nav


def test_with_the_real_results_package_a_linked_sample_waits_for_its_results(
        client, bl_operator, bl_receiver, token_for, record, today, monkeypatch):
    import importlib.util

    from lims.stations import confirmation

    body = client.post(URL, json={"records": [record(inhibition_pct="91",
                                                     station_verdict="positive")]},
                       headers=token_for(bl_operator)).get_json()
    task = db.session.get(ConfirmationTask, body["records"][0]["confirmation_task_id"])
    sample = _retest_sample(bl_receiver, today)
    confirmation.link_sample(task, sample, bl_receiver)
    db.session.commit()
    expected = "awaiting_result" if importlib.util.find_spec("lims.results") else \
        "results_unavailable"
    assert confirmation.agreement(task).state == expected
    # the results package's approval signal closes the task with the lab's conclusion
    monkeypatch.setattr(confirmation, "_lab_results", lambda s: [
        type("R", (), {"sample_test": t, "verdict": "pass", "status": "approved",
                       "reported_value": "未检出", "unit": "mg/kg"})()
        for t in s.active_tests])
    confirmation.on_sample_approved(sample, user=bl_receiver)
    db.session.expire_all()
    assert task.status.value == "not_confirmed" and task.closed_at is not None
    rate = confirmation.confirmation_rate(today.strftime("%Y-%m"), region="652701")
    assert (rate.positives, rate.concluded, rate.confirmed, rate.rate) == (1, 1, 0, 0)
