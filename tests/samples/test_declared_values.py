"""Declared values recorded at receipt (issue 13 item 6): page, API, and the verdict."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lims.extensions import db
from lims.limits.checking import check_result
from lims.limits.index import LimitIndex
from lims.limits.records import FoodCategory, LimitRow, Standard
from lims.samples import services
from lims.samples.declared import (
    SampleDeclaredValue,
    declared_for,
    parse_declared_lines,
)
from lims.users.services import issue_token


def _token(user) -> dict:
    issued = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


def _sample(receiver, receipt):
    sample = services.register_sample(receipt(), receiver)
    db.session.commit()
    return sample


def test_page_records_and_refuses_whole(receiver, receipt, login, client, csrf_from):
    sample = _sample(receiver, receipt)
    login("li")
    page = client.get(f"/samples/{sample.number}/declared")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    bad = client.post(f"/samples/{sample.number}/declared", data={
        "csrf_token": token, "executive_standard": "GB/T 21732-2008",
        "values": "蛋白质=≥1.0g/100g\n酒精度=五十二度"})
    assert bad.status_code == 422 and "第2行" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SampleDeclaredValue.id))) == 0
    good = client.post(f"/samples/{sample.number}/declared", data={
        "csrf_token": token, "executive_standard": "GB/T 21732-2008",
        "values": "蛋白质=≥1.0g/100g\n酒精度：52%vol(标签)"})
    assert good.status_code == 302
    assert declared_for(sample, "蛋白质") == "≥1.0g/100g"
    assert declared_for(sample, "酒精度") == "52%vol"
    assert declared_for(sample, "脂肪") is None
    detail = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    assert f"/samples/{sample.number}/declared" in detail


def test_api_put_and_get(receiver, receipt, client):
    sample = _sample(receiver, receipt)
    headers = _token(receiver)
    url = f"/api/v1/samples/{sample.number}/declared"
    body = {"executive_standard": "Q/BZ 0001S-2026",
            "values": [{"item": "蛋白质", "value": "≥3.0g/100g", "source": "label"}]}
    put = client.put(url, json=body, headers=headers)
    assert put.status_code == 200, put.json
    assert client.get(url, headers=headers).json == {"sample": sample.number, **body}
    bad = client.put(url, headers=headers, json={"values": [{"item": "蛋白质", "value": "很多"}]})
    assert bad.status_code == 422
    # the refused body changed nothing
    assert client.get(url, headers=headers).json["values"][0]["value"] == "≥3.0g/100g"
    assert client.put(url, headers=headers, json={"colour": "red"}).status_code == 422


def test_declared_value_reaches_the_verdict(receiver, receipt):
    sample = _sample(receiver, receipt)
    from lims.samples.declared import set_declaration

    set_declaration(sample, "GB/T 0000", parse_declared_lines("蛋白质=≥3.0g/100g"))
    db.session.commit()
    standard = Standard(
        code="产品明示标准和质量要求", family="产品明示标准和质量要求", edition="—",
        title="产品明示标准和质量要求", effective_from=dt.date(2000, 1, 1), effective_to=None,
        replaced_by="", comparison="full", scheme="S", base_edition="", notes="", source="t",
        verified="no")  # fmt: skip
    row = LimitRow(
        standard=standard.code, clause="明示", analyte="蛋白质", expressed_as="", category="S:x",
        category_text="蔬菜", exclusions=(), limit="≥明示值", unit="g/100g", basis="fresh",
        condition="", temporary=False, notes="", effective_from=None, effective_to=None,
        source="t", verified="no")  # fmt: skip
    node = FoodCategory("S:x", (), "S", "菠菜", (), "t", "no")
    index = LimitIndex([standard], [row], [node])
    declared = declared_for(sample, "蛋白质")
    # 2.9 < 3.0 declared minimum
    outcome = check_result(index, "蛋白质", "菠菜", "2.9g/100g", sample.sampled_on,
                           declared=declared)
    assert outcome.verdict == "fail" and outcome.verified == "no"
