"""Records of the limit library: standards, limit rows, food categories, analytes, and the
"expressed as" (以…计) conventions.  Pure data: imports nothing else from the library."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lims.foods.analytes import split_analyte_name

from .parsing import LimitSpec, parse_limit

__all__ = [
    "Standard",
    "LimitRow",
    "FoodCategory",
    "Analyte",
    "LibraryError",
    "Placement",
    "Additive",
    "GroupMember",
    "ResidueComponent",
    "normalise_expressed_as",
    "expressed_as_factor",
]


class LibraryError(ValueError):
    """The library data is inconsistent (message in Chinese)."""


# --- "expressed as" ------------------------------------------------------------------

_EXPRESSED_SYNONYMS = {
    "以亚硝酸钠计": "以NaNO2计",
    "以NaNO2计": "以NaNO2计",
    "以硝酸钠计": "以NaNO3计",
    "以NaNO3计": "以NaNO3计",
    "以NO2计": "以NO2-计",
    "以NO2-计": "以NO2-计",
    "以NO3计": "以NO3-计",
    "以NO3-计": "以NO3-计",
    "以二氧化硫计": "以SO2计",
    "以SO2计": "以SO2计",
}
# value_as_b = value_as_a * factor for (a, b); ratios of molar masses (g/mol):
# NaNO2 69.00, NO2- 46.01, NaNO3 84.99, NO3- 62.00.
_EXPRESSED_FACTORS = {
    ("以NO2-计", "以NaNO2计"): ("69.00", "46.01"),
    ("以NO3-计", "以NaNO3计"): ("84.99", "62.00"),
}


def normalise_expressed_as(text: str | None) -> str:
    """Canonical "expressed as" text: 以亚硝酸钠计 and 以NaNO₂计 agree."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).replace(" ", "").replace("⁻", "-")
    folded = folded.replace("(", "").replace(")", "")
    return _EXPRESSED_SYNONYMS.get(folded, folded)


def expressed_as_factor(from_text: str | None, to_text: str | None):  # -> Decimal | None
    """Factor converting a value expressed ``from_text`` into ``to_text`` (None if unknown)."""
    from decimal import Decimal

    a, b = normalise_expressed_as(from_text), normalise_expressed_as(to_text)
    if a == b:
        return Decimal(1)
    if (a, b) in _EXPRESSED_FACTORS:
        num, den = _EXPRESSED_FACTORS[(a, b)]
        return Decimal(num) / Decimal(den)
    if (b, a) in _EXPRESSED_FACTORS:
        num, den = _EXPRESSED_FACTORS[(b, a)]
        return Decimal(den) / Decimal(num)
    return None


# --- records -------------------------------------------------------------------------


@dataclass(frozen=True)
class Standard:
    """One edition of a standard, with the dates it is in force."""

    code: str
    family: str
    edition: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    replaced_by: str
    comparison: str
    scheme: str
    base_edition: str
    notes: str
    source: str
    verified: str

    def in_force(self, on: dt.date) -> bool:
        if on < self.effective_from:
            return False
        return self.effective_to is None or on <= self.effective_to

    def period_zh(self) -> str:
        end = f"至 {self.effective_to.isoformat()}" if self.effective_to else "起"
        return f"{self.effective_from.isoformat()} {end}".strip()


@dataclass(frozen=True)
class LimitRow:
    """One limit: standard/clause, analyte, food category (with exclusions), the limit as
    written, unit, basis, temporary marker, notes, dates and source line."""

    standard: str
    clause: str
    analyte: str
    expressed_as: str
    category: str
    category_text: str
    exclusions: tuple[str, ...]
    limit: str
    unit: str
    basis: str
    condition: str
    temporary: bool
    notes: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    source: str
    verified: str
    file: str = ""
    line: int = 0

    @property
    def analyte_key(self) -> str:
        return split_analyte_name(self.analyte).key

    @property
    def removed(self) -> bool:
        """A row of a delta edition saying the base edition's row did not exist."""
        return self.limit.strip() in ("—", "-", "无")

    @property
    def limit_text(self) -> str:
        return f"{self.limit}{self.unit}" if self.unit else self.limit

    @cached_property
    def spec(self) -> LimitSpec:
        return parse_limit(self.limit_text)

    def in_force(self, on: dt.date) -> bool:
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on > self.effective_to)

    def override_key(self) -> tuple[str, str, str, str, str]:
        return (
            self.analyte_key,
            normalise_expressed_as(self.expressed_as),
            self.category,
            self.condition,
            self.basis,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "clause": self.clause,
            "analyte": self.analyte,
            "expressed_as": self.expressed_as or None,
            "category": self.category,
            "category_text": self.category_text,
            "exclusions": list(self.exclusions),
            "limit": self.limit,
            "unit": self.unit or None,
            "basis": self.basis,
            "condition": self.condition or None,
            "temporary": self.temporary,
            "notes": self.notes or None,
            "source": self.source,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class FoodCategory:
    code: str
    parents: tuple[str, ...]
    scheme: str
    name_zh: str
    aliases: tuple[str, ...]
    source: str
    verified: str


@dataclass(frozen=True)
class Analyte:
    """Canonical analyte with aliases; ``species_of`` links 甲基汞 to 总汞 etc."""

    name: str
    aliases: tuple[str, ...]
    species_of: str
    group: str
    notes: str


@dataclass(frozen=True)
class Placement:
    """A food name (a 细类 of the sampling rules) placed on a node of one scheme.

    ``covers``: the 细类 spans the foods below the node (净菜 on 蔬菜, 谷物加工品 on 谷物碾磨加工品),
    so where the node has no row of its own the rows of the foods below it are offered; a 细类
    that is one food placed on its group (西番莲 on 热带和亚热带类水果) does not cover them."""

    subcategory_code: str
    name: str
    scheme: str
    node: str
    why: str
    source: str
    verified: str
    covers: bool = False


@dataclass(frozen=True)
class Additive:
    """A GB 2760 additive with its function(s) (Table A.1 功能) and, for a colour, its
    shade: what the A.4 sum of proportions groups by."""

    analyte: str
    functions: tuple[str, ...]
    colour: str
    source: str
    verified: str


@dataclass(frozen=True)
class GroupMember:
    """One member of an item that groups analytes (合成着色剂 -> 柠檬黄)."""

    group: str
    member: str
    expressed_as: str
    source: str
    verified: str


@dataclass(frozen=True)
class ResidueComponent:
    """One component of a residue definition that is a sum (克百威 = 克百威 + 3-羟基克百威)."""

    analyte: str
    component: str
    factor: str
    standard: str
    source: str
    verified: str
