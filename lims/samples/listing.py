"""The sample list: filters, sorting and keyset pagination that stay fast at a million rows.

A page is "the next N rows after this (sort value, id)", answered from a composite index;
OFFSET would scan every skipped row, which is what makes deep pages slow.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from lims.core.db import UTCDateTime
from lims.core.validation import record_id
from lims.extensions import db
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import Sample, TaskType

SORTS = {
    "received_at": Sample.received_at,
    "sampled_on": Sample.sampled_on,
    "number": Sample.number,
}
PAGE_SIZE = 50


@dataclass
class SampleFilters:
    status: str | None = None
    lab_id: int | None = None
    region_id: int | None = None
    category_code: str | None = None
    task_type: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    number: str | None = None
    sort: str = "received_at"
    descending: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> SampleFilters:
        f = cls()
        f.status = args.get("status") or None
        if f.status and f.status not in {s.value for s in SampleStatus}:
            f.errors["status"] = f"未知状态：{f.status}"
            f.status = None
        f.task_type = args.get("task_type") or None
        if f.task_type and f.task_type not in {t.value for t in TaskType}:
            f.errors["task_type"] = f"未知任务类型：{f.task_type}"
            f.task_type = None
        for name in ("lab_id", "region_id"):
            value = args.get(name)
            if value:
                number = record_id(value)
                if number is None:
                    f.errors[name] = f"无效的编号：{value}"
                else:
                    setattr(f, name, number)
        f.category_code = args.get("category") or None
        for name in ("date_from", "date_to"):
            value = args.get(name)
            if value:
                try:
                    setattr(f, name, dt.date.fromisoformat(value))
                except ValueError:
                    f.errors[name] = f"日期格式应为 YYYY-MM-DD：{value}"
        f.number = (args.get("q") or "").strip() or None
        sort = args.get("sort") or "received_at"
        f.descending = not sort.startswith("+")
        f.sort = sort.lstrip("+-")
        if f.sort not in SORTS:
            f.errors["sort"] = f"不能按 {f.sort} 排序"
            f.sort = "received_at"
        return f


def _encode(values: list) -> str:
    raw = json.dumps(values, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, ident = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(value, str | int) or isinstance(value, bool) \
                or record_id(ident) is None:
            raise ValueError(cursor)
        if sort == "received_at":
            value = dt.datetime.fromisoformat(value)
        elif sort == "sampled_on":
            value = dt.date.fromisoformat(value)
        return value, int(ident)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValueError("分页游标无效") from exc


@dataclass(frozen=True)
class Page:
    samples: list[Sample]
    next_cursor: str | None


def list_samples(visibility, filters: SampleFilters, *, after: str | None = None,
                 page_size: int = PAGE_SIZE) -> Page:
    column = SORTS[filters.sort]
    query = sa.select(Sample).where(visibility)
    if filters.status:
        query = query.where(Sample.status == SampleStatus(filters.status))
    if filters.lab_id:
        query = query.where(sa.or_(Sample.assigned_org_id == filters.lab_id,
                                   Sample.registered_org_id == filters.lab_id))
    if filters.region_id:
        query = query.where(Sample.business_region_id == filters.region_id)
    if filters.category_code:
        query = query.where(Sample.category_code == filters.category_code)
    if filters.task_type:
        query = query.where(Sample.task_type == TaskType(filters.task_type))
    if filters.date_from:
        query = query.where(Sample.sampled_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Sample.sampled_on <= filters.date_to)
    if filters.number:
        # A scanned barcode is the exact number; a typed prefix finds its sub-samples too.
        query = query.where(Sample.number.startswith(filters.number, autoescape=True))
    if after:
        value, ident = _decode(after, filters.sort)
        if filters.sort == "received_at":
            value = sa.literal(value, UTCDateTime())
        key = sa.tuple_(column, Sample.id)
        bound = sa.tuple_(value, ident)
        query = query.where(key < bound if filters.descending else key > bound)
    order = (column.desc(), Sample.id.desc()) if filters.descending else (column, Sample.id)
    rows = list(db.session.scalars(query.order_by(*order).limit(page_size + 1)))
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        next_cursor = _encode([getattr(last, filters.sort), last.id])
    return Page(rows, next_cursor)
