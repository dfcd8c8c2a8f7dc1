"""Issue 14: a sample signed in one step per role (one password entry, one signature per
record bound to its own hash), 限量待核 confirmed by the signatory, the CMA decision shown."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lims.audit.models import AuditEntry
from lims.extensions import db
from lims.results import services
from lims.results.models import ResultSignature, ResultStatus
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import CustodyEvent
from tests.conftest import PASSWORD

from .test_i14_methods import all_at_prefecture  # noqa: F401 - fixture


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(ResultSignature.id)))


def test_one_password_entry_signs_every_result_each_bound_to_its_own_hash(people, sample,
                                                                           entered):
    results = list(entered().values())
    submitted = services.sign_many(results, people["tech"], "submitted", PASSWORD)
    services.commit()
    assert len(submitted) == 2 and sample.status == SampleStatus.UNDER_REVIEW
    reviewed = services.sign_many(results, people["reviewer"], "reviewed", PASSWORD)
    services.commit()
    assert [s.result_id for s in reviewed] == [r.id for r in results]
    # N signatures, each bound to its own record: the hash of that record, not a shared one
    hashes = [s.record_hash for s in reviewed]
    assert hashes == [services.record_hash(r) for r in results] and len(set(hashes)) == 2
    assert all(r.status == ResultStatus.REVIEWED for r in results)
    approved = services.sign_many(results, people["signatory"], "approved", PASSWORD)
    services.commit()
    assert len(approved) == 2 and sample.status == SampleStatus.APPROVED
    assert _count() == 6


def test_a_wrong_password_signs_nothing_and_counts_toward_lockout(people, sample, entered):
    results = list(entered().values())
    services.sign_many(results, people["tech"], "submitted", PASSWORD)
    services.commit()
    before = _count()
    with pytest.raises(services.PasswordRefused):
        services.sign_many(results, people["reviewer"], "reviewed", "wrong-password")
    db.session.commit()  # as the page does: the failed attempt is kept
    assert _count() == before
    assert all(db.session.get(type(r), r.id).status == ResultStatus.SUBMITTED for r in results)
    assert people["reviewer"].failed_logins == 1


def test_one_record_that_may_not_be_signed_refuses_the_series(people, sample, entered):
    results = entered()
    services.sign_many([results["铅"]], people["tech"], "submitted", PASSWORD)
    services.commit()
    before = _count()
    # cadmium is still a draft: the whole series is refused before the password is asked
    with pytest.raises(services.ResultError, match="全部未生效") as caught:
        services.sign_many(list(results.values()), people["reviewer"], "reviewed", "whatever")
    assert "镉" in caught.value.message
    db.session.rollback()
    assert _count() == before and people["reviewer"].failed_logins == 0
    # the technician's role does not review
    with pytest.raises(services.ResultForbidden):
        services.sign_many([results["铅"]], people["tech"], "reviewed", PASSWORD)
    db.session.rollback()
    services.sign_many([results["镉"]], people["tech"], "submitted", PASSWORD)
    services.commit()
    # separation of duties holds for a series too: who reviewed may not approve
    signed = services.sign_many(list(results.values()), people["senior"], "reviewed",
                                PASSWORD)
    services.commit()
    assert len(signed) == 2
    with pytest.raises(services.ResultForbidden, match="本人审核"):
        services.sign_many(list(results.values()), people["senior"], "approved", PASSWORD)


def test_the_one_step_page_shows_everything_and_signs_with_one_password(
        client, login, csrf_from, people, sample, entered, stored_reading):
    from .conftest import LEAD

    reading_id = stored_reading("0.5000")
    results = entered(lead={**LEAD, "m": {"value": "", "reading_id": reading_id}})
    services.sign_many(list(results.values()), people["tech"], "submitted", PASSWORD)
    services.commit()
    login("zhang")
    url = f"/results/samples/{sample.number}/sign?meaning=reviewed"
    html = client.get(url).get_data(as_text=True)
    # inputs, computation steps, the raw frame, verdict, its basis, limit and its source
    assert "S S     0.5000 g" in html and "data-steps" in html
    # the computation by hand: (12.5 - 0.5) × 10 / (0.5000 × 1000) = 0.24 mg/kg (two significant digits)
    assert "X = (12.5 - 0.5) * 10 / (0.5000 * 1000)" in html and "X = 0.24 mg/kg" in html
    assert "全数值比较法" in html and "≤0.3mg/kg" in html and "GB 2762" in html
    assert html.count('name="result"') == 2
    wrong = client.post(url, data={"csrf_token": csrf_from(html), "meaning": "reviewed",
                                   "result": [str(r.id) for r in results.values()],
                                   "password": "nope"})
    assert wrong.status_code == 403 and _count() == 2
    html = wrong.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_from(html), "meaning": "reviewed",
                                  "result": [str(r.id) for r in results.values()],
                                  **{f"version_{r.id}": r.version for r in results.values()},
                                  "password": PASSWORD})
    assert done.status_code == 302 and _count() == 4
    db.session.expire_all()
    assert all(db.session.get(type(r), r.id).status == ResultStatus.REVIEWED
               for r in results.values())


def test_the_signatory_confirms_an_unverified_limit_and_sees_the_cma_decision(
        client, login, csrf_from, people, all_at_prefecture):  # noqa: F811
    test = all_at_prefecture["阿维菌素"]
    # ω = ρ × V × f / m = 0.002 × 10 × 1 / 1 = 0.02 mg/kg ≥ LOQ 0.01 (GB 23200.19)
    result = services.enter_result(test, people["tech"], {"rho": "0.002", "V": "10", "m": "1"})
    assert result.reported_value == "0.020"  # two significant digits
    assert result.limit_verified in ("no", "secondary") and services.limit_pending(result)
    services.sign(result, people["tech"], "submitted", PASSWORD)
    services.sign(result, people["reviewer"], "reviewed", PASSWORD)
    services.commit()
    login("zhao")
    url = f"/results/samples/{test.sample.number}/sign?meaning=approved"
    html = client.get(url).get_data(as_text=True)
    assert "限量待核" in html and f'name="confirm_limit" value="{result.id}"' in html
    assert 'id="cma-decision"' in html
    mark = re.search(r'data-cma-mark="(yes|no)"', html).group(1)
    assert mark == "yes"  # BZ-LAB has a certificate and the capability is in its scope
    refused = client.post(url, data={"csrf_token": csrf_from(html), "meaning": "approved",
                                     "result": [str(result.id)], "password": PASSWORD})
    assert refused.status_code == 422 and "限量待核" in refused.get_data(as_text=True)
    html = refused.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_from(html), "meaning": "approved",
                                  "result": [str(result.id)], "confirm_limit": [str(result.id)],
                                  "password": PASSWORD})
    assert done.status_code == 302
    signature = db.session.scalar(sa.select(ResultSignature).where(
        ResultSignature.result_id == result.id, ResultSignature.meaning == "approved"))
    assert signature.limit_confirmed is True
    audit = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.table_name == "result_signature", AuditEntry.record_id == str(signature.id))
        .limit(1))
    assert audit.reason.startswith("批准人已对照标准核对限量：阿维菌素")
    assert db.session.scalar(sa.select(CustodyEvent).where(
        CustodyEvent.summary.like("批准人已对照标准核对限量%")))


def test_one_step_signing_through_the_api(client, people, sample, entered):
    from lims.users.services import issue_token

    results = list(entered().values())
    services.sign_many(results, people["tech"], "submitted", PASSWORD)
    token = issue_token(people["reviewer"], name="t").token
    services.commit()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/results/samples/{sample.number}/sign"
    ids = [r.id for r in results]
    wrong = client.post(url, headers=headers, json={"meaning": "reviewed", "password": "x",
                                                    "results": ids})
    assert wrong.status_code == 403 and _count() == 2
    done = client.post(url, headers=headers, json={"meaning": "reviewed", "password": PASSWORD,
                                                   "results": ids})
    assert done.status_code == 201, done.get_json()
    body = done.get_json()
    assert [s["meaning"] for s in body["signatures"]] == ["reviewed", "reviewed"]
    assert [s["record_hash"] for s in body["signatures"]] == [r["record_hash"]
                                                             for r in body["results"]]
    assert len({s["record_hash"] for s in body["signatures"]}) == 2
    assert _count() == 4
