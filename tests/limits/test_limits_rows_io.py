"""Import validation: a file with any bad row is refused whole, listing each bad row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from lims.limits.library import LimitIndex
from lims.limits.rows_io import (
    LIMIT_COLUMNS,
    ImportRefused,
    read_table,
    rows_from_records,
    validate_rows,
)

GOOD = {
    "standard": "GB 2762-2025", "clause": "4.1 表1", "analyte": "铅", "expressed_as": "以Pb计",
    "category": "叶菜蔬菜", "category_text": "叶菜蔬菜", "exclusions": "", "limit": "≤0.3",
    "unit": "mg/kg", "basis": "fresh", "condition": "", "temporary": "no", "notes": "",
    "effective_from": "", "effective_to": "", "source": "GB 2762-2025 表1 line 63", "verified": "yes",
}  # fmt: skip


def _records(*changes: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for number, change in enumerate(changes, start=2):
        record = {**GOOD, **change, "__row__": str(number)}
        out.append(record)
    return out


def test_good_rows(index: LimitIndex) -> None:
    records = _records(
        {},
        {"category": "F:芹菜", "limit": "≤0.1"},
        {"limit": "不得检出", "unit": "", "category": "菠菜"},
    )
    assert validate_rows(records, standards=index.standards, graph=index.graph) == []
    rows = rows_from_records(records, standards=index.standards, graph=index.graph)
    assert rows[0].category == "GB2762:叶菜蔬菜"  # a name resolves within the standard's scheme
    assert rows[2].spec.kind == "not_detected"


def test_every_bad_row_is_listed(index: LimitIndex) -> None:
    records = _records(
        {},
        {"standard": "GB 9999-2099"},
        {"limit": "≤abc"},
        {"unit": "furlongs"},
        {"category": "月球蔬菜"},
        {"basis": "wet"},
        {"temporary": "maybe"},
        {"effective_from": "2026-13-01"},
        {"limit": "≤0.3", "unit": ""},
        {"source": ""},
        {"category": "叶菜蔬菜"},  # duplicate of row 2
        {"exclusions": "F:不存在"},
        {"effective_from": "2027-01-01", "effective_to": "2026-01-01"},
    )
    errors = validate_rows(records, standards=index.standards, graph=index.graph)
    rows_with_errors = {e.row for e in errors}
    assert rows_with_errors == set(range(3, 15))
    assert all(e.message for e in errors)
    with pytest.raises(ImportRefused) as info:
        rows_from_records(records, standards=index.standards, graph=index.graph)
    assert len(info.value.errors) == len(errors)
    assert "第 3 行" in str(info.value) and "整个文件未导入" in str(info.value)


def test_missing_columns() -> None:
    errors = validate_rows([{"standard": "x", "__row__": "2"}])
    assert errors and errors[0].row == 1 and "缺少必需的列" in errors[0].message
    assert validate_rows([])[0].message == "文件中没有数据行"


def test_csv_with_bom(tmp_path: Path, index: LimitIndex) -> None:
    path = tmp_path / "rows.csv"
    header = ",".join(LIMIT_COLUMNS)
    line = ",".join(GOOD[c] for c in LIMIT_COLUMNS)
    path.write_text("\ufeff" + header + "\n" + line + "\n", encoding="utf-8")
    records = read_table(path)
    assert records[0]["standard"] == "GB 2762-2025" and records[0]["__row__"] == "2"
    assert validate_rows(records, standards=index.standards, graph=index.graph) == []


def test_xlsx(tmp_path: Path, index: LimitIndex) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(LIMIT_COLUMNS))
    sheet.append([GOOD[c] for c in LIMIT_COLUMNS])
    bad = {**GOOD, "limit": "≤", "category": "菠菜"}
    sheet.append([bad[c] for c in LIMIT_COLUMNS])
    path = tmp_path / "rows.xlsx"
    workbook.save(path)
    records = read_table(path)
    assert len(records) == 2
    errors = validate_rows(records, standards=index.standards, graph=index.graph)
    assert [e.row for e in errors] == [3]
    buffer = io.BytesIO(path.read_bytes())
    assert len(read_table(buffer, suffix="xlsx")) == 2


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="不支持"):
        read_table(path)
