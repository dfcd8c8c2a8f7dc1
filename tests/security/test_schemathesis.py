"""schemathesis over the whole /api/v1 with an administrator's and a county user's token (the
station operator's token: tests/stations/test_openapi.py): no 5xx, no schema violation."""

from __future__ import annotations

import pytest

from lims.users.roles import Role
from tests.api_fuzz import fuzz_api
from tests.conftest import bearer


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("who", [("sec_admin", "BZ-LAB", Role.ADMIN),
                                 ("sec_county", "BL-LAB", Role.REVIEWER)])
def test_whole_api_for_admin_and_county_tokens(app, make_user, markets, who):
    username, org, role = who
    count, failures = fuzz_api(app, bearer(make_user(username, org, (role,))), examples=8)
    assert count >= 18
    assert not failures, "\n\n".join(failures)
