"""Imports run on the reference world (rules, limits, capabilities already loaded)."""

import pytest

from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


@pytest.fixture
def admin(make_user):
    return make_user("gao", org_code="BZ-LAB", roles=(Role.ADMIN,), display_name="高管理")


GOOD_CAPABILITIES = ("org,item_code,analyte,food_scope,method,lod,loq,unit,cma\n"
                     + "JH-LAB,,总汞,,GB 5009.17,0.0002,0.0005,mg/kg,yes\n" * 450)
BAD_CAPABILITIES = ("org,item_code,analyte,food_scope,method,lod,loq,unit,cma\n"
                    "JH-LAB,,总汞,,GB 5009.17,0.0002,0.0005,mg/kg,yes\n"
                    "XX-LAB,,铅,,GB 5009.12,0.005,0.02,mg/kg,yes\n"
                    "JH-LAB,,镉,,GB 5009.15,0.01,0.001,mg/kg,yes\n")


@pytest.fixture
def capability_files():
    return {"good": GOOD_CAPABILITIES.encode("utf-8"), "bad": BAD_CAPABILITIES.encode("utf-8")}
