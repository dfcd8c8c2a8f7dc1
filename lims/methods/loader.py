"""Load the method files in ``lims/methods/data`` (TOML, one file per method standard).

Every error names the file and the field so that whoever edits a method file can fix it
without reading this code.  Numbers are written as strings ("0.02") because a TOML float
is binary; integers are accepted where exact.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lims.foods.analytes import analyte_key
from lims.methods.formula import FormulaError, compile_formula
from lims.methods.method import (
    Analyte,
    Constant,
    DetectionLimit,
    InputSpec,
    Method,
    Qualitative,
    Reporting,
    ReportingRule,
    StandardRef,
    Uncertainty,
)
from lims.methods.units import UnitError, normalise_unit

__all__ = [
    "MethodFileError",
    "load_methods",
    "load_method_file",
    "methods_for_analyte",
    "find_method",
    "find_methods",
    "normalise_standard_number",
    "data_files",
]

_SOURCES = {"typed", "balance", "reader"}
_STANDARD = re.compile(r"^(GB(?:/T)?|SN/T|NY/T|DB\d+(?:/T)?)\s*(\d+(?:\.\d+)*)$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-/_]*$")


class MethodFileError(ValueError):
    """A method file that cannot be loaded; the message names file and field."""


class _Reader:
    """Typed access to one TOML table with errors that name the file and field path."""

    def __init__(self, file: str, path: str, table: Mapping[str, Any]) -> None:
        if not isinstance(table, Mapping):
            raise MethodFileError(f"{file}：{path} 应为表（table）")
        self.file = file
        self.path = path
        self.table = table
        self.seen: set[str] = set()

    def fail(self, key: str, message: str) -> MethodFileError:
        where = f"{self.path}.{key}" if self.path else key
        return MethodFileError(f"{self.file}：字段 {where} {message}")

    def get(self, key: str, default: Any = ..., kinds: type | tuple[type, ...] = object) -> Any:
        self.seen.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "缺失")
            return default
        value = self.table[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
            raise self.fail(key, f"类型错误：{value!r}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, default, str)
        if value is default and default is not ...:
            return value
        value = value.strip()  # no NFKC: it would turn Chinese full-width punctuation to ASCII
        if not value and default is ...:
            raise self.fail(key, "为空")
        return value

    def decimal(self, key: str, default: Any = ...) -> Decimal | None:
        value = self.get(key, default)
        if value is default and default is not ...:
            return value
        return _to_decimal(value, lambda m: self.fail(key, m))

    def flag(self, key: str, default: bool) -> bool:
        return bool(self.get(key, default, bool))

    def integer(self, key: str, default: Any = ...) -> int | None:
        value = self.get(key, default)
        if value is default and default is not ...:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"应为整数：{value!r}")
        return value

    def unit(self, key: str, default: Any = ...) -> str:
        value = self.text(key, default)
        if value is default and default is not ...:
            return value
        try:
            return normalise_unit(value)
        except UnitError as exc:
            raise self.fail(key, str(exc)) from None

    def tables(self, key: str) -> list[_Reader]:
        items = self.get(key, [], list)
        where = f"{self.path}.{key}" if self.path else key
        return [_Reader(self.file, f"{where}[{i}]", item) for i, item in enumerate(items)]

    def sub(self, key: str) -> _Reader | None:
        if key not in self.table:
            self.seen.add(key)
            return None
        self.get(key, kinds=dict)
        where = f"{self.path}.{key}" if self.path else key
        return _Reader(self.file, where, self.table[key])

    def finish(self) -> None:
        extra = sorted(set(self.table) - self.seen)
        if extra:
            where = self.path or "顶层"
            raise MethodFileError(f"{self.file}：{where} 含未知字段 {'、'.join(extra)}")


def _to_decimal(value: Any, fail: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise fail(f'请把数值写成字符串（如 "0.02"），以免二进制浮点误差：{value!r}')
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise fail(f"不是数值：{value!r}")
    try:
        number = Decimal(unicodedata.normalize("NFKC", value).strip())
    except InvalidOperation:
        raise fail(f"不是数值：{value!r}") from None
    if not number.is_finite():
        raise fail(f"不是有限数值：{value!r}")
    return number


def normalise_standard_number(text: str) -> tuple[str, int | None, str]:
    """Split "GB 5009.12-2023（第一法）" into ("GB 5009.12", 2023, "第一法").

    Spaces, full-width characters and dash variants are folded; the third item is any
    trailing qualifier such as 第二法 / 方法二 (empty when absent).
    """
    folded = unicodedata.normalize("NFKC", str(text)).strip().upper()
    folded = re.sub(r"[‐‑‒–—―−]", "-", folded)
    qualifier = ""
    match = re.search(
        r"[(（]?\s*(第[一二三四五六七八九十]+法|方法[一二三四五六七八九十]+)\s*[)）]?", folded
    )
    if match:
        qualifier = _canonical_part(match.group(1))
        folded = folded[: match.start()] + folded[match.end() :]
    folded = re.sub(r"\s+", " ", folded).strip()
    year: int | None = None
    year_match = re.search(r"-\s*(\d{4})$", folded)
    if year_match:
        year = int(year_match.group(1))
        folded = folded[: year_match.start()].strip()
    folded = re.sub(r"^(GB(?:/T)?|SN/T|NY/T)\s*", r"\1 ", folded)
    return folded, year, qualifier


def _canonical_part(text: str) -> str:
    if text.startswith("方法"):
        return f"第{text[2:]}法"
    return text


def _load_method(file: str, std: StandardRef, m: _Reader) -> Method:
    code = m.text("code")
    if not _CODE.match(code):
        raise m.fail("code", f"只能含字母、数字和 . - / _：{code!r}")
    inputs: list[InputSpec] = []
    for r in m.tables("inputs"):
        name = r.text("name")
        source = r.text("source")
        if source not in _SOURCES:
            raise r.fail("source", f"应为 typed、balance 或 reader 之一：{source!r}")
        spec = InputSpec(
            name=name,
            label_zh=r.text("label_zh"),
            label_en=r.text("label_en"),
            unit=r.unit("unit"),
            source=source,  # type: ignore[arg-type]
            required=r.flag("required", True),
            minimum=r.decimal("min", None),
            maximum=r.decimal("max", None),
            default=r.decimal("default", None),
            note=r.text("note", ""),
        )
        if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
            raise r.fail("min", f"大于 max（{spec.minimum} > {spec.maximum}）")
        r.finish()
        inputs.append(spec)
    if not inputs:
        raise m.fail("inputs", "至少需要一个输入项")
    constants: list[Constant] = []
    for r in m.tables("constants"):
        constants.append(
            Constant(
                name=r.text("name"),
                value=r.decimal("value"),  # type: ignore[arg-type]
                label_zh=r.text("label_zh"),
                unit=r.unit("unit", "1"),
            )
        )
        r.finish()
    names = [spec.name for spec in inputs] + [c.name for c in constants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise m.fail("inputs", f"变量名重复：{'、'.join(duplicates)}")
    formula_text = m.text("formula")
    try:
        formula = compile_formula(formula_text, names)
    except FormulaError as exc:
        raise m.fail("formula", str(exc)) from None
    unused = sorted(set(names) - formula.names)
    if unused:
        raise m.fail("formula", f"未使用已声明的输入或常量：{'、'.join(unused)}")
    for spec in inputs:
        if not spec.required and spec.default is None:
            raise m.fail("inputs", f"可选输入 {spec.name} 必须给出 default，公式才能计算")

    analytes: list[Analyte] = []
    for index, name in enumerate(m.get("analytes", kinds=list)):
        if not isinstance(name, str) or not name.strip():
            raise m.fail(f"analytes[{index}]", "应为非空字符串")
        try:
            analytes.append(Analyte(name=name.strip(), key=analyte_key(name)))
        except ValueError as exc:
            raise m.fail(f"analytes[{index}]", str(exc)) from None
    if not analytes:
        raise m.fail("analytes", "至少需要一个分析物")
    keys = [a.key for a in analytes]
    if len(set(keys)) != len(keys):
        raise m.fail("analytes", f"分析物重复：{sorted({k for k in keys if keys.count(k) > 1})}")

    result_unit = m.unit("result_unit")
    result_units = [result_unit]
    for index, text in enumerate(m.get("alternative_result_units", [], list)):
        try:
            result_units.append(normalise_unit(text))
        except UnitError as exc:
            raise m.fail(f"alternative_result_units[{index}]", str(exc)) from None

    limits: list[DetectionLimit] = []
    for r in m.tables("limits"):
        analyte = r.text("analyte", None)
        row = DetectionLimit(
            lod=r.decimal("lod", None),
            loq=r.decimal("loq", None),
            unit=r.unit("unit"),
            analyte_key=analyte_key(analyte) if analyte else None,
            matrix=r.text("matrix", None),
            basis=r.text("basis", ""),
            verified=r.flag("verified", False),
        )
        r.get("note", "", str)
        r.finish()
        if row.unit not in result_units:
            raise r.fail("unit", f"{row.unit} 不是方法的结果单位（{'、'.join(result_units)}）")
        if row.analyte_key is not None and row.analyte_key not in keys:
            raise r.fail("analyte", f"{analyte} 不在本方法的 analytes 中")
        if row.lod is None and row.loq is None:
            raise r.fail("lod", "lod 与 loq 至少给出一个")
        if row.lod is not None and row.loq is not None and row.lod > row.loq:
            raise r.fail("lod", f"检出限 {row.lod} 大于定量限 {row.loq}")
        limits.append(row)

    reporting = _reporting(m)
    uncertainty = None
    u = m.sub("uncertainty")
    if u is not None:
        relative = u.decimal("relative_percent")
        assert relative is not None
        if not Decimal(0) < relative < Decimal(100):
            raise u.fail("relative_percent", f"应在 0 与 100 之间：{relative}")
        uncertainty = Uncertainty(
            relative_percent=relative,
            k=u.integer("k", 2),  # type: ignore[arg-type]
            note=u.text("note", ""),
            verified=u.flag("verified", False),
        )
        u.finish()
    qualitative = None
    q = m.sub("qualitative")
    if q is not None:
        qualitative = Qualitative(
            positive_at_least=q.decimal("positive_at_least"),  # type: ignore[arg-type]
            positive_zh=q.text("positive_zh", "阳性"),
            negative_zh=q.text("negative_zh", "阴性"),
        )
        q.finish()

    method = Method(
        code=code,
        standard=std,
        part=m.text("part", ""),
        technique=m.text("technique"),
        technique_en=m.text("technique_en"),
        scope=m.text("scope"),
        citation=m.text("citation"),
        analytes=tuple(analytes),
        inputs=tuple(inputs),
        constants=tuple(constants),
        formula=formula,
        result_symbol=m.text("result_symbol", "X"),
        result_unit=result_unit,
        result_units=tuple(result_units),
        limits=tuple(limits),
        reporting=reporting,
        uncertainty=uncertainty,
        qualitative=qualitative,
        verified=m.flag("verified", False),
        notes=m.text("notes", ""),
        source_file=file,
    )
    m.finish()
    return method


def _reporting(m: _Reader) -> Reporting:
    r = m.sub("reporting")
    if r is None:
        raise m.fail("reporting", "缺失")
    rounding = r.text("rounding", "gbt8170")
    if rounding not in {"gbt8170", "half_up"}:
        raise r.fail("rounding", f"应为 gbt8170 或 half_up：{rounding!r}")
    rules: list[ReportingRule] = []
    for rr in r.tables("rules"):
        decimals = rr.integer("decimals", None)
        significant = rr.integer("significant", None)
        if (decimals is None) == (significant is None):
            raise rr.fail("decimals", "须且只须给出 decimals 或 significant 之一")
        if significant is not None and significant < 1:
            raise rr.fail("significant", f"应为正整数：{significant}")
        rules.append(ReportingRule(rr.decimal("at_least", None), decimals, significant))
        rr.finish()
    if not rules:
        raise r.fail("rules", "至少需要一条修约规则")
    if rules[-1].at_least is not None:
        raise r.fail("rules", "最后一条规则不得有 at_least（作为兜底规则）")
    thresholds = [rule.at_least for rule in rules[:-1]]
    if any(t is None for t in thresholds):
        raise r.fail("rules", "只有最后一条规则可以省略 at_least")
    if thresholds != sorted(thresholds, reverse=True):  # type: ignore[type-var]
        raise r.fail("rules", "at_least 须从大到小排列")
    below_loq = r.text("below_loq", "loq")
    if below_loq not in {"loq", "value"}:
        raise r.fail("below_loq", f"应为 loq（报告 <定量限）或 value（报告数值并注明）：{below_loq!r}")
    reporting = Reporting(rule_zh=r.text("rule_zh"), rules=tuple(rules), rounding=rounding,  # type: ignore[arg-type]
                          below_loq=below_loq)  # type: ignore[arg-type]
    r.finish()
    return reporting


def load_method_file(path: Path | str, text: str | None = None) -> list[Method]:
    """Load one method file; ``text`` overrides reading ``path`` (used by tests)."""
    file = Path(path).name
    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodFileError(f"{file}：TOML 语法错误：{exc}") from None
    top = _Reader(file, "", data)
    s = top.sub("standard")
    if s is None:
        raise top.fail("standard", "缺失")
    number_text = s.text("number")
    number, year_in_number, _ = normalise_standard_number(number_text)
    if not _STANDARD.match(number) or year_in_number is not None:
        raise s.fail("number", f'应形如 "GB 5009.12"（年份写在 year）：{number_text!r}')
    year = s.integer("year")
    assert year is not None
    if not 1950 <= year <= 2100:
        raise s.fail("year", f"年份不合理：{year}")
    std = StandardRef(
        number=number, year=year, title_zh=s.text("title_zh"), title_en=s.text("title_en")
    )
    s.get("verified", False, bool)
    s.get("notes", "", str)
    s.finish()
    methods = [_load_method(file, std, r) for r in top.tables("methods")]
    if not methods:
        raise top.fail("methods", "至少需要一个方法")
    top.finish()
    return methods


def data_files() -> list[Path]:
    """The method files shipped with the package, sorted by name."""
    folder = resources.files("lims.methods") / "data"
    return sorted(Path(str(item)) for item in folder.iterdir() if item.name.endswith(".toml"))


def load_from_files(files: Iterable[Path]) -> dict[str, Method]:
    """Load ``files``; codes must be unique across them."""
    methods: dict[str, Method] = {}
    for path in files:
        for method in load_method_file(path):
            if method.code in methods:
                other = methods[method.code].source_file
                raise MethodFileError(f"{path.name}：方法代码 {method.code} 与 {other} 重复")
            methods[method.code] = method
    return methods


@lru_cache(maxsize=1)
def _cached() -> dict[str, Method]:
    return load_from_files(data_files())


def load_methods() -> dict[str, Method]:
    """All shipped methods by code (loaded once; a fresh dict each call)."""
    return dict(_cached())


def methods_for_analyte(key: str) -> list[Method]:
    """Methods whose analytes include ``key`` (any spelling of the analyte name)."""
    wanted = analyte_key(key)
    return [m for m in _cached().values() if wanted in m.analyte_keys]


def find_methods(standard_number: str) -> list[Method]:
    """Methods of a standard, newest edition first, in file order within an edition.

    "GB 5009.12-2023", "GB5009.12" and "GB 5009.12—2023 第二法" are all understood; a
    number without year means the newest edition.  GB and GB/T of the same number are
    matched as a fallback because the sampling rules sometimes drop the "/T".
    """
    number, year, part = normalise_standard_number(standard_number)
    methods = list(_cached().values())

    def pick(num: str) -> list[Method]:
        found = [m for m in methods if m.standard.number == num]
        if year is not None:
            found = [m for m in found if m.standard.year == year]
        if part:
            found = [m for m in found if m.part == part]
        return found

    found = pick(number)
    if not found:
        swapped = (
            number.replace("GB/T ", "GB ") if "GB/T " in number else number.replace("GB ", "GB/T ")
        )
        found = pick(swapped)
    order = {m.code: i for i, m in enumerate(methods)}
    return sorted(found, key=lambda m: (-m.standard.year, order[m.code]))


def find_method(standard_number: str, analyte: str | None = None) -> Method:
    """The first (default) method of a standard, optionally one that measures ``analyte``."""
    found = find_methods(standard_number)
    if analyte is not None:
        key = analyte_key(analyte)
        found = [m for m in found if key in m.analyte_keys]
    if not found:
        what = f"（分析物 {analyte}）" if analyte else ""
        raise LookupError(f"没有找到方法标准 {standard_number}{what}")
    return found[0]
