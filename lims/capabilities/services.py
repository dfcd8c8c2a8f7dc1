"""Finding a lab's capability for a test item, and loading declared capabilities."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from lims.capabilities.models import LabCapability
from lims.core.localtime import local_today
from lims.extensions import db
from lims.foods import services as foods
from lims.foods.models import FoodCategoryNode, TestItemRecord
from lims.orgs.models import Organization

# progress(done, total): how far an import has got, for a progress bar or page.
Progress = Callable[[int, int], None]


class CapabilityImportError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("能力清单未导入：\n" + "\n".join(errors))
        self.errors = errors


def scope_codes(item: TestItemRecord) -> set[str]:
    """The codes of the item's 细类 and every category above it."""
    return {node.code for node in foods.category_path(item.subcategory)}


def matches(capability: LabCapability, item: TestItemRecord, scopes: set[str],
            on: dt.date) -> bool:
    if not capability.valid_on(on):
        return False
    if capability.test_item_id is not None:
        return capability.test_item_id == item.id
    if capability.analyte_key != item.analyte_key:
        return False
    return capability.food_scope_code is None or capability.food_scope_code in scopes


def capabilities_for(org: Organization) -> list[LabCapability]:
    return list(db.session.scalars(sa.select(LabCapability).where(LabCapability.org_id == org.id)
                                   .order_by(LabCapability.analyte_key, LabCapability.id)))


def can_test(org: Organization, item: TestItemRecord, on: dt.date | None = None
             ) -> LabCapability | None:
    """The lab's capability for this item on that date (item-specific first), or None."""
    on = on or local_today()
    candidates = db.session.scalars(sa.select(LabCapability).where(
        LabCapability.org_id == org.id,
        sa.or_(LabCapability.test_item_id == item.id,
               sa.and_(LabCapability.test_item_id.is_(None),
                       LabCapability.analyte_key == item.analyte_key)))).all()
    scopes = scope_codes(item)
    found = [c for c in candidates if matches(c, item, scopes, on)]
    found.sort(key=lambda c: c.test_item_id is None)
    return found[0] if found else None


# --- import ---------------------------------------------------------------------------

COLUMNS = ("org", "item_code", "analyte", "food_scope", "method", "lod", "loq", "unit",
           "cma", "valid_from", "valid_until", "notes")


def _decimal(text: str, what: str, errors: list[str], row: int) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(f"第{row}行：{what}不是数值：{text}")
        return None
    if value <= 0:
        errors.append(f"第{row}行：{what}必须为正数：{text}")
    return value


def import_capabilities(path: str | Path, progress: Progress | None = None) -> int:
    """Add capabilities from a CSV (columns: COLUMNS); any bad row refuses the whole file.

    ``progress(done, total)`` is called as rows are checked (for progress bars)."""
    text = Path(path).read_text("utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    errors: list[str] = []
    if not rows:
        raise CapabilityImportError(["文件中没有数据行"])
    missing = [c for c in ("org", "method") if c not in rows[0]]
    if missing:
        raise CapabilityImportError([f"缺少列：{'、'.join(missing)}"])
    edition = foods.current_edition()
    pending = []
    for number, row in enumerate(rows, start=2):
        if progress is not None and number % 50 == 0:
            progress(number - 1, len(rows))
        get = {k: (row.get(k) or "").strip() for k in COLUMNS}
        org = db.session.scalar(sa.select(Organization).where(Organization.code == get["org"]))
        if org is None or not org.is_lab:
            errors.append(f"第{number}行：未知的检验机构：{get['org']}")
        item = None
        if get["item_code"]:
            item = db.session.scalar(sa.select(TestItemRecord).where(
                TestItemRecord.code == get["item_code"],
                TestItemRecord.edition_id == (edition.id if edition else -1)))
            if item is None:
                errors.append(f"第{number}行：未知的检验项目编码：{get['item_code']}")
        elif not get["analyte"]:
            errors.append(f"第{number}行：须填写检验项目编码或分析物")
        if get["food_scope"] and edition and db.session.scalar(sa.select(FoodCategoryNode.id).where(
                FoodCategoryNode.edition_id == edition.id,
                FoodCategoryNode.code == get["food_scope"])) is None:
            errors.append(f"第{number}行：未知的食品分类编码：{get['food_scope']}")
        if not get["method"]:
            errors.append(f"第{number}行：须填写检验方法标准")
        lod = _decimal(get["lod"], "检出限", errors, number)
        loq = _decimal(get["loq"], "定量限", errors, number)
        if lod and loq and loq < lod:
            errors.append(f"第{number}行：定量限不能小于检出限")
        dates = {}
        for name in ("valid_from", "valid_until"):
            try:
                dates[name] = dt.date.fromisoformat(get[name]) if get[name] else None
            except ValueError:
                errors.append(f"第{number}行：日期格式应为 YYYY-MM-DD：{get[name]}")
        from lims.foods.analytes import analyte_key

        pending.append(dict(
            org=org, test_item=item,
            analyte_key=item.analyte_key if item else (analyte_key(get["analyte"])
                                                       if get["analyte"] else ""),
            food_scope_code=get["food_scope"] or None, method_standard=get["method"],
            lod=lod, loq=loq, unit=get["unit"] or None,
            in_cma_scope=get["cma"].lower() in ("yes", "y", "1", "true", "是"),
            notes=get["notes"] or None, **dates))
    if errors:
        raise CapabilityImportError(errors)
    for values in pending:
        db.session.add(LabCapability(**values))
    db.session.flush()
    if progress is not None:
        progress(len(rows), len(rows))
    return len(pending)


# --- the demo network's capabilities, declared by rule ----------------------------------

def load_demo_capabilities() -> int:
    """Expand lims/capabilities/data/demo_capabilities.csv into capabilities.

    Rules: ``all_except_category`` (every item outside the listed 大类, each by its first
    allowed method), ``analyte`` (one analyte in any food), ``analyte_class`` (every analyte
    of that class within the listed 大类).
    """
    if db.session.scalar(sa.select(sa.func.count(LabCapability.id))):
        return 0
    edition = foods.current_edition()
    if edition is None:
        return 0
    items = db.session.scalars(sa.select(TestItemRecord).where(
        TestItemRecord.edition_id == edition.id, TestItemRecord.local_standard.is_(None))).all()
    nodes = {n.id: n for n in db.session.scalars(sa.select(FoodCategoryNode).where(
        FoodCategoryNode.edition_id == edition.id))}

    def top(node_id: int) -> str:
        node = nodes[node_id]
        while node.parent_id is not None:
            node = nodes[node.parent_id]
        return node.code

    category_of = {item.id: top(item.subcategory_id) for item in items}
    orgs = {o.code: o for o in db.session.scalars(sa.select(Organization))}
    text = resources.files("lims.capabilities").joinpath("data/demo_capabilities.csv")
    rules = list(csv.DictReader(text.read_text("utf-8").splitlines()))
    created = 0
    for rule in rules:
        org = orgs[rule["org"]]
        values = rule["value"].split("|")
        common = dict(org=org, lod=Decimal(rule["lod"]) if rule["lod"] else None,
                      loq=Decimal(rule["loq"]) if rule["loq"] else None,
                      unit=rule["unit"] or None, in_cma_scope=rule["cma"] == "yes",
                      notes="演示数据 / demo declaration")
        if rule["rule"] == "all_except_category":
            for item in items:
                if category_of[item.id] in values or not item.method_list:
                    continue
                db.session.add(LabCapability(test_item=item, analyte_key=item.analyte_key,
                                             method_standard=item.method_list[0], **common))
                created += 1
        elif rule["rule"] == "analyte":
            for key in values:
                db.session.add(LabCapability(analyte_key=key, method_standard=rule["method"],
                                             food_scope_code=None, **common))
                created += 1
        elif rule["rule"] == "analyte_class":
            scopes = rule["food_scope"].split("|")
            seen: dict[tuple[str, str], str] = {}
            for item in items:
                scope = category_of[item.id]
                if item.analyte_class in values and scope in scopes and item.method_list:
                    seen.setdefault((item.analyte_key, scope), item.method_list[0])
            for (key, scope), method in sorted(seen.items()):
                db.session.add(LabCapability(analyte_key=key, food_scope_code=scope,
                                             method_standard=rule["method"] or method, **common))
                created += 1
    db.session.flush()
    return created


def count_by_org() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for code, n in db.session.execute(
            sa.select(Organization.code, sa.func.count(LabCapability.id))
            .join(LabCapability, LabCapability.org_id == Organization.id)
            .group_by(Organization.code)):
        counts[code] = n
    return dict(counts)


# --- editing and withdrawal -----------------------------------------------------------------

EDITABLE = ("method_standard", "equivalent_to", "lod", "loq", "unit", "food_scope_code",
            "in_cma_scope", "valid_from", "valid_until", "notes")


def edit_capability(capability: LabCapability, user, changes: dict, reason: str) -> list[str]:
    """Change a declared capability (the audit trail records each field with the reason,
    lims.audit); returns the fields changed.  A withdrawn capability cannot be edited.  The
    caller commits; coverage and routing read the new values on their next call."""
    from lims.audit.context import change_reason

    if not (reason or "").strip():
        raise CapabilityImportError(["修改检验能力须说明原因"])
    if capability.withdrawn_at is not None:
        raise CapabilityImportError(["该检验能力已撤销，不能修改"])
    errors: list[str] = []
    clean: dict = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            errors.append(f"字段 {name} 不可修改")
            continue
        if name in ("lod", "loq"):
            text = str(value or "").strip()
            try:
                value = Decimal(text) if text else None
            except InvalidOperation:
                errors.append(f"{name.upper()} 不是数值：{text}")
                continue
            if value is not None and value <= 0:
                errors.append(f"{name.upper()} 必须为正数：{text}")
        elif name in ("valid_from", "valid_until"):
            try:
                value = dt.date.fromisoformat(str(value)) if value else None
            except ValueError:
                errors.append(f"{name} 日期格式应为 YYYY-MM-DD：{value}")
                continue
        elif name == "in_cma_scope":
            value = bool(value)
        else:
            value = (str(value).strip() or None) if value is not None else None
        if name == "method_standard" and not value:
            errors.append("检验方法不能为空")
        clean[name] = value
    if errors:
        raise CapabilityImportError(errors)
    changed = [n for n, v in clean.items() if getattr(capability, n) != v]
    with change_reason(reason.strip()):
        for name in changed:
            setattr(capability, name, clean[name])
        db.session.flush()
    return changed


def withdraw_capability(capability: LabCapability, user, reason: str) -> None:
    """Withdraw a capability (inactive from now on, with the reason and who withdrew it,
    audited); coverage and routing stop counting it.  The caller commits."""
    from lims.audit.context import change_reason
    from lims.core.db import utcnow

    if not (reason or "").strip():
        raise CapabilityImportError(["撤销检验能力须说明原因"])
    if capability.withdrawn_at is not None:
        raise CapabilityImportError(["该检验能力已撤销"])
    with change_reason(reason.strip()):
        capability.active = False
        capability.withdrawn_at = utcnow()
        capability.withdrawn_reason = reason.strip()
        capability.withdrawn_by_id = user.id
        db.session.flush()
