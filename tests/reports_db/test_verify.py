"""Anyone holding a report can check it: the QR page, an upload, and ``lims reports verify``."""

from __future__ import annotations

import json

import pytest

from lims.extensions import db
from tests.reports_db.conftest import report_of, write


@pytest.fixture
def issued(cma_lab, received_sample, approve):
    sample = received_sample()
    approve(sample)
    (report,) = report_of(sample)
    return report


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _verify_cli(app, path) -> tuple[int, dict]:
    result = app.test_cli_runner().invoke(args=["reports", "verify", str(path), "--json"])
    return result.exit_code, json.loads(result.output)


def test_cli_accepts_the_issued_file_and_rejects_one_flipped_byte(app, issued, tmp_path):
    code, answer = _verify_cli(app, write(tmp_path, "report.pdf", issued.pdf))
    assert code == 0
    assert answer["valid"] is True and answer["report_number"] == issued.number
    assert answer["status"] == "issued" and answer["sha256"] == issued.sha256

    # One byte inside the signed content (the middle of the file) changes.
    altered = _flip(issued.pdf, len(issued.pdf) // 3)
    code, answer = _verify_cli(app, write(tmp_path, "altered.pdf", altered))
    assert code == 1
    assert answer["valid"] is False and answer["sha256"] != issued.sha256
    assert answer["report_number"] == issued.number  # found by the number it claims


def test_cli_rejects_a_file_signed_by_the_lab_but_never_issued(app, issued, tmp_path, pki):
    from lims.reports.render import render_report
    from lims.reports.settings import lab_signer
    from lims.reports.signing import sign_pdf, verify_pdf
    from tests.reports.sample_data import make_document, make_tests

    # A genuine signature of the lab's key on a document the system never issued.
    rendered = render_report(make_document(make_tests(2), report_number=issued.number))
    forged = sign_pdf(rendered.pdf, lab_signer())
    assert verify_pdf(forged, [pki.ca_cert]).valid
    code, answer = _verify_cli(app, write(tmp_path, "forged.pdf", forged))
    assert code == 1 and answer["valid"] is False
    assert "不一致" in answer["message"]


def test_verification_page_needs_no_login_and_shows_status_and_hash(client, issued):
    page = client.get(f"/verify/{issued.verify_token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert issued.number in html and issued.sha256 in html
    assert "有效" in html and issued.issued_on.isoformat() in html
    assert "login" not in page.request.path
    assert client.get("/verify/not-a-real-token").status_code == 404


def _upload(client, csrf_from, token: str, data: bytes, name: str = "report.pdf"):
    import io

    page = client.get(f"/verify/{token}").get_data(as_text=True)
    return client.post(f"/verify/{token}", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data").get_data(as_text=True)


def test_upload_of_the_exact_file_matches_and_an_altered_one_does_not(client, csrf_from, issued):
    html = _upload(client, csrf_from, issued.verify_token, issued.pdf)
    assert "flash-success" in html and "完全一致" in html and "数字签名有效" in html

    html = _upload(client, csrf_from, issued.verify_token,
                   _flip(issued.pdf, len(issued.pdf) // 2), "copy.pdf")
    assert "flash-error" in html and "不一致" in html and "完全一致" not in html

    html = _upload(client, csrf_from, issued.verify_token, b"not a pdf at all", "x.pdf")
    assert "flash-error" in html and "不一致" in html


def test_generic_upload_finds_the_report_by_its_hash(client, csrf_from, issued):
    import io

    page = client.get("/verify/").get_data(as_text=True)
    html = client.post("/verify/", data={"csrf_token": csrf_from(page),
                                         "file": (io.BytesIO(issued.pdf), "r.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "flash-success" in html and issued.number in html


def test_logged_in_download_gives_the_stored_bytes(client, login, issued):
    url = f"/reports/{issued.id}.pdf"
    assert client.get(url).status_code == 302  # login first
    login("zhao")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == issued.pdf
    listing = client.get("/reports/").get_data(as_text=True)
    assert issued.number in listing and "菠菜" in listing


def test_other_counties_cannot_see_the_report(client, login, make_user, issued):
    from lims.users.roles import Role

    make_user("wq", org_code="WQ-LAB", roles=(Role.SIGNATORY,))
    login("wq")
    assert client.get(f"/reports/{issued.id}.pdf").status_code == 404
    assert issued.number not in client.get("/reports/").get_data(as_text=True)
    db.session.rollback()


def test_report_page_offers_amend_and_withdraw_to_the_signatory_only(client, login, issued,
                                                                      make_user, csrf_from):
    from lims.users.roles import Role

    login("zhao")
    page = client.get(f"/reports/{issued.id}").get_data(as_text=True)
    assert issued.sha256 in page and f"/reports/{issued.id}/amend" in page
    assert f"/reports/{issued.id}/withdraw" in page
    make_user("wang2", roles=(Role.TECHNICIAN,))
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login("wang2")
    page = client.get(f"/reports/{issued.id}").get_data(as_text=True)
    assert issued.number in page and "/amend" not in page
    assert client.post(f"/reports/{issued.id}/amend", data={"reason": "x"}).status_code in (
        400, 403)
