"""Drug pages (receipt refused with Chinese field errors, entry, monograph with its
unverified marks) and the dashboard's drug figures beside the food figures."""

from __future__ import annotations

import sqlalchemy as sa

from lims.drugs import entry
from lims.drugs.figures import drug_figures, local_essential_medicines
from lims.drugs.models import DrugSample
from lims.extensions import db
from lims.results import services as results
from lims.users.roles import Role
from tests.conftest import PASSWORD
from tests.drugs_db.conftest import paracetamol

RECEIPT = dict(task_type="supervision", monograph="对乙酰氨基酚片", generic_name="对乙酰氨基酚片",
               strength="0.5g", approval_number="国药准字H20000001", batch_number="20260901",
               expiry="2028-08-31", manufacturer="某制药有限公司", holder="",
               sampling_unit="博州市场监督管理局", link="distribution",
               business_name="博乐市某大药房", business_county="", sampled_on="2026-11-20",
               quantity="3", quantity_unit="盒", condition_ok="yes",
               manufacturer_address="某省某市工业园区 1 号", task_source="2026年药品监督抽检计划",
               sampling_form_no="YP-2026-0001", business_licence="新AA9090001",
               business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样",
               sampling_base="20 盒", condition_description="包装完好，在有效期内")


def test_receipt_page_refuses_with_field_errors_then_registers(client, login, people,
                                                               csrf_from):
    login("li")
    page = client.get("/drugs/new")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    bad = dict(RECEIPT, approval_number="123", csrf_token=token)
    refused = client.post("/drugs/new", data=bad)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "批准文号格式不正确" in html and 'data-field="business_county"' in html
    assert db.session.scalar(sa.select(sa.func.count(DrugSample.sample_id))) == 0
    done = client.post("/drugs/new", data=dict(RECEIPT, business_county="博乐市",
                                               csrf_token=token))
    assert done.status_code == 302
    number = done.headers["Location"].rsplit("/", 1)[-1]
    detail = client.get(f"/samples/{number}").get_data(as_text=True)
    assert 'id="drug-panel"' in detail and "国药准字H20000001" in detail


def test_entry_page_saves_and_shows_verdict(client, login, received, csrf_from):
    login("wang")
    page = client.get(f"/drugs/samples/{received.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "溶出度" in html
    test = next(t for t in received.active_tests if t.test_item.name_zh == "溶出度")
    token = csrf_from(html)
    refused = client.post(f"/drugs/samples/{received.number}/tests/{test.id}",
                          data={"csrf_token": token, "first": "80 80 80"})
    assert refused.status_code == 422
    assert "溶出度初试应为 6 个单位，实际 3 个" in refused.get_data(as_text=True)
    saved = client.post(f"/drugs/samples/{received.number}/tests/{test.id}",
                        data={"csrf_token": token, "first": "78 72 85 90 88 87"},
                        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert 'data-verdict="pass"' in html and "平均 83.33%" in html  # 500 / 6
    assert 'data-sign="submitted"' in html


def test_monograph_page_marks_unverified(client, login, people):
    login("li")
    html = client.get("/drugs/").get_data(as_text=True)
    assert html.count("badge warn") == 15  # every shipped monograph is unverified
    from lims.drugs.services import find_monograph

    record = find_monograph("布洛芬缓释胶囊")
    page = client.get(f"/drugs/monographs/{record.id}").get_data(as_text=True)
    assert "释放度" in page and "通则0931" in page


def _approve_all(sample, people, *, fail_dissolution=False):
    values = {
        "性状": {"conforms": "1", "evidence": "白色片"},
        "鉴别": {"conforms": "1", "evidence": "一致"},
        "对氨基酚": {"value": "0.03"},
        "溶出度": {"first": "70 70 70 85 85 85" if fail_dissolution else "85 85 85 85 85 85"},
        "重量差异": {"weights": " ".join(["0.52"] * 20)},
        "含量测定": {"found": "0.5"},
    }
    found = [entry.enter_drug_result(t, people["tech"], values[t.test_item.name_zh])
             for t in sample.active_tests]
    results.commit()
    for meaning, who in (("submitted", "tech"), ("reviewed", "reviewer"),
                         ("approved", "signatory")):
        for result in found:
            results.sign(result, people[who], meaning, PASSWORD)
            results.commit()


def test_figures_by_county_link_and_local_list(people, network):
    from lims.drugs.receipt import register_drug_sample
    from lims.samples import services as samples

    def make(**changes):
        sample = register_drug_sample(paracetamol(**changes), people["receiver"])
        samples.route_sample(sample, {t.id: network["BZ-LAB"].id for t in sample.active_tests},
                             people["receiver"])
        samples.receive_at_lab(sample, people["receiver"], condition="完好")
        db.session.commit()
        return sample

    import datetime as dt

    first = make()
    second = make(link="使用")
    third = make()  # registered, not tested: not judged
    _approve_all(first, people)
    _approve_all(second, people, fail_dissolution=True)
    assert third.status.value == "received_at_lab"
    figures = drug_figures(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # 2 judged supervision samples, 1 qualified → 50 %
    assert (figures.supervision.judged, figures.supervision.qualified) == (2, 1)
    assert figures.supervision.rate == 0.5
    assert (figures.by_link["经营"].judged, figures.by_link["经营"].qualified) == (1, 1)
    assert (figures.by_link["使用"].judged, figures.by_link["使用"].qualified) == (1, 0)
    assert figures.by_county["博乐市"].judged == 2
    # none of the listed local medicines (their producers) has been sampled
    listed = local_essential_medicines()
    assert figures.local_total == len(listed) == 4 and figures.local_sampled == 0
    # the demo declares every drug item at the prefecture lab: 91 items of 15 monographs
    assert (figures.drug_items, figures.drug_items_covered) == (91, 91)


def test_local_medicine_counted_when_its_producer_is_sampled(people):
    import datetime as dt

    from lims.drugs.receipt import register_drug_sample

    register_drug_sample(paracetamol(
        monograph="板蓝根颗粒", generic_name="板蓝根颗粒", strength="10g",
        approval_number="国药准字Z65020001", manufacturer="博州示例制药有限公司（演示，待核实）"),
        people["receiver"])
    db.session.commit()
    figures = drug_figures(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert (figures.local_sampled, figures.local_total) == (1, 4)
    assert figures.local_rate == 0.25


def test_dashboard_shows_drug_figures_beside_food(client, login, make_user):
    make_user("sup", roles=(Role.SUPERVISOR,))
    login("sup")
    html = client.get("/stats/?year=2026").get_data(as_text=True)
    assert 'id="coverage-rate"' in html and 'id="drug-qualified-rate"' in html
    assert 'id="drug-item-coverage" data-covered="91" data-items="91"' in html
    import re

    food = re.search(r'id="coverage-rate"[^>]*data-covered="(\d+)" data-items="(\d+)"', html)
    both = re.search(r'id="combined-item-coverage" data-covered="(\d+)" data-items="(\d+)"',
                     html)
    assert int(both.group(1)) == int(food.group(1)) + 91
    assert int(both.group(2)) == int(food.group(2)) + 91


def test_monograph_upload_refused_whole_then_accepted(client, login, make_user, csrf_from):
    import io

    from lims.drugs.services import find_monograph
    from lims.foods.models import TestItemRecord

    make_user("admin1", roles=(Role.ADMIN,))
    login("admin1")
    token = csrf_from(client.get("/drugs/").get_data(as_text=True))
    head = ('[monograph]\nkey = "维药示例颗粒"\nname = "维药示例颗粒"\ndosage_form = "颗粒剂"\n'
            'standard = "新疆维吾尔自治区药品标准"\nsource = "实验室录入"\nverified = true\n')
    item = ('[[items]]\nname = "水分"\nsection = "检查"\nkind = "limit"\nrequirement = "不得过 8.0%"\n'
            'method = "通则0832"\nsource = "标准第 3 页"\nverified = true\nunit = "%"\n'
            'high = "{high}"\ndecimals = {decimals}\n')
    bad = head + item.format(high="八", decimals=1) + item.format(high="8.0", decimals=-1)
    before = db.session.scalar(sa.select(sa.func.count(TestItemRecord.id)))
    page = client.post("/drugs/monographs/import", follow_redirects=True, data={
        "csrf_token": token, "file": (io.BytesIO(bad.encode()), "bad.toml")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "药品标准未导入" in page
    assert "第 1 个检验项目“水分”：high 不是数值" in page
    assert "第 2 个检验项目“水分”：decimals 应为非负整数" in page
    assert "检验项目代码重复" not in page  # rows with problems are not counted twice
    assert db.session.scalar(sa.select(sa.func.count(TestItemRecord.id))) == before
    good = head + item.format(high="8.0", decimals=1)
    page = client.post("/drugs/monographs/import", follow_redirects=True, data={
        "csrf_token": token, "file": (io.BytesIO(good.encode()), "good.toml")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "维药示例颗粒" in page
    record = find_monograph("维药示例颗粒")
    assert record is not None and record.origin == "imported" and record.verified
