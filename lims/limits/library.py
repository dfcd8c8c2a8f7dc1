"""The limit library: standards, limit rows and the food category graph, and lookup.

Lookup finds the limit for (analyte, food, date):

* the edition of each standard in force on the date is used (an edition may list only
  what changed from another edition: ``base_edition`` in standards.csv);
* the food is found in the category scheme of that standard (GB 2762 Appendix A,
  GB 2763 Appendix A, animal tissues for veterinary drugs) and the graph is walked up
  from it, nearest first: the most specific row wins;
* a row whose exclusions (…除外) contain the food or one of its ancestors does not apply;
* where no row applies the answer says why (NoLimit); it never guesses.

Pure code: no Flask, no database.  The database-backed lookup wraps :class:`LimitIndex`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from lims.foods.analytes import split_analyte_name

from .parsing import LimitSpec, parse_limit

__all__ = [
    "Standard",
    "LimitRow",
    "FoodCategory",
    "Analyte",
    "CategoryGraph",
    "LimitMatch",
    "NoLimit",
    "LimitIndex",
    "LibraryError",
    "load_shipped_library",
    "load_library",
    "normalise_expressed_as",
    "expressed_as_factor",
    "DATA_DIR",
]

DATA_DIR = "data"
SHIPPED_LIMIT_FILES = (
    "limits_gb2762_2025.csv",
    "limits_gb2762_2022.csv",
    "limits_gb2763_2026.csv",
    "limits_gb31650.csv",
    "limits_banned.csv",
    "limits_gb2761.csv",
    "limits_gb2760.csv",
    "limits_gb29921.csv",
)


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


# --- category graph ------------------------------------------------------------------


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").strip()


class CategoryGraph:
    """Food categories as a DAG; each node belongs to one scheme (or is a shared food)."""

    def __init__(self, categories: Iterable[FoodCategory]) -> None:
        self.nodes: dict[str, FoodCategory] = {}
        self._names: dict[str, list[str]] = defaultdict(list)
        for node in categories:
            if node.code in self.nodes:
                raise LibraryError(f"食品分类编码重复：{node.code}")
            self.nodes[node.code] = node
            for name in (node.name_zh, *node.aliases):
                key = _fold(name)
                if node.code not in self._names[key]:
                    self._names[key].append(node.code)
        for node in self.nodes.values():
            for parent in node.parents:
                if parent not in self.nodes:
                    raise LibraryError(f"食品分类 {node.code} 的上级 {parent} 不存在")
        self._ancestor_cache: dict[tuple[str, str], tuple[tuple[int, str], ...]] = {}
        self._check_acyclic()

    def _check_acyclic(self) -> None:
        state: dict[str, int] = {}

        def visit(code: str) -> None:
            state[code] = 1
            for parent in self.nodes[code].parents:
                if state.get(parent) == 1:
                    raise LibraryError(f"食品分类存在循环：{code} -> {parent}")
                if parent not in state:
                    visit(parent)
            state[code] = 2

        for code in self.nodes:
            if code not in state:
                visit(code)

    def find(self, name: str) -> list[str]:
        """Codes whose name or alias is ``name`` (or the code itself)."""
        if name in self.nodes:
            return [name]
        return list(self._names.get(_fold(name), ()))

    def resolve(self, name: str, scheme: str) -> str | None:
        """The node for ``name`` in ``scheme``: a node of that scheme, else a shared food
        that belongs to the scheme (has an ancestor in it)."""
        codes = self.find(name)
        for code in codes:
            if self.nodes[code].scheme == scheme:
                return code
        for code in codes:
            node = self.nodes[code]
            if node.scheme == "food" and self._reaches(code, scheme):
                return code
        return None

    def _reaches(self, code: str, scheme: str) -> bool:
        return any(self.nodes[c].scheme == scheme for _, c in self.ancestors(code, scheme))

    def ancestors(self, code: str, scheme: str) -> tuple[tuple[int, str], ...]:
        """(distance, code) for ``code`` and its ancestors within ``scheme``, nearest
        first (breadth first).  Shared food nodes are crossed; other schemes are not."""
        key = (code, scheme)
        cached = self._ancestor_cache.get(key)
        if cached is not None:
            return cached
        seen = {code: 0}
        order = [(0, code)]
        frontier = [code]
        distance = 0
        while frontier:
            distance += 1
            following = []
            for current in frontier:
                for parent in self.nodes[current].parents:
                    if parent in seen or self.nodes[parent].scheme not in (scheme, "food"):
                        continue
                    seen[parent] = distance
                    order.append((distance, parent))
                    following.append(parent)
            frontier = following
        result = tuple(order)
        self._ancestor_cache[key] = result
        return result

    def name(self, code: str) -> str:
        node = self.nodes.get(code)
        return node.name_zh if node else code


# --- lookup results ------------------------------------------------------------------


@dataclass(frozen=True)
class LimitMatch:
    """The limit that applies, where it was found and what else was considered."""

    row: LimitRow
    standard: Standard
    food: str
    food_code: str
    matched_code: str
    distance: int
    notes: tuple[str, ...] = field(default=())

    @property
    def spec(self) -> LimitSpec:
        return self.row.spec

    def to_dict(self, graph: CategoryGraph | None = None) -> dict[str, Any]:
        data = self.row.to_dict()
        data.update(
            {
                "text": self.row.limit_text,
                "standard_title": self.standard.title,
                "matched_category": graph.name(self.matched_code) if graph else self.matched_code,
                "matched_code": self.matched_code,
                "food": self.food,
                "food_code": self.food_code,
                "distance": self.distance,
                "lookup_notes": list(self.notes),
            }
        )
        if self.standard.code != self.row.standard:
            # a row the edition in force on the day inherits unchanged from another edition
            # (GB 2762-2022 lists only what differs from 2025): the edition in force is cited
            data["standard"] = self.standard.code
            data["row_standard"] = self.row.standard
        return data


@dataclass(frozen=True)
class NoLimit:
    """No limit applies; ``reason`` (Chinese) says why.  ``code`` is one of unknown_analyte,
    unknown_food, no_edition, no_row, excluded, ambiguous."""

    reason: str
    code: str
    candidates: tuple[LimitMatch, ...] = field(default=())


# --- index ---------------------------------------------------------------------------


class LimitIndex:
    """In-memory index of limit rows for fast lookup (and batch lookups, memoised)."""

    def __init__(
        self,
        standards: Iterable[Standard],
        rows: Iterable[LimitRow],
        categories: Iterable[FoodCategory],
        analytes: Iterable[Analyte] = (),
    ) -> None:
        self.standards: dict[str, Standard] = {}
        for standard in standards:
            if standard.code in self.standards:
                raise LibraryError(f"标准重复：{standard.code}")
            self.standards[standard.code] = standard
        self.graph = CategoryGraph(categories)
        self.analytes: dict[str, Analyte] = {}
        self._analyte_alias: dict[str, str] = {}
        for analyte in analytes:
            key = split_analyte_name(analyte.name).key
            self.analytes[key] = analyte
            for alias in (analyte.name, *analyte.aliases):
                self._analyte_alias[split_analyte_name(alias).key] = key
        own: dict[str, list[LimitRow]] = defaultdict(list)
        for row in rows:
            if row.standard not in self.standards:
                raise LibraryError(f"{row.file} 第 {row.line} 行：未知标准 {row.standard}")
            if row.category not in self.graph.nodes:
                raise LibraryError(f"{row.file} 第 {row.line} 行：未知食品分类 {row.category}")
            own[row.standard].append(row)
        self.rows_by_standard = {code: tuple(rows) for code, rows in own.items()}
        # edition -> analyte key -> category code -> rows
        self._index: dict[str, dict[str, dict[str, list[LimitRow]]]] = {}
        for code in self.standards:
            self._index[code] = self._build_edition(code)
        self._cache: dict[tuple[Any, ...], LimitMatch | NoLimit] = {}

    def _effective_rows(self, code: str, seen: tuple[str, ...] = ()) -> list[LimitRow]:
        if code in seen:
            raise LibraryError(f"标准版本的 base_edition 存在循环：{code}")
        standard = self.standards[code]
        rows = list(self.rows_by_standard.get(code, ()))
        if not standard.base_edition:
            return rows
        if standard.base_edition not in self.standards:
            raise LibraryError(f"{code} 的 base_edition {standard.base_edition} 不存在")
        overridden = {row.override_key() for row in rows}
        base = [
            r
            for r in self._effective_rows(standard.base_edition, (*seen, code))
            if r.override_key() not in overridden
        ]
        return [*base, *[r for r in rows if not r.removed]]

    def _build_edition(self, code: str) -> dict[str, dict[str, list[LimitRow]]]:
        index: dict[str, dict[str, list[LimitRow]]] = defaultdict(lambda: defaultdict(list))
        for row in self._effective_rows(code):
            if row.removed:
                continue
            index[self.canonical_analyte(row.analyte)][row.category].append(row)
        return index

    # -- analytes --

    def canonical_analyte(self, name: str) -> str:
        key = split_analyte_name(name).key
        return self._analyte_alias.get(key, key)

    def species_of(self, total_name: str) -> list[str]:
        """Species analytes measured after a total (总汞 -> [甲基汞])."""
        total = self.canonical_analyte(total_name)
        return [
            key
            for key, a in self.analytes.items()
            if a.species_of and self.canonical_analyte(a.species_of) == total
        ]

    def known_analyte(self, name: str) -> bool:
        key = self.canonical_analyte(name)
        return any(key in index for index in self._index.values())

    # -- lookup --

    def editions_in_force(self, on: dt.date) -> list[Standard]:
        return [s for s in self.standards.values() if s.in_force(on)]

    def lookup(
        self,
        analyte: str,
        food: str | Sequence[str],
        on_date: dt.date | None = None,
        *,
        standard: str | None = None,
        basis: str | None = None,
        condition: str | None = None,
    ) -> LimitMatch | NoLimit:
        """The limit for ``analyte`` in ``food`` on ``on_date`` (default: today).

        ``food`` is a name or a list of candidate names, most specific first; the first
        name known to a standard's scheme is used for that standard.  ``standard`` limits
        the search to one standard (``GB 2763`` or an edition ``GB 2763-2026``).
        ``basis``/``condition`` choose between rows that differ only in them (e.g. the
        GB 2763 rows for meat by fat content).
        """
        on = on_date or dt.date.today()
        foods = (food,) if isinstance(food, str) else tuple(food)
        key = (analyte, foods, on, standard, basis, condition)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._lookup(analyte, foods, on, standard, basis, condition)
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def _lookup(
        self,
        analyte: str,
        foods: tuple[str, ...],
        on: dt.date,
        standard: str | None,
        basis: str | None,
        condition: str | None,
    ) -> LimitMatch | NoLimit:
        if not foods or not any(f and f.strip() for f in foods):
            return NoLimit("未给出食品名称", "unknown_food")
        try:
            analyte_key = self.canonical_analyte(analyte)
        except ValueError as exc:
            return NoLimit(str(exc), "unknown_analyte")
        wanted_expr = normalise_expressed_as(split_analyte_name(analyte).expressed_as)
        editions = [
            s
            for s in self.standards.values()
            if analyte_key in self._index[s.code]
            and (standard is None or standard in (s.code, s.family))
        ]
        if not editions:
            if standard is not None and not any(
                standard in (s.code, s.family) for s in self.standards.values()
            ):
                return NoLimit(f"本库未收录标准 {standard}", "no_edition")
            where = f"标准 {standard} 中" if standard else "本库各标准中"
            return NoLimit(f"{where}没有“{analyte_key}”的限量", "no_row")
        in_force = [s for s in editions if s.in_force(on)]
        if not in_force:
            have = "；".join(f"{s.code}（{s.period_zh()}）" for s in editions)
            return NoLimit(
                f"{on.isoformat()} 施行的标准版本中本库未收录“{analyte_key}”的限量；本库收录：{have}",
                "no_edition",
            )
        matches: list[LimitMatch] = []
        misses: list[NoLimit] = []
        for edition in in_force:
            outcome = self._lookup_edition(
                edition, analyte_key, wanted_expr, foods, on, basis, condition
            )
            if isinstance(outcome, NoLimit):
                if outcome.code == "ambiguous":
                    return outcome
                misses.append(outcome)
            else:
                matches.append(outcome)
        if not matches:
            codes = {miss.code for miss in misses}
            if codes == {"unknown_food"}:
                code = "unknown_food"
            elif "excluded" in codes:
                code = "excluded"
            else:
                code = "no_row"
            return NoLimit("；".join(miss.reason for miss in misses), code)
        distinct = {(m.row.limit_text, m.row.basis) for m in matches}
        if len(matches) > 1 and len(distinct) > 1:
            listed = "；".join(
                f"{m.standard.code} {m.row.clause}：{m.row.limit_text}" for m in matches
            )
            return NoLimit(
                f"多个标准对“{analyte_key}”在“{foods[0]}”中规定了不同限量（{listed}），请用 --standard 指定",
                "ambiguous",
                tuple(matches),
            )
        return matches[0]

    def _lookup_edition(
        self,
        edition: Standard,
        analyte_key: str,
        wanted_expr: str,
        foods: tuple[str, ...],
        on: dt.date,
        basis: str | None,
        condition: str | None,
    ) -> LimitMatch | NoLimit:
        graph = self.graph
        food_code = None
        food_name = foods[0]
        unknown: list[str] = []
        for name in foods:
            food_code = graph.resolve(name, edition.scheme)
            if food_code is not None:
                food_name = name
                break
            unknown.append(name)
        if food_code is None:
            names = "、".join(foods)
            return NoLimit(f"食品“{names}”不在 {edition.code} 的食品分类中", "unknown_food")
        notes = [f"“{n}”不在 {edition.code} 的食品分类中，改用“{food_name}”" for n in unknown]
        by_category = self._index[edition.code][analyte_key]
        chain = graph.ancestors(food_code, edition.scheme)
        lineage = {code for _, code in chain}
        excluded_by: list[LimitRow] = []
        level: int | None = None
        found: list[tuple[str, LimitRow]] = []
        for distance, code in chain:
            if level is not None and distance > level:
                break
            for row in by_category.get(code, ()):
                if not row.in_force(on):
                    continue
                if any(ex in lineage for ex in row.exclusions):
                    excluded_by.append(row)
                    continue
                if basis is not None and row.basis != basis:
                    continue
                if condition is not None and row.condition != condition:
                    continue
                level = distance
                found.append((code, row))
        if not found:
            if excluded_by:
                rows = "；".join(
                    f"{r.clause}“{r.category_text}”（{'、'.join(graph.name(e) for e in r.exclusions)}除外）"
                    for r in excluded_by
                )
                return NoLimit(
                    f"{edition.code} 中“{food_name}”被 {rows} 排除，且没有更具体的“{analyte_key}”限量",
                    "excluded",
                )
            return NoLimit(f"{edition.code} 没有适用于“{food_name}”的“{analyte_key}”限量", "no_row")
        unique: dict[tuple[str, str, str, str], tuple[str, LimitRow]] = {}
        for code, row in found:
            unique.setdefault(
                (row.limit_text, row.basis, row.condition, row.expressed_as), (code, row)
            )
        if len(unique) > 1:
            listed = "；".join(
                f"{r.category_text}{'（' + r.condition + '）' if r.condition else ''}："
                f"{r.limit_text}（{_BASIS_ZH.get(r.basis, r.basis)}）"
                for _, r in unique.values()
            )
            candidates = tuple(
                LimitMatch(r, edition, food_name, food_code, c, level or 0)
                for c, r in unique.values()
            )
            return NoLimit(
                f"{edition.code} 对“{food_name}”有多行“{analyte_key}”限量（{listed}），"
                "请用 --basis 或 --condition 指定",
                "ambiguous",
                candidates,
            )
        code, row = next(iter(unique.values()))
        if row.temporary:
            notes.append("临时限量")
        if row.basis not in ("fresh", ""):
            notes.append(f"限量以{_BASIS_ZH.get(row.basis, row.basis)}")
        row_expr = normalise_expressed_as(row.expressed_as)
        if wanted_expr and row_expr and wanted_expr != row_expr:
            notes.append(f"检验项目{wanted_expr}，限量{row_expr}")
        return LimitMatch(
            row=row, standard=edition, food=food_name, food_code=food_code, matched_code=code,
            distance=level or 0, notes=tuple(notes),
        )  # fmt: skip

    def lookup_many(
        self, queries: Iterable[tuple[str, str | Sequence[str], dt.date | None]]
    ) -> list[LimitMatch | NoLimit]:
        """Batch lookup; repeated (analyte, food, date) triples are answered from cache."""
        return [self.lookup(a, f, d) for a, f, d in queries]


_BASIS_ZH = {
    "fresh": "可食部分计",
    "dry": "干重计",
    "fat": "脂肪计",
    "as_is": "原样计",
    "solid": "固态产品计",
    "as_consumed": "即食状态计",
}


# --- loading -------------------------------------------------------------------------


def load_library(directory: Path | str) -> LimitIndex:
    """Build an index from a directory holding the library CSV files."""
    from .rows_io import load_analytes, load_categories, load_limit_rows, load_standards

    base = Path(directory)
    standards = load_standards(base / "standards.csv")
    categories = load_categories(base / "food_categories.csv")
    analytes = load_analytes(base / "analytes.csv")
    rows: list[LimitRow] = []
    for name in SHIPPED_LIMIT_FILES:
        path = base / name
        if path.exists():
            rows.extend(load_limit_rows(path))
    return LimitIndex(standards, rows, categories, analytes)


@cache
def load_shipped_library() -> LimitIndex:
    """The library shipped with the package (built once per process)."""
    root = resources.files(__package__).joinpath(DATA_DIR)
    with resources.as_file(root) as path:
        return load_library(path)
