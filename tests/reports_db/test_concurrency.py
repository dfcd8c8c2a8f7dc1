"""Signatories pressing "generate report" at once: one report per sample, no shared number."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import current_app

from lims.extensions import db
from tests.conftest import ENGINE
from tests.reports_db.conftest import report_of


@pytest.mark.skipif(ENGINE != "postgresql", reason="row locking is what is under test")
def test_concurrent_issuing_gives_one_report_per_sample_and_distinct_numbers(
        cma_lab, received_sample, approve, people, tmp_path, pki):
    app = current_app._get_current_object()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app.config["SIGNING_DIR"] = str(tmp_path / "none")  # approvals only: no report yet
    samples = [received_sample() for _ in range(4)]
    for sample in samples:
        approve(sample)
    assert all(report_of(s) == [] for s in samples)
    app.config["SIGNING_DIR"] = str(pki.lab_pkcs12.parent)
    sample_ids, user_id = [s.id for s in samples], people["signatory"].id
    db.session.commit()

    def issue(sample_id: int) -> str | None:
        from lims.reports.hooks import issue_or_record
        from lims.samples.models import Sample
        from lims.users.models import User

        with app.app_context():
            report = issue_or_record(db.session.get(Sample, sample_id),
                                     db.session.get(User, user_id))
            number = report.number if report is not None else None
            db.session.remove()
            return number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(issue, sample_ids * 2))  # every sample twice, concurrently
    issued = [n for n in numbers if n]
    assert len(issued) == 4 and len(set(issued)) == 4
    assert sorted(int(n.rsplit("-", 1)[1]) for n in issued) == [1, 2, 3, 4]
    db.session.expire_all()
    assert all(len(report_of(s)) == 1 for s in samples)
