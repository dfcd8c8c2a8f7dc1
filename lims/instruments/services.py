"""Instrument operations: register, certify, calibration status, readings (exactly once), capture.

Errors that reach users are Chinese. Nothing is written when an operation is refused: every
check runs before the first row is added.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lims.core.db import utcnow
from lims.core.validation import datetime_in_range
from lims.extensions import db
from lims.instruments.models import (
    CalibrationCertificate,
    CaptureRequest,
    CaptureState,
    CertificateKind,
    Instrument,
    InstrumentKind,
    InstrumentReading,
)
from lims.instruments.reading import escape_raw
from lims.instruments.registry import DRIVERS, get_driver
from lims.instruments.settings import PortSettings
from lims.orgs.models import Organization
from lims.users.models import User

#: a certificate ending within this many days shows "expiring soon"
EXPIRY_WARNING_DAYS = 30
#: a capture request nobody answered within this time is no longer offered to the agent:
#: the technician has moved on, a late reading would fill the wrong field
CAPTURE_TTL = dt.timedelta(minutes=2)
#: bench PC clocks drift; a reading "from the future" beyond this is refused
CLOCK_SKEW = dt.timedelta(minutes=10)
#: a capture request is answered only by a reading taken after it was made; this much
#: difference between the bench PC's clock and the server's is tolerated
CAPTURE_CLOCK_TOLERANCE = dt.timedelta(seconds=5)

_UID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")

KIND_ZH = {
    InstrumentKind.BALANCE: "天平",
    InstrumentKind.PESTICIDE_READER: "农药残留速测仪",
    InstrumentKind.GOLD_READER: "胶体金读数仪",
    InstrumentKind.OTHER: "其他",
}
CERT_KIND_ZH = {CertificateKind.CALIBRATION: "校准", CertificateKind.VERIFICATION: "检定"}


class InstrumentInputError(ValueError):
    """Invalid instrument or certificate data: ``errors`` maps each field to a Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


class ReadingError(Exception):
    """A reading the server does not store; ``status`` is the HTTP answer for the agent."""

    status = 422

    def __init__(self, message_zh: str, field: str | None = None) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.field = field


class InvalidReading(ReadingError):
    status = 422


class ReadingConflict(ReadingError):
    status = 409


class InstrumentRefused(ReadingError):
    """The instrument may not produce results now (calibration, serial number, inactive)."""

    status = 422


# -- dates -----------------------------------------------------------------------------------

def lab_timezone() -> ZoneInfo:
    from lims.core.localtime import local_zone

    return local_zone()


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in the lab's time zone (certificates are dated in local days)."""
    return (moment or utcnow()).astimezone(lab_timezone()).date()


# -- calibration status ----------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    ok: bool
    reason_zh: str
    code: str  # valid, expiring, expired, not_yet_valid, no_certificate, inactive, serial_mismatch
    valid_until: dt.date | None = None


def calibration_status(instrument: Instrument, on: dt.date | None = None, *,
                       reported_serial: str | None = None) -> Status:
    """Whether the instrument may produce results on ``on`` (default: today, lab time)."""
    on = on or local_date()
    if not instrument.active:
        return Status(False, f"仪器 {instrument.code} 已停用，不能出具结果", "inactive")
    if reported_serial is not None and instrument.serial_number \
            and reported_serial.strip() != instrument.serial_number:
        return Status(False, f"仪器 {instrument.code} 序列号不符：仪器报告 {reported_serial.strip()}，"
                      f"档案登记 {instrument.serial_number}；请核对连接的是否为该仪器",
                      "serial_mismatch")
    certs = list(instrument.certificates)
    if not certs:
        return Status(False, f"仪器 {instrument.code} 没有校准/检定证书，不能出具结果",
                      "no_certificate")
    covering = [c for c in certs if c.valid_from <= on <= c.valid_until]
    if covering:
        best = max(covering, key=lambda c: c.valid_until)
        days = (best.valid_until - on).days
        if days <= EXPIRY_WARNING_DAYS:
            return Status(True, f"证书 {best.number} 将于 {best.valid_until.isoformat()} 到期"
                          f"（剩 {days} 天）", "expiring", best.valid_until)
        return Status(True, f"证书 {best.number} 有效至 {best.valid_until.isoformat()}",
                      "valid", best.valid_until)
    future = [c for c in certs if c.valid_from > on]
    if future:
        first = min(future, key=lambda c: c.valid_from)
        return Status(False, f"仪器 {instrument.code} 的证书 {first.number} 尚未生效"
                      f"（自 {first.valid_from.isoformat()} 起有效），不能出具结果",
                      "not_yet_valid")
    last = max(certs, key=lambda c: c.valid_until)
    kind = CERT_KIND_ZH[last.kind]
    return Status(False, f"仪器 {instrument.code} 已超出{kind}有效期：证书 {last.number} 已于 "
                  f"{last.valid_until.isoformat()} 过期，不能出具结果", "expired", last.valid_until)


def ensure_usable(instrument: Instrument, on: dt.date | None = None, *,
                  reported_serial: str | None = None) -> Status:
    status = calibration_status(instrument, on, reported_serial=reported_serial)
    if not status.ok:
        raise InstrumentRefused(status.reason_zh)
    return status


# -- records ---------------------------------------------------------------------------------

def find_instrument(code: str) -> Instrument | None:
    return db.session.scalar(sa.select(Instrument).where(Instrument.code == code.strip()))


def parse_port_settings(text: str | dict | None) -> dict:
    """The stored overrides as a mapping, checked against PortSettings (Chinese errors)."""
    if text in (None, ""):
        return {}
    try:
        data = json.loads(text) if isinstance(text, str) else dict(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"端口设置不是有效的 JSON：{exc.msg}（第 {exc.lineno} 行）") from None
    if not isinstance(data, dict):
        raise ValueError("端口设置必须是 JSON 对象，如 {\"baudrate\": 9600}")
    try:
        PortSettings.from_mapping(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"端口设置无效：{exc}") from None
    return data


def register_instrument(*, code: str, name: str, kind: str, driver: str, org: Organization | None,
                        serial_number: str = "", manufacturer: str = "", model: str = "",
                        location: str = "", bench: str = "", port_url: str = "",
                        port_settings: str | dict | None = None) -> Instrument:
    errors: dict[str, str] = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,39}", code):
        errors["code"] = "仪器编号必填，2–40 个字母、数字、-、_ 或 .（用于 API 地址）"
    elif find_instrument(code) is not None:
        errors["code"] = f"仪器编号已存在：{code}"
    if not name:
        errors["name"] = "仪器名称不能为空"
    try:
        kind_value = InstrumentKind(kind)
    except ValueError:
        errors["kind"] = f"仪器类型无效：{kind}（可选：{', '.join(k.value for k in InstrumentKind)}）"
    if driver not in DRIVERS:
        errors["driver"] = f"未知驱动：{driver}（可选：{', '.join(DRIVERS)}）"
    if org is None:
        errors["org"] = "请选择仪器所属机构"
    try:
        settings = parse_port_settings(port_settings)
    except ValueError as exc:
        errors["port_settings"] = str(exc)
    if errors:
        raise InstrumentInputError(errors)
    instrument = Instrument(
        code=code, name=name, kind=kind_value, driver=driver, org=org,
        serial_number=(serial_number or "").strip(), manufacturer=(manufacturer or "").strip(),
        model=(model or "").strip(), location=(location or "").strip(),
        bench=(bench or "").strip(), port_url=(port_url or "").strip(),
        port_settings=json.dumps(settings, ensure_ascii=False, sort_keys=True), active=True)
    db.session.add(instrument)
    return instrument


def add_certificate(instrument: Instrument, *, number: str, kind: str, issued_by: str,
                    valid_from: dt.date | None, valid_until: dt.date | None,
                    notes: str = "") -> CalibrationCertificate:
    errors: dict[str, str] = {}
    number, issued_by = (number or "").strip(), (issued_by or "").strip()
    if not number:
        errors["number"] = "证书编号不能为空"
    elif any(c.number == number for c in instrument.certificates):
        errors["number"] = f"该仪器已有证书 {number}"
    try:
        kind_value = CertificateKind(kind)
    except ValueError:
        errors["kind"] = "证书类型必须是 calibration（校准）或 verification（检定）"
    if not issued_by:
        errors["issued_by"] = "请填写出具证书的机构"
    if valid_from is None:
        errors["valid_from"] = "请填写有效期起始日期"
    if valid_until is None:
        errors["valid_until"] = "请填写有效期截止日期"
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = "有效期截止日期早于起始日期"
    if errors:
        raise InstrumentInputError(errors)
    cert = CalibrationCertificate(instrument=instrument, number=number, kind=kind_value,
                                  issued_by=issued_by, valid_from=valid_from,
                                  valid_until=valid_until, notes=(notes or "").strip())
    db.session.add(cert)
    return cert


# -- readings --------------------------------------------------------------------------------

_READER_FIELDS = ("channel", "sample_id", "item", "inhibition_pct", "tc_ratio", "positive")
# what must be equal for a resend to count as "the same reading"
_IDENTITY = ("instrument_id", "value", "unit", "stable", "status", "raw", "driver", "read_at",
             "serial_number", "request_id", *_READER_FIELDS)


def _decimal_text(data: dict, key: str, label: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise InvalidReading(f"缺少字段 {key}（{label}）", key)
        return None
    if isinstance(value, bool) or not isinstance(value, str):
        raise InvalidReading(f"字段 {key}（{label}）必须是十进制数字字符串，如 \"100.00\"，"
                             f"不接受 JSON 数字（浮点数会丢失精度）：{value!r}", key)
    if not _DECIMAL.fullmatch(value.strip()):
        raise InvalidReading(f"字段 {key}（{label}）不是十进制数：{value!r}", key)
    return value.strip()


def _text(data: dict, key: str, label: str, max_len: int, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InvalidReading(f"缺少字段 {key}（{label}）", key)
        return None
    if not isinstance(value, str):
        raise InvalidReading(f"字段 {key}（{label}）必须是字符串", key)
    if len(value) > max_len:
        raise InvalidReading(f"字段 {key}（{label}）超过 {max_len} 个字符", key)
    return value


def _parse_read_at(value: object) -> dt.datetime:
    if not isinstance(value, str) or not value:
        raise InvalidReading("缺少字段 read_at（读数时间，ISO 8601，带时区）", "read_at")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidReading(f"字段 read_at（读数时间）不是 ISO 8601 时间：{value!r}",
                             "read_at") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidReading(f"字段 read_at（读数时间）没有时区：{value!r}；请发送 UTC 时间，"
                             "如 2026-05-01T08:00:00Z", "read_at")
    try:
        moment = datetime_in_range(moment).astimezone(dt.UTC)
    except ValueError as exc:  # year 0001 or 9999 with an offset (lims.core.validation)
        raise InvalidReading(f"字段 read_at（读数时间）{exc}：{value!r}", "read_at") from None
    if moment > utcnow() + CLOCK_SKEW:
        raise InvalidReading(f"字段 read_at（读数时间）{value} 晚于服务器时间；"
                             "请校准工作站电脑的时钟", "read_at")
    return moment


@dataclass(frozen=True)
class ReadingInput:
    """A validated reading payload, in the form the row stores."""

    uid: str
    fields: dict


def validate_reading(instrument: Instrument, payload: object,
                     idempotency_key: str | None = None) -> ReadingInput:
    """Check every field of a posted reading; raise InvalidReading naming the first bad one."""
    if not isinstance(payload, dict):
        raise InvalidReading("请求体必须是 JSON 对象")
    uid = payload.get("uid") or idempotency_key
    if idempotency_key and payload.get("uid") and payload["uid"] != idempotency_key:
        raise InvalidReading(f"Idempotency-Key（{idempotency_key}）与 uid（{payload['uid']}）不一致",
                             "uid")
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        raise InvalidReading("缺少或无效的 uid（幂等键：8–64 个字母、数字、- 或 _）", "uid")
    value = _decimal_text(payload, "value", "读数", required=True)
    unit = _text(payload, "unit", "单位", 16, required=True)
    stable = payload.get("stable")
    if not isinstance(stable, bool):
        raise InvalidReading("字段 stable（是否稳定）必须是 true 或 false", "stable")
    status = _text(payload, "status", "状态", 24) or ""
    raw_b64 = payload.get("raw_b64")
    if not isinstance(raw_b64, str) or not raw_b64:
        raise InvalidReading("缺少字段 raw_b64（仪器原始数据帧，base64）", "raw_b64")
    try:
        raw = base64.b64decode(raw_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidReading("字段 raw_b64（原始数据帧）不是有效的 base64", "raw_b64") from None
    raw_text = payload.get("raw_text")
    if raw_text is not None and raw_text != escape_raw(raw):
        raise InvalidReading("字段 raw_text 与 raw_b64 解码后的原始数据帧不一致", "raw_text")
    read_at = _parse_read_at(payload.get("read_at"))
    driver = _text(payload, "driver", "驱动", 40) or instrument.driver
    if driver != instrument.driver:
        raise InvalidReading(f"读数来自驱动 {driver}，但仪器 {instrument.code} 登记的驱动是 "
                             f"{instrument.driver}；请检查工作站代理的 --driver 参数", "driver")
    serial = _text(payload, "serial_number", "序列号", 80)
    request_id = payload.get("request_id")
    if request_id is not None and (isinstance(request_id, bool) or not isinstance(request_id, int)):
        raise InvalidReading("字段 request_id（采集请求编号）必须是整数或 null", "request_id")
    channel = payload.get("channel")
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int)):
        raise InvalidReading("字段 channel（通道）必须是整数", "channel")
    positive = payload.get("positive")
    if positive is not None and not isinstance(positive, bool):
        raise InvalidReading("字段 positive（阳性）必须是 true、false 或 null", "positive")
    inhibition = _decimal_text(payload, "inhibition_pct", "抑制率", required=False)
    ratio = _decimal_text(payload, "tc_ratio", "T/C 比值", required=False)
    fields = dict(
        instrument_id=instrument.id, value=Decimal(value), unit=unit, stable=stable,
        status=status, raw=raw, raw_text=escape_raw(raw), driver=driver, read_at=read_at,
        serial_number=serial, request_id=request_id, channel=channel,
        sample_id=_text(payload, "sample_id", "样品编号", 60),
        item=_text(payload, "item", "检测项目", 80),
        inhibition_pct=Decimal(inhibition) if inhibition is not None else None,
        tc_ratio=Decimal(ratio) if ratio is not None else None, positive=positive)
    return ReadingInput(uid, fields)


def _same(reading: InstrumentReading, fields: dict) -> bool:
    for key in _IDENTITY:
        stored, sent = getattr(reading, key), fields[key]
        # Decimal("100.00") == Decimal("100.0"), but the digits shown matter: compare text
        if isinstance(stored, Decimal) or isinstance(sent, Decimal):
            if (None if stored is None else format(stored, "f")) != \
                    (None if sent is None else format(sent, "f")):
                return False
        elif stored != sent:
            return False
    return True


def _by_uid(uid: str) -> InstrumentReading | None:
    return db.session.scalar(sa.select(InstrumentReading).where(InstrumentReading.uid == uid))


def _answer_existing(existing: InstrumentReading, fields: dict) -> tuple[InstrumentReading, bool]:
    if _same(existing, fields):
        return existing, False
    raise ReadingConflict(f"幂等键 {existing.uid} 已用于另一条不同的读数（编号 {existing.id}）；"
                          "未保存")


def record_reading(instrument: Instrument, payload: object, user: User | None,
                   idempotency_key: str | None = None) -> tuple[InstrumentReading, bool]:
    """Store a posted reading exactly once; ``(reading, created)``.

    The same uid with the same content answers the stored reading (a resend after a lost
    reply); the same uid with other content is a conflict. A new reading from an instrument
    that may not produce results is refused and nothing is stored. The calibration is judged
    on the day the reading was *taken*: a reading queued during an outage keeps its validity.
    The caller commits; on a concurrent insert of the same uid the session is rolled back.
    """
    data = validate_reading(instrument, payload, idempotency_key)
    fields = data.fields
    existing = _by_uid(data.uid)
    if existing is not None:
        return _answer_existing(existing, fields)
    ensure_usable(instrument, local_date(fields["read_at"]),
                  reported_serial=fields["serial_number"])
    request = None
    if fields["request_id"] is not None:
        request = db.session.get(CaptureRequest, fields["request_id"])
        if request is None or request.instrument_id != instrument.id:
            raise InvalidReading(f"字段 request_id：采集请求 {fields['request_id']} 不属于仪器 {instrument.code}",
                                 "request_id")
    reading = InstrumentReading(uid=data.uid, received_at=utcnow(),
                                received_by_id=user.id if user else None, **fields)
    db.session.add(reading)
    try:
        db.session.flush()
    except IntegrityError:
        # another request stored the same uid between our look-up and our insert
        db.session.rollback()
        existing = _by_uid(data.uid)
        if existing is None:
            raise
        return _answer_existing(existing, fields)
    if request is not None and request.state != CaptureState.FULFILLED:
        if answers_capture(reading, request):
            request.state = CaptureState.FULFILLED
            request.reading_id = reading.id
            request.error = None
        else:
            request.state = CaptureState.FAILED
            request.error = (f"读数时间 {reading.read_at:%Y-%m-%d %H:%M:%S} UTC 早于采集请求，"
                             "不能作为本次采集的读数；请检查工作站电脑的时钟后重新采集")
    return reading, True


def answers_capture(reading: InstrumentReading, request: CaptureRequest) -> bool:
    """Whether the reading was taken after the capture request was made."""
    return reading.read_at >= request.created_at - CAPTURE_CLOCK_TOLERANCE


def _taken_order(query: sa.Select) -> sa.Select:
    return query.order_by(InstrumentReading.read_at.desc(), InstrumentReading.id.desc())


def latest_reading(instrument: Instrument, after: int | None = None) -> InstrumentReading | None:
    """The reading of the instrument taken last (then the highest id), among those received
    after reading id ``after`` if given."""
    query = sa.select(InstrumentReading).where(InstrumentReading.instrument_id == instrument.id)
    if after is not None:
        query = query.where(InstrumentReading.id > after)
    return db.session.scalar(_taken_order(query).limit(1))


def capture_reading(request: CaptureRequest) -> InstrumentReading | None:
    """The reading that answers a capture request: the one the agent read for it, else the
    last one taken after the request was made (a PRINT key pressed instead), else none."""
    if request.reading_id is not None:
        return db.session.get(InstrumentReading, request.reading_id)
    return db.session.scalar(_taken_order(
        sa.select(InstrumentReading).where(
            InstrumentReading.instrument_id == request.instrument_id,
            InstrumentReading.read_at >= request.created_at - CAPTURE_CLOCK_TOLERANCE)
    ).limit(1))


def recent_readings(instrument: Instrument, limit: int = 20) -> list[InstrumentReading]:
    return list(db.session.scalars(_taken_order(
        sa.select(InstrumentReading).where(InstrumentReading.instrument_id == instrument.id)
    ).limit(limit)))


# -- capture requests ------------------------------------------------------------------------

def request_capture(instrument: Instrument, user: User, command: str | None = None
                    ) -> CaptureRequest:
    """Ask the bench agent for a reading; refused (nothing stored) when the instrument may not
    produce results today."""
    ensure_usable(instrument)
    command = (command or "").strip() or None
    if command is not None:
        driver = get_driver(instrument.driver)
        if command not in driver.reading_commands:
            raise InvalidReading(f"驱动 {instrument.driver} 没有读数命令 {command}；可用："
                                 f"{', '.join(sorted(driver.reading_commands))}", "command")
    capture = CaptureRequest(instrument=instrument, requested_by=user, command=command,
                             state=CaptureState.PENDING)
    db.session.add(capture)
    return capture


def pending_captures(instrument: Instrument, now: dt.datetime | None = None
                     ) -> list[CaptureRequest]:
    """Requests the agent should answer: pending and recent (see CAPTURE_TTL), oldest first."""
    since = (now or utcnow()) - CAPTURE_TTL
    return list(db.session.scalars(
        sa.select(CaptureRequest).where(CaptureRequest.instrument_id == instrument.id,
                                        CaptureRequest.state == CaptureState.PENDING,
                                        CaptureRequest.created_at >= since)
        .order_by(CaptureRequest.id)))


def fail_capture(instrument: Instrument, request_id: int, error: str) -> CaptureRequest:
    """The agent could not read the instrument (unstable, overload, no response…)."""
    capture = db.session.get(CaptureRequest, request_id)
    if capture is None or capture.instrument_id != instrument.id:
        raise InvalidReading(f"字段 request_id：采集请求 {request_id} 不属于仪器 {instrument.code}", "request_id")
    if capture.state != CaptureState.PENDING:
        raise ReadingConflict(f"采集请求 {request_id} 已是 {capture.state.value} 状态，不能标记失败")
    error = (error or "").strip()
    if not error:
        raise InvalidReading("缺少字段 error（失败原因）", "error")
    capture.state = CaptureState.FAILED
    capture.error = error[:2000]
    return capture


def capture_expired(capture: CaptureRequest, now: dt.datetime | None = None) -> bool:
    return capture.state == CaptureState.PENDING and \
        capture.created_at < (now or utcnow()) - CAPTURE_TTL


# -- demo world ------------------------------------------------------------------------------

# (code, name, kind, driver, org, bench, serial, manufacturer/model, certificate valid?)
# The MT-SICS serial is the simulator's (lims.instruments.simulators.mt_sics), so a simulated
# balance passes the serial check; BZ-BAL-02's certificate has expired to show the refusal.
DEMO_INSTRUMENTS = [
    ("BZ-BAL-01", "分析天平 1 号", "balance", "mt-sics", "BZ-LAB", "1", "B123456789",
     ("Mettler Toledo", "ME204"), True),
    ("BZ-BAL-02", "分析天平 2 号", "balance", "sartorius-sbi", "BZ-LAB", "2", "0034512",
     ("Sartorius", "BSA224S"), False),
    ("BL-BAL-01", "电子天平", "balance", "and-standard", "BL-LAB", "1", "T1120387",
     ("A&D", "GX-2002A"), True),
    ("BL-ST01-PR", "农药残留速测仪", "pesticide_reader", "pesticide-reader", "BL-ST01", "1",
     "", ("", "12 通道"), True),
    ("JH-ST01-GR", "胶体金读数仪", "gold_reader", "gold-reader", "JH-ST01", "1", "",
     ("", ""), True),
]


def load_demo_instruments() -> list[Instrument]:
    """Register the simulated instruments of the demo world (once; existing codes are kept)."""
    from lims.orgs.services import org_by_code

    today = local_date()
    created = []
    for code, name, kind, driver, org_code, bench, serial, (maker, model), valid in \
            DEMO_INSTRUMENTS:
        if find_instrument(code) is not None:
            continue
        instrument = register_instrument(
            code=code, name=name, kind=kind, driver=driver, org=org_by_code(org_code),
            serial_number=serial, manufacturer=maker, model=model, location="仪器室",
            bench=bench)
        if valid:
            start, end = today - dt.timedelta(days=120), today + dt.timedelta(days=245)
        else:
            start, end = today - dt.timedelta(days=380), today - dt.timedelta(days=15)
        add_certificate(instrument, number=f"JZ{start:%Y}-{code}", kind="calibration",
                        issued_by="博尔塔拉州计量检定测试所", valid_from=start,
                        valid_until=end, notes="演示数据 / demo")
        created.append(instrument)
    db.session.flush()
    return created
