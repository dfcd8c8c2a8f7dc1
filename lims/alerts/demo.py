"""Demo data for the prefecture's tools: this year's plan (made, reviewed, this month assigned),
samples received against its tasks (their businesses linked at receipt), and an outside
notice naming one of their producers, which raises an alert.  All through the real services;
the notice is fictitious and says so."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from lims.alerts import services
from lims.alerts.models import NoticeImport
from lims.core.localtime import local_today
from lims.extensions import db
from lims.plans import services as plans
from lims.plans.models import PlanTask
from lims.samples.receipt import ReceiptInput
from lims.samples.services import register_sample
from lims.users.models import User

NOTICE = Path(__file__).parent / "data" / "demo_notice.csv"
# (variety, business, credit code, producer, batch)
SAMPLES = [
    ("韭菜", "博乐市农贸市场 8 号摊位（演示）", "", "精河县绿源蔬菜种植专业合作社", "20261101"),
    ("菠菜", "博乐市某生鲜超市（演示）", "91652701MA78DXM50", "精河县绿源蔬菜种植专业合作社",
     "20261102"),
    ("鸡蛋", "博乐市第一中学学校食堂（演示）", "", "博乐市某蛋鸡养殖场（演示）", "20261030"),
]


def _user(name: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == name))


def load_demo_risk() -> None:
    import hashlib

    from lims.businesses.credit_code import check_character

    content = NOTICE.read_bytes()
    if db.session.scalar(sa.select(NoticeImport.id).where(
            NoticeImport.sha256 == hashlib.sha256(content).hexdigest())):
        return  # already there
    admin, signatory, receiver = _user("admin"), _user("signatory"), _user("receiver")
    if admin is None or signatory is None or receiver is None:
        return
    today = local_today()
    plan = plans.latest_plan(today.year, approved=True)
    if plan is None:
        plan = plans.build_plan(today.year, admin)
        plans.approve_plan(plan, signatory, "演示：同意")
    plans.assign_month(plan, today.month)
    for n, (variety, business, code, producer, batch) in enumerate(SAMPLES, start=1):
        if code:
            code = code[:17] + check_character(code[:17])
        task = db.session.scalar(sa.select(PlanTask).where(
            PlanTask.plan_id == plan.id, PlanTask.month == today.month,
            PlanTask.variety == variety).order_by(PlanTask.region_id).limit(1))
        sample = register_sample(ReceiptInput(
            task_type="supervision", task_source=f"{today.year}年州级监督抽检计划（演示）",
            sampling_form_no=f"DEMO-{today:%Y%m%d}-{n:03d}", food_name=variety,
            subcategory=variety, business_name=business,
            business_licence=code or f"JY1652701{n:07d}", business_address="博乐市（演示地址）",
            business_county="博乐市", sampled_on=today.isoformat(), sampling_place="演示",
            sampler="演示抽样员", sampling_base="20 kg", producer=producer,
            producer_address="博尔塔拉州（演示地址）" if producer else "", batch_number=batch,
            quantity="2", quantity_unit="kg", retained_quantity="1", retained_unit="kg",
            retained_location="样品库", condition_ok="yes",
            condition_description="新鲜，包装完好（演示）"), receiver)
        if task is not None and task.region_id == sample.business_region_id:
            plans.link_sample(sample, task.id)
    services.import_notice(content, NOTICE.name, admin)
    db.session.flush()
