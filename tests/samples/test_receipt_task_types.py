"""Receipt per task type: the sampling form's fields are required as each task's documents
require, refused with Chinese messages naming the field, stored as recorded; the form and the
API read one receipt model; the sample number's year is the local (Asia/Shanghai) year."""

import datetime as dt

import pytest
import sqlalchemy as sa

from lims.core import localtime
from lims.extensions import db
from lims.samples.forms import ReceiptForm
from lims.samples.models import Sample
from lims.samples.receipt import ReceiptError, ReceiptInput, receipt_input
from lims.samples.services import register_sample

COMMISSIONED_ONLY = dict(task_source="", sampling_form_no="", business_licence="",
                         sampler="", sampling_base="")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Sample.id)))


def test_supervision_requires_the_sampling_form(receiver, receipt):
    with pytest.raises(ReceiptError) as caught:
        register_sample(receipt(task_source="", sampling_form_no="", business_licence=" ",
                                sampler="", sampling_base="", condition_description=""),
                        receiver)
    assert caught.value.errors == {
        "task_source": "监督抽检须填写任务来源",
        "sampling_form_no": "监督抽检须填写抽样单编号",
        "business_licence": "监督抽检须填写被抽样单位许可证号",
        "sampler": "监督抽检须填写抽样人",
        "sampling_base": "监督抽检须填写抽样基数",
        "condition_description": "样品状态为必填项",
    }
    assert _count() == 0


def test_commissioned_work_requires_the_client_and_only_it_has_one(receiver, receipt):
    with pytest.raises(ReceiptError) as caught:
        register_sample(receipt(task_type="commissioned", **COMMISSIONED_ONLY), receiver)
    assert caught.value.errors == {"customer_name": "委托检验须填写委托单位",
                                   "customer_address": "委托检验须填写委托单位地址"}
    with pytest.raises(ReceiptError) as caught:
        register_sample(receipt(customer_name="某超市"), receiver)
    assert caught.value.errors == {"customer_name": "委托单位仅用于委托检验，监督抽检请勿填写"}
    sample = register_sample(receipt(task_type="commissioned", customer_name="博乐市某超市",
                                     customer_address="博乐市北京路 1 号", **COMMISSIONED_ONLY),
                             receiver)
    db.session.commit()
    assert (sample.customer_name, sample.customer_address) == ("博乐市某超市", "博乐市北京路 1 号")
    assert sample.sampling_form_no is None and sample.sampler is None


def test_producer_needs_its_address(receiver, receipt):
    with pytest.raises(ReceiptError) as caught:
        register_sample(receipt(producer_address=""), receiver)
    assert caught.value.errors == {"producer_address": "填写了标称生产者时须填写其地址"}


def test_fields_are_stored_as_recorded(receiver, receipt):
    sample = register_sample(receipt(condition_description="叶片略有萎蔫，无腐烂",
                                     sampling_base="35 kg", specification="散装"), receiver)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Sample, sample.id)
    assert stored.condition_description == "叶片略有萎蔫，无腐烂"
    assert (stored.task_source, stored.sampling_form_no) == ("2026年博州食品安全监督抽检",
                                                              "NCP20266527000001")
    assert (stored.sampling_base, stored.specification) == ("35 kg", "散装")
    assert (stored.producer, stored.producer_address) == ("精河县某合作社", "精河县托里镇")
    assert stored.events[0].condition == "叶片略有萎蔫，无腐烂"


def test_too_long_text_is_refused_not_cut(receiver, receipt):
    with pytest.raises(ReceiptError) as caught:
        register_sample(receipt(sampling_form_no="N" * 61), receiver)
    assert caught.value.errors == {"sampling_form_no": "抽样单编号过长（最多 60 字）"}


def test_one_model_for_form_and_api():
    from lims.samples.api_schemas import ReceiptIn

    assert ReceiptIn is ReceiptInput
    form_fields = set(ReceiptForm.__dict__) | {n for n in dir(ReceiptForm)
                                                if not n.startswith("_")}
    missing = [n for n in ReceiptInput.model_fields
               if n not in form_fields and n not in ("removed_items", "added_items")]
    assert missing == []
    with pytest.raises(ReceiptError) as caught:
        receipt_input({"colour": "red", "removed_items": "all"})
    assert caught.value.errors == {"colour": "未知字段",
                                   "removed_items": "删除的检验项目应为 {检验项目编码: 原因} 对象"}
    # Empty form fields (None) and API numbers are text.
    assert receipt_input({"quantity": 2, "sampler": None}).quantity == "2"


def test_api_names_missing_supervision_fields(receiver, client):
    from lims.users.services import issue_token

    issued = issue_token(receiver)
    db.session.commit()
    body = dict(task_type="supervision", food_name="菠菜", subcategory="34-6",
                business_name="博乐市农贸市场 12 号摊位", business_county="博乐市",
                sampled_on="2026-11-20", quantity=2, quantity_unit="kg", condition_ok="yes",
                condition_description="新鲜")
    response = client.post("/api/v1/samples", json=body,
                           headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 422
    assert response.json["details"] == {
        "task_source": "监督抽检须填写任务来源", "sampling_form_no": "监督抽检须填写抽样单编号",
        "business_licence": "监督抽检须填写被抽样单位许可证号",
        "business_address": "监督抽检须填写被抽样单位地址",
        "sampler": "监督抽检须填写抽样人", "sampling_base": "监督抽检须填写抽样基数"}
    assert _count() == 0


def test_sample_number_year_is_the_local_year(receiver, receipt, monkeypatch):
    # 2026-12-31 16:30 UTC is 2027-01-01 00:30 in Asia/Shanghai: the number says 2027.
    moment = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(localtime, "utcnow", lambda: moment)
    sample = register_sample(receipt(), receiver, today=dt.date(2027, 1, 1))
    assert sample.number == "BZ-LAB-2027-000001"


def test_sample_page_shows_the_sampling_form(receiver, receipt, login, client):
    sample = register_sample(receipt(condition_description="叶片略有萎蔫，无腐烂"), receiver)
    db.session.commit()
    login("li")
    page = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    for text in ("2026年博州食品安全监督抽检", "NCP20266527000001", "20 kg", "精河县托里镇",
                 "叶片略有萎蔫，无腐烂"):
        assert text in page, text
