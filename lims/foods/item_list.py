"""Import of a local test-item list (DBS 65/… style) with the columns of the national rules.

A prefecture may add items that a local food-safety standard requires.  The file is a
CSV or XLSX sheet with a header row::

    细类 | 序号 | 检验项目 | 依据法律法规或标准 | 检测方法 | 注脚(optional)

``细类`` is a 细类 code, table id or name of the national rules.  Every row is checked;
if any row is wrong nothing is imported and every error is reported with its sheet row
number (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lims.foods.analytes import split_analyte_name
from lims.foods.standards import NO_METHOD, basis_family, clean_text, parse_basis, parse_methods

if TYPE_CHECKING:
    from lims.foods.rules import SamplingRules, TestItem

COLUMNS = {
    "subcategory": ("细类", "subcategory"),
    "seq": ("序号", "seq"),
    "name": ("检验项目", "item"),
    "basis": ("依据法律法规或标准", "依据", "basis"),
    "method": ("检测方法", "method"),
    "footnotes": ("注脚", "footnotes"),
}
REQUIRED = ("subcategory", "name", "basis", "method")


class ItemListError(ValueError):
    """The list was refused; ``errors`` holds one Chinese message per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("检验项目清单未导入：\n" + "\n".join(errors))


def _column_map(header: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in header:
        label = clean_text(str(col or "")).lower()
        for field, names in COLUMNS.items():
            if label in (n.lower() for n in names):
                found[field] = col
    return found


def parse_item_list(
    rows: Iterable[Mapping[str, Any]],
    rules: SamplingRules | None = None,
    source_name: str = "上传文件",
) -> list[TestItem]:
    """Validate rows (dicts keyed by the header) and return them as test items.

    Raises :class:`ItemListError` listing every problem; nothing is returned partially.
    """
    from lims.foods.rules import TestItem, load_rules

    rules = rules or load_rules()
    rows = list(rows)
    errors: list[str] = []
    if not rows:
        raise ItemListError(["文件中没有数据行"])
    cols = _column_map(rows[0].keys())
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in cols]
    if missing:
        raise ItemListError([f"缺少必填列：{'、'.join(missing)}"])

    items: list[TestItem] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        line = i + 2  # header is sheet row 1

        def cell(field: str, row: Mapping[str, Any] = row) -> str:
            col = cols.get(field)
            value = row.get(col) if col else None
            return "" if value is None else clean_text(str(value))

        if not any(cell(f) for f in cols):
            continue  # blank line
        here: list[str] = []
        sub_text = cell("subcategory")
        sub = None
        if not sub_text:
            here.append(f"第{line}行：细类为空")
        else:
            try:
                sub = rules.find_subcategory(sub_text)
            except LookupError as exc:
                here.append(f"第{line}行：{exc}")
            else:
                if sub is None:
                    here.append(f"第{line}行：细类“{sub_text}”不在{rules.edition}年版抽检细则中")
        seq: int | None = None
        seq_text = cell("seq")
        if seq_text:
            try:
                seq = int(float(seq_text))
                if seq < 1 or float(seq_text) != seq:
                    raise ValueError
            except ValueError:
                here.append(f"第{line}行：序号“{seq_text}”不是正整数")
        name = cell("name")
        key = expressed = None
        if not name:
            here.append(f"第{line}行：检验项目为空")
        else:
            try:
                parts = split_analyte_name(name)
                key, expressed = parts.key, parts.expressed_as
            except ValueError as exc:
                here.append(f"第{line}行：检验项目“{name}”无法识别（{exc}）")
        basis_text = cell("basis")
        basis, moved = parse_basis(basis_text)
        basis = [b for b in basis if len(b) > 1]
        if not basis:
            here.append(f"第{line}行：依据法律法规或标准为空")
        method_text = cell("method")
        methods, notes = parse_methods(method_text)
        methods = list(dict.fromkeys(moved + methods))
        if not methods and method_text not in NO_METHOD - {""}:
            here.append(f"第{line}行：检测方法为空（无检测方法请填“/”）")
        if sub and key:
            first = seen.get((sub.code, key))
            if first:
                here.append(f"第{line}行：检验项目“{name}”与第{first}行重复（同一细类）")
            else:
                seen[(sub.code, key)] = line
        if here:
            errors.extend(here)
            continue
        assert sub is not None and key is not None
        refs = tuple(r.strip() for r in cell("footnotes").replace("，", ",").split(",") if r.strip())
        items.append(TestItem(
            item_code=f"{sub.code}:{key}", subcategory_code=sub.code, table_id="",
            seq=seq, name_zh=name, analyte_key=key, expressed_as=expressed,
            analyte_class=_class_of(rules, key), basis_standards=tuple(basis),
            basis_families=tuple(dict.fromkeys(basis_family(b) for b in basis)),
            method_standards=tuple(methods), method_notes=tuple(notes),
            footnote_refs=refs, source=f"{source_name} 第{line}行"))
    if errors:
        raise ItemListError(errors)
    if not items:
        raise ItemListError(["文件中没有数据行"])
    return items


def _class_of(rules: SamplingRules, key: str) -> str:
    analyte = rules.analytes.get(key)
    return analyte.analyte_class if analyte else "other"


def read_item_list(path: str | Path, content: bytes | None = None) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as dicts keyed by header."""
    path = Path(path)
    data = content if content is not None else path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ItemListError(["CSV 文件不是 UTF-8 编码，请另存为 UTF-8"]) from exc
        return list(csv.DictReader(io.StringIO(text)))
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types
            raise ItemListError([f"无法读取 XLSX 文件：{exc}"]) from exc
        sheet = wb.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        wb.close()
        if not values:
            raise ItemListError(["文件中没有数据行"])
        header = [str(h).strip() if h is not None else "" for h in values[0]]
        return [dict(zip(header, row, strict=False)) for row in values[1:]]
    raise ItemListError([f"不支持的文件类型：{suffix or '无扩展名'}（请使用 .csv 或 .xlsx）"])
