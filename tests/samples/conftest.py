"""Sample tests run on the reference world: network, sampling rules, capabilities, limits."""

import pytest

from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def receiver(make_user):
    return make_user("li", org_code="BZ-LAB", roles=(Role.RECEIVER,), display_name="李接收")


@pytest.fixture
def county_receiver(make_user):
    return make_user("chen", org_code="BL-LAB", roles=(Role.RECEIVER,), display_name="陈接收")


@pytest.fixture
def receipt():
    """A complete receipt of spinach from a Bole market stall (override fields per test)."""
    from lims.samples.receipt import ReceiptInput

    def build(**changes) -> ReceiptInput:
        values = dict(task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", producer_address="精河县托里镇", food_name="菠菜", subcategory="菠菜",
                      business_name="博乐市农贸市场 12 号摊位", business_licence="JY16527010001234",
                      business_address="博乐市青得里大街 8 号", business_county="博乐市",
                      sampled_on="2026-11-20", sampling_place="农贸市场", sampler="李抽样、王抽样",
                      producer="精河县某合作社", batch_number="20261118",
                      production_date="2026-11-18", quantity="2", quantity_unit="kg",
                      retained_quantity="1", retained_unit="kg", retained_location="样品库 A-03",
                      condition_ok="yes", condition_notes="")
        values.update(changes)
        return ReceiptInput(**values)

    return build
