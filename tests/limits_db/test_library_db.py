"""The limit library in the database: loading, importing a standard, refusing bad files."""

import csv
import datetime as dt

import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import Workbook

from lims.audit.models import AuditEntry
from lims.extensions import db
from lims.limits.checking import check_result
from lims.limits.models import LimitRowRecord, LimitStandard
from lims.limits.rows_io import LIMIT_COLUMNS
from lims.limits.services import import_limits, library_index, load_shipped_limits

LOCAL_STANDARD = ("code,family,edition,title,effective_from,effective_to,replaced_by,comparison,"
                  "scheme,base_edition,notes,source,verified\n"
                  "DBS 65/999-2026,DBS 65/999,2026,新疆地方标准 示例 干果中铅限量,2026-01-01,,,"
                  "full,GB2762,,local example,test fixture,no\n")


def _row(**values):
    row = {c: "" for c in LIMIT_COLUMNS}
    row.update(standard="DBS 65/999-2026", clause="表1", analyte="铅", expressed_as="以Pb计",
               category="GB2762:水果及其制品", category_text="水果及其制品", limit="≤0.15",
               unit="mg/kg", basis="fresh", temporary="no", source="DBS 65/999-2026 表1 第1行",
               verified="no")
    row.update(values)
    return row


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LIMIT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _invoke(app, *args):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


def test_shipped_library_loads_into_the_database(app):
    summary = load_shipped_limits()
    db.session.commit()
    assert "GB 2762-2025" in summary.standards
    assert summary.rows == db.session.scalar(sa.select(sa.func.count(LimitRowRecord.id)))
    index = library_index()
    outcome = check_result(index, "铅(以Pb计)", ["菠菜"], "0.35mg/kg", dt.date(2026, 10, 1))
    assert outcome.data["verdict"] == "fail"
    assert outcome.data["limit"]["standard"] == "GB 2762-2025"


def test_import_adds_a_standard_and_lookup_uses_it(app, tmp_path):
    standards = tmp_path / "standards.csv"
    standards.write_text(LOCAL_STANDARD, encoding="utf-8")
    rows = _write_csv(tmp_path / "dbs.csv", [_row()])
    result = _invoke(app, "limits", "import", str(rows), "--standards", str(standards))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(LimitStandard).filter_by(code="DBS 65/999-2026"))
    outcome = check_result(library_index(), "铅", ["苹果"], "0.12mg/kg", dt.date(2026, 5, 1),
                           standard="DBS 65/999-2026")
    assert outcome.data["verdict"] == "pass"
    assert outcome.data["limit"]["value"] == "0.15"


def test_reimport_replaces_the_rows_of_that_standard_and_is_audited(app, tmp_path):
    standards = tmp_path / "standards.csv"
    standards.write_text(LOCAL_STANDARD, encoding="utf-8")
    import_limits(_write_csv(tmp_path / "v1.csv", [_row()]), standards_path=standards)
    db.session.commit()
    import_limits(_write_csv(tmp_path / "v2.csv", [_row(limit="≤0.1")]))
    db.session.commit()
    stored = db.session.scalars(sa.select(LimitRowRecord).filter_by(
        standard="DBS 65/999-2026")).all()
    assert [r.limit for r in stored] == ["≤0.1"]
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.table_name == "limit_row")).all()
    assert actions.count("delete") == 1 and actions.count("create") == 2
    outcome = check_result(library_index(), "铅", ["苹果"], "0.12mg/kg", dt.date(2026, 5, 1),
                           standard="DBS 65/999-2026")
    assert outcome.data["verdict"] == "fail"


def test_a_file_with_bad_rows_is_refused_whole(app, tmp_path):
    standards = tmp_path / "standards.csv"
    standards.write_text(LOCAL_STANDARD, encoding="utf-8")
    rows = [_row(), _row(limit="≤abc"), _row(category="不存在的食品"), _row(unit="kg/furlong")]
    path = _write_csv(tmp_path / "bad.csv", rows)
    before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    result = _invoke(app, "limits", "import", str(path), "--standards", str(standards))
    assert result.exit_code == 1
    for row_number in (3, 4, 5):
        assert f"第 {row_number} 行" in result.output or f"第{row_number}行" in result.output
    assert db.session.scalar(sa.select(sa.func.count(LimitRowRecord.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(LimitStandard.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before


def test_unknown_standard_is_refused(app, tmp_path):
    path = _write_csv(tmp_path / "x.csv", [_row(standard="DBS 65/000-2026")])
    result = _invoke(app, "limits", "import", str(path))
    assert result.exit_code == 1
    assert "未知标准" in result.output


def test_xlsx_import(app, tmp_path):
    standards = tmp_path / "standards.csv"
    standards.write_text(LOCAL_STANDARD, encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.append(list(LIMIT_COLUMNS))
    sheet.append([_row()[c] for c in LIMIT_COLUMNS])
    path = tmp_path / "dbs.xlsx"
    book.save(path)
    result = _invoke(app, "limits", "import", str(path), "--standards", str(standards), "--json")
    assert result.exit_code == 0, result.output
    assert '"rows": 1' in result.output


def test_check_command_uses_the_database_library(app, tmp_path):
    standards = tmp_path / "standards.csv"
    standards.write_text(LOCAL_STANDARD, encoding="utf-8")
    import_limits(_write_csv(tmp_path / "v1.csv", [_row(limit="≤0.05")]),
                  standards_path=standards)
    db.session.commit()
    result = _invoke(app, "limits", "check", "--item", "铅", "--food", "苹果", "--result",
                     "0.08mg/kg", "--date", "2026-05-01", "--standard", "DBS 65/999-2026",
                     "--json")
    assert result.exit_code == 0, result.output
    assert '"verdict": "fail"' in result.output
