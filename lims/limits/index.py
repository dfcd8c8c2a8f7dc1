"""Lookup: the in-memory index of limit rows and what a lookup answers (LimitMatch/NoLimit).

Lookup finds the limit for (analyte, food, date):

* the edition of each standard in force on the date is used (an edition may list only
  what changed from another edition: ``base_edition`` in standards.csv);
* the food is found in the category scheme of that standard (GB 2762 Appendix A,
  GB 2763 Appendix A, animal tissues for veterinary drugs) and the graph is walked up
  from it, nearest first: the most specific row wins;
* a row whose exclusions (…除外) contain the food or one of its ancestors does not apply;
* where no row applies the answer says why (NoLimit); it never guesses.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lims.core.localtime import local_today
from lims.foods.analytes import split_analyte_name

from .categories import CategoryGraph
from .parsing import LimitSpec
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
    normalise_expressed_as,
)

__all__ = [
    "FLAVOURINGS",
    "LimitMatch",
    "NoLimit",
    "LimitIndex",
    "POSITIVE_LIST_FAMILIES",
    "weakest_status",
]

# Standards that are positive lists: what is not listed for a food is not permitted.
POSITIVE_LIST_FAMILIES = ("GB 2760",)
_STATUS_ORDER = {"no": 0, "secondary": 1, "yes": 2}


def weakest_status(statuses: Iterable[str]) -> str:
    """The least trusted of ``verified`` statuses (no < secondary < yes)."""
    found = [s or "no" for s in statuses]
    if not found:
        return "no"
    return min(found, key=lambda s: _STATUS_ORDER.get(s, 0))


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
    absent: bool = False  # 不得使用 because a positive list does not list the food

    @property
    def spec(self) -> LimitSpec:
        return self.row.spec

    @property
    def verified(self) -> str:
        """How far the limit row is checked: yes / secondary / no (限量待核 unless yes)."""
        return self.row.verified

    @property
    def temporary(self) -> bool:
        return self.row.temporary

    @property
    def declared_value_required(self) -> bool:
        """The limit is the product's own declared value (明示值), recorded at receipt."""
        return self.spec.kind == "declared"

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
                "absent": self.absent,
                "declared_value_required": self.declared_value_required,
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
    unknown_food, no_edition, no_row, excluded, ambiguous, by_food.  ``candidates`` are the
    rows to choose from: for ``ambiguous`` the rows that differ in basis or condition, for
    ``by_food`` the rows of the foods under a category that itself has none (the 细类
    "谷物加工品" has no 无机砷 limit; 大米(粉) within it has one): the verdict needs the
    specific food."""

    reason: str
    code: str
    candidates: tuple[LimitMatch, ...] = field(default=())


# The analyte of GB 2760 Table B.1 rows (foods to which no flavouring may be added); read
# for every additive whose function is 食品用香料.
FLAVOURINGS = "食品用香料"
# At most this many rows of the foods under a category are offered as candidates.
_MAX_BELOW = 40


# --- index ---------------------------------------------------------------------------


class LimitIndex:
    """In-memory index of limit rows for fast lookup (and batch lookups, memoised)."""

    def __init__(
        self,
        standards: Iterable[Standard],
        rows: Iterable[LimitRow],
        categories: Iterable[FoodCategory],
        analytes: Iterable[Analyte] = (),
        *,
        placements: Iterable[Placement] = (),
        additives: Iterable[Additive] = (),
        groups: Iterable[GroupMember] = (),
        residues: Iterable[ResidueComponent] = (),
    ) -> None:
        self.standards: dict[str, Standard] = {}
        for standard in standards:
            if standard.code in self.standards:
                raise LibraryError(f"标准重复：{standard.code}")
            self.standards[standard.code] = standard
        self.graph = CategoryGraph(categories, placements)
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
        self._additive_groups: dict[tuple[str, str], set[str]] = {}
        self._positive = {
            code for code, s in self.standards.items() if s.family in POSITIVE_LIST_FAMILIES
        }
        self.additives: dict[str, Additive] = {}
        for additive in additives:
            self.additives[self.canonical_analyte(additive.analyte)] = additive
        self.groups: dict[str, tuple[GroupMember, ...]] = {}
        grouped: dict[str, list[GroupMember]] = defaultdict(list)
        for member in groups:
            grouped[self.canonical_analyte(member.group)].append(member)
        self.groups = {key: tuple(members) for key, members in grouped.items()}
        residue_parts: dict[str, list[ResidueComponent]] = defaultdict(list)
        for part in residues:
            residue_parts[self.canonical_analyte(part.analyte)].append(part)
        self.residues: dict[str, tuple[ResidueComponent, ...]] = {
            key: tuple(parts) for key, parts in residue_parts.items()
        }

    # -- positive list --

    def is_additive(self, name: str) -> bool:
        """An analyte that GB 2760 regulates (has a row, or is in the additive register)."""
        key = self.canonical_analyte(name)
        return key in self.additives or any(key in self._index[c] for c in self._positive)

    def is_flavouring(self, key: str) -> bool:
        """A food flavouring (附录B, function 食品用香料 in the register): Table A.1 does not
        list flavourings (附录A A.5), so absence from it is not 不得使用; the foods where
        flavourings may not be added (表B.1) are rows of their own."""
        additive = self.additives.get(key)
        return additive is not None and any("香料" in f for f in additive.functions)

    def _only_additive(self, key: str) -> bool:
        """Regulated by the positive list only: a substance that is also a contaminant
        elsewhere (亚硝酸盐 in GB 2762) is not 不得使用 merely for lack of an additive row."""
        return not any(
            key in self._index[c] for c in self.standards if c not in self._positive
        )

    def _in_additive_groups(self, edition: Standard, key: str, food_code: str) -> bool:
        """Whether ``food_code`` lies in a top-level food group (Table E.1 08.0 肉及肉制品…)
        where ``edition`` permits ``key`` as an additive.  A substance that is also a
        contaminant (亚硝酸盐) is 不得使用 when not listed only inside those groups: nitrite
        found in 调理肉制品 was added (the curing salt is permitted for 腌腊肉制品 and
        熟肉制品 but not for it), nitrite in a fresh vegetable is not an additive."""
        cache_key = (edition.code, key)
        groups = self._additive_groups.get(cache_key)
        if groups is None:
            graph = self.graph
            groups = set()
            for code in self._index[edition.code].get(key, {}):
                chain = [c for _, c in graph.ancestors(code, edition.scheme)]
                roots = [c for c in chain if not graph.nodes[c].parents]
                for c in chain:
                    if any(parent in roots for parent in graph.nodes[c].parents):
                        groups.add(c)
            self._additive_groups[cache_key] = groups
        lineage = {c for _, c in self.graph.ancestors(food_code, edition.scheme)}
        return bool(groups & lineage)

    def residue_definition(self, name: str, family: str = "") -> tuple[ResidueComponent, ...]:
        """Components of a residue definition that is a sum (empty if it is not)."""
        parts = self.residues.get(self.canonical_analyte(name), ())
        own = tuple(p for p in parts if p.standard == family)
        return own or tuple(p for p in parts if not p.standard)

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

    def species_limit(
        self,
        total_name: str,
        foods: str | Sequence[str],
        on: dt.date | None = None,
        *,
        standard: str | None = None,
    ) -> tuple[str, LimitMatch] | None:
        """(species, its limit) for a total (总砷, 总汞) whose species (无机砷, 甲基汞) has a
        maximum in ``foods``: GB 2762 注a, a total at or below it conforms without
        speciation.  None if no species of it has a maximum there."""
        for species in self.species_of(total_name):
            found = self.lookup(species, foods, on, standard=standard)
            if isinstance(found, LimitMatch) and found.spec.kind == "max":
                return species, found
        return None

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
        on = on_date or local_today()
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
        additive = analyte_key in self.additives or any(
            analyte_key in self._index[c] for c in self._positive
        )
        editions = [
            s
            for s in self.standards.values()
            if (analyte_key in self._index[s.code] or (additive and s.code in self._positive))
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
        present = [m for m in matches if not m.absent]
        if present:
            matches = present  # a limit elsewhere beats "not listed" in a positive list
        if not matches:
            below = [m for miss in misses if miss.code == "by_food" for m in miss.candidates]
            if below:
                reasons = "；".join(miss.reason for miss in misses if miss.code == "by_food")
                return NoLimit(reasons, "by_food", tuple(below))
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
        by_category = self._index[edition.code].get(analyte_key, {})
        if edition.code in self._positive and self.is_flavouring(analyte_key):
            # 附录B: a flavouring may be used except in the foods of Table B.1
            b1 = self._index[edition.code].get(FLAVOURINGS, {})
            by_category = {c: [*by_category.get(c, ()), *b1.get(c, ())] for c in {*by_category, *b1}}
        found, level, excluded_by = self._nearest_rows(
            by_category, food_code, edition.scheme, on, basis, condition
        )
        if not found:
            below = self._rows_below(edition, by_category, food_name, food_code, on, basis, condition)
            if below:
                listed = "；".join(
                    f"{m.row.category_text}{'（' + m.row.condition + '）' if m.row.condition else ''}"
                    f" {m.row.limit_text}"
                    for m in below[:8]
                ) + ("等" if len(below) > 8 else "")
                return NoLimit(
                    f"{edition.code} 对“{food_name}”这一类食品本身未规定“{analyte_key}”限量，"
                    f"按其中的具体食品规定：{listed}；判定时请指明具体食品",
                    "by_food",
                    tuple(below),
                )
        if (
            not found
            and edition.code in self._positive
            and (
                self._only_additive(analyte_key)
                or self._in_additive_groups(edition, analyte_key, food_code)
            )
            and not self.is_flavouring(analyte_key)
        ):
            return self._absence(edition, analyte_key, food_name, food_code, excluded_by, notes)
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

    def _rows_below(
        self,
        edition: Standard,
        by_category: dict[str, list[LimitRow]],
        food_name: str,
        food_code: str,
        on: dt.date,
        basis: str | None,
        condition: str | None,
    ) -> list[LimitMatch]:
        """The limits of the foods under ``food_code``, a category with no row of its own
        that ``food_name`` spans: for each food below it, the row a lookup of that food
        would find (nearest first); distinct rows, at most _MAX_BELOW."""
        graph = self.graph
        # in a positive list a category named as such (糕点) is judged by its own rows: an
        # additive permitted only for a subcategory (糕点上彩装) is 不得使用 in the rest
        positive = edition.code in self._positive
        if not by_category or not graph.spans_below(food_name, edition.scheme, by_name=not positive):
            return []
        out: list[LimitMatch] = []
        seen: set[int] = set()
        for code in graph.descendants(food_code, edition.scheme):
            found, level, _ = self._nearest_rows(by_category, code, edition.scheme, on, basis, condition)
            for node, row in found:
                if id(row) in seen:
                    continue
                seen.add(id(row))
                out.append(LimitMatch(
                    row=row, standard=edition, food=graph.name(code), food_code=code,
                    matched_code=node, distance=level or 0,
                    notes=(f"“{food_name}”本身无此限量；此为其中“{row.category_text}”的限量",),
                ))  # fmt: skip
                if len(out) >= _MAX_BELOW:
                    return out
        return out

    def _nearest_rows(
        self,
        by_category: dict[str, list[LimitRow]],
        food_code: str,
        scheme: str,
        on: dt.date,
        basis: str | None,
        condition: str | None,
    ) -> tuple[list[tuple[str, LimitRow]], int | None, list[LimitRow]]:
        """The rows that apply to ``food_code``: walking up its ancestors, nearest first,
        the rows in force on ``on`` at the first level that has any, as (node, row); that
        level; and the rows passed over because their exclusions (…除外) contain the food."""
        chain = self.graph.ancestors(food_code, scheme)
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
        return found, level, excluded_by

    def _absence(
        self,
        edition: Standard,
        analyte_key: str,
        food_name: str,
        food_code: str,
        excluded_by: list[LimitRow],
        notes: list[str],
    ) -> LimitMatch:
        """GB 2760 is a positive list: an additive that Table A.1 does not list for the
        food's category (nor for any category above it) is not permitted in it."""
        graph = self.graph
        own_rows = [
            r for rows in self._index[edition.code].get(analyte_key, {}).values() for r in rows
        ]
        statuses = [r.verified for r in own_rows]
        if analyte_key in self.additives:
            statuses.append(self.additives[analyte_key].verified)
        category = graph.name(food_code)
        if excluded_by:
            why = (
                f"“{category}”属表A.2 所列例外食品类别，不适用“按生产需要适量使用”"
                f"（{'；'.join(r.clause for r in excluded_by)}）"
            )
        else:
            why = f"表A.1 未列入“{category}”及其上级类别"
        reason = (
            f"{edition.code} 中“{analyte_key}”{why}，不得使用"
            f"（附录A 表A.1 为允许使用品种及范围；表A.2 为按生产需要适量使用的例外食品类别）。"
            f"如由配料带入，按第3.4条带入原则判定。"
        )
        row = LimitRow(
            standard=edition.code, clause="表A.1/表A.2/3.4", analyte=analyte_key,
            expressed_as="", category=food_code, category_text=category, exclusions=(),
            limit="不得使用", unit="", basis="fresh", condition="", temporary=False,
            notes=reason, effective_from=None, effective_to=None,
            source=f"{edition.code} 附录A 表A.1（未列入即不得使用）",
            verified=weakest_status(statuses),
        )  # fmt: skip
        return LimitMatch(
            row=row, standard=edition, food=food_name, food_code=food_code,
            matched_code=food_code, distance=0, notes=(*notes, reason), absent=True,
        )  # fmt: skip

    def proportion_rule(
        self, function: str, foods: str | Sequence[str], on: dt.date | None = None
    ) -> LimitMatch | NoLimit:
        """GB 2760 附录A A.4 as a limit: same-function additives with a numerical maximum
        (相同色泽着色剂、防腐剂、抗氧化剂), used together, sum of use/maximum ≤ 1."""
        day = on or local_today()
        names = (foods,) if isinstance(foods, str) else tuple(foods)
        if function not in ("防腐剂", "抗氧化剂", "着色剂"):
            return NoLimit(
                f"GB 2760 附录A A.4 的比例之和只适用于相同色泽着色剂、防腐剂、抗氧化剂，不适用于{function}",
                "no_row",
            )
        editions = [self.standards[c] for c in sorted(self._positive)]
        in_force = [s for s in editions if s.in_force(day)]
        if not in_force:
            return NoLimit(f"{day.isoformat()} 无施行中的 GB 2760 版本", "no_edition")
        edition = in_force[-1]
        food_code, food_name = None, names[0] if names else ""
        for name in names:
            food_code = self.graph.resolve(name, edition.scheme)
            if food_code is not None:
                food_name = name
                break
        if food_code is None:
            return NoLimit(f"食品“{'、'.join(names)}”不在 {edition.code} 的食品分类中", "unknown_food")
        label = "相同色泽着色剂" if function == "着色剂" else function
        note = (
            f"{edition.code} 附录A A.4：同一功能且具有数值型最大使用量的食品添加剂（{label}）"
            "混合使用时，各自用量占其最大使用量的比例之和不应超过1；由样品中各添加剂的结果计算"
        )
        row = LimitRow(
            standard=edition.code, clause="附录A A.4", analyte=f"{label}比例之和",
            expressed_as="", category=food_code, category_text=self.graph.name(food_code),
            exclusions=(), limit="≤1", unit="", basis="fresh", condition="", temporary=False,
            notes=note, effective_from=None, effective_to=None,
            source=f"{edition.code} 附录A A.4", verified=edition.verified,
        )  # fmt: skip
        return LimitMatch(
            row=row, standard=edition, food=food_name, food_code=food_code,
            matched_code=food_code, distance=0, notes=(note,),
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
