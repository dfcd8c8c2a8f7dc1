"""The dashboard, its downloads, the records pages, the API and the CLI on the 2026 world."""

from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook

from lims.users.roles import Role
from tests.conftest import bearer


def test_dashboard_shows_coverage_targets_and_charts(world, make_user, login, client):
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    page = client.get("/stats/?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="coverage-rate" data-rate="0.375"' in html
    assert html.count("<svg") >= 6 and 'class="target-line"' in html
    assert "博乐市" in html and "精河县" in html and "2.0" in html
    assert "http://" not in html.split("<main", 1)[1].replace("http://www.w3.org", "")
    assert '/stats/export/targets.csv?year=2026' in html
    assert "/stats/records/failed?year=2026" in html


def test_nav_entry_for_those_who_may_view_statistics(world, make_user, login, client):
    make_user("zhou", roles=(Role.SUPERVISOR,))
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("zhou")
    assert 'href="/stats/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login("wang")
    assert 'href="/stats/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/stats/").status_code == 403


def test_a_county_user_sees_its_county_only(world, make_user, login, client):
    make_user("huang", org_code="BL-LAB", roles=(Role.SIGNATORY,))
    login("huang")
    jinghe = world.regions["精河县"].id
    html = client.get(f"/stats/?year=2026&region={jinghe}").get_data(as_text=True)
    targets = html.split('id="table-targets"', 1)[1].split("</table>", 1)[0]
    assert "博乐市" in targets and "精河县" not in targets
    body = client.get(f"/stats/export/targets.csv?year=2026&region={jinghe}").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["博乐市"]


def test_every_table_downloads_as_csv_and_xlsx(world, make_user, login, client):
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    html = client.get("/stats/?year=2026").get_data(as_text=True)
    keys = sorted(set(re.findall(r"/stats/export/([a-z_]+)\.csv", html)))
    assert {"coverage_tiers", "coverage_categories", "coverage_basis", "coverage_gaps",
            "targets", "monthly_qualified", "varieties", "failing_items",
            "failing_foods"} <= set(keys)
    for key in keys:
        response = client.get(f"/stats/export/{key}.csv?year=2026")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert len(list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))) >= 1
        book = client.get(f"/stats/export/{key}.xlsx?year=2026")
        assert book.status_code == 200
        load_workbook(io.BytesIO(book.data))
    body = client.get("/stats/export/targets.csv?year=2026").data.decode("utf-8-sig")
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    assert rows["博乐市"][3] == "2.0"        # samples per 1,000
    assert rows["博尔塔拉蒙古自治州"][15] == "75.0%"  # qualified rate
    sheet = load_workbook(io.BytesIO(client.get(
        "/stats/export/coverage_gaps.xlsx?year=2026").data)).active
    assert sheet.cell(2, 1).value == "34-6:毒死蜱" and sheet.cell(2, 9).value == 2
    assert client.get("/stats/export/nothing.csv").status_code == 404


def test_records_behind_the_figures(world, make_user, login, client):
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    failed = client.get("/stats/records/failed?year=2026").get_data(as_text=True)
    assert "S2" in failed and "铅(以Pb计)" in failed and "S1<" not in failed
    unreported = client.get("/stats/records/unreported?year=2026").get_data(as_text=True)
    assert "S2-B" in unreported and "S8" in unreported and ">S1<" not in unreported
    stalls = client.get("/stats/export/records_stalls.csv?year=2026").data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(stalls)))) == 1 + 6
    assert client.get("/stats/records/nothing").status_code == 404


def test_api_serves_the_same_figures(world, make_user, client):
    supervisor = make_user("zhou", roles=(Role.SUPERVISOR,))
    headers = bearer(supervisor)
    coverage = client.get("/api/v1/stats/coverage?year=2026", headers=headers)
    assert coverage.status_code == 200
    assert (coverage.json["covered"], coverage.json["items"]) == (3, 8)
    targets = client.get("/api/v1/stats/targets?year=2026", headers=headers).json
    assert targets["prefecture"]["samples_tested"] == 4
    assert client.get("/api/v1/stats/targets?year=abc", headers=headers).status_code == 422
    tech = make_user("wang", roles=(Role.TECHNICIAN,))
    assert client.get("/api/v1/stats/coverage", headers=bearer(tech)).status_code == 403
    assert client.get("/api/v1/stats/coverage").status_code == 401


def test_cli_prints_the_same_figures(world, app, client, make_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "targets", "--year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    supervisor = make_user("zhou", roles=(Role.SUPERVISOR,))
    served = client.get("/api/v1/stats/targets?year=2026", headers=bearer(supervisor)).json
    assert printed == served
    result = runner.invoke(args=["stats", "coverage", "--year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rate"] == 0.375
    text = runner.invoke(args=["stats", "coverage", "--year", "2026"])
    assert "37.5%" in text.output
    bad = runner.invoke(args=["stats", "targets", "--county", "火星"])
    assert bad.exit_code != 0 and "未知县市" in bad.output
