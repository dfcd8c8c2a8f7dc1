"""The results API keeps to its OpenAPI description under schemathesis' generated requests,
with the bench technician's token and a world where results exist."""

from __future__ import annotations

import pytest

from lims.extensions import db
from lims.users.services import issue_token
from tests.api_fuzz import fuzz_api


@pytest.mark.filterwarnings("ignore")
def test_results_api_has_no_server_error_and_keeps_its_schema(app, people, entered):
    entered()
    auth = {"Authorization": f"Bearer {issue_token(people['tech']).token}"}
    db.session.commit()
    count, failures = fuzz_api(app, auth, examples=25, path_prefix="/api/v1/results")
    assert count == 7
    assert not failures, "\n\n".join(failures)
