"""Spreadsheet cells written as data, never as formulas (CSV and XLSX exports).

A cell that starts with ``= + - @`` (or a tab or carriage return, which some programs skip
before looking) is read by Excel, WPS and LibreOffice as a formula: a stall named
``=HYPERLINK(…)`` would become a live link in a downloaded report.  Every export writes its
cells through this module: in CSV such a text gets a leading apostrophe (OWASP's advice; the
spreadsheet shows the text), in XLSX it is stored as a text cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from lims.core.localtime import to_local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def spreadsheet_cell(value: Any) -> Any:
    """The value as a CSV cell: None is empty, a formula-like text is quoted as text."""
    if value is None:
        return ""
    if formula_like(value):
        return "'" + value
    return value


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> bytes:
    """A UTF-8 CSV (with BOM, so that Excel reads Chinese) of safe cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_cell(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_append(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet; texts are text cells, never formulas."""
    row = []
    for value in values:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            # the lab's wall-clock time, naive: openpyxl refuses aware datetimes
            value = to_local(value).replace(tzinfo=None)
        row.append(value)
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if formula_like(cell.value):
            cell.data_type = "s"
