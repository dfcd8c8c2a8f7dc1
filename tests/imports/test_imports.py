"""An administrator uploads reference data; the import runs as a job (RQ when LIMS_REDIS_URL
is set, inline otherwise), shows its progress, and is refused whole on any bad row."""

import io
import re

import sqlalchemy as sa
from click.testing import CliRunner

from lims.capabilities.models import LabCapability
from lims.extensions import db
from lims.imports import services
from lims.imports.cli import import_command
from lims.imports.models import ImportState, ImportUpload
from lims.users.roles import Role


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(LabCapability.id)))


def _upload(client, csrf_from, name: str, content: bytes, kind: str = "capabilities"):
    page = client.get("/imports/")
    return client.post("/imports/", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "kind": kind,
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_a_capability_list_is_imported_with_its_progress(app, client, login, csrf_from, admin,
                                                          capability_files):
    before = _count()
    login("gao")
    response = _upload(client, csrf_from, "jh-mercury.csv", capability_files["good"])
    assert response.status_code == 302
    upload_id = int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))
    status = client.get(f"/imports/{upload_id}/status.json").get_json()
    assert status["state"] == "done" and status["finished"]
    assert status["progress"] == {"done": 450, "total": 450}
    assert "导入检验能力 450 条" in status["message"]
    assert _count() == before + 450
    page = client.get(f"/imports/{upload_id}").get_data(as_text=True)
    assert 'data-state="done"' in page and "jh-mercury.csv" in page
    upload = db.session.get(ImportUpload, upload_id)
    assert upload.job_id and upload.uploaded_by.username == "gao"
    # with LIMS_REDIS_URL set the job went through RQ, otherwise it ran inline
    assert upload.job_id.startswith("inline-") is (not app.config.get("REDIS_URL"))


def test_a_file_with_bad_rows_is_refused_whole_and_lists_them(client, login, csrf_from, admin,
                                                               capability_files):
    before = _count()
    login("gao")
    response = _upload(client, csrf_from, "caps.csv", capability_files["bad"])
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    status = client.get(f"/imports/{upload_id}/status.json").get_json()
    assert status["state"] == "refused"
    assert "第3行：未知的检验机构：XX-LAB" in status["message"]
    assert "第4行：定量限不能小于检出限" in status["message"]
    assert _count() == before


def test_unusable_uploads_are_refused_before_anything_is_stored(client, login, csrf_from, admin):
    login("gao")
    wrong_type = _upload(client, csrf_from, "caps.pdf", b"%PDF-1.7")
    assert wrong_type.status_code == 200 and "只接受 .csv 文件" in wrong_type.get_data(as_text=True)
    empty = _upload(client, csrf_from, "caps.csv", b"")
    assert "文件是空的" in empty.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ImportUpload.id))) == 0


def test_only_those_who_manage_reference_data_may_import(client, login, make_user):
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("wang")
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/1/status.json").status_code == 403


def test_a_crashed_job_is_shown_as_failed(client, login, admin, app):
    upload = services.store_upload("capabilities", "caps.csv", b"org\n", admin)
    upload.job_id = "inline-does-not-exist"
    upload.state = ImportState.RUNNING
    db.session.commit()
    login("gao")
    # an unknown job id: the page keeps the upload's own state and answers, no server error
    status = client.get(f"/imports/{upload.id}/status.json").get_json()
    assert status["state"] == "running" and not status["finished"]


def test_the_cli_imports_with_a_progress_bar_and_refuses_bad_files(app, tmp_path,
                                                                  capability_files):
    before = _count()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(capability_files["good"])
    bad.write_bytes(capability_files["bad"])
    runner = CliRunner()
    result = runner.invoke(import_command, ["capabilities", str(good)])
    assert result.exit_code == 0, result.output
    # the bar itself draws only on a terminal; its label and the summary always print
    assert "检验能力清单 good.csv" in result.output and "导入检验能力 450 条" in result.output
    refused = runner.invoke(import_command, ["capabilities", str(bad)])
    assert refused.exit_code == 1 and "XX-LAB" in refused.output
    assert _count() == before + 450
