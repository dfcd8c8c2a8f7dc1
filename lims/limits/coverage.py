"""Coverage of the library: of the sampling rules' test items, how many find a limit.

Each item is looked up as a lab would: its name as the rules write it, the food being the
item's 细类 name, then the names above it (大类 …).  Counts are given by the basis
standard the rules cite, with every miss listed.  Pure code (the rules and the library
are passed in), shared by ``lims limits coverage`` and scripts/limits_reference_coverage.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .index import LimitIndex
from .lookup import ItemLookup, lookup_item

__all__ = ["CoverageQuery", "CoverageReport", "basis_key", "measure", "rules_queries"]

_EDITION = re.compile(r"[-—]\d{4}$")
# Several bases in one cell: "GB 2760、GB 2762", "GB 2749 / 产品明示标准和质量要求", "GB 29921 GB 31607".
_BASIS_SPLIT = re.compile(
    r"\s+/\s*|[、,，;；\n]|\s+(?=(?:GB|NY|SN|QB|SB|LS|DB|T/|卫生部|产品明示|农业|整顿|食品整治|国家|市场监管))"
)


def basis_key(basis: str) -> str:
    """The basis standard as counted: ``GB 2763-2021`` -> ``GB 2763``; empty -> ``(未注明)``."""
    text = (basis or "").strip()
    if not text:
        return "(未注明)"
    first = _BASIS_SPLIT.split(text)[0].strip()
    return _EDITION.sub("", first)


@dataclass(frozen=True)
class CoverageQuery:
    item: str
    foods: tuple[str, ...]
    basis: str
    where: str = ""  # the item's place in the rules (table and number)


@dataclass
class CoverageReport:
    total: int = 0
    found: int = 0
    by_basis: dict[str, list[int]] = field(default_factory=dict)  # basis -> [found, total]
    misses: list[dict[str, Any]] = field(default_factory=list)
    declared: int = 0

    @property
    def share(self) -> float:
        return self.found / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "found": self.found,
            "share": round(self.share, 4),
            "declared_value_required": self.declared,
            "by_basis": {
                key: {"found": f, "total": t}
                for key, (f, t) in sorted(self.by_basis.items(), key=lambda kv: -kv[1][1])
            },
            "misses": self.misses,
        }

    def lines(self, with_misses: bool = True) -> list[str]:
        out = [f"找到限量：{self.found}/{self.total}（{self.share:.1%}）；需明示值：{self.declared}"]
        for key, (f, t) in sorted(self.by_basis.items(), key=lambda kv: -kv[1][1]):
            out.append(f"  {key}: {f}/{t}")
        if with_misses:
            for miss in self.misses:
                out.append(f"未找到：{miss['where']} {miss['item']} @ {miss['food']}：{miss['reason']}")
        return out


def measure(
    index: LimitIndex, queries: Iterable[CoverageQuery], on: dt.date | None = None
) -> CoverageReport:
    report = CoverageReport()
    for query in queries:
        answer: ItemLookup = lookup_item(index, query.item, query.foods, on)
        key = basis_key(query.basis)
        counts = report.by_basis.setdefault(key, [0, 0])
        counts[1] += 1
        report.total += 1
        if answer.declared_value_required:
            report.declared += 1
        if answer.found:
            counts[0] += 1
            report.found += 1
        else:
            report.misses.append(
                {"where": query.where, "item": query.item, "food": "|".join(query.foods),
                 "basis": key, "reason": answer.reason}  # fmt: skip
            )
    return report


def rules_queries(edition: str = "2026") -> list[CoverageQuery]:
    """Every (细类, 检验项目) of the sampling rules shipped in lims.foods."""
    from lims.foods.rules import load_rules

    rules = load_rules(edition)
    out = []
    for item in rules.all_items():
        path: Sequence = rules.path(item.subcategory_code)
        foods = tuple(dict.fromkeys(node.name_zh for node in reversed(path)))
        out.append(
            CoverageQuery(
                item=item.name_zh, foods=foods, basis="、".join(item.basis_standards),
                where=f"{item.table_id}#{item.seq}" if item.seq else item.table_id,
            )  # fmt: skip
        )
    return out
