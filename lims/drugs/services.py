"""Monographs in the database: the pharmacopoeia edition, its nodes and test items.

Each monograph becomes a level-4 node of the ``ChP2025`` rules edition (大类 ``YP`` 药品 →
剂型 → 品种) with one :class:`~lims.foods.models.TestItemRecord` per item, so that the
sample machinery (test plan, routing by capability, results, report) works on medicines
unchanged. The edition is never the current one: food pages and food figures do not see it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lims.drugs.models import DrugMonograph, DrugSample
from lims.drugs.monographs import (
    Monograph,
    MonographError,
    MonographItem,
    load_shipped,
    parse_monograph,
    shipped_files,
)
from lims.extensions import db
from lims.foods.models import FoodCategoryNode, RulesEdition, TestItemRecord
from lims.samples.models import Sample

EDITION_CODE = "ChP2025"
EDITION_TITLE = "中华人民共和国药典（2025年版）"
DRUG_CATEGORY_CODE = "YP"  # the 大类 of every drug sample (Sample.category_code)
UNVERIFIED_NOTE = "（未对照标准原文核实）"


@dataclass(frozen=True)
class LoadSummary:
    monographs: int
    items: int
    created: int


def find_edition() -> RulesEdition | None:
    return db.session.scalar(sa.select(RulesEdition).where(RulesEdition.code == EDITION_CODE))


def pharmacopoeia_edition() -> RulesEdition:
    edition = find_edition()
    if edition is None:
        edition = RulesEdition(code=EDITION_CODE, title=EDITION_TITLE, is_current=False,
                               source="lims/drugs/monographs/*.toml")
        db.session.add(edition)
        db.session.flush()
    return edition


def _node(edition: RulesEdition, code: str, level: int, name: str,
          parent: FoodCategoryNode | None) -> FoodCategoryNode:
    node = db.session.scalar(sa.select(FoodCategoryNode).where(
        FoodCategoryNode.edition_id == edition.id, FoodCategoryNode.code == code))
    if node is None:
        node = FoodCategoryNode(edition_id=edition.id, code=code, level=level,
                                parent_id=parent.id if parent else None, name_zh=name)
        db.session.add(node)
        db.session.flush()
    node.name_zh = name
    return node


def node_code(key: str) -> str:
    return "YP-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def item_code(monograph: Monograph, item: MonographItem) -> str:
    return f"{EDITION_CODE}:{monograph.key}:{item.code}"[:120]


def analyte_key(item: MonographItem) -> str:
    """What a drug-testing capability is declared for (one per kind of test and item)."""
    return f"drug:{item.kind}:{item.code}"[:120]


def store_monograph(monograph: Monograph, text: str, origin: str) -> tuple[DrugMonograph, bool]:
    """Insert or update one monograph and its items; returns (record, created)."""
    edition = pharmacopoeia_edition()
    top = _node(edition, DRUG_CATEGORY_CODE, 1, "药品", None)
    form = _node(edition, f"YP-{monograph.dosage_form}", 2, monograph.dosage_form, top)
    node = _node(edition, node_code(monograph.key), 4, monograph.name, form)
    record = db.session.scalar(sa.select(DrugMonograph).where(DrugMonograph.key == monograph.key))
    created = record is None
    if record is None:
        record = DrugMonograph(key=monograph.key, node_id=node.id)
        db.session.add(record)
    record.name, record.dosage_form = monograph.name, monograph.dosage_form
    record.standard, record.origin = monograph.standard, origin
    record.verified, record.body, record.node_id = monograph.verified, text, node.id
    existing = {i.code: i for i in db.session.scalars(
        sa.select(TestItemRecord).where(TestItemRecord.subcategory_id == node.id))}
    for seq, item in enumerate(monograph.items, 1):
        code = item_code(monograph, item)
        row = existing.pop(code, None)
        if row is None:
            row = TestItemRecord(edition_id=edition.id, subcategory_id=node.id, code=code)
            db.session.add(row)
        row.seq, row.name_zh, row.name_en = seq, item.name, None
        row.analyte_key, row.analyte_class = analyte_key(item), "drug"
        row.expressed_as = monograph.expressed_as[:40] or None
        row.is_residue = False
        row.basis_standards = f"{monograph.standard}《{monograph.name}》"
        row.basis_family = monograph.standard
        row.method_standards = item.method
        row.footnotes = item.requirement
        row.local_standard = None
        row.source = item.source + ("" if item.verified else UNVERIFIED_NOTE)
    for gone in existing.values():
        # An item the new text no longer has: kept for the samples that used it, but no
        # longer proposed (items_for skips rows marked with a local standard).
        gone.local_standard = "已从药品标准中删除"
    db.session.flush()
    return record, created


def load_shipped_monographs() -> LoadSummary:
    """(Re)load every shipped monograph file."""
    created = items = 0
    parsed = load_shipped()
    for path, monograph in zip(shipped_files(), parsed, strict=True):
        _record, new = store_monograph(monograph, path.read_text(encoding="utf-8"), "shipped")
        created += new
        items += len(monograph.items)
    return LoadSummary(len(parsed), items, created)


def import_monograph_file(path: str | Path) -> tuple[DrugMonograph, bool]:
    """Validate a lab's monograph file whole, then store it (nothing written on refusal)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MonographError([f"无法读取文件 {file.name}：{exc}"]) from None
    return import_monograph_text(text, origin_name=file.name)


def import_monograph_text(text: str, *, origin_name: str = "") -> tuple[DrugMonograph, bool]:
    monograph = parse_monograph(text, origin=origin_name)
    record = db.session.scalar(sa.select(DrugMonograph).where(DrugMonograph.key == monograph.key))
    if record is not None and record.origin == "shipped":
        raise MonographError([f"品种 {monograph.key} 是系统自带的药品标准，不能被导入文件覆盖；"
                              "请使用不同的 key"])
    return store_monograph(monograph, text, "imported")


def monographs() -> list[DrugMonograph]:
    return list(db.session.scalars(sa.select(DrugMonograph).order_by(DrugMonograph.dosage_form,
                                                                       DrugMonograph.name)))


def find_monograph(text: str) -> DrugMonograph | None:
    text = (text or "").strip()
    if not text:
        return None
    return db.session.scalar(sa.select(DrugMonograph).where(
        sa.or_(DrugMonograph.key == text, DrugMonograph.name == text)))


def parsed(record: DrugMonograph) -> Monograph:
    return parse_monograph(record.body, origin=record.key)


def drug_of(sample: Sample) -> DrugSample | None:
    """The drug part of a (sub-)sample, found through its root sample."""
    return db.session.get(DrugSample, sample.root.id)


def monograph_item(drug: DrugSample, test_item: TestItemRecord) -> MonographItem:
    monograph = parsed(drug.monograph)
    code = test_item.code.split(":", 2)[-1]
    item = monograph.item(code)
    if item is None:
        raise MonographError([f"药品标准 {monograph.key} 中没有检验项目 {code}"])
    return item
