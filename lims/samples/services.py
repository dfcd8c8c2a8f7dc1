"""Operations on samples: register, plan tests, route and split, hand over, change status."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from lims.audit.context import change_reason
from lims.core.db import utcnow
from lims.core.localtime import local_today
from lims.extensions import db
from lims.foods import services as foods
from lims.foods.models import TestItemRecord
from lims.orgs.models import Organization, OrgTier, Region, RegionLevel
from lims.samples.lifecycle import (
    STATUS_ZH,
    SampleStatus,
    TransitionError,
    check_transition,
)
from lims.samples.links import business_links
from lims.samples.models import CustodyEvent, CustodyKind, Sample, SampleTest
from lims.samples.numbering import next_sample_number
from lims.samples.receipt import CleanReceipt, ReceiptError, ReceiptInput, validate
from lims.users.access import authorize
from lims.users.models import User
from lims.users.roles import Permission, Role
from lims.users.scoping import sees_all


class SampleError(ValueError):
    """A refused operation on a sample (Chinese message)."""


def _event(sample: Sample, kind: CustodyKind, user: User | None, summary: str, **extra) -> None:
    db.session.add(CustodyEvent(sample=sample, kind=kind, by_user_id=user.id if user else None,
                                summary=summary, at=utcnow(), **extra))


def _find_county(text: str) -> Region | None:
    return db.session.scalar(sa.select(Region).where(
        Region.level == RegionLevel.COUNTY, sa.or_(Region.code == text, Region.name == text)))


def _basis_for(item: TestItemRecord) -> str:
    return item.basis_standards.replace("|", "、") if item.basis_standards else ""


def _default_method(item: TestItemRecord) -> str | None:
    methods = [m for m in (item.method_standards or "").split("|") if m]
    return methods[0] if methods else None


def propose_test_plan(subcategory) -> list[TestItemRecord]:
    """The test items of the 细类's table in the sampling rules, in the table's order."""
    return foods.items_for(subcategory)


def register_sample(data: ReceiptInput, user: User, *, today: dt.date | None = None,
                    edition=None, plan_source: str = "细则表") -> Sample:
    """Register a received sample with its test plan; raises ReceiptError naming each field.

    ``edition``: the rules edition whose 细类 ``data.subcategory`` names (default: the current
    food edition; lims.drugs passes the pharmacopoeia's, and ``plan_source`` 药品标准)."""
    if not user.can(Permission.REGISTER_SAMPLE):
        raise SampleError("当前用户无权登记样品")
    if not user.org.is_lab:
        raise SampleError("只有检验机构可以登记样品")
    errors: dict[str, str] = {}
    clean: CleanReceipt | None = None
    try:
        clean = validate(data, today or local_today())
    except ReceiptError as exc:
        errors.update(exc.errors)
    # The references are checked too, so that one answer lists every problem.
    subcategory_text = str(data.subcategory or "").strip()
    subcategory = (foods.find_subcategory(subcategory_text, edition) if subcategory_text
                   else None)
    if subcategory_text and subcategory is None:
        errors["subcategory"] = f"未知的食品细类：{subcategory_text}"
    county_text = str(data.business_county or "").strip()
    county = _find_county(county_text) if county_text else None
    if county_text and county is None:
        errors["business_county"] = f"未知的县市：{county_text}"
    plan: list[TestItemRecord] = []
    added: list[TestItemRecord] = []
    if clean is not None and subcategory is not None:
        plan = propose_test_plan(subcategory)
        codes = {item.code for item in plan}
        for code in clean.removed_items:
            if code not in codes:
                errors[f"removed_items.{code}"] = f"检验项目 {code} 不在该细类的检验项目表中"
        for code in clean.added_items:
            item = db.session.scalar(sa.select(TestItemRecord).where(
                TestItemRecord.code == code, TestItemRecord.edition_id == subcategory.edition_id))
            if item is None:
                errors[f"added_items.{code}"] = f"未知的检验项目：{code}"
            elif code in codes:
                errors[f"added_items.{code}"] = f"检验项目 {code} 已在检验方案中"
            else:
                added.append(item)
    if errors:
        raise ReceiptError(errors)
    number = next_sample_number(current_app.config["SAMPLE_NUMBER_PATTERN"], user.org.code,
                                local_today())
    # after the number: its row lock comes before the audit chain's lock (no deadlock)
    seller, producer = business_links(clean.business_name, clean.business_licence,
                                      clean.business_address, county, clean.producer)
    path = foods.category_path(subcategory)
    sample = Sample(
        number=number, status=SampleStatus.REGISTERED, task_type=clean.task_type,
        food_name=clean.food_name, subcategory=subcategory, category_code=path[0].code,
        business_name=clean.business_name, business_licence=clean.business_licence,
        business_address=clean.business_address, business_region=county,
        sampled_on=clean.sampled_on, sampling_place=clean.sampling_place,
        sampler=clean.sampler, producer=clean.producer, batch_number=clean.batch_number,
        production_date=clean.production_date, quantity=clean.quantity,
        quantity_unit=clean.quantity_unit, retained_quantity=clean.retained_quantity,
        retained_unit=clean.retained_unit, retained_location=clean.retained_location,
        condition_ok=clean.condition_ok, condition_notes=clean.condition_notes,
        condition_description=clean.condition_description, task_source=clean.task_source,
        sampling_form_no=clean.sampling_form_no, customer_name=clean.customer_name,
        customer_address=clean.customer_address, sampling_base=clean.sampling_base,
        producer_address=clean.producer_address, specification=clean.specification,
        registered_org=user.org, holder_org=user.org, received_by=user, received_at=utcnow(),
        business=seller, producer_business=producer)
    db.session.add(sample)
    for item in plan:
        reason = clean.removed_items.get(item.code)
        sample.tests.append(SampleTest(test_item=item, basis_standard=_basis_for(item),
                                       method_standard=_default_method(item), from_rules=True,
                                       removed=reason is not None, removed_reason=reason))
    for item in added:
        sample.tests.append(SampleTest(test_item=item, basis_standard=_basis_for(item),
                                       method_standard=_default_method(item), from_rules=False,
                                       added_reason=clean.added_items[item.code] or None))
    condition = (clean.condition_description if clean.condition_ok
                 else f"{clean.condition_description}；偏离：{clean.condition_notes}")
    _event(sample, CustodyKind.RECEIVED, user, f"样品接收登记（{condition}）",
           to_org_id=user.org_id, condition=condition)
    kept = len(plan) - len(clean.removed_items)
    _event(sample, CustodyKind.TEST_PLAN, user,
           f"检验方案：{plan_source} {kept} 项" + (f"，删除 {len(clean.removed_items)} 项" if
                                        clean.removed_items else "")
           + (f"，增加 {len(added)} 项" if added else ""))
    db.session.flush()
    return sample


def prefecture_lab() -> Organization | None:
    return db.session.scalar(sa.select(Organization).where(
        Organization.tier == OrgTier.PREFECTURE_LAB, Organization.active.is_(True)))


def routing_proposals(sample: Sample):
    from lims.capabilities.routing import propose_routing

    tests = sample.active_tests
    proposals = propose_routing(sample.business_region_id, [t.test_item for t in tests],
                                on=sample.sampled_on)
    return list(zip(tests, proposals, strict=True))


def route_sample(sample: Sample, assignments: dict[int, int], user: User) -> list[Sample]:
    """Assign each active test to a lab; split into sub-samples when labs differ.

    ``assignments`` maps SampleTest id → Organization id (the receiver's confirmation of the
    routing proposal).  Returns the samples that now carry tests (the sample itself when it
    is not split).
    """
    if sample.status != SampleStatus.REGISTERED or sample.parent_id is not None:
        raise SampleError(f"只有“已登记”的样品可以分配检验机构（当前：{STATUS_ZH[sample.status]}）")
    if not user.has_role(Role.RECEIVER, Role.ADMIN):
        raise SampleError("当前角色无权分配检验机构")
    authorize(user, Permission.REGISTER_SAMPLE, sample.holder_org_id,
              f"分配样品 {sample.number} 的检验机构")
    tests = sample.active_tests
    missing = [t.test_item.name_zh for t in tests if t.id not in assignments]
    if missing:
        raise SampleError(f"以下检验项目尚未分配检验机构：{'、'.join(missing)}")
    labs: dict[int, Organization] = {}
    for test in tests:
        org = db.session.get(Organization, assignments[test.id])
        if org is None or not org.is_lab or not org.active:
            raise SampleError(f"“{test.test_item.name_zh}”分配的机构不是有效的检验机构")
        labs[org.id] = org
    by_lab: OrderedDict[int, list[SampleTest]] = OrderedDict()
    # The receiving lab's own part first, then the others in a stable order.
    for test in sorted(tests, key=lambda t: (assignments[t.id] != sample.registered_org_id,
                                             labs[assignments[t.id]].code)):
        by_lab.setdefault(assignments[test.id], []).append(test)
    for test in tests:
        test.lab_org_id = assignments[test.id]
    if len(by_lab) == 1:
        (org_id,) = by_lab
        sample.assigned_org_id = org_id
        _event(sample, CustodyKind.ASSIGNED, user,
               f"全部 {len(tests)} 个检验项目分配至 {labs[org_id].name}", to_org_id=org_id)
        db.session.flush()
        return [sample]
    parts = []
    for index, (org_id, lab_tests) in enumerate(by_lab.items()):
        suffix = chr(ord("A") + index)
        part = Sample(
            number=f"{sample.number}-{suffix}", parent=sample, suffix=suffix,
            status=SampleStatus.REGISTERED, assigned_org_id=org_id,
            holder_org_id=sample.holder_org_id, received_by=sample.received_by,
            received_at=sample.received_at, registered_org_id=sample.registered_org_id,
            **{name: getattr(sample, name) for name in _COPIED_FIELDS})
        db.session.add(part)
        for test in lab_tests:
            test.sample = part
        _event(part, CustodyKind.SPLIT, user,
               f"由样品 {sample.number} 分出，{len(lab_tests)} 个检验项目，检验机构 "
               f"{labs[org_id].name}", to_org_id=org_id)
        parts.append(part)
    transition(sample, SampleStatus.SPLIT, user, reason=None, event=False)
    _event(sample, CustodyKind.SPLIT, user,
           "分样：" + "；".join(f"{p.number} → {labs[p.assigned_org_id].name}" for p in parts))
    db.session.flush()
    return parts


_COPIED_FIELDS = (
    "task_type", "food_name", "subcategory_id", "category_code", "business_name",
    "business_licence", "business_address", "business_region_id", "sampled_on",
    "sampling_place", "sampler", "producer", "batch_number", "production_date", "quantity",
    "sampling_form_no", "task_source", "customer_name", "customer_address", "sampling_base",
    "producer_address", "specification", "condition_description",
    "quantity_unit", "retained_quantity", "retained_unit", "retained_location",
    "condition_ok", "condition_notes",
)


def acting_lab_id(sample: Sample, target: SampleStatus | None = None) -> int | None:
    """The lab whose records the sample's next move touches: the lab that holds it; for a
    receipt (or a sample in transit, held by no one) the lab it is going to."""
    if target == SampleStatus.RECEIVED_AT_LAB or sample.holder_org_id is None:
        return sample.assigned_org_id
    return sample.holder_org_id


def transition(sample: Sample, target: SampleStatus, user: User, reason: str | None = None,
               *, event: bool = True, manual: bool = False) -> None:
    """The only way a sample's status changes: checked against the state machine and the
    lab that holds the sample, audited.  ``manual`` for a move a person asks for directly
    (page, API): only cancel, reject and retest, each with a reason."""
    check_transition(sample.status, target, user.roles, reason, manual=manual)
    if sample.status == SampleStatus.ON_HOLD and target != SampleStatus.CANCELLED:
        held_in = held_from(sample)
        if held_in is not None and target != held_in:
            raise TransitionError(f"暂停的样品只能恢复到暂停前的状态“{STATUS_ZH[held_in]}”")
    authorize(user, Permission.CHANGE_STATUS, acting_lab_id(sample, target),
              f"将样品 {sample.number} 变为“{STATUS_ZH[target]}”")
    previous = sample.status
    with change_reason(reason):
        sample.status = target
        sample.status_reason = reason
        db.session.flush()
    if event:
        text = f"状态：{STATUS_ZH[previous]} → {STATUS_ZH[target]}"
        _event(sample, CustodyKind.STATUS, user, text + (f"（{reason}）" if reason else ""))


def held_from(sample: Sample) -> SampleStatus | None:
    """The status a held sample was in when it was put on hold (from its audit trail)."""
    from lims.audit.models import AuditEntry

    before = db.session.scalar(
        sa.select(AuditEntry.old_value).where(
            AuditEntry.table_name == Sample.__tablename__, AuditEntry.record_id == str(sample.id),
            AuditEntry.field == "status", AuditEntry.new_value == SampleStatus.ON_HOLD.value)
        .order_by(AuditEntry.id.desc()).limit(1))
    return SampleStatus(before) if before else None


def _hand_over_check(sample: Sample) -> None:
    if sample.children:
        raise SampleError("已分样的样品请对子样逐一操作")
    if sample.assigned_org_id is None:
        raise SampleError("请先确认检验机构分配")


def dispatch(sample: Sample, user: User, *, condition: str, temperature_c: Decimal | None,
             notes: str | None = None) -> None:
    """Hand the sample over for transport: it belongs to no one until received."""
    _hand_over_check(sample)
    if not condition or not condition.strip():
        raise SampleError("交接时必须记录样品状态")
    if sample.holder_org_id != user.org_id:
        raise SampleError("只有样品当前保管机构可以发出样品")
    if sample.assigned_org_id == user.org_id:
        raise SampleError("样品由本机构检验，无需流转，请直接接收")
    transition(sample, SampleStatus.IN_TRANSIT, user, event=False)
    _event(sample, CustodyKind.DISPATCHED, user,
           f"发出至 {sample.assigned_org.name}" + (f"（{notes}）" if notes else ""),
           from_org_id=sample.holder_org_id, to_org_id=sample.assigned_org_id,
           condition=condition.strip(), temperature_c=temperature_c)
    sample.holder_org_id = None
    db.session.flush()


def receive_at_lab(sample: Sample, user: User, *, condition: str,
                   temperature_c: Decimal | None = None) -> None:
    """The assigned lab takes the sample over (after transport, or where it was received)."""
    _hand_over_check(sample)
    if not condition or not condition.strip():
        raise SampleError("接收时必须记录样品状态")
    if user.org_id != sample.assigned_org_id:
        raise SampleError("只有被分配的检验机构可以接收该样品")
    if sample.status == SampleStatus.IN_TRANSIT:
        sent = db.session.scalar(
            sa.select(CustodyEvent.to_org_id).where(
                CustodyEvent.sample_id == sample.id,
                CustodyEvent.kind == CustodyKind.DISPATCHED)
            .order_by(CustodyEvent.at.desc(), CustodyEvent.id.desc()).limit(1))
        if sent != user.org_id:
            raise SampleError("样品未发往本机构，不能接收（须有发往本机构的交接记录）")
    elif sample.holder_org_id != user.org_id:
        holder = sample.holder_org.name if sample.holder_org else "—"
        raise SampleError(f"样品当前由 {holder} 保管，须由其发出（交接）后本机构才能接收")
    came_from = sample.holder_org_id
    transition(sample, SampleStatus.RECEIVED_AT_LAB, user, event=False)
    sample.holder_org_id = user.org_id
    _event(sample, CustodyKind.RECEIVED_AT_LAB, user, f"{user.org.name} 接收样品",
           from_org_id=came_from, to_org_id=user.org_id, condition=condition.strip(),
           temperature_c=temperature_c)
    db.session.flush()


def can_view(user: User, sample: Sample) -> bool:
    if sees_all(user):
        return True
    if user.org.tier == OrgTier.STATION:
        return False
    return (sample.business_region_id == user.org.region_id
            or user.org_id in (sample.assigned_org_id, sample.registered_org_id))


def visibility_clause(user: User):
    """SQL condition: the samples this user's organisation may see."""
    if sees_all(user):
        return sa.true()
    if user.org.tier == OrgTier.STATION:
        return sa.false()
    return sa.or_(Sample.business_region_id == user.org.region_id,
                  Sample.assigned_org_id == user.org_id,
                  Sample.registered_org_id == user.org_id)


def detail_options() -> tuple:
    """Loader options for showing one sample whole (page or JSON): what it refers to, its
    tests and its sub-samples' tests come in a fixed handful of queries, not one per row."""
    def tests(path):
        return path.options(joinedload(SampleTest.test_item), joinedload(SampleTest.lab))

    return (joinedload(Sample.subcategory), joinedload(Sample.business_region),
            joinedload(Sample.registered_org), joinedload(Sample.assigned_org),
            joinedload(Sample.holder_org), joinedload(Sample.received_by),
            joinedload(Sample.parent), tests(selectinload(Sample.tests)),
            selectinload(Sample.children).options(
                joinedload(Sample.assigned_org), tests(selectinload(Sample.tests))))


def find_visible(user: User, number: str, *, options: tuple = ()) -> Sample | None:
    sample = db.session.scalar(sa.select(Sample).where(Sample.number == number.strip())
                               .options(*options))
    return sample if sample is not None and can_view(user, sample) else None


def timeline(sample: Sample) -> list[CustodyEvent]:
    """One timeline for the sample and its sub-samples (or for a sub-sample and its parent)."""
    root = sample.root
    ids = [root.id] + [c.id for c in root.children]
    return list(db.session.scalars(
        sa.select(CustodyEvent).where(CustodyEvent.sample_id.in_(ids))
        .options(joinedload(CustodyEvent.by_user), joinedload(CustodyEvent.sample))
        .order_by(CustodyEvent.at, CustodyEvent.id)))


__all__ = ["ReceiptError", "ReceiptInput", "SampleError", "TransitionError", "dispatch",
           "receive_at_lab", "register_sample", "route_sample", "transition"]
