"""Alert records: raise (once per signal), acknowledge, close, targeted tasks; notice import."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import sqlalchemy as sa

from lims.alerts import detect
from lims.alerts.models import (
    Alert,
    AlertKind,
    AlertLevel,
    AlertState,
    AlertTask,
    NoticeImport,
    NoticeRow,
)
from lims.audit.context import change_reason
from lims.businesses.services import normalise_name
from lims.core.db import utcnow
from lims.core.localtime import local_today
from lims.extensions import db
from lims.limits.rows_io import ImportRefused, RowError, read_table
from lims.orgs.models import Region
from lims.orgs.services import counties
from lims.plans.models import PlanTask
from lims.plans.services import PlanServiceError, add_targeted_task
from lims.samples.models import Sample
from lims.users.models import User

KIND_ZH = {
    AlertKind.RATE_SPIKE: "不合格率超基线", AlertKind.REPEAT_OFFENDER: "12个月内再次不合格",
    AlertKind.PRODUCER_COUNTIES: "生产者跨县市不合格", AlertKind.RAPID_CLUSTER: "快检阳性聚集",
    AlertKind.NEW_FAILURE: "首次出现的不合格项目", AlertKind.KEY_FOOD: "重点食品不合格",
    AlertKind.SENSITIVE_SUPPLIER: "学校食堂/农村集体聚餐", AlertKind.OUTSIDE_NOTICE: "外地公告",
}
LEVEL_ZH = {AlertLevel.RED: "红色（一级）", AlertLevel.ORANGE: "橙色（二级）",
            AlertLevel.YELLOW: "黄色（三级）"}
STATE_ZH = {AlertState.OPEN: "待处理", AlertState.ACKNOWLEDGED: "已确认",
            AlertState.CLOSED: "已关闭"}


class AlertError(ValueError):
    """A refused alert operation (Chinese message)."""


def raise_alerts(signals: list[detect.Signal]) -> list[Alert]:
    """Store the signals that are not alerts yet (one alert per key); return the new ones."""
    if not signals:
        return []
    keys = [s.key for s in signals]
    existing = set()
    for i in range(0, len(keys), 500):
        existing |= set(db.session.scalars(sa.select(Alert.key).where(
            Alert.key.in_(keys[i:i + 500]))))
    new = []
    for s in signals:
        if s.key in existing:
            continue
        existing.add(s.key)
        alert = Alert(key=s.key[:200], kind=s.kind, level=s.level, title=s.title[:255],
                      detail=s.detail, region_id=s.region_id, variety=s.variety,
                      item=s.item, business_id=s.business_id,
                      evidence_json=json.dumps(s.evidence, ensure_ascii=False),
                      state=AlertState.OPEN, raised_at=utcnow())
        db.session.add(alert)
        new.append(alert)
    db.session.flush()
    return new


def run(as_of: dt.date | None = None) -> list[Alert]:
    """The nightly job: every signal as of the day."""
    return raise_alerts(detect.detect_all(as_of or local_today()))


def evaluate_sample(sample: Sample, as_of: dt.date | None = None) -> list[Alert]:
    """As a sample's results conclude: the signals a failure of this sample can start."""
    root = sample.root
    day = max(as_of or local_today(), root.sampled_on)
    signals = detect.rate_signals(day, variety=root.subcategory.name_zh)
    signals += detect.event_signals(day, focus=root)
    return raise_alerts(signals)


def list_alerts(state: str | None = None, limit: int = 200) -> list[Alert]:
    query = sa.select(Alert)
    if state:
        query = query.where(Alert.state == AlertState(state))
    return list(db.session.scalars(query.order_by(Alert.raised_at.desc(), Alert.id.desc())
                                   .limit(limit)))


def open_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Alert.level, sa.func.count(Alert.id))
                              .where(Alert.state != AlertState.CLOSED).group_by(Alert.level))
    return {str(level): n for level, n in rows}


def acknowledge(alert: Alert, user: User) -> None:
    if alert.state != AlertState.OPEN:
        raise AlertError("只有待处理的预警可以确认")
    alert.state, alert.acknowledged_at = AlertState.ACKNOWLEDGED, utcnow()
    if alert.owner_id is None:
        alert.owner_id = user.id
    db.session.flush()


def assign_owner(alert: Alert, owner: User) -> None:
    if alert.state == AlertState.CLOSED:
        raise AlertError("预警已关闭")
    alert.owner_id = owner.id
    db.session.flush()


def close(alert: Alert, user: User, note: str) -> None:
    note = (note or "").strip()
    if not note:
        raise AlertError("关闭预警须填写处理说明")
    if alert.state == AlertState.CLOSED:
        raise AlertError("预警已关闭")
    with change_reason(note):
        alert.state, alert.closed_at, alert.close_note = AlertState.CLOSED, utcnow(), note
        if alert.owner_id is None:
            alert.owner_id = user.id
        db.session.flush()


def targeted_tasks(alert: Alert) -> list[PlanTask]:
    return list(db.session.scalars(sa.select(PlanTask).join(AlertTask, AlertTask.task_id ==
                                                            PlanTask.id)
                                   .where(AlertTask.alert_id == alert.id).order_by(PlanTask.id)))


def to_targeted_tasks(alert: Alert, user: User, *, today: dt.date | None = None,
                      count: int = 5) -> list[PlanTask]:
    """One action: 靶向抽检 tasks in next month's plan for the alert's county (each county
    for a prefecture-wide alert); the alert is acknowledged."""
    if alert.state == AlertState.CLOSED:
        raise AlertError("预警已关闭")
    if targeted_tasks(alert):
        raise AlertError("该预警已转为靶向抽检任务")
    if alert.region_id is not None:
        regions = [db.session.get(Region, alert.region_id)]
    else:
        regions = counties()
    note = f"靶向抽检：预警 #{alert.id} {alert.title}"[:500]
    tasks = []
    try:
        for region in regions:
            task = add_targeted_task(region, alert.variety or "", alert.item or "", note,
                                     today=today, count=count)
            db.session.add(AlertTask(alert_id=alert.id, task_id=task.id))
            tasks.append(task)
    except PlanServiceError as exc:
        raise AlertError(str(exc)) from None
    if alert.state == AlertState.OPEN:
        acknowledge(alert, user)
    db.session.flush()
    return tasks


# --- outside notices (抽检信息公告) ---------------------------------------------------------

REQUIRED = ("标称生产企业名称", "食品名称", "不合格项目║检验结果║标准值", "公告号")
ALIASES = {"被抽样单位名称": "被抽样单位", "不合格项目║检验结果║标准值": "不合格项目║检验结果║标准值",
           "不合格项目|检验结果|标准值": "不合格项目║检验结果║标准值", "生产日期批号": "生产日期/批号"}
NONE_MARKS = {"/", "-", "—", "无", ""}


def _field(row: dict, name: str) -> str:
    if name in row:
        return row[name]
    for alias, canonical in ALIASES.items():
        if canonical == name and alias in row:
            return row[alias]
    return ""


def parse_notice(content: bytes, filename: str) -> list[dict]:
    """Rows of a notice file, one per failing item; ImportRefused lists every bad row."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportRefused([RowError(1, f"只接受 CSV 或 XLSX 文件：{filename}")])
    try:
        rows = read_table(io.BytesIO(content), suffix=suffix)
    except Exception as exc:  # unreadable file: one error naming it
        raise ImportRefused([RowError(1, f"无法读取文件：{exc}")]) from None
    if not rows:
        raise ImportRefused([RowError(1, "文件中没有数据行")])
    header = set(rows[0]) | {ALIASES.get(k, k) for k in rows[0]}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused([RowError(1, "缺少列：" + "、".join(missing))])
    errors, out = [], []
    for row in rows:
        line = int(row["__row__"])
        for col in ("标称生产企业名称", "食品名称", "公告号"):
            if not _field(row, col):
                errors.append(RowError(line, f"“{col}”为空"))
        cell = _field(row, "不合格项目║检验结果║标准值").replace("|", "║")
        entries = [e.strip() for e in cell.replace("；", "\n").replace(";", "\n").splitlines()
                   if e.strip()]
        if not entries:
            errors.append(RowError(line, "“不合格项目║检验结果║标准值”为空"))
        for entry in entries:
            parts = [p.strip() for p in entry.split("║")]
            if len(parts) != 3 or not parts[0]:
                errors.append(RowError(line, f"不合格项目应写作“项目║检验结果║标准值”：{entry}"))
                continue
            producer = _field(row, "标称生产企业名称")
            out.append({
                "producer_name": producer[:200],
                "producer_key": "" if producer in NONE_MARKS else normalise_name(producer),
                "producer_address": _field(row, "标称生产企业地址")[:255] or None,
                "seller_name": _field(row, "被抽样单位")[:200] or None,
                "food_name": _field(row, "食品名称")[:120],
                "specification": _field(row, "规格型号")[:80] or None,
                "batch": _field(row, "生产日期/批号")[:80] or None,
                "item": parts[0][:200], "result": parts[1][:80] or None,
                "limit_text": parts[2][:80] or None, "category": _field(row, "分类")[:60] or None,
                "notice_number": _field(row, "公告号")[:80]})
    if errors:
        raise ImportRefused(errors)
    return out


def import_notice(content: bytes, filename: str, user: User | None) -> tuple[NoticeImport,
                                                                             list[Alert]]:
    """Import a notice file whole (or nothing) and raise the alerts it starts."""
    digest = hashlib.sha256(content).hexdigest()
    if db.session.scalar(sa.select(NoticeImport.id).where(NoticeImport.sha256 == digest)):
        raise AlertError(f"该文件已导入过：{filename}")
    rows = parse_notice(content, filename)
    record = NoticeImport(filename=Path(filename).name[:200], sha256=digest,
                          row_count=len(rows), imported_by_id=user.id if user else None)
    db.session.add(record)
    db.session.flush()
    stored = [NoticeRow(import_id=record.id, **row) for row in rows]
    db.session.add_all(stored)
    db.session.flush()
    return record, raise_alerts(detect.notice_signals(stored))


def notice_rows(import_id: int) -> list[NoticeRow]:
    return list(db.session.scalars(sa.select(NoticeRow).where(NoticeRow.import_id == import_id)
                                   .order_by(NoticeRow.id)))


def recent_imports(limit: int = 20) -> list[NoticeImport]:
    return list(db.session.scalars(sa.select(NoticeImport).order_by(NoticeImport.id.desc())
                                   .limit(limit)))
