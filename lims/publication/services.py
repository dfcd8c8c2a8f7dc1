"""Publishing 监督抽检 results: the 食品安全监督抽检信息公告 and its corrections.

Who may publish: a user with the report-approval permission (授权签字人, administrators).
What may be published: concluded 监督抽检 root samples (every active test approved, not
cancelled).  A notice is never edited; a correction is a new notice that names the notice it
replaces and why.  The publication rate (lims.stats.definitions.published_rate) counts the
samples on notices.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from lims.core.db import utcnow
from lims.extensions import db
from lims.publication.models import PublicNotice, PublicNoticeEntry
from lims.results.models import ResultStatus, TestResult
from lims.samples.lifecycle import SampleStatus
from lims.samples.models import Sample, TaskType
from lims.users.models import User
from lims.users.roles import Permission

ISSUER = "博尔塔拉蒙古自治州市场监督管理局"


class PublicationError(ValueError):
    """A refused publication (Chinese message); nothing was written."""


def notice_fields(sample: Sample) -> dict[str, str]:
    """The notice's columns from the sample — the one place that maps sample fields to the
    notice (新增的样品字段, e.g. 标称生产企业地址, are mapped here)."""
    return {
        "producer_name": sample.producer or "/",
        "producer_address": getattr(sample, "producer_address", None) or "/",
        "business_name": sample.business_name,
        "business_address": sample.business_address or "/",
        "food_name": sample.food_name,
        "specification": getattr(sample, "specification", None) or "/",
        "batch": (sample.production_date.isoformat() if sample.production_date
                  else (sample.batch_number or "/")),
        "category": _category(sample),
    }


def _category(sample: Sample) -> str:
    from lims.foods import services as foods

    if sample.subcategory is None:
        return ""
    path = foods.category_path(sample.subcategory)
    return path[0].name_zh if path else sample.subcategory.name_zh


def _units(sample: Sample) -> list[Sample]:
    return list(sample.children) or [sample]


def failing_lines(sample: Sample) -> list[str]:
    """不合格项目║检验结果║标准值, one line per approved failing result."""
    lines = []
    for unit in _units(sample):
        for test in unit.active_tests:
            result = db.session.scalar(sa.select(TestResult).where(
                TestResult.sample_test_id == test.id))
            if result is not None and result.status == ResultStatus.APPROVED \
                    and result.verdict == "fail":
                value = f"{result.reported_value}{result.unit}"
                lines.append(f"{test.test_item.name_zh}║{value}║{result.limit_text or ''}")
    return lines


def publishable_problem(sample: Sample) -> str | None:
    """Why the sample may not be published, or None."""
    if sample.parent_id is not None:
        return f"{sample.number} 是分样，请公告原样品"
    if sample.task_type != TaskType.SUPERVISION:
        return f"{sample.number} 不是监督抽检样品，不在抽检信息公告之列"
    if sample.status == SampleStatus.CANCELLED:
        return f"{sample.number} 已取消"
    tests = [t for unit in _units(sample) for t in unit.active_tests]
    if not tests:
        return f"{sample.number} 没有检验项目"
    approved = db.session.scalar(
        sa.select(sa.func.count()).select_from(TestResult)
        .where(TestResult.sample_test_id.in_([t.id for t in tests]),
               TestResult.status == ResultStatus.APPROVED))
    if approved < len(tests):
        return f"{sample.number} 尚有检验项目结果未批准"
    return None


def _next_number(on: dt.date) -> str:
    prefix = f"博州市监抽检公告〔{on.year}〕第"
    count = db.session.scalar(sa.select(sa.func.count()).select_from(PublicNotice)
                              .where(PublicNotice.number.like(f"{prefix}%")))
    return f"{prefix}{count + 1}期"


def publish(user: User, sample_numbers: list[str], *, title: str | None = None,
            replaces: PublicNotice | None = None, reason: str | None = None) -> PublicNotice:
    """Publish a notice of these samples (the caller commits)."""
    if not user.can(Permission.APPROVE_REPORT):
        raise PublicationError("只有授权签字人可以发布抽检信息公告")
    numbers = [n.strip() for n in sample_numbers if n and n.strip()]
    if not numbers:
        raise PublicationError("请选择要公告的样品")
    if replaces is not None:
        if not (reason or "").strip():
            raise PublicationError("更正公告须说明更正原因")
        if db.session.scalar(sa.select(PublicNotice.id)
                             .where(PublicNotice.replaces_id == replaces.id)):
            raise PublicationError(f"公告 {replaces.number} 已被更正，请更正最新的公告")
    samples = {s.number: s for s in db.session.scalars(
        sa.select(Sample).where(Sample.number.in_(numbers)))}
    problems = [f"样品 {n} 不存在" for n in numbers if n not in samples]
    problems += [p for s in samples.values() if (p := publishable_problem(s))]
    if problems:
        raise PublicationError("；".join(problems))
    now = utcnow()
    notice = PublicNotice(number=_next_number(now.date()),
                          title=title or f"食品安全监督抽检信息公告（{now.date().isoformat()}）",
                          issuer=ISSUER, published_at=now, published_by_id=user.id,
                          replaces_id=replaces.id if replaces else None,
                          correction_reason=(reason or "").strip() or None)
    db.session.add(notice)
    db.session.flush()
    for position, number in enumerate(dict.fromkeys(numbers), start=1):
        sample = samples[number]
        lines = failing_lines(sample)
        lab = sample.assigned_org.name if sample.assigned_org else ""
        entry = PublicNoticeEntry(notice_id=notice.id, sample_id=sample.id, position=position,
                                  qualified=not lines, sample_number=sample.number,
                                  failing_items="\n".join(lines), sampled_on=sample.sampled_on,
                                  lab_name=lab, **notice_fields(sample))
        entry.unit_ids = [u.id for u in _units(sample)]  # the statistics' units to refresh
        db.session.add(entry)
    db.session.flush()
    return notice


def notices(limit: int = 100) -> list[PublicNotice]:
    return list(db.session.scalars(sa.select(PublicNotice)
                                   .order_by(PublicNotice.published_at.desc(),
                                             PublicNotice.id.desc()).limit(limit)))


def replaced_by(notice: PublicNotice) -> PublicNotice | None:
    return db.session.scalar(sa.select(PublicNotice).where(PublicNotice.replaces_id == notice.id))


QUALIFIED_COLUMNS = [("position", "序号"), ("producer_name", "标称生产企业名称"),
                     ("producer_address", "标称生产企业地址"), ("business_name", "被抽样单位名称"),
                     ("business_address", "被抽样单位地址"), ("food_name", "食品名称"),
                     ("specification", "规格型号"), ("batch", "生产日期/批号"),
                     ("category", "分类"), ("notice_number", "公告号"), ("lab_name", "检验机构")]
FAILED_COLUMNS = QUALIFIED_COLUMNS[:8] + [("failing_items", "不合格项目║检验结果║标准值")] \
    + QUALIFIED_COLUMNS[8:]


def rows(notice: PublicNotice, qualified: bool) -> list[dict]:
    out = []
    for n, entry in enumerate((e for e in notice.entries if e.qualified == qualified), 1):
        row = {field: getattr(entry, field, "") for field, _ in FAILED_COLUMNS
               if hasattr(entry, field)}
        row["position"] = n
        row["notice_number"] = notice.number
        row["failing_items"] = entry.failing_items.replace("\n", "；")
        out.append(row)
    return out


def sheets(notice: PublicNotice) -> list[tuple[str, list[tuple[str, str]], list[dict]]]:
    return [("不合格产品信息", FAILED_COLUMNS, rows(notice, False)),
            ("合格产品信息", QUALIFIED_COLUMNS, rows(notice, True))]


def to_csv(notice: PublicNotice) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([notice.title])
    writer.writerow([f"公告号：{notice.number}", f"发布机关：{notice.issuer}",
                     f"发布时间：{notice.published_at.date().isoformat()}"])
    if notice.replaces is not None:
        writer.writerow([f"本公告更正 {notice.replaces.number}：{notice.correction_reason}"])
    for name, columns, data in sheets(notice):
        writer.writerow([])
        writer.writerow([name])
        writer.writerow([h for _, h in columns])
        for row in data:
            writer.writerow([row.get(f, "") for f, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(notice: PublicNotice) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, columns, data in sheets(notice):
        sheet = book.create_sheet(name)
        sheet.append([notice.title])
        sheet.append([f"公告号：{notice.number}"])
        if notice.replaces is not None:
            sheet.append([f"本公告更正 {notice.replaces.number}：{notice.correction_reason}"])
        sheet.append([h for _, h in columns])
        for row in data:
            sheet.append([row.get(f, "") for f, _ in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
