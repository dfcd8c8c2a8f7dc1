"""The food taxonomy and test-item lists of the national sampling rules.

Loaded from the project's own CSV files in ``lims/foods/data`` (derived once from
《食品安全监督抽检实施细则（2026年版）》, see ``data/README.md``).  Each edition of the
rules is a separate set of files ``rules_<edition>_*.csv``; a new edition is a new
version, never an overwrite.

Four levels: 大类 (level 1) → 亚类 (2) → 品种 (3) → 细类 (4).  Each 细类 has one table
of test items.  Item codes are ``<细类 code>:<analyte key>`` (e.g. ``34-6:铅``) and do not
depend on row order, so they survive a re-derivation.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

DATA_DIR = Path(__file__).resolve().parent / "data"
LEVEL_NAMES = {1: "大类", 2: "亚类", 3: "品种", 4: "细类"}
ANALYTE_CLASSES = (
    "pesticide", "veterinary_drug", "contaminant", "mycotoxin", "additive",
    "microbe", "quality", "illegal_additive", "other",
)
RESIDUE_CLASSES = frozenset({"pesticide", "veterinary_drug"})


@dataclass(frozen=True)
class FoodCategory:
    code: str
    level: int
    parent_code: str | None
    name_zh: str
    table_id: str | None = None  # 细类 only: the table of the rules, e.g. 表34-6
    source: str = ""

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


@dataclass(frozen=True)
class TestItem:
    """One (细类, 检验项目) pair of an item list."""

    __test__ = False  # not a pytest test class

    item_code: str
    subcategory_code: str
    name_zh: str
    analyte_key: str
    analyte_class: str
    basis_standards: tuple[str, ...]
    basis_families: tuple[str, ...]
    method_standards: tuple[str, ...]
    table_id: str = ""
    seq: int | None = None
    expressed_as: str | None = None
    members: tuple[str, ...] = ()
    method_notes: tuple[str, ...] = ()
    footnote_refs: tuple[str, ...] = ()
    inferred: tuple[str, ...] = ()
    source: str = ""

    @property
    def is_residue(self) -> bool:
        """Pesticide or veterinary-drug residue item."""
        return self.analyte_class in RESIDUE_CLASSES


@dataclass(frozen=True)
class Analyte:
    key: str
    name_zh: str
    name_en: str
    cas: str
    analyte_class: str


@dataclass(frozen=True)
class TableNote:
    table_id: str
    subcategory_code: str
    ref: str
    text: str


@dataclass(frozen=True)
class SamplingRules:
    edition: str
    categories: Mapping[str, FoodCategory]
    items_by_subcategory: Mapping[str, tuple[TestItem, ...]]
    analytes: Mapping[str, Analyte]
    notes: tuple[TableNote, ...] = ()

    def subcategories(self) -> list[FoodCategory]:
        return [c for c in self.categories.values() if c.level == 4]

    def all_items(self) -> list[TestItem]:
        return [i for items in self.items_by_subcategory.values() for i in items]

    def items_for(self, subcategory_code: str) -> tuple[TestItem, ...]:
        cat = self.categories.get(subcategory_code)
        if cat is None or cat.level != 4:
            raise KeyError(f"未知的细类代码：{subcategory_code}")
        return self.items_by_subcategory.get(subcategory_code, ())

    def notes_for(self, subcategory_code: str) -> list[TableNote]:
        return [n for n in self.notes if n.subcategory_code == subcategory_code]

    def path(self, code: str) -> list[FoodCategory]:
        """The chain 大类 → … → ``code``."""
        if code not in self.categories:
            raise KeyError(f"未知的分类代码：{code}")
        chain = []
        cur: str | None = code
        while cur:
            cat = self.categories[cur]
            chain.append(cat)
            cur = cat.parent_code
        return chain[::-1]

    def find_subcategory(self, name_or_code: str) -> FoodCategory | None:
        """A 细类 by exact code, table id (表34-6), exact name or alias; None if unknown.

        Raises LookupError when an alias names more than one 细类.
        """
        text = _norm(name_or_code)
        if not text:
            return None
        cat = self.categories.get(text)
        if cat and cat.level == 4:
            return cat
        hits = _subcategory_index(self).get(text, [])
        if len(hits) > 1:
            names = "、".join(f"{c.code} {c.name_zh}" for c in hits)
            raise LookupError(f"“{name_or_code}”对应多个细类：{names}")
        return hits[0] if hits else None


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


# Cache per rules object; frozen dataclasses are hashable only if their fields are, so key
# the cache on id() and keep the object alive alongside it.
_INDEX: dict[int, tuple[SamplingRules, dict[str, list[FoodCategory]]]] = {}


def _subcategory_index(rules: SamplingRules) -> dict[str, list[FoodCategory]]:
    hit = _INDEX.get(id(rules))
    if hit and hit[0] is rules:
        return hit[1]
    exact: dict[str, list[FoodCategory]] = {}
    alias: dict[str, list[FoodCategory]] = {}
    for cat in rules.subcategories():
        name = _norm(cat.name_zh)
        exact.setdefault(name, []).append(cat)
        if cat.table_id:
            exact.setdefault(_norm(cat.table_id), []).append(cat)
        for a in _aliases(name):
            alias.setdefault(a, []).append(cat)
    index = dict(alias)
    index.update(exact)  # an exact name always wins over an alias
    _INDEX[id(rules)] = (rules, index)
    return index


def _aliases(name: str) -> set[str]:
    """Alternative spellings: without the bracket, the bracket content, each listed part."""
    out: set[str] = set()
    base = name
    if "(" in name and name.endswith(")"):
        base, _, inner = name[:-1].partition("(")
        out.add(base)
        out.update(p for p in inner.replace("、", ",").split(",") if len(p) > 1)
    for sep in ("、", "和", "及"):
        if sep in base:
            out.update(p for p in base.split(sep) if len(p) > 1)
    out.discard(name)
    return out


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FileNotFoundError(f"抽检细则数据文件不存在：{path.name}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split("|") if v)


@lru_cache(maxsize=4)
def load_rules(edition: str = "2026") -> SamplingRules:
    """Load one edition of the sampling rules from the shipped CSV files (cached)."""
    if not edition.isalnum():
        raise ValueError(f"版本号无效：{edition!r}")
    cats: dict[str, FoodCategory] = {}
    for r in _read(DATA_DIR / f"rules_{edition}_categories.csv"):
        cats[r["code"]] = FoodCategory(
            code=r["code"], level=int(r["level"]), parent_code=r["parent_code"] or None,
            name_zh=r["name_zh"], table_id=r["table_id"] or None, source=r["source"])
    analytes = {
        r["analyte_key"]: Analyte(key=r["analyte_key"], name_zh=r["name_zh"],
                                  name_en=r["name_en"], cas=r["cas"],
                                  analyte_class=r["analyte_class"])
        for r in _read(DATA_DIR / "analytes.csv")
    }
    by_sub: dict[str, list[TestItem]] = {c.code: [] for c in cats.values() if c.level == 4}
    for r in _read(DATA_DIR / f"rules_{edition}_items.csv"):
        sub = r["subcategory_code"]
        if sub not in by_sub:
            raise ValueError(f"检验项目 {r['item_code']} 引用了未知细类 {sub}")
        by_sub[sub].append(TestItem(
            item_code=r["item_code"], subcategory_code=sub, table_id=r["table_id"],
            seq=int(r["seq"]) if r["seq"] else None, name_zh=r["name_zh"],
            analyte_key=r["analyte_key"], expressed_as=r["expressed_as"] or None,
            members=_split(r["members"]), analyte_class=r["analyte_class"],
            basis_standards=_split(r["basis_standards"]),
            basis_families=_split(r["basis_families"]),
            method_standards=_split(r["method_standards"]),
            method_notes=_split(r["method_notes"]), footnote_refs=_split(r["footnote_refs"]),
            inferred=_split(r["inferred"]), source=r["source"]))
    notes = tuple(
        TableNote(table_id=r["table_id"], subcategory_code=r["subcategory_code"],
                  ref=r["ref"], text=r["text"])
        for r in _read(DATA_DIR / f"rules_{edition}_notes.csv"))
    return SamplingRules(
        edition=edition,
        categories=MappingProxyType(cats),
        items_by_subcategory=MappingProxyType({k: tuple(v) for k, v in by_sub.items()}),
        analytes=MappingProxyType(analytes),
        notes=notes,
    )


def items_for(subcategory_code: str, edition: str = "2026") -> tuple[TestItem, ...]:
    return load_rules(edition).items_for(subcategory_code)


def find_subcategory(name_or_code: str, edition: str = "2026") -> FoodCategory | None:
    return load_rules(edition).find_subcategory(name_or_code)


def path(code: str, edition: str = "2026") -> list[FoodCategory]:
    return load_rules(edition).path(code)


# Re-exported so that callers find the whole public API here; imported last because
# item_list needs the dataclasses above.
from lims.foods.item_list import ItemListError, parse_item_list, read_item_list  # noqa: E402

__all__ = [
    "Analyte", "FoodCategory", "ItemListError", "SamplingRules", "TableNote", "TestItem",
    "find_subcategory", "items_for", "load_rules", "parse_item_list", "path", "read_item_list",
]
