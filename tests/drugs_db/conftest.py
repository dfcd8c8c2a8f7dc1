"""Drugs on the reference world (the demo steps load the monographs and the prefecture lab's
drug capabilities): people of the prefecture lab and a received paracetamol sample."""

from __future__ import annotations

import pytest

from lims.extensions import db
from lims.reports.signing import DevPkiPaths, init_dev_pki, init_lab_key
from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> DevPkiPaths:
    paths = init_dev_pki(tmp_path_factory.mktemp("keys"), lab_name="BZ-LAB test")
    # the prefecture lab signs its drug reports with its own key, issued by the network CA
    init_lab_key(paths.ca_cert.parent, "BZ-LAB", "博州食品药品检验检测中心")
    return paths


@pytest.fixture
def app(app, pki):
    app.config.update(SIGNING_DIR=str(pki.lab_pkcs12.parent),
                      PUBLIC_URL="https://lims.bz-lab.example.cn")
    return app


@pytest.fixture
def people(make_user):
    return {
        "receiver": make_user("li", roles=(Role.RECEIVER,), display_name="李接收"),
        "tech": make_user("wang", roles=(Role.TECHNICIAN,), display_name="王检验"),
        "reviewer": make_user("zhang", roles=(Role.REVIEWER,), display_name="张审核"),
        "signatory": make_user("zhao", roles=(Role.SIGNATORY,), display_name="赵批准"),
    }


def paracetamol(**changes):
    from lims.drugs.receipt import DrugReceiptInput
    from lims.samples.receipt import ReceiptInput

    shared = ReceiptInput(task_type="supervision", business_name="博乐市某大药房",
                          business_county="博乐市", sampled_on="2026-11-20", quantity="3",
                          quantity_unit="盒", condition_ok="yes", condition_notes="",
                          task_source="2026年药品监督抽检计划", sampling_form_no="YP-2026-0001",
                          business_licence="新AA9090001", business_address="博乐市青得里大街 8 号",
                          sampler="李抽样、王抽样", sampling_base="20 盒",
                          condition_description="包装完好，在有效期内")
    fields = dict(monograph="对乙酰氨基酚片", generic_name="对乙酰氨基酚片", trade_name="",
                  strength="0.5g", approval_number="国药准字H20000001", batch_number="20260901",
                  expiry="2028-08-31", manufacturer="某制药有限公司",
                  manufacturer_address="某省某市工业园区 1 号", holder="某制药有限公司",
                  sampling_unit="博州市场监督管理局", link="经营", common=shared)
    fields.update(changes)
    return DrugReceiptInput(**fields)


@pytest.fixture
def received(people, network):
    """A paracetamol sample registered, routed whole to BZ-LAB and received there."""
    from lims.drugs.receipt import register_drug_sample
    from lims.samples import services as samples

    sample = register_drug_sample(paracetamol(), people["receiver"])
    db.session.commit()
    samples.route_sample(sample, {t.id: network["BZ-LAB"].id for t in sample.active_tests},
                         people["receiver"])
    samples.receive_at_lab(sample, people["receiver"], condition="完好")
    db.session.commit()
    return sample
