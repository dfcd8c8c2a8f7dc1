"""schemathesis over the whole /api/v1 with an administrator's and a county user's token (the
station operator's token: tests/stations/test_openapi.py): no 5xx, no schema violation."""

from __future__ import annotations

import pytest

from lims.users.roles import Role
from tests.conftest import bearer


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("who", [("sec_admin", "BZ-LAB", Role.ADMIN),
                                 ("sec_county", "BL-LAB", Role.REVIEWER)])
def test_whole_api_for_admin_and_county_tokens(app, make_user, markets, who):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    username, org, role = who
    auth = bearer(make_user(username, org, (role,)))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance,
              content_type_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=auth, checks=checks)

        try:
            run()
        except Exception as exc:  # every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
