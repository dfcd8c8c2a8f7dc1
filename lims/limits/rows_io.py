"""Read and validate limit rows from CSV or XLSX files.

``validate_rows`` checks every row and returns all errors (row number + Chinese reason),
so that an import can be refused whole and the lab sees everything to fix at once.
The shipped library is loaded through the same code, so it is held to the same rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lims.foods.analytes import split_analyte_name

from .categories import CategoryGraph
from .parsing import ParseError, parse_limit, parse_number
from .records import (
    Additive,
    Analyte,
    FoodCategory,
    GroupMember,
    LibraryError,
    LimitRow,
    Placement,
    ResidueComponent,
    Standard,
)
from .units import UnitError, parse_unit

__all__ = [
    "RowError",
    "ImportRefused",
    "LIMIT_COLUMNS",
    "REQUIRED_COLUMNS",
    "BASES",
    "read_table",
    "validate_rows",
    "rows_from_records",
    "load_limit_rows",
    "load_standards",
    "load_categories",
    "load_analytes",
    "load_placements",
    "load_additives",
    "load_groups",
    "load_residues",
]

LIMIT_COLUMNS = (
    "standard", "clause", "analyte", "expressed_as", "category", "category_text",
    "exclusions", "limit", "unit", "basis", "condition", "temporary", "notes",
    "effective_from", "effective_to", "source", "verified",
)  # fmt: skip
REQUIRED_COLUMNS = ("standard", "clause", "analyte", "category", "limit", "source")
# Longest text each column may hold: the columns of lims.limits.models.LimitRowRecord
# (a test keeps the two equal), so a file that loads from CSV also loads into PostgreSQL.
MAX_LENGTHS = {
    "clause": 80, "analyte": 255, "expressed_as": 40, "category": 120, "limit": 120,
    "unit": 30, "basis": 20, "condition": 120,
}  # fmt: skip
BASES = ("fresh", "dry", "fat", "as_is", "solid", "as_consumed")
VERIFIED = ("yes", "no", "secondary")
_YES = {"yes": True, "y": True, "true": True, "1": True, "是": True, "*": True}
_NO = {"no": False, "n": False, "false": False, "0": False, "否": False, "": False}


@dataclass(frozen=True)
class RowError:
    """A bad row: ``row`` is the line in the file (header = 1), ``message`` in Chinese."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


class ImportRefused(ValueError):
    """The file has bad rows; nothing was imported.  ``errors`` lists every one."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(str(e) for e in self.errors[:200])
        more = f"\n……共 {len(self.errors)} 处错误" if len(self.errors) > 200 else ""
        super().__init__(f"文件中有 {len(self.errors)} 处错误，整个文件未导入：\n{lines}{more}")


def read_table(path: Path | str | io.BytesIO, *, suffix: str | None = None) -> list[dict[str, str]]:
    """Read a CSV (UTF-8, BOM allowed) or XLSX file into dicts of stripped strings.

    Each dict carries ``__row__``, the line number in the file (header is line 1).
    """
    name = str(getattr(path, "name", path))
    kind = (suffix or Path(name).suffix).lower().lstrip(".")
    if kind == "xlsx":
        return _read_xlsx(path)
    if kind not in ("csv", "txt", ""):
        raise ValueError(f"不支持的文件类型：{kind}（仅支持 CSV 或 XLSX）")
    if isinstance(path, io.BytesIO):
        text = path.getvalue().decode("utf-8-sig")
    else:
        text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    out = []
    for number, record in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            row["__extra__"] = "|".join(record[None])  # type: ignore[index]
        row["__row__"] = str(number)
        out.append(row)
    return out


def _read_xlsx(path: Path | str | io.BytesIO) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [str(c or "").strip() for c in next(rows)]
    except StopIteration:
        return []
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {}
        for key, value in zip(header, values, strict=False):
            if not key:
                continue
            if isinstance(value, dt.datetime):
                value = value.date().isoformat()
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, float):
                # Excel stores 0.05 as a float; repr gives the shortest exact-looking text.
                value = repr(value)
            row[key] = "" if value is None else str(value).strip()
        row["__row__"] = str(number)
        out.append(row)
    workbook.close()
    return out


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(text)


def _check_category(
    value: str, graph: CategoryGraph | None, scheme: str | None
) -> tuple[str | None, str | None]:
    """(code, error) for a category given as code or name."""
    if graph is None:
        return value, None
    if value in graph.nodes:
        return value, None
    if scheme:
        code = graph.resolve(value, scheme)
        if code:
            return code, None
    codes = graph.find(value)
    if len(codes) == 1:
        return codes[0], None
    if len(codes) > 1:
        return None, f"食品分类“{value}”有多个同名节点（{'、'.join(codes)}），请写编码"
    return None, f"未知食品分类“{value}”"


def validate_rows(
    records: Sequence[Mapping[str, str]],
    *,
    standards: Mapping[str, Standard] | None = None,
    graph: CategoryGraph | None = None,
) -> list[RowError]:
    """All errors in ``records`` (dicts from :func:`read_table`); empty if all rows are good.

    With ``standards`` the standard must be known; with ``graph`` categories and exclusions
    must resolve (a name is accepted if unique, or unique within the standard's scheme).
    """
    _, errors = _convert(records, standards=standards, graph=graph)
    return errors


def rows_from_records(
    records: Sequence[Mapping[str, str]],
    *,
    standards: Mapping[str, Standard] | None = None,
    graph: CategoryGraph | None = None,
    file: str = "",
) -> list[LimitRow]:
    """Validated rows; raises :class:`ImportRefused` listing every bad row."""
    rows, errors = _convert(records, standards=standards, graph=graph, file=file)
    if errors:
        raise ImportRefused(errors)
    return rows


def _convert(
    records: Sequence[Mapping[str, str]],
    *,
    standards: Mapping[str, Standard] | None,
    graph: CategoryGraph | None,
    file: str = "",
) -> tuple[list[LimitRow], list[RowError]]:
    errors: list[RowError] = []
    rows: list[LimitRow] = []
    if not records:
        return [], [RowError(1, "文件中没有数据行")]
    missing = [c for c in REQUIRED_COLUMNS if c not in records[0]]
    if missing:
        return [], [RowError(1, f"缺少必需的列：{'、'.join(missing)}")]
    seen: dict[tuple[str, ...], int] = {}
    for record in records:
        number = int(record.get("__row__", "0") or 0)
        problems: list[str] = []
        if record.get("__extra__"):
            problems.append("列数多于表头")

        def get(key: str, record: Mapping[str, str] = record) -> str:
            return (record.get(key) or "").strip()

        for column in REQUIRED_COLUMNS:
            if not get(column):
                problems.append(f"“{column}”为空")
        for column, longest in MAX_LENGTHS.items():
            if len(get(column)) > longest:
                problems.append(f"“{column}”超过 {longest} 个字符（{len(get(column))} 个）")
        standard = get("standard")
        scheme = None
        if standards is not None and standard:
            if standard not in standards:
                problems.append(f"未知标准“{standard}”（须先在标准清单中登记）")
            else:
                scheme = standards[standard].scheme
        analyte = get("analyte")
        if analyte:
            try:
                split_analyte_name(analyte)
            except ValueError as exc:
                problems.append(str(exc))
        category, error = (None, None)
        if get("category"):
            category, error = _check_category(get("category"), graph, scheme)
            if error:
                problems.append(error)
        exclusions: list[str] = []
        for item in filter(None, (x.strip() for x in get("exclusions").split("|"))):
            code, error = _check_category(item, graph, scheme)
            if error:
                problems.append(f"除外项：{error}")
            elif code:
                exclusions.append(code)
        unit = get("unit")
        if unit:
            try:
                parse_unit(unit)
            except UnitError as exc:
                problems.append(str(exc))
        limit = get("limit")
        removed = limit in ("—", "-", "无")
        if limit and not removed:
            try:
                spec = parse_limit(f"{limit}{unit}")
                if spec.kind in ("max", "min", "range") and spec.unit is None:
                    problems.append(f"数值限量“{limit}”缺少单位")
                if spec.kind in ("not_detected", "not_permitted", "gmp", "qualitative") and unit:
                    problems.append(f"“{limit}”不应带单位“{unit}”")
            except ParseError as exc:
                problems.append(str(exc))
        basis = get("basis") or "fresh"
        if basis not in BASES:
            problems.append(f"basis 应为 {'/'.join(BASES)} 之一：“{basis}”")
        temporary_text = get("temporary").lower()
        if temporary_text not in _YES and temporary_text not in _NO:
            problems.append(f"temporary 应为 yes 或 no：“{get('temporary')}”")
        verified = get("verified") or "no"
        if verified not in VERIFIED:
            problems.append(f"verified 应为 {'/'.join(VERIFIED)} 之一：“{verified}”")
        dates: list[dt.date | None] = []
        for column in ("effective_from", "effective_to"):
            try:
                dates.append(_date(get(column)))
            except ValueError:
                problems.append(f"{column} 不是 YYYY-MM-DD 日期：“{get(column)}”")
                dates.append(None)
        if dates[0] and dates[1] and dates[0] > dates[1]:
            problems.append("effective_from 晚于 effective_to")
        key = (
            standard, split_analyte_name(analyte).key if analyte and not problems else analyte,
            get("expressed_as"), category or get("category"), get("condition"), basis,
        )  # fmt: skip
        if key in seen:
            problems.append(f"与第 {seen[key]} 行重复（同一标准、分析物、食品分类、条件与基准）")
        else:
            seen[key] = number
        if problems:
            errors.extend(RowError(number, p) for p in problems)
            continue
        rows.append(
            LimitRow(
                standard=standard,
                clause=get("clause"),
                analyte=analyte,
                expressed_as=get("expressed_as"),
                category=category or get("category"),
                category_text=get("category_text") or get("category"),
                exclusions=tuple(exclusions),
                limit=limit,
                unit=unit,
                basis=basis,
                condition=get("condition"),
                temporary=_YES.get(temporary_text, False),
                notes=get("notes"),
                effective_from=dates[0],
                effective_to=dates[1],
                source=get("source"),
                verified=verified,
                file=file,
                line=number,
            )  # fmt: skip
        )
    return rows, errors


def load_limit_rows(
    path: Path | str,
    *,
    standards: Mapping[str, Standard] | None = None,
    graph: CategoryGraph | None = None,
) -> list[LimitRow]:
    """Rows of one library file; raises :class:`ImportRefused` if any row is bad."""
    return rows_from_records(
        read_table(path), standards=standards, graph=graph, file=Path(path).name
    )


def load_standards(path: Path | str) -> list[Standard]:
    out = []
    for record in read_table(path):
        try:
            out.append(
                Standard(
                    code=record["code"],
                    family=record["family"],
                    edition=record["edition"],
                    title=record["title"],
                    effective_from=dt.date.fromisoformat(record["effective_from"]),
                    effective_to=_date(record.get("effective_to", "")),
                    replaced_by=record.get("replaced_by", ""),
                    comparison=record.get("comparison", "") or "full",
                    scheme=record["scheme"],
                    base_edition=record.get("base_edition", ""),
                    notes=record.get("notes", ""),
                    source=record.get("source", ""),
                    verified=record.get("verified", "no"),
                )  # fmt: skip
            )
        except (KeyError, ValueError) as exc:
            raise LibraryError(f"{Path(path).name} 第 {record['__row__']} 行：{exc}") from None
    return out


def load_categories(path: Path | str) -> list[FoodCategory]:
    out = []
    for record in read_table(path):
        out.append(
            FoodCategory(
                code=record["code"],
                parents=tuple(p for p in record.get("parent_codes", "").split("|") if p),
                scheme=record["scheme"],
                name_zh=record["name_zh"],
                aliases=tuple(a for a in record.get("aliases", "").split("|") if a),
                source=record.get("source", ""),
                verified=record.get("verified", "no"),
            )
        )
    return out


def load_analytes(path: Path | str) -> list[Analyte]:
    if not Path(path).exists():
        return []
    return [
        Analyte(
            name=r["name"],
            aliases=tuple(a for a in r.get("aliases", "").split("|") if a),
            species_of=r.get("species_of", ""),
            group=r.get("group", ""),
            notes=r.get("notes", ""),
        )
        for r in read_table(path)
    ]


def _side_file(path: Path | str | None, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Records of an optional side file; a missing file is empty, a bad one refused."""
    if path is None or not Path(path).exists():
        return []
    records = read_table(path)
    errors: list[RowError] = []
    if records:
        missing = [c for c in required if c not in records[0]]
        if missing:
            raise LibraryError(f"{Path(path).name}：缺少必需的列：{'、'.join(missing)}")
    for record in records:
        number = int(record.get("__row__", "0") or 0)
        for column in (*required, "source"):
            if not (record.get(column) or "").strip():
                errors.append(RowError(number, f"“{column}”为空"))
        verified = (record.get("verified") or "no").strip()
        if verified not in VERIFIED:
            errors.append(RowError(number, f"verified 应为 {'/'.join(VERIFIED)} 之一：“{verified}”"))
    if errors:
        raise LibraryError(f"{Path(path).name}：{ImportRefused(errors)}")
    return records


def load_placements(path: Path | str | None) -> list[Placement]:
    """The placement of the sampling rules' 细类 in the category schemes."""
    columns = ("subcategory_code", "subcategory_name", "scheme", "node")
    return [
        Placement(
            subcategory_code=r["subcategory_code"], name=r["subcategory_name"],
            scheme=r["scheme"], node=r["node"], why=r.get("why", ""),
            source=r.get("source", ""), verified=r.get("verified") or "no",
            covers=(r.get("covers") or "").strip() == "yes",
        )  # fmt: skip
        for r in _side_file(path, columns)
    ]


def load_additives(path: Path | str | None) -> list[Additive]:
    """GB 2760 additives with their functions (for the A.4 sum of proportions)."""
    return [
        Additive(
            analyte=r["analyte"],
            functions=tuple(f.strip() for f in r["function"].split("|") if f.strip()),
            colour=r.get("colour", ""), source=r.get("source", ""),
            verified=r.get("verified") or "no",
        )  # fmt: skip
        for r in _side_file(path, ("analyte", "function"))
    ]


def load_groups(path: Path | str | None) -> list[GroupMember]:
    """Members of the items that group analytes (合成着色剂 -> 柠檬黄, 日落黄, …)."""
    return [
        GroupMember(
            group=r["group"], member=r["member"], expressed_as=r.get("expressed_as", ""),
            source=r.get("source", ""), verified=r.get("verified") or "no",
        )  # fmt: skip
        for r in _side_file(path, ("group", "member"))
    ]


def load_residues(path: Path | str | None) -> list[ResidueComponent]:
    """Residue definitions that are sums of components (克百威 + 3-羟基克百威)."""
    out = []
    for r in _side_file(path, ("analyte", "component")):
        factor = r.get("factor") or "1"
        try:
            parse_number(factor)
        except ParseError:
            raise LibraryError(
                f"{Path(str(path)).name} 第 {r['__row__']} 行：换算系数不是数字：“{factor}”"
            ) from None
        out.append(
            ResidueComponent(
                analyte=r["analyte"], component=r["component"], factor=factor,
                standard=r.get("standard", ""), source=r.get("source", ""),
                verified=r.get("verified") or "no",
            )  # fmt: skip
        )
    return out
