"""Validating a receipt (ISO/IEC 17025 §7.4) before anything is written.

Forms and the API both build a :class:`ReceiptInput` from text and call :func:`validate`;
every problem is reported with the field it belongs to, in Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lims.core.validation import invisible_problem, strip_invisible
from lims.samples.models import TaskType

QUANTITY_UNITS = ("g", "kg", "mL", "L", "份", "个", "袋", "瓶", "盒", "只", "条", "枚", "件")


class ReceiptError(ValueError):
    """Field errors of a receipt: ``errors`` maps field name → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ReceiptInput:
    task_type: str = ""
    food_name: str = ""
    subcategory: str = ""  # 细类 code or name
    business_name: str = ""
    business_licence: str = ""
    business_address: str = ""
    business_county: str = ""  # region code or name
    sampled_on: str = ""
    sampling_place: str = ""
    sampler: str = ""
    producer: str = ""
    batch_number: str = ""
    production_date: str = ""
    quantity: str = ""
    quantity_unit: str = ""
    retained_quantity: str = ""
    retained_unit: str = ""
    retained_location: str = ""
    condition_ok: str | bool | None = None
    condition_notes: str = ""
    removed_items: dict[str, str] = field(default_factory=dict)  # item code → reason
    added_items: dict[str, str] = field(default_factory=dict)    # item code → reason


@dataclass(frozen=True)
class CleanReceipt:
    task_type: TaskType
    food_name: str
    subcategory_text: str
    business_name: str
    business_licence: str | None
    business_address: str | None
    business_county: str
    sampled_on: dt.date
    sampling_place: str | None
    sampler: str | None
    producer: str | None
    batch_number: str | None
    production_date: dt.date | None
    quantity: Decimal
    quantity_unit: str
    retained_quantity: Decimal | None
    retained_unit: str | None
    retained_location: str | None
    condition_ok: bool
    condition_notes: str | None
    removed_items: dict[str, str]
    added_items: dict[str, str]


def _text(value: object) -> str:
    # zero-width characters and BOMs are invisible: a field of only those is empty
    return "" if value is None else strip_invisible(str(value))


def _date(value: str, field_zh: str, errors: dict, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = f"{field_zh}格式应为 YYYY-MM-DD：{value}"
        return None


def _decimal(value: str, field_zh: str, errors: dict, name: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors[name] = f"{field_zh}不是有效数值：{value}"
        return None
    if not number.is_finite() or number <= 0:
        errors[name] = f"{field_zh}必须为正数：{value}"
        return None
    return number


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("1", "true", "yes", "y", "ok", "符合", "正常", "是"):
        return True
    if text in ("0", "false", "no", "n", "deviation", "不符合", "异常", "否"):
        return False
    return None


def validate(data: ReceiptInput, today: dt.date) -> CleanReceipt:
    errors: dict[str, str] = {}
    try:
        task_type = TaskType(_text(data.task_type))
    except ValueError:
        errors["task_type"] = "任务类型必须是 监督抽检/风险监测/快检阳性复检/委托检验 之一"
        task_type = TaskType.SUPERVISION
    required = {"food_name": "样品名称", "subcategory": "食品细类", "business_name": "被抽样单位",
                "business_county": "被抽样单位所在县市", "sampled_on": "抽样日期",
                "quantity": "样品数量", "quantity_unit": "数量单位"}
    for name, label in required.items():
        if not _text(getattr(data, name)):
            errors[name] = f"{label}为必填项"
    for name in data.__dataclass_fields__:
        problem = invisible_problem(getattr(data, name))
        if problem:
            errors[name] = problem
    sampled_on = _date(_text(data.sampled_on), "抽样日期", errors, "sampled_on")
    if sampled_on and sampled_on > today:
        errors["sampled_on"] = f"抽样日期不能晚于今天：{sampled_on.isoformat()}"
    production_date = _date(_text(data.production_date), "生产日期", errors, "production_date")
    if production_date and sampled_on and production_date > sampled_on:
        errors["production_date"] = "生产日期不能晚于抽样日期"
    quantity = _decimal(_text(data.quantity), "样品数量", errors, "quantity")
    unit = _text(data.quantity_unit)
    if _text(data.quantity) and not unit:
        errors["quantity_unit"] = "样品数量必须带单位"
    elif unit and unit not in QUANTITY_UNITS:
        errors["quantity_unit"] = f"未知的数量单位：{unit}（可用：{'、'.join(QUANTITY_UNITS)}）"
    retained = _decimal(_text(data.retained_quantity), "备样数量", errors, "retained_quantity")
    retained_unit = _text(data.retained_unit) or None
    if retained is not None and not retained_unit:
        errors["retained_unit"] = "备样数量必须带单位"
    if retained is not None and not _text(data.retained_location):
        errors["retained_location"] = "请填写备样存放位置"
    condition_ok = _bool(data.condition_ok)
    notes = _text(data.condition_notes) or None
    if condition_ok is None:
        errors["condition_ok"] = "必须记录样品接收时的状态（符合/有偏离）"
    elif condition_ok is False and not notes:
        errors["condition_notes"] = "样品状态有偏离时必须说明偏离情况"
    for code, reason in data.removed_items.items():
        if not _text(reason):
            errors[f"removed_items.{code}"] = f"删除检验项目 {code} 必须填写原因"
    if errors:
        raise ReceiptError(errors)
    return CleanReceipt(
        task_type=task_type, food_name=_text(data.food_name),
        subcategory_text=_text(data.subcategory), business_name=_text(data.business_name),
        business_licence=_text(data.business_licence) or None,
        business_address=_text(data.business_address) or None,
        business_county=_text(data.business_county), sampled_on=sampled_on,
        sampling_place=_text(data.sampling_place) or None, sampler=_text(data.sampler) or None,
        producer=_text(data.producer) or None, batch_number=_text(data.batch_number) or None,
        production_date=production_date, quantity=quantity, quantity_unit=unit,
        retained_quantity=retained, retained_unit=retained_unit,
        retained_location=_text(data.retained_location) or None,
        condition_ok=bool(condition_ok), condition_notes=notes,
        removed_items={k: _text(v) for k, v in data.removed_items.items()},
        added_items={k: _text(v) for k, v in data.added_items.items()},
    )
