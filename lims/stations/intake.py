"""Taking a batch of station results: validate everything, then store all or nothing, once.

Exactly once: each record carries a client-made ``uid`` and the SHA-256 of its content.  A
resent batch (a retry after a dropped connection) finds its uids already stored with the same
hashes: nothing is written and the answer is rebuilt from the stored rows, so it is the same
as the first time.  The same uid with other content is a conflict, reported per record.  A
batch with any invalid or conflicting record is refused whole.

Speed (benchmarks/station_upload.py): pydantic-core validates the JSON in one pass; one
lookup of every uid of the batch and of the records it corrects; one executemany INSERT of
the new rows and one query for their ids; ORM objects (and their audit entries) only for the
confirmation tasks of the positives.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from pydantic import TypeAdapter, ValidationError
from werkzeug.exceptions import BadRequest

from lims.core.db import utcnow
from lims.core.security import loads_checked
from lims.extensions import db
from lims.instruments.reading import normalize_decimal
from lims.instruments.services import lab_timezone
from lims.orgs.models import OrgTier
from lims.stations import judging
from lims.stations.models import ConfirmationTask, Market, StationBatch, StationResult
from lims.stations.schemas import (
    FieldProblems,
    StationBatchIn,
    StationRecordIn,
    cross_check,
)
from lims.users.models import User
from lims.users.roles import Permission

DEFAULT_MAX_RECORDS = 1000
DEFAULT_MAX_BYTES = 2 * 1024 * 1024

_RECORDS = TypeAdapter(list[StationRecordIn])
#: a station PC's clock may run a little fast; beyond this a tested_at is refused
_CLOCK_SLACK = timedelta(minutes=10)


class BatchRefused(Exception):
    """The whole batch is refused; ``records`` lists the problems per record."""

    def __init__(self, message: str, status: int = 422,
                 records: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.records = message, status, records or []


def max_records() -> int:
    return int(current_app.config.get("STATION_MAX_BATCH_RECORDS", DEFAULT_MAX_RECORDS))


def max_bytes() -> int:
    return int(current_app.config.get("STATION_MAX_BATCH_BYTES", DEFAULT_MAX_BYTES))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one batch is parsed and stored.

    Validating 500 records allocates tens of thousands of short-lived containers, which
    triggers young-generation collections that each walk a large part of the app's heap:
    measured, a third of a batch's time.  Reference counting still frees everything the
    batch drops; the collector runs again as soon as the batch is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_size(content_length: int | None) -> None:
    if content_length is not None and content_length > max_bytes():
        raise BatchRefused(f"请求过大：{content_length} 字节，每批最多 {max_bytes()} 字节；"
                           "请分批上传", 413)


# --- validation messages ------------------------------------------------------------------

_MESSAGES = {
    "missing": "必填项",
    "extra_forbidden": "未知字段",
    "string_too_short": "不能为空",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "literal_error": "取值应为 {expected}",
    "timezone_aware": "时间必须带时区，如 2026-11-28T08:10:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601，如 2026-11-28T08:10:00+08:00",
    "datetime_parsing": "时间格式应为 ISO 8601，如 2026-11-28T08:10:00+08:00",
    "datetime_type": "时间格式应为 ISO 8601，如 2026-11-28T08:10:00+08:00",
    "model_type": "每条记录应为 JSON 对象",
    "dict_type": "每条记录应为 JSON 对象",
}


def _message(error: dict) -> str:
    cause = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and cause is not None:
        return str(cause)
    template = _MESSAGES.get(error["type"])
    if template is None:
        return error.get("msg", "无效")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def record_errors(exc: ValidationError, raw: list[Any]) -> dict[int, dict[str, str]]:
    """Field errors of a list validation, by record index (``loc`` = (index, field, …))."""
    out: dict[int, dict[str, str]] = {}
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if not loc or not isinstance(loc[0], int):
            continue
        index, rest = loc[0], loc[1:]
        problems = out.setdefault(index, {})
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblems):
            problems.update(cause.problems)
        else:
            problems[".".join(str(p) for p in rest) or "record"] = _message(error)
    for index, problems in out.items():
        if isinstance(raw[index], dict):  # the rules between fields, on what was sent
            for name, message in cross_check(raw[index]).items():
                problems.setdefault(name, message)
    return out


def _market_errors(raw: list[Any]) -> dict[int, dict[str, str]]:
    """Unknown markets among records refused for other reasons too, so that one answer
    lists every bad record (the uploading station's markets, as ``submit`` checks them)."""
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not current_user.is_authenticated:
        return {}
    codes = {r["market"] for r in raw if isinstance(r, dict) and isinstance(r.get("market"), str)}
    known = set(db.session.scalars(sa.select(Market.code).where(
        Market.code.in_(codes), Market.station_org_id == current_user.org_id,
        Market.active.is_(True))))
    return {i: {"market": f"市场 {r['market']} 不存在或不属于本快检室"}
            for i, r in enumerate(raw)
            if isinstance(r, dict) and isinstance(r.get("market"), str)
            and r["market"] not in known}


def _refuse_invalid(errors: dict[int, dict[str, str]], raw: list[Any], *,
                    line_offset: int | None = None) -> None:
    if not errors:
        return
    for index, problems in _market_errors(raw).items():
        errors.setdefault(index, {}).update(
            {k: v for k, v in problems.items() if k not in errors.get(index, {})})
    listed = []
    for index in sorted(errors):
        item = raw[index] if index < len(raw) else None
        uid = item.get("uid") if isinstance(item, dict) else None
        entry: dict = {"index": index, "uid": uid if isinstance(uid, str) else None,
                       "errors": errors[index]}
        if line_offset is not None:
            entry["line"] = index + line_offset
        listed.append(entry)
    raise BatchRefused(f"{len(listed)} 条记录有误，整批未保存", 422, listed)


def parse_json_batch(body: bytes) -> list[StationRecordIn]:
    """Validate a JSON body ``{"records": [...]}``; raise BatchRefused (413/422)."""
    try:
        # the common case in one pass of pydantic-core's JSON parser
        batch = StationBatchIn.model_validate_json(body)
        if len(batch.records) <= max_records():
            return batch.records
    except ValidationError:
        pass  # parsed again below, to name each problem with its record
    try:
        doc = loads_checked(body)  # no NaN/Infinity, no absurd nesting (lims.core.security)
    except BadRequest as exc:
        raise BatchRefused(exc.description, 400) from None
    except (ValueError, UnicodeDecodeError):
        raise BatchRefused("请求体不是有效的 JSON", 400) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise BatchRefused('请求体应为 {"records": [...]}', 422)
    unknown = sorted(set(doc) - set(StationBatchIn.model_fields))
    if unknown:
        raise BatchRefused(f"未知字段：{'、'.join(unknown)}", 422)
    return validate_records(doc["records"])


def validate_records(raw: list[Any], *, line_offset: int | None = None
                     ) -> list[StationRecordIn]:
    if not raw:
        raise BatchRefused("批次中没有记录", 422)
    if len(raw) > max_records():
        raise BatchRefused(f"批次过大：{len(raw)} 条记录，每批最多 {max_records()} 条；请分批上传",
                           413)
    try:
        return _RECORDS.validate_python(raw)
    except ValidationError as exc:
        _refuse_invalid(record_errors(exc, raw), raw, line_offset=line_offset)
        raise  # every error has a record index; unreachable in practice


# CSV exports: English field names, or the Chinese headings a reader's export uses
CSV_ALIASES = {
    "记录编号": "uid", "市场": "market", "市场编号": "market", "摊位": "stall", "摊位号": "stall",
    "经营户": "vendor", "食品名称": "food_name", "样品名称": "food_name",
    "食品类别": "food_category", "检测项目": "test_item", "检测方法": "method",
    "抑制率": "inhibition_pct", "抑制率(%)": "inhibition_pct", "T/C": "tc_ratio",
    "临界值": "tc_cutoff", "试剂盒结果": "kit_result", "检测结论": "station_verdict",
    "结论": "station_verdict", "检测时间": "tested_at", "检测人": "operator",
    "检测员": "operator", "仪器序列号": "instrument_serial", "试剂批号": "kit_lot",
    "原始数据": "raw_line",
}
_VERDICT_WORDS = {"阳性": "positive", "阴性": "negative", "+": "positive", "-": "negative",
                  "pos": "positive", "neg": "negative"}
_METHOD_WORDS = {"酶抑制法": "enzyme_inhibition", "胶体金": "colloidal_gold",
                 "胶体金法": "colloidal_gold", "其他试剂盒": "other_kit"}


def parse_csv_batch(body: bytes) -> list[StationRecordIn]:
    """Validate a CSV export (header row, one record per line; UTF-8 or GB18030)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            raise BatchRefused("CSV 文件编码无法识别（应为 UTF-8 或 GB18030）", 400) from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        lines = list(reader)
    except csv.Error as exc:
        raise BatchRefused(f"CSV 格式错误：{exc}", 422) from None
    if not header or not any(h.strip() for h in header):
        raise BatchRefused("CSV 文件没有表头行", 422)
    names = [CSV_ALIASES.get(h.strip(), h.strip()) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True)
               if n not in StationRecordIn.model_fields]
    if unknown:
        raise BatchRefused(f"CSV 表头有未知列：{'、'.join(unknown)}", 422)
    rows: list[dict] = []
    for cells in lines:
        if not any(c.strip() for c in cells):
            continue  # blank line at the end of an export
        row = {n: c for n, c in zip(names, cells, strict=False) if c.strip() != ""}
        if len(cells) > len(names):
            row["__extra__"] = "多余的列"
        for key, words in (("station_verdict", _VERDICT_WORDS), ("kit_result", _VERDICT_WORDS),
                           ("method", _METHOD_WORDS)):
            if key in row:
                row[key] = words.get(row[key].strip().lower(), words.get(row[key].strip(),
                                                                         row[key].strip()))
        rows.append(row)
    return validate_records(rows, line_offset=2)


# --- storing --------------------------------------------------------------------------------

def _decimal_text(value: str | None) -> str | None:
    return None if value is None else normalize_decimal(value)


def _as_utc(moment: datetime) -> datetime:
    # pydantic's parsed offsets are Python tzinfo objects, slow in astimezone(); one
    # subtraction gives the same instant with the C-implemented UTC
    offset = moment.utcoffset()
    return (moment.replace(tzinfo=None) - offset).replace(tzinfo=UTC)


def normalized(record: StationRecordIn) -> dict:
    """The record's content in canonical form (what the content hash covers)."""
    data = dict(record.__dict__)  # the fields, without model_dump's serialisation pass
    for key in ("inhibition_pct", "tc_ratio", "tc_cutoff"):
        data[key] = _decimal_text(data[key])
    data["tested_at"] = _as_utc(record.tested_at)
    return data


_HASHED = tuple(sorted(StationRecordIn.model_fields))


def content_hash(data: dict) -> str:
    """SHA-256 over the fields in a fixed order (unit separators between them)."""
    values = [data[name] for name in _HASHED]
    canonical = "\x1f".join("\x00" if v is None else v.isoformat() if isinstance(v, datetime)
                            else str(v) for v in values)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class BatchAnswer:
    body: dict
    created: int
    replayed: int
    new_task_ids: list[int] = field(default_factory=list)


def _uid_in(uids) -> sa.ColumnElement[bool]:
    """``uid IN (…)``; on PostgreSQL ``uid = ANY(array)``: one parameter, a short statement
    psycopg can cache, instead of hundreds of placeholders."""
    uids = list(uids)
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return StationResult.uid == sa.any_(sa.bindparam("uids", uids, type_=ARRAY(sa.String)))
    return StationResult.uid.in_(uids)


def require_station_user(user: User) -> None:
    if not user.can(Permission.UPLOAD_STATION_RESULT) or user.org.tier != OrgTier.STATION:
        raise BatchRefused("只有快检室操作员可以上传快检结果", 403)


def submit(user: User, records: list[StationRecordIn], *, source: str) -> BatchAnswer:
    """Store a validated batch for the user's station, exactly once; the caller commits."""
    require_station_user(user)
    station_id = user.org_id
    errors: dict[int, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if record.uid in seen:
            errors.setdefault(index, {})["uid"] = f"与第 {seen[record.uid]} 条记录的 uid 重复"
        seen.setdefault(record.uid, index)
    markets = {m.code: m for m in db.session.scalars(sa.select(Market).where(
        Market.code.in_({r.market for r in records}), Market.station_org_id == station_id,
        Market.active.is_(True)))}
    from lims.stations.stalls import normalise_stall, stalls_of, unknown_stall_message

    registry = stalls_of({m.id for m in markets.values()})
    # one lookup for every uid of the batch and every uid it corrects
    wanted = set(seen) | {r.corrects_uid for r in records if r.corrects_uid}
    existing = {row.uid: row for row in db.session.execute(
        sa.select(StationResult.id, StationResult.uid, StationResult.content_hash,
                  StationResult.station_org_id, StationResult.server_verdict,
                  StationResult.disagreement, StationResult.batch_id,
                  StationResult.published,
                  ConfirmationTask.id.label("task_id"))
        .outerjoin(ConfirmationTask, ConfirmationTask.station_result_id == StationResult.id)
        .where(StationResult.station_org_id == station_id, _uid_in(wanted)))}
    rows: list[dict] = []
    market_of: dict[str, Market] = {}
    conflicts: dict[int, dict[str, str]] = {}
    now = utcnow()
    tz = lab_timezone()
    for index, record in enumerate(records):
        problems = errors.setdefault(index, {})
        market = markets.get(record.market)
        if market is None:
            problems["market"] = f"市场 {record.market} 不存在或不属于本快检室"
        stall = normalise_stall(record.stall)
        if market is not None and stall not in registry[market.id]:
            problems["stall"] = unknown_stall_message(market, record.stall, registry[market.id])
        corrects_id, publish = None, False
        if record.corrects_uid:
            target = existing.get(record.corrects_uid)
            if target is None or target.station_org_id != station_id:
                problems["corrects_uid"] = f"被更正记录 {record.corrects_uid} 不存在"
            else:
                # the correction of a published result is public at once (公示 shows both)
                corrects_id, publish = target.id, target.published
        data = normalized(record)
        if data["tested_at"] > now + _CLOCK_SLACK:
            problems["tested_at"] = "检测时间晚于当前时间（请检查仪器时钟）"
        digest = content_hash(data)
        stored = existing.get(record.uid)
        if stored is not None:
            if stored.content_hash != digest or stored.station_org_id != station_id:
                conflicts[index] = {"uid": f"uid {record.uid} 已用于另一条内容不同的记录"}
            continue
        if problems or market is None:
            continue
        inhibition = Decimal(data["inhibition_pct"]) if data["inhibition_pct"] else None
        ratio = Decimal(data["tc_ratio"]) if data["tc_ratio"] else None
        cutoff = Decimal(data["tc_cutoff"]) if data["tc_cutoff"] else None
        verdict, reason = judging.judge(record.method, inhibition_pct=inhibition, tc_ratio=ratio,
                                        tc_cutoff=cutoff, assay=record.assay,
                                        kit_result=record.kit_result)
        rows.append({
            "uid": record.uid, "content_hash": digest, "station_org_id": station_id,
            "market_id": market.id, "stall": stall, "vendor": record.vendor,
            "food_name": record.food_name, "food_category": record.food_category,
            "test_item": record.test_item, "analyte_key": record.analyte_key,
            "method": record.method, "inhibition_pct": data["inhibition_pct"],
            "tc_ratio": data["tc_ratio"], "tc_cutoff": data["tc_cutoff"],
            "assay": record.assay, "kit_result": record.kit_result,
            "station_verdict": record.station_verdict, "server_verdict": verdict,
            "server_reason": reason,
            "disagreement": verdict != judging.NOT_JUDGED and verdict != record.station_verdict,
            "tested_at": data["tested_at"], "tested_on": data["tested_at"].astimezone(tz).date(),
            "operator": record.operator, "instrument_serial": record.instrument_serial,
            "kit_lot": record.kit_lot, "raw_line": record.raw_line,
            "corrects_id": corrects_id, "correction_reason": record.correction_reason,
            "published": publish, "published_at": now if publish else None,
            "created_at": now,
        })
        market_of[record.uid] = market
    errors = {i: p for i, p in errors.items() if p}
    if errors or conflicts:
        listed = []
        for index in sorted(set(errors) | set(conflicts)):
            merged = {**errors.get(index, {}), **conflicts.get(index, {})}
            listed.append({"index": index, "uid": records[index].uid, "errors": merged})
        if errors:
            raise BatchRefused(f"{len(listed)} 条记录有误，整批未保存", 422, listed)
        raise BatchRefused(f"{len(listed)} 条记录的 uid 与已保存的不同内容冲突，整批未保存",
                           409, listed)
    outcome: dict[str, dict] = {
        uid: {"uid": uid, "id": row.id, "server_verdict": str(row.server_verdict),
              "disagreement": row.disagreement, "confirmation_task_id": row.task_id,
              "batch_id": row.batch_id}
        for uid, row in existing.items() if uid in seen}
    task_ids: list[int] = []
    if rows:
        batch = StationBatch(station_org_id=station_id, uploaded_by_id=user.id, source=source,
                             record_count=len(rows), received_at=now)
        db.session.add(batch)
        db.session.flush()
        # executemany of one small INSERT (psycopg pipelines it; SQLite loops in C), then the
        # new ids in one query: a multi-row VALUES with RETURNING would make psycopg parse a
        # statement of 18,000 placeholders on every batch
        for row in rows:
            row["batch_id"] = batch.id
        db.session.execute(sa.insert(StationResult.__table__), rows)
        ids = dict(db.session.execute(sa.select(StationResult.uid, StationResult.id).where(
            StationResult.station_org_id == station_id,
            _uid_in([row["uid"] for row in rows]))).all())
        from lims.stations.confirmation import open_tasks_for

        positives = [(ids[row["uid"]], row, market_of[row["uid"]]) for row in rows
                     if judging.POSITIVE in (row["station_verdict"], row["server_verdict"])]
        tasks = open_tasks_for(positives)
        task_ids = list(tasks.values())
        for row in rows:
            outcome[row["uid"]] = {"uid": row["uid"], "id": ids[row["uid"]],
                                   "server_verdict": row["server_verdict"],
                                   "disagreement": row["disagreement"],
                                   "confirmation_task_id": tasks.get(ids[row["uid"]]),
                                   "batch_id": batch.id}
    ordered = [outcome[r.uid] for r in records]
    new_uids = {row["uid"] for row in rows}
    answer = {
        # a batch resent whole gets back the batch it created the first time
        "batch_id": next((o["batch_id"] for o in ordered if o["uid"] in new_uids),
                         ordered[0]["batch_id"]),
        "accepted": len(ordered),
        "positives": sum(1 for r in records if r.station_verdict == judging.POSITIVE
                         or outcome[r.uid]["server_verdict"] == judging.POSITIVE),
        "disagreements": sum(1 for o in ordered if o["disagreement"]),
        "records": [{k: v for k, v in o.items() if k != "batch_id"} for o in ordered],
    }
    return BatchAnswer(answer, created=len(rows), replayed=len(ordered) - len(rows),
                       new_task_ids=task_ids)
