"""Lookup of a test item as the sampling rules write it: one analyte, or an item that
groups analytes (``合成着色剂(柠檬黄、日落黄)``) looked up member by member.

:func:`lookup_item` answers what ``lims limits lookup`` prints and the lookup page shows;
:meth:`ItemLookup.to_json` is the object of ``lookup --json`` / ``lookup --batch`` (one per
input row).  Pure code: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lims.core.localtime import local_today

from .index import LimitIndex, LimitMatch, NoLimit, weakest_status

__all__ = [
    "ItemLookup",
    "lookup_item",
    "split_group_item",
    "limit_entry",
    "food_candidates",
    "proportion_function",
]

_PROPORTION = re.compile(r"^(相同色泽着色剂|着色剂|防腐剂|抗氧化剂|甜味剂|[^()]{1,12}?)混合使用时.*比例之和")


def proportion_function(item: str) -> str | None:
    """The function of a rules item "防腐剂混合使用时各自用量占其最大使用量的比例之和"
    (着色剂 for 相同色泽着色剂), or None for any other item."""
    match = _PROPORTION.match(unicodedata.normalize("NFKC", item).strip())
    if match is None:
        return None
    word = match.group(1)
    return "着色剂" if word.endswith("着色剂") else word

_GROUP = re.compile(r"^(?P<head>[^()]+)\((?P<inner>[^()]*[、,;][^()]*)\)$")
_SEPARATORS = re.compile(r"[、,;]")


def food_candidates(foods: str | Sequence[str]) -> list[str]:
    """Food names, most specific first; ``a|b`` gives two candidates."""
    raw = [foods] if isinstance(foods, str) else list(foods)
    return [n.strip() for f in raw for n in str(f).split("|") if n.strip()]


def split_group_item(index: LimitIndex, item: str) -> tuple[str | None, tuple[str, ...]]:
    """(group, members) for an item that groups analytes, else (None, (item,)).

    ``合成着色剂(柠檬黄、日落黄)`` -> the listed members; ``合成着色剂`` alone -> every
    member of the group in ``groups.csv``.  A bracket holding a list is a group when its
    head is a known group or every listed name is an analyte the library knows.
    """
    folded = unicodedata.normalize("NFKC", item).strip().replace("，", ",").replace("；", ";")
    match = _GROUP.match(folded)
    if match:
        head = match.group("head").strip()
        members = tuple(m.strip() for m in _SEPARATORS.split(match.group("inner")) if m.strip())
        try:
            head_key = index.canonical_analyte(head)
        except ValueError:
            head_key = head
        if len(members) > 1 and (
            head_key in index.groups or all(_knows(index, m) for m in members)
        ):
            return head, members
    try:
        key = index.canonical_analyte(folded)
    except ValueError:
        return None, (item,)
    if key in index.groups and not index.known_analyte(folded):
        return key, tuple(m.member for m in index.groups[key])
    return None, (item,)


def _knows(index: LimitIndex, name: str) -> bool:
    try:
        return index.known_analyte(name) or index.is_additive(name)
    except ValueError:
        return False


def limit_entry(match: LimitMatch, analyte: str | None = None) -> dict[str, Any]:
    """One limit as ``lookup --json`` prints it."""
    spec = match.spec
    value = spec.value if spec.kind in ("max", "min") else None
    entry = {
        "text": match.row.limit_text if not match.absent else "不得使用",
        "value": None if value is None else str(value),
        "unit": match.row.unit or None,
        "standard": match.standard.code,
        "clause": match.row.clause,
        "category": match.row.category_text,
        "verified": match.verified,
    }
    if analyte is not None:
        entry["analyte"] = analyte
    return entry


@dataclass(frozen=True)
class ItemLookup:
    """What applies to one test item in one food on one date."""

    item: str
    foods: tuple[str, ...]
    on: dt.date
    group: str | None
    answers: tuple[tuple[str, LimitMatch | NoLimit], ...]

    @property
    def matches(self) -> list[tuple[str, LimitMatch]]:
        """(analyte, match) for each member that has a limit (ambiguous: each candidate)."""
        out: list[tuple[str, LimitMatch]] = []
        for name, answer in self.answers:
            if isinstance(answer, LimitMatch):
                out.append((name, answer))
            else:
                out.extend((name, c) for c in answer.candidates)
        return out

    @property
    def found(self) -> bool:
        """Every member finds a limit (a choice between rows counts as found)."""
        return bool(self.answers) and all(
            isinstance(a, LimitMatch) or a.candidates for _, a in self.answers
        )

    @property
    def needs_specific_food(self) -> bool:
        """The food named is a category whose foods carry different limits (by_food)."""
        return any(isinstance(a, NoLimit) and a.code == "by_food" for _, a in self.answers)

    @property
    def declared_value_required(self) -> bool:
        return any(m.declared_value_required for _, m in self.matches)

    @property
    def verified(self) -> str | None:
        matches = self.matches
        return weakest_status(m.verified for _, m in matches) if matches else None

    @property
    def reason(self) -> str:
        parts = []
        for name, answer in self.answers:
            prefix = f"{name}：" if self.group else ""
            if isinstance(answer, NoLimit):
                parts.append(prefix + answer.reason)
                continue
            row = answer.row
            if answer.absent:
                parts.append(prefix + row.notes)
                continue
            text = f"{prefix}{answer.standard.code} {row.clause} “{row.category_text}” {answer.spec.display()}"
            if answer.declared_value_required:
                text += "（需提供产品执行标准或标签的明示值）"
            if answer.notes:
                text += "；" + "；".join(answer.notes)
            parts.append(text)
        return "\n".join(parts)

    def rows(self) -> list[dict[str, Any]]:
        """Each limit with the analyte it is for (a group item has one per member)."""
        return [limit_entry(m, name) for name, m in self.matches]

    def to_json(self) -> dict[str, Any]:
        """The object of ``lims limits lookup --json`` (one per batch row): exactly the
        keys item, food, found, limits [text, value, unit, standard, clause, category,
        verified], declared_value_required, reason."""
        return {
            "item": self.item,
            "food": "|".join(self.foods),
            "found": self.found,
            "limits": [limit_entry(m) for _, m in self.matches],
            "declared_value_required": self.declared_value_required,
            "reason": self.reason,
        }


def _species_screen(
    index: LimitIndex, total: str, names: list[str], day: dt.date, standard: str | None
) -> NoLimit | None:
    """A total (总砷, 总汞) with no limit of its own in a food whose species (无机砷, 甲基汞)
    has one: GB 2762 表3/表4 注a — a total at or below the species limit conforms without
    speciation, above it the species must be measured.  The species' row is offered."""
    try:
        screen = index.species_limit(total, names, day, standard=standard)
    except ValueError:
        return None
    if screen is not None:
        species, found = screen
        return NoLimit(
            f"{found.standard.code} 对“{found.food}”未规定{index.canonical_analyte(total)}限量，"
            f"规定了{species}限量 {found.spec.display()}：总量不超过该值可判定符合，"
            f"超过时需测定{species}再判定（{found.row.clause} 注a）",
            "species",
            (found,),
        )
    return None


def lookup_item(
    index: LimitIndex,
    item: str,
    foods: str | Sequence[str],
    on: dt.date | None = None,
    *,
    standard: str | None = None,
    basis: str | None = None,
    condition: str | None = None,
) -> ItemLookup:
    """The limit(s) of ``item`` in ``foods`` on ``on`` (default today)."""
    day = on or local_today()
    names = food_candidates(foods)
    function = proportion_function(item)
    if function is not None:
        answer = index.proportion_rule(function, names, day)
        return ItemLookup(item, tuple(names), day, None, ((item, answer),))
    try:
        group, members = split_group_item(index, item)
    except ValueError as exc:
        return ItemLookup(item, tuple(names), day, None, ((item, NoLimit(str(exc), "unknown_analyte")),))
    answers = []
    for member in members:
        try:
            answer = index.lookup(
                member, names, day, standard=standard, basis=basis, condition=condition
            )
        except ValueError as exc:
            answer = NoLimit(str(exc), "unknown_analyte")
        if isinstance(answer, NoLimit) and not answer.candidates:
            answer = _species_screen(index, member, names, day, standard) or answer
        answers.append((member, answer))
    return ItemLookup(item, tuple(names), day, group, tuple(answers))
