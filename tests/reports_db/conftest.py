"""Reports on the reference world: a spinach sample received at the prefecture lab, its
results entered, signed 检验 → 审核 → 批准 through lims.results, and the report issued by
the approval (the sample_approved signal)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lims.core.localtime import local_today
from lims.extensions import db
from lims.reports.signing import DevPkiPaths, init_dev_pki, init_lab_key
from lims.users.roles import Role
from tests.conftest import PASSWORD

LAB_CMA_NUMBER = "202365120001"
LAB_NAMES = {"BZ-LAB": "博州食品药品检验检测中心", "BL-LAB": "博乐市食品检验检测站"}
PUBLIC_URL = "https://lims.bz-lab.example.cn"


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> DevPkiPaths:
    """One development CA and lab key per run (RSA key generation is slow)."""
    paths = init_dev_pki(tmp_path_factory.mktemp("keys"), lab_name="BZ-LAB test")
    # Each lab of the network signs with its own key, issued by the network CA.
    for code, name in LAB_NAMES.items():
        init_lab_key(paths.ca_cert.parent, code, name)
    return paths


@pytest.fixture
def app(app, pki):
    app.config.update(SIGNING_DIR=str(pki.lab_pkcs12.parent), PUBLIC_URL=PUBLIC_URL)
    return app


@pytest.fixture
def people(make_user):
    return {
        "receiver": make_user("li", roles=(Role.RECEIVER,), display_name="李接收"),
        "tech": make_user("wang", roles=(Role.TECHNICIAN,), display_name="王检验"),
        "reviewer": make_user("zhang", roles=(Role.REVIEWER,), display_name="张审核"),
        "signatory": make_user("zhao", roles=(Role.SIGNATORY,), display_name="赵批准"),
    }


@pytest.fixture
def cma_lab(network):
    """The prefecture lab with its CMA certificate registered."""
    lab = network["BZ-LAB"]
    lab.cma_certificate = LAB_CMA_NUMBER
    db.session.commit()
    return lab


@dataclass(frozen=True)
class Outcome:
    """What the bench found for one test item (inserted as the technician's result)."""

    reported: str
    detected: bool = True
    lod: str | None = None
    limit: str | None = "≤0.3 mg/kg"
    standard: str | None = "GB 2762-2025"
    verdict: str = "pass"
    unit: str = "mg/kg"
    comparison: str = "full"  # stored with the verdict by the judgement path
    rule: str = "simple"


LEAD = Outcome("0.052")
CADMIUM = Outcome("未检出", detected=False, lod="0.001", limit="≤0.2 mg/kg")
CHLORPYRIFOS = Outcome("0.12", limit="≤0.1 mg/kg", standard="GB 2763-2026", verdict="fail")

ITEMS = {"铅": "34-6:铅", "镉": "34-6:镉", "毒死蜱": "34-6:毒死蜱"}


@pytest.fixture
def received_sample(people, network):
    """Register spinach at BZ-LAB keeping only the named items, route it there, receive it."""
    from lims.foods import services as foods
    from lims.samples import services
    from lims.samples.receipt import ReceiptInput

    def build(names=("铅", "镉"), **changes):
        keep = {ITEMS[n] for n in names}
        plan = foods.items_for(foods.find_subcategory("菠菜"))
        values = dict(task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="菠菜",
                      business_name="博乐市农贸市场 12 号摊位", business_county="博乐市",
                      sampled_on=(local_today() - dt.timedelta(days=2)).isoformat(),
                      sampling_place="博乐市青得里大街农贸市场", batch_number="20261118",
                      quantity="2", quantity_unit="kg", condition_ok="yes",
                      removed_items={i.code: "本次任务不检" for i in plan if i.code not in keep})
        values.update(changes)
        receiver = people["receiver"]
        sample = services.register_sample(ReceiptInput(**values), receiver)
        services.route_sample(sample, {t.id: network["BZ-LAB"].id for t in sample.active_tests},
                              receiver)
        services.receive_at_lab(sample, receiver, condition="完好，冷藏")
        db.session.commit()
        return sample

    return build


def _insert_result(test, tech, outcome: Outcome):
    from lims.results.errors import ResultError
    from lims.results.models import ResultStatus, TestResult
    from lims.results.records import method_choices, method_label
    from lims.results.services import method_for

    reason = None
    try:
        method = method_for(test)
    except ResultError:  # the declared method has no method file: the technician switched
        method = method_choices(test)[0].method
        reason = "声明方法无方法文件，改用本实验室声明的多残留方法"
    result = TestResult(
        sample_test=test, method_key=method.code, method_standard=method_label(method),
        method_reason=reason, inputs_json="{}",
        value=Decimal(outcome.reported) if outcome.detected else Decimal("0.0004"),
        reported_value=outcome.reported, unit=outcome.unit, detected=outcome.detected,
        lod=Decimal(outcome.lod) if outcome.lod else None, limit_text=outcome.limit,
        limit_standard=outcome.standard, verdict=outcome.verdict, verdict_reason="",
        status=ResultStatus.DRAFT, tested_by_id=tech.id, tested_on=local_today(),
        detection="detected" if outcome.detected else "not_detected",
        comparison=outcome.comparison if outcome.verdict != "not_judged" else None,
        decision_rule=outcome.rule if outcome.verdict != "not_judged" else None)
    db.session.add(result)
    return result


@pytest.fixture
def approve(people):
    """Enter results for every test and sign them 检验 → 审核 → 批准 (results services);
    the commit sends sample_approved, which issues the report."""
    from lims.results import services as results
    from lims.samples import services as samples
    from lims.samples.lifecycle import SampleStatus

    outcomes = {"铅(以Pb计)": LEAD, "镉(以Cd计)": CADMIUM, "毒死蜱": CHLORPYRIFOS}

    def run(sample, *, tech=None, reviewer=None, signatory=None, changed=None):
        tech, reviewer = tech or people["tech"], reviewer or people["reviewer"]
        signatory = signatory or people["signatory"]
        chosen = {**outcomes, **(changed or {})}
        found = [_insert_result(t, tech, chosen[t.test_item.name_zh])
                 for t in sample.active_tests]
        samples.transition(sample, SampleStatus.IN_TESTING, tech)
        db.session.flush()
        for meaning, user in (("submitted", tech), ("reviewed", reviewer),
                              ("approved", signatory)):
            for result in found:
                results.sign(result, user, meaning, PASSWORD)
            results.commit()
        return found

    return run


def report_of(sample):
    from lims.reports.models import TestReport

    return db.session.scalars(sa.select(TestReport).where(TestReport.sample_id == sample.id)
                              .order_by(TestReport.revision)).all()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
