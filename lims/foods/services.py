"""Importing the sampling rules into the database and finding 细类 and their items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lims.extensions import db
from lims.foods.models import FoodCategoryNode, RulesEdition, TestItemRecord
from lims.foods.rules import SamplingRules, TestItem, load_rules

EDITION_TITLES = {"2026": "食品安全监督抽检实施细则（2026年版）"}


@dataclass(frozen=True)
class ImportSummary:
    edition: str
    categories: int
    items: int
    created: int
    updated: int


def _item_values(item: TestItem, rules: SamplingRules) -> dict:
    analyte = rules.analytes.get(item.analyte_key)
    return dict(
        seq=item.seq, name_zh=item.name_zh, name_en=analyte.name_en if analyte else None,
        analyte_key=item.analyte_key, expressed_as=item.expressed_as,
        analyte_class=item.analyte_class, is_residue=item.is_residue,
        basis_standards="|".join(item.basis_standards),
        basis_family="|".join(item.basis_families),
        method_standards="|".join(item.method_standards),
        footnotes="|".join(item.footnote_refs), source=item.source,
    )


def import_edition(edition: str = "2026", *, make_current: bool = True) -> ImportSummary:
    """Load (or reload) one edition from the shipped data files.

    Re-running updates that edition in place (codes are stable); another edition code is a
    new version beside it, never an overwrite.
    """
    rules = load_rules(edition)
    record = db.session.scalar(sa.select(RulesEdition).where(RulesEdition.code == edition))
    if record is None:
        record = RulesEdition(code=edition, title=EDITION_TITLES.get(edition, f"实施细则 {edition}"),
                              source=f"lims/foods/data/rules_{edition}_*.csv")
        db.session.add(record)
        db.session.flush()
    nodes = {n.code: n for n in db.session.scalars(
        sa.select(FoodCategoryNode).where(FoodCategoryNode.edition_id == record.id))}
    for category in sorted(rules.categories.values(), key=lambda c: c.level):
        node = nodes.get(category.code)
        if node is None:
            node = FoodCategoryNode(edition_id=record.id, code=category.code)
            db.session.add(node)
            nodes[category.code] = node
        node.level = category.level
        node.name_zh = category.name_zh
        node.table_id = category.table_id
        node.is_placeholder = "pass-through" in (category.source or "")
        node.parent = nodes[category.parent_code] if category.parent_code else None
    db.session.flush()
    existing = {i.code: i for i in db.session.scalars(
        sa.select(TestItemRecord).where(TestItemRecord.edition_id == record.id))}
    created = updated = 0
    for item in rules.all_items():
        values = _item_values(item, rules)
        row = existing.get(item.item_code)
        if row is None:
            db.session.add(TestItemRecord(edition_id=record.id, code=item.item_code,
                                          subcategory_id=nodes[item.subcategory_code].id,
                                          **values))
            created += 1
            continue
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        updated += changed
    if make_current:
        set_current(record)
    db.session.flush()
    return ImportSummary(edition, len(nodes), len(rules.all_items()), created, updated)


def set_current(edition: RulesEdition) -> None:
    for other in db.session.scalars(sa.select(RulesEdition).where(RulesEdition.is_current)):
        if other.id != edition.id:
            other.is_current = False
    edition.is_current = True


def import_edition_once() -> None:
    """Demo step: the 2026 rules, unless already there."""
    if current_edition() is None:
        import_edition("2026")


def import_local_items(path: str | Path, *, standard: str | None = None,
                       progress: Callable[[int, int], None] | None = None) -> int:
    """Add a local-standard item list (DBS 65/…) to the current edition; refused whole.
    ``progress(done, total)`` counts items written."""
    from lims.foods.item_list import parse_item_list, read_item_list

    edition = current_edition()
    if edition is None:
        raise ValueError("尚未导入抽检实施细则，请先运行 lims taxonomy import")
    rules = load_rules(edition.code)
    items = parse_item_list(read_item_list(path), rules, source_name=Path(path).name)
    nodes = {n.code: n for n in db.session.scalars(
        sa.select(FoodCategoryNode).where(FoodCategoryNode.edition_id == edition.id))}
    existing = set(db.session.scalars(
        sa.select(TestItemRecord.code).where(TestItemRecord.edition_id == edition.id)))
    added = 0
    for done, item in enumerate(items, start=1):
        if progress is not None:
            progress(done, len(items))
        if item.item_code in existing:
            continue
        values = _item_values(item, rules)
        local = standard or next((b for b in item.basis_standards if b.startswith("DBS")), None)
        db.session.add(TestItemRecord(edition_id=edition.id, code=item.item_code,
                                      subcategory_id=nodes[item.subcategory_code].id,
                                      local_standard=local or "地方标准", **values))
        added += 1
    db.session.flush()
    return added


def current_edition() -> RulesEdition | None:
    return db.session.scalar(sa.select(RulesEdition).where(RulesEdition.is_current))


def find_subcategory(name_or_code: str, edition: RulesEdition | None = None
                     ) -> FoodCategoryNode | None:
    """A 细类 of the edition by code (34-6), table id (表34-6), name or alias."""
    edition = edition or current_edition()
    if edition is None or not name_or_code or not name_or_code.strip():
        return None
    text = name_or_code.strip()
    leaves = sa.select(FoodCategoryNode).where(FoodCategoryNode.edition_id == edition.id,
                                               FoodCategoryNode.level == 4)
    node = db.session.scalar(leaves.where(sa.or_(FoodCategoryNode.code == text,
                                                 FoodCategoryNode.table_id == text)))
    if node is not None:
        return node
    # Names and aliases are resolved by the rules library (it knows the aliases).
    try:
        found = load_rules(edition.code).find_subcategory(text)
    except LookupError:
        return None
    if found is None:
        return None
    return db.session.scalar(leaves.where(FoodCategoryNode.code == found.code))


def items_for(subcategory: FoodCategoryNode) -> list[TestItemRecord]:
    return list(db.session.scalars(
        sa.select(TestItemRecord).where(TestItemRecord.subcategory_id == subcategory.id,
                                        TestItemRecord.local_standard.is_(None))
        .order_by(TestItemRecord.seq, TestItemRecord.id)))


def category_path(node: FoodCategoryNode) -> list[FoodCategoryNode]:
    """大类 first, the node itself last."""
    path = [node]
    while path[0].parent_id is not None:
        path.insert(0, db.session.get(FoodCategoryNode, path[0].parent_id))
    return path


def search_subcategories(text: str, limit: int = 20) -> list[FoodCategoryNode]:
    edition = current_edition()
    if edition is None or not text.strip():
        return []
    pattern = f"%{text.strip()}%"
    return list(db.session.scalars(
        sa.select(FoodCategoryNode).where(
            FoodCategoryNode.edition_id == edition.id, FoodCategoryNode.level == 4,
            sa.or_(FoodCategoryNode.name_zh.like(pattern), FoodCategoryNode.code.like(pattern)))
        .order_by(FoodCategoryNode.code).limit(limit)))

