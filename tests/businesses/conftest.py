import pytest

from lims.users.roles import Role
from tests.risk_fixtures import admin, database_url, signatory  # noqa: F401 (fixtures)


@pytest.fixture
def receiver(make_user):
    return make_user("li", org_code="BZ-LAB", roles=(Role.RECEIVER,), display_name="李接收")


@pytest.fixture
def receipt():
    from lims.samples.receipt import ReceiptInput

    def build(**changes) -> ReceiptInput:
        values = dict(task_type="supervision", food_name="菠菜", subcategory="菠菜",
                      business_name="博乐市农贸市场 12 号摊位", business_licence="JY16527010012345",
                      task_source="2026年州级监督抽检计划", sampling_form_no="BZ-CJ-2026-0101",
                      sampling_base="20 kg", condition_description="新鲜，无腐烂，冷藏袋密封",
                      producer_address="精河县托里镇",
                      business_address="博乐市青得里大街 8 号", business_county="博乐市",
                      sampled_on="2026-11-20", sampling_place="农贸市场", sampler="李抽样",
                      producer="精河县某合作社", batch_number="20261118",
                      production_date="2026-11-18", quantity="2", quantity_unit="kg",
                      retained_quantity="1", retained_unit="kg", retained_location="A-03",
                      condition_ok="yes", condition_notes="")
        values.update(changes)
        return ReceiptInput(**values)

    return build
