"""The results API keeps to its OpenAPI description under schemathesis' generated requests,
with the bench technician's token and a world where results exist."""

from __future__ import annotations

import pytest

from lims.extensions import db
from lims.users.services import issue_token


@pytest.mark.filterwarnings("ignore")
def test_results_api_has_no_server_error_and_keeps_its_schema(app, people, entered):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    entered()
    auth = {"Authorization": f"Bearer {issue_token(people['tech']).token}"}
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance,
              content_type_conformance]
    operations = [r.ok() for r in schema.get_all_operations()
                  if r.ok().path.startswith("/api/v1/results")]
    assert len(operations) == 7
    failures = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=auth, checks=checks)

        try:
            run()
        except Exception as exc:  # every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
