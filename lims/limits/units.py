"""One shared pint registry for food testing units, with exact Decimal conversion.

The registry uses ``Decimal`` magnitudes so that 287 µg/kg is exactly 0.287 mg/kg.
Conversion factors are computed once per (from, to) pair and cached, so batch judgement
multiplies Decimals instead of building a pint Quantity per result.

Kinds of quantity are kept apart: a mass fraction (mg/kg, %, g/100g, ppm) never converts
into a mass concentration (mg/L) without a density, and neither converts into a volume
fraction (%vol), a colony count (CFU/g) or a presence count (/25g).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint

__all__ = [
    "UnitError",
    "Unit",
    "registry",
    "parse_unit",
    "convert",
    "conversion_factor",
    "same_kind",
]


class UnitError(ValueError):
    """A unit that cannot be read or converted (message in Chinese)."""


def _build_registry() -> pint.UnitRegistry:
    import pint

    # pint's own definitions are parsed once and cached on disk (":auto:" = the user's
    # cache folder): the registry then builds in ~30 ms instead of ~300 ms, which is most
    # of the start-up time of ``lims limits judge``.  No cache folder: parse every time.
    try:
        registry = pint.UnitRegistry(
            non_int_type=Decimal, autoconvert_offset_to_baseunit=False, cache_folder=":auto:"
        )
    except Exception:  # noqa: BLE001 - an unwritable cache must never stop judging
        registry = pint.UnitRegistry(non_int_type=Decimal, autoconvert_offset_to_baseunit=False)
    with resources.files(__package__).joinpath("units.txt").open(encoding="utf-8") as handle:
        registry.load_definitions(handle.read().splitlines())
    return registry


_REGISTRY: list[pint.UnitRegistry] = []


def registry() -> pint.UnitRegistry:
    """The project's single unit registry, built on first use (``ureg``).  Judging in
    the units of :data:`_STATIC` never needs it, so ``lims limits judge`` starts without
    importing pint."""
    if not _REGISTRY:
        _REGISTRY.append(_build_registry())
    return _REGISTRY[0]


def __getattr__(name: str):  # PEP 562: ``from lims.limits.units import ureg`` still works
    if name == "ureg":
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Kind of each unit expression of _ALIASES and its factor to the kind's reference unit
# (the first unit of the kind), as pint computes them from units.txt.  Conversions within
# a kind are the ratio of two factors: exact Decimals, no registry.  The test
# tests/limits/test_limits_units.py::test_static_table_agrees_with_pint recomputes every
# entry with pint.
_STATIC: dict[str, tuple[str, str]] = {
    "milligram / kilogram": ("mass_fraction", "1"),
    "microgram / kilogram": ("mass_fraction", "0.001"),
    "nanogram / kilogram": ("mass_fraction", "0.000001"),
    "gram / kilogram": ("mass_fraction", "1E+3"),
    "milligram / gram": ("mass_fraction", "1E+3"),
    "microgram / gram": ("mass_fraction", "1"),
    "nanogram / gram": ("mass_fraction", "0.001"),
    "gram / hundred_gram": ("mass_fraction", "1E+4"),
    "milligram / hundred_gram": ("mass_fraction", "1E+1"),
    "microgram / hundred_gram": ("mass_fraction", "0.01"),
    "percent": ("mass_fraction", "1E+4"),
    "ppm": ("mass_fraction", "1"),
    "ppb": ("mass_fraction", "0.001"),
    "milligram / liter": ("mass_concentration", "1"),
    "microgram / liter": ("mass_concentration", "0.001"),
    "nanogram / liter": ("mass_concentration", "0.000001"),
    "gram / liter": ("mass_concentration", "1E+3"),
    "milligram / milliliter": ("mass_concentration", "1E+3"),
    "microgram / milliliter": ("mass_concentration", "1"),
    "gram / hundred_millilitre": ("mass_concentration", "1E+4"),
    "milligram / hundred_millilitre": ("mass_concentration", "1E+1"),
    "percent_volume": ("volume_fraction", "1"),
    "CFU / gram": ("colony_per_mass", "1"),
    "CFU / milliliter": ("colony_per_volume", "1"),
    "CFU / hundred_millilitre": ("colony_per_volume", "0.01"),
    "CFU / portion_250_millilitre": ("colony_per_volume", "0.004"),
    "MPN / gram": ("mpn_per_mass", "1"),
    "MPN / hundred_gram": ("mpn_per_mass", "0.01"),
    "MPN / milliliter": ("mpn_per_volume", "1"),
    "MPN / hundred_millilitre": ("mpn_per_volume", "0.01"),
    "MPN / portion_250_millilitre": ("mpn_per_volume", "0.004"),
    "detection_per_25g": ("detection_25g", "1"),
    "detection_per_25mL": ("detection_25ml", "1"),
    "detection_per_250mL": ("detection_250ml", "1"),
    "detection_per_100g": ("detection_100g", "1"),
    "thorner_degree": ("thorner_acidity", "1"),
    "milligram / hundred_kilojoule": ("mass_per_energy", "1"),
    "gram / hundred_kilojoule": ("mass_per_energy", "1E+3"),
    "microgram / hundred_kilojoule": ("mass_per_energy", "0.001"),
    "milligram / daily_portion": ("mass_per_day", "1"),
    "gram / daily_portion": ("mass_per_day", "1E+3"),
    "microgram / daily_portion": ("mass_per_day", "0.001"),
    "ratio_unit": ("ratio", "1"),
    "milligram / hundred_square_centimetre": ("mass_per_area", "1"),
    "milligram / decimeter ** 2": ("mass_per_area", "1"),
    "milligram / centimeter ** 2": ("mass_per_area", "1E+2"),
}

# Display symbol -> pint expression.  Keys are matched after normalisation (see
# _normalise): lower-cased, micro sign folded to "u", full-width folded, spaces removed.
_ALIASES: dict[str, tuple[str, str]] = {
    "mg/kg": ("mg/kg", "milligram / kilogram"),
    "ug/kg": ("µg/kg", "microgram / kilogram"),
    "ng/kg": ("ng/kg", "nanogram / kilogram"),
    "g/kg": ("g/kg", "gram / kilogram"),
    "mg/g": ("mg/g", "milligram / gram"),
    "ug/g": ("µg/g", "microgram / gram"),
    "ng/g": ("ng/g", "nanogram / gram"),
    "g/100g": ("g/100g", "gram / hundred_gram"),
    "mg/100g": ("mg/100g", "milligram / hundred_gram"),
    "ug/100g": ("µg/100g", "microgram / hundred_gram"),
    "%": ("%", "percent"),
    "ppm": ("ppm", "ppm"),
    "ppb": ("ppb", "ppb"),
    "mg/l": ("mg/L", "milligram / liter"),
    "ug/l": ("µg/L", "microgram / liter"),
    "ng/l": ("ng/L", "nanogram / liter"),
    "g/l": ("g/L", "gram / liter"),
    "mg/ml": ("mg/mL", "milligram / milliliter"),
    "ug/ml": ("µg/mL", "microgram / milliliter"),
    "g/100ml": ("g/100mL", "gram / hundred_millilitre"),
    "mg/100ml": ("mg/100mL", "milligram / hundred_millilitre"),
    "%vol": ("%vol", "percent_volume"),
    "cfu/g": ("CFU/g", "CFU / gram"),
    "cfu/ml": ("CFU/mL", "CFU / milliliter"),
    "cfu/100ml": ("CFU/100mL", "CFU / hundred_millilitre"),
    "mpn/g": ("MPN/g", "MPN / gram"),
    "mpn/ml": ("MPN/mL", "MPN / milliliter"),
    "mpn/100g": ("MPN/100g", "MPN / hundred_gram"),
    "mpn/100ml": ("MPN/100mL", "MPN / hundred_millilitre"),
    "cfu/250ml": ("CFU/250mL", "CFU / portion_250_millilitre"),
    "mpn/250ml": ("MPN/250mL", "MPN / portion_250_millilitre"),
    "/25g": ("/25g", "detection_per_25g"),
    "/25ml": ("/25mL", "detection_per_25mL"),
    "/250ml": ("/250mL", "detection_per_250mL"),
    "/100g": ("/100g", "detection_per_100g"),
    "°t": ("°T", "thorner_degree"),
    "g/100kj": ("g/100kJ", "gram / hundred_kilojoule"),
    "mg/100kj": ("mg/100kJ", "milligram / hundred_kilojoule"),
    "ug/100kj": ("µg/100kJ", "microgram / hundred_kilojoule"),
    "mg/日": ("mg/日", "milligram / daily_portion"),
    "g/日": ("g/日", "gram / daily_portion"),
    "ug/日": ("µg/日", "microgram / daily_portion"),
    "比值": ("", "ratio_unit"),
    "mg/100cm2": ("mg/100cm²", "milligram / hundred_square_centimetre"),
    "mg/dm2": ("mg/dm²", "milligram / decimeter ** 2"),
    "mg/cm2": ("mg/cm²", "milligram / centimeter ** 2"),
}

# Other spellings of the same units, mapped onto the keys above.
_SPELLINGS: dict[str, str] = {
    "mcg/kg": "ug/kg",
    "ppm(mg/kg)": "mg/kg",
    "g/100克": "g/100g",
    "毫克/千克": "mg/kg",
    "微克/千克": "ug/kg",
    "克/千克": "g/kg",
    "毫克/升": "mg/l",
    "微克/升": "ug/l",
    "%(v/v)": "%vol",
    "%v/v": "%vol",
    "vol%": "%vol",
    "%(vol)": "%vol",
    "%vol.": "%vol",
    "度": "%vol",
    "%(质量分数)": "%",
    "%(m/m)": "%",
    "g/100g(%)": "g/100g",
    "cfu/25g": "/25g",
    "ºt": "°t",
    "度t": "°t",
    "ratio": "比值",
    "cfu/25ml": "/25ml",
    "mpn/100ml": "mpn/100ml",
    "个/g": "cfu/g",
    "个/ml": "cfu/ml",
}

# Amounts per daily portion (GB 22570, GB 24154, GB 31601) are written per 日, 每日, 天, d,
# day, 日份 or 每日份.
_SPELLINGS.update({
    f"{mass}/{day}": f"{mass}/日"
    for mass in ("mg", "g", "ug")
    for day in ("每日", "天", "d", "day", "日份", "每日份")
})

_KIND_NAMES: dict[str, str] = {
    "mass_fraction": "质量分数",
    "mass_concentration": "质量浓度",
    "volume_fraction": "体积分数",
    "colony_per_mass": "菌落数（每克）",
    "colony_per_volume": "菌落数（每毫升）",
    "mpn_per_mass": "最可能数（每克）",
    "mpn_per_volume": "最可能数（每毫升）",
    "detection_25g": "检出数（每25 g）",
    "detection_25ml": "检出数（每25 mL）",
    "detection_250ml": "检出数（每250 mL）",
    "detection_100g": "检出数（每100 g）",
    "thorner_acidity": "酸度（吉尔涅尔度）",
    "mass_per_energy": "每100 kJ 含量",
    "mass_per_day": "每日份含量",
    "ratio": "比值",
    "mass_per_area": "单位面积质量",
}


@dataclass(frozen=True)
class Unit:
    """A unit as written in standards, with its pint expression and kind of quantity."""

    symbol: str
    expression: str
    kind: str

    @property
    def kind_zh(self) -> str:
        return _KIND_NAMES.get(self.kind, self.kind)

    def __str__(self) -> str:
        return self.symbol


_DIMENSION_KINDS: dict[str, str] = {}


def _kind_of(expression: str) -> str:
    if expression in _STATIC:
        return _STATIC[expression][0]
    return _pint_kind_of(expression)


def _pint_kind_of(expression: str) -> str:
    ureg = registry()
    dims = ureg.parse_units(expression).dimensionality
    key = str(dims)
    if key in _DIMENSION_KINDS:
        return _DIMENSION_KINDS[key]
    table = {
        ureg.parse_units("mg/kg").dimensionality: "mass_fraction",
        ureg.parse_units("mg/L").dimensionality: "mass_concentration",
        ureg.parse_units("percent_volume").dimensionality: "volume_fraction",
        ureg.parse_units("CFU/g").dimensionality: "colony_per_mass",
        ureg.parse_units("CFU/mL").dimensionality: "colony_per_volume",
        ureg.parse_units("MPN/g").dimensionality: "mpn_per_mass",
        ureg.parse_units("MPN/mL").dimensionality: "mpn_per_volume",
        ureg.parse_units("detection_per_25g").dimensionality: "detection_25g",
        ureg.parse_units("detection_per_25mL").dimensionality: "detection_25ml",
        ureg.parse_units("detection_per_250mL").dimensionality: "detection_250ml",
        ureg.parse_units("detection_per_100g").dimensionality: "detection_100g",
        ureg.parse_units("mg/daily_portion").dimensionality: "mass_per_day",
        ureg.parse_units("thorner_degree").dimensionality: "thorner_acidity",
        ureg.parse_units("mg/hundred_kilojoule").dimensionality: "mass_per_energy",
        ureg.parse_units("ratio_unit").dimensionality: "ratio",
        ureg.parse_units("mg/cm**2").dimensionality: "mass_per_area",
    }
    kind = table.get(dims)
    if kind is None:
        raise UnitError(f"不支持的单位量纲：{expression}")
    _DIMENSION_KINDS[key] = kind
    return kind


_SUPERSCRIPT_2 = str.maketrans({"²": "2", "³": "3"})
_MICRO = re.compile(r"[µμ]")


def _normalise(text: str) -> str:
    folded = text.translate(_SUPERSCRIPT_2)
    folded = _MICRO.sub("u", folded)
    folded = unicodedata.normalize("NFKC", folded)
    folded = folded.replace("／", "/").replace("％", "%")
    folded = re.sub(r"\s+", "", folded).lower()
    # "mg/100cm^2", "mg/100cm**2"
    folded = folded.replace("^2", "2").replace("**2", "2")
    return folded


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Unit:
    """Read a unit as written in standards and reports (µ, μ and u alike; full-width ok).

    Raises :class:`UnitError` with a Chinese message for an unknown or ambiguous unit.
    """
    if text is None or not str(text).strip():
        raise UnitError("单位为空")
    key = _normalise(str(text))
    if key == "ppt":
        raise UnitError("单位 ppt 含义不明确（万亿分之一或千分之一），请改用 ng/kg 或 g/kg")
    key = _SPELLINGS.get(key, key)
    if key not in _ALIASES:
        raise UnitError(f"无法识别的单位：{text!r}")
    symbol, expression = _ALIASES[key]
    return Unit(symbol=symbol, expression=expression, kind=_kind_of(expression))


def _as_unit(unit: Unit | str) -> Unit:
    return unit if isinstance(unit, Unit) else parse_unit(unit)


@lru_cache(maxsize=4096)
def _factor(from_expr: str, to_expr: str) -> Decimal:
    static_from, static_to = _STATIC.get(from_expr), _STATIC.get(to_expr)
    if static_from and static_to and static_from[0] == static_to[0]:
        return (Decimal(static_from[1]) / Decimal(static_to[1])).normalize()
    return _pint_factor(from_expr, to_expr)


def _pint_factor(from_expr: str, to_expr: str) -> Decimal:
    ureg = registry()
    quantity = ureg.Quantity(Decimal(1), from_expr).to(to_expr)
    magnitude = quantity.magnitude
    if not isinstance(magnitude, Decimal):
        magnitude = Decimal(str(magnitude))
    return magnitude.normalize()


@lru_cache(maxsize=4096)
def _density_factor(from_expr: str, to_expr: str) -> Decimal:
    # Factor k with: value_to = value_from * k / density(g/mL)  (concentration -> fraction)
    ureg = registry()
    quantity = (ureg.Quantity(Decimal(1), from_expr) / ureg.Quantity(Decimal(1), "g/mL")).to(
        to_expr
    )
    return Decimal(quantity.magnitude).normalize()


def same_kind(a: Unit | str, b: Unit | str) -> bool:
    """True if values in ``a`` and ``b`` convert into each other without extra data."""
    return _as_unit(a).kind == _as_unit(b).kind


def _incompatible_hint(a: str, b: str) -> str:
    kinds = {a, b}
    if kinds == {"mass_fraction", "mass_concentration"}:
        return "，质量浓度与质量分数之间换算需提供密度"
    if "mass_per_energy" in kinds:
        return "；每100 kJ 含量须按产品能量（kJ/100g）由每100 g 含量换算后录入，本库不代为换算"
    if "mass_per_day" in kinds:
        return "；每日份含量须按产品标示的每日份推荐量由每100 g 含量换算后录入，本库不代为换算"
    return ""


def conversion_factor(from_unit: Unit | str, to_unit: Unit | str) -> Decimal:
    """The exact factor k with ``value_in_to = value_in_from * k`` (cached per pair)."""
    src, dst = _as_unit(from_unit), _as_unit(to_unit)
    if src.kind != dst.kind:
        raise UnitError(
            f"单位不兼容：{src.symbol}（{src.kind_zh}）不能换算为 {dst.symbol}（{dst.kind_zh}）"
            + _incompatible_hint(src.kind, dst.kind)
        )
    return _factor(src.expression, dst.expression)


def convert(
    value: Decimal,
    from_unit: Unit | str,
    to_unit: Unit | str,
    *,
    density: Decimal | None = None,
) -> Decimal:
    """Convert ``value`` exactly.  ``density`` (g/mL) bridges mg/L and mg/kg, nothing else."""
    src, dst = _as_unit(from_unit), _as_unit(to_unit)
    if src.kind == dst.kind:
        return value * _factor(src.expression, dst.expression)
    kinds = {src.kind, dst.kind}
    if kinds == {"mass_fraction", "mass_concentration"} and density is not None:
        if not isinstance(density, Decimal) or density <= 0:
            raise UnitError(f"密度必须为正的 Decimal 数值（g/mL）：{density!r}")
        if src.kind == "mass_concentration":
            return value * _density_factor(src.expression, dst.expression) / density
        # fraction -> concentration: value * density, expressed in the target unit
        back = _density_factor(dst.expression, src.expression)
        return value * density / back
    return value * conversion_factor(src, dst)  # raises the explanatory UnitError
