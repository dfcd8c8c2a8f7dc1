"""System tests (backup/restore, faults, jobs) run on the reference world."""

import pytest

from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def receiver(make_user):
    return make_user("li", org_code="BZ-LAB", roles=(Role.RECEIVER,), display_name="李接收")


RECEIPT = dict(task_type="supervision", task_source="2026年博州食品安全监督抽检", sampling_form_no="NCP20266527000001", business_licence="JY16527010001234", business_address="博乐市青得里大街 8 号", sampler="李抽样、王抽样", sampling_base="20 kg", condition_description="新鲜，无腐烂，装于洁净聚乙烯袋", food_name="菠菜", subcategory="34-6",
               business_name="博乐市农贸市场 12 号摊位", business_county="博乐市",
               sampled_on="2026-11-20", quantity="2", quantity_unit="kg", condition_ok="yes")


@pytest.fixture
def api_headers(receiver):
    from lims.extensions import db
    from lims.users.services import issue_token

    issued = issue_token(receiver)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.token}"}
