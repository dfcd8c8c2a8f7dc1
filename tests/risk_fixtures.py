"""Fixtures of the prefecture-side tests (businesses, plans, alerts): the seeded reference
world and its administrator and signatory."""

import pytest

from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def admin(make_user):
    return make_user("risk_admin", org_code="BZ-LAB", roles=(Role.ADMIN,), display_name="预警管理")


@pytest.fixture
def signatory(make_user):
    return make_user("risk_sign", org_code="BZ-LAB", roles=(Role.SIGNATORY,),
                     display_name="赵批准")
