"""Receipt through the page and the API, scoping, labels, scanning, the list."""

import re

import sqlalchemy as sa

from lims.extensions import db
from lims.samples.models import Sample
from lims.users.roles import Role
from lims.users.services import issue_token

FORM = dict(task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="34-6",
            business_name="博乐市农贸市场 12 号摊位", business_county="652701",
            sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes",
            action="register")


def _token(user) -> dict:
    issued = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


def test_receiver_registers_through_the_page(receiver, login, client, csrf_from):
    login("li")
    page = client.get("/samples/new?subcategory=34-6")
    assert page.status_code == 200
    response = client.post("/samples/new", data={**FORM, "csrf_token": csrf_from(
        page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].rsplit("/", 1)[-1]
    detail = client.get(f"/samples/{number}").get_data(as_text=True)
    assert "菠菜" in detail and "铅" in detail


def test_page_shows_field_errors_and_writes_nothing(receiver, login, client, csrf_from):
    login("li")
    token = csrf_from(client.get("/samples/new").get_data(as_text=True))
    data = {**FORM, "csrf_token": token, "subcategory": "没有这个细类", "condition_ok": ""}
    response = client.post("/samples/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-field="subcategory"' in html and 'data-field="condition_ok"' in html
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0


def test_api_registration_and_errors(receiver, client):
    headers = _token(receiver)
    body = {k: v for k, v in FORM.items() if k != "action"}
    body["business_county"] = "博乐市"
    created = client.post("/api/v1/samples", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["tests"] and created.json["subcategory"]["code"] == "34-6"
    bad = client.post("/api/v1/samples", headers=headers,
                      json={**body, "sampled_on": "2099-01-01", "quantity_unit": ""})
    assert bad.status_code == 422
    assert set(bad.json["details"]) == {"sampled_on", "quantity_unit"}
    unknown = client.post("/api/v1/samples", headers=headers, json={**body, "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json["details"]
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 1


def test_technician_cannot_register(make_user, client):
    tech = make_user("wang", roles=(Role.TECHNICIAN,))
    response = client.post("/api/v1/samples", json={}, headers=_token(tech))
    assert response.status_code == 403


def test_another_county_gets_404_on_pages_and_api(receiver, receipt, make_user, login, client):
    from lims.samples.services import register_sample

    sample = register_sample(receipt(), receiver)
    db.session.commit()
    jinghe = make_user("wu", org_code="JH-LAB", roles=(Role.TECHNICIAN,))
    bole = make_user("liu", org_code="BL-LAB", roles=(Role.TECHNICIAN,))
    assert client.get(f"/api/v1/samples/{sample.number}", headers=_token(jinghe)).status_code == 404
    assert client.get(f"/api/v1/samples/{sample.number}", headers=_token(bole)).status_code == 200
    login("wu")
    assert client.get(f"/samples/{sample.number}").status_code == 404
    assert sample.number not in client.get("/samples/").get_data(as_text=True)
    listing = client.get("/api/v1/samples", headers=_token(jinghe)).json
    assert listing["samples"] == []


def test_label_sheet_and_scanning(receiver, receipt, login, client):
    from pypdf import PdfReader

    from lims.samples.services import register_sample

    sample = register_sample(receipt(), receiver)
    db.session.commit()
    login("li")
    pdf = client.get(f"/samples/{sample.number}/labels.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert sample.number in text and "菠菜" in text
    scanned = client.get(f"/samples/search?q={sample.number}")
    assert scanned.headers["Location"].endswith(f"/samples/{sample.number}")


def test_list_filters_and_keyset_pages(receiver, receipt, login, client):
    from lims.samples.services import register_sample

    numbers = [register_sample(receipt(food_name=f"菠菜{i}"), receiver).number for i in range(7)]
    db.session.commit()
    login("li")
    from lims.samples.listing import SampleFilters, list_samples
    from lims.samples.services import visibility_clause

    seen, cursor = [], None
    while True:
        page = list_samples(visibility_clause(receiver), SampleFilters(), after=cursor,
                            page_size=3)
        seen += [s.number for s in page.samples]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == list(reversed(numbers))
    html = client.get("/samples/?status=registered&sort=%2Bnumber").get_data(as_text=True)
    assert re.findall(r"BZ-LAB-\d{4}-\d{6}", html)[0] == numbers[0]
    assert client.get("/samples/?date_from=notadate").status_code == 200
