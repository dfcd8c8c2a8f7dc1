"""Validating a receipt (ISO/IEC 17025 §7.4) before anything is written.

Forms and the API both build a :class:`ReceiptInput` (one pydantic model: the API's schema
and the form's input) with :func:`receipt_input` and call :func:`validate`; every problem is
reported with the field it belongs to, in Chinese. What a receipt must record depends on the
task type (:data:`REQUIRED_BY_TASK`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from lims.core.validation import invisible_problem, strip_invisible
from lims.samples.models import TASK_TYPE_ZH, TaskType

QUANTITY_UNITS = ("g", "kg", "mL", "L", "份", "个", "袋", "瓶", "盒", "只", "条", "枚", "件")


class ReceiptError(ValueError):
    """Field errors of a receipt: ``errors`` maps field name → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))
        self.errors = errors


# Fields every receipt needs, whatever its task type (see REQUIRED_BY_TASK for the rest).
ALWAYS_REQUIRED = ("food_name", "subcategory", "business_name", "business_county", "sampled_on",
                   "quantity", "quantity_unit", "condition_description")


class ReceiptInput(BaseModel):
    """A receipt as typed on the form or posted to ``POST /api/v1/samples``: one definition.

    The form's fields are read by these names (samples.views) and the API documents and
    parses this model (samples.api_schemas.ReceiptIn is this class). Every field is text as
    written on the sampling form (抽样单); :func:`validate` checks it.
    """

    # The document says what the server requires; parsing keeps the defaults so that
    # :func:`validate` names every missing field at once, in Chinese.
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"required": ["task_type", *ALWAYS_REQUIRED,
                                                             "condition_ok"]})

    task_type: str = Field("", title="任务类型", description="supervision | risk_monitoring | "
                                                         "rapid_retest | commissioned")
    task_source: str = Field("", title="任务来源", description="e.g. the plan or the "
                                                           "commissioning letter")
    sampling_form_no: str = Field("", title="抽样单编号")
    food_name: str = Field("", title="样品名称")
    subcategory: str = Field("", title="食品细类", description="细类 code or name")
    specification: str = Field("", title="规格型号")
    customer_name: str = Field("", title="委托单位", description="commissioned work only")
    customer_address: str = Field("", title="委托单位地址")
    business_name: str = Field("", title="被抽样单位")
    business_licence: str = Field("", title="被抽样单位许可证号")
    business_address: str = Field("", title="被抽样单位地址")
    business_county: str = Field("", title="被抽样单位所在县市",
                                 description="region code or name")
    sampled_on: str = Field("", title="抽样日期", description="YYYY-MM-DD")
    sampling_place: str = Field("", title="抽样地点")
    sampler: str = Field("", title="抽样人")
    sampling_base: str = Field("", title="抽样基数", description="e.g. 20 kg")
    producer: str = Field("", title="标称生产者")
    producer_address: str = Field("", title="标称生产者地址")
    batch_number: str = Field("", title="批号")
    production_date: str = Field("", title="生产日期", description="YYYY-MM-DD")
    quantity: str = Field("", title="样品数量")
    quantity_unit: str = Field("", title="数量单位")
    retained_quantity: str = Field("", title="备样数量")
    retained_unit: str = Field("", title="备样单位")
    retained_location: str = Field("", title="备样存放位置")
    condition_ok: str | bool | None = Field(None, title="样品接收状态",
                                            description="yes (符合) | no (有偏离)")
    condition_description: str = Field("", title="样品状态",
                                       description="the sample as the receiver saw it")
    condition_notes: str = Field("", title="偏离情况")
    removed_items: dict[str, str] = Field(default_factory=dict, title="删除的检验项目",
                                          description="item code → reason")
    added_items: dict[str, str] = Field(default_factory=dict, title="增加的检验项目",
                                        description="item code → reason")

    @field_validator("*", mode="before")
    @classmethod
    def _as_text(cls, value: object, info: ValidationInfo) -> object:
        """Form fields come as None when empty, API numbers as int or Decimal: both are text."""
        if info.field_name == "condition_ok" or isinstance(value, bool | dict):
            return value
        if value is None:
            return ""
        if isinstance(value, int | Decimal):
            return str(value)
        return value


def label(name: str) -> str:
    """The Chinese name of a receipt field (for messages)."""
    field_ = ReceiptInput.model_fields.get(name)
    return (field_.title if field_ is not None and field_.title else name)


_PYDANTIC_ZH = {
    "extra_forbidden": "未知字段",
    "dict_type": "应为 {检验项目编码: 原因} 对象",
    "string_type": "应为文本",
}


def receipt_input(data: Mapping[str, object]) -> ReceiptInput:
    """Build the input from a mapping (form or JSON); wrong shapes → ReceiptError in Chinese."""
    try:
        return ReceiptInput.model_validate(dict(data))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]) or "body"
            text = _PYDANTIC_ZH.get(error["type"], error["msg"])
            errors[name] = text if error["type"] == "extra_forbidden" else f"{label(name)}{text}"
        raise ReceiptError(errors) from exc


# What each task type's documents require beyond the fields every receipt needs. The report
# header prints the same fields (lims.reports.document.HEADER_ROWS).
REQUIRED_BY_TASK: dict[TaskType, tuple[str, ...]] = {
    TaskType.SUPERVISION: ("task_source", "sampling_form_no", "business_licence",
                           "business_address", "sampler", "sampling_base"),
    TaskType.RISK_MONITORING: ("task_source", "sampling_form_no", "business_address", "sampler"),
    TaskType.RAPID_RETEST: ("task_source", "business_address", "sampler"),
    TaskType.COMMISSIONED: ("customer_name", "customer_address"),
}
# 委托单位 belongs to commissioned work only; on official sampling it would be a wrong header.
ONLY_FOR_TASK = {"customer_name": TaskType.COMMISSIONED,
                 "customer_address": TaskType.COMMISSIONED}


@dataclass(frozen=True)
class CleanReceipt:
    task_type: TaskType
    task_source: str | None
    sampling_form_no: str | None
    customer_name: str | None
    customer_address: str | None
    sampling_base: str | None
    producer_address: str | None
    specification: str | None
    condition_description: str
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
        task_type = None
    required = ALWAYS_REQUIRED + (REQUIRED_BY_TASK[task_type] if task_type else ())
    for name in required:
        if not _text(getattr(data, name)):
            errors[name] = (f"{TASK_TYPE_ZH[task_type]}须填写{label(name)}"
                            if task_type and name not in ALWAYS_REQUIRED
                            else f"{label(name)}为必填项")
    for name in ReceiptInput.model_fields:
        problem = invisible_problem(getattr(data, name))
        if problem:
            errors[name] = problem
    for name, only in ONLY_FOR_TASK.items():
        if task_type and task_type != only and _text(getattr(data, name)):
            errors[name] = (f"{label(name)}仅用于{TASK_TYPE_ZH[only]}，"
                            f"{TASK_TYPE_ZH[task_type]}请勿填写")
    if _text(data.producer) and not _text(data.producer_address):
        errors["producer_address"] = "填写了标称生产者时须填写其地址"
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
    for name in ReceiptInput.model_fields:
        value = getattr(data, name)
        limit = _MAX_LENGTH.get(name)
        if limit and isinstance(value, str) and len(value.strip()) > limit:
            errors.setdefault(name, f"{label(name)}过长（最多 {limit} 字）")
    if errors:
        raise ReceiptError(errors)
    assert task_type is not None and sampled_on is not None and quantity is not None

    def opt(name: str) -> str | None:
        return _text(getattr(data, name)) or None

    return CleanReceipt(
        task_type=task_type, task_source=opt("task_source"),
        sampling_form_no=opt("sampling_form_no"), customer_name=opt("customer_name"),
        customer_address=opt("customer_address"), sampling_base=opt("sampling_base"),
        producer_address=opt("producer_address"), specification=opt("specification"),
        condition_description=_text(data.condition_description),
        food_name=_text(data.food_name),
        subcategory_text=_text(data.subcategory), business_name=_text(data.business_name),
        business_licence=opt("business_licence"), business_address=opt("business_address"),
        business_county=_text(data.business_county), sampled_on=sampled_on,
        sampling_place=opt("sampling_place"), sampler=opt("sampler"),
        producer=opt("producer"), batch_number=opt("batch_number"),
        production_date=production_date, quantity=quantity, quantity_unit=unit,
        retained_quantity=retained, retained_unit=retained_unit,
        retained_location=opt("retained_location"),
        condition_ok=bool(condition_ok), condition_notes=notes,
        removed_items={k: _text(v) for k, v in data.removed_items.items()},
        added_items={k: _text(v) for k, v in data.added_items.items()},
    )


# Column widths of the sample table (a longer text is refused, never cut).
_MAX_LENGTH = {"task_source": 200, "sampling_form_no": 60, "food_name": 120,
               "specification": 80, "customer_name": 160, "customer_address": 255,
               "business_name": 160, "business_licence": 40, "business_address": 255,
               "sampling_place": 160, "sampler": 120, "sampling_base": 60, "producer": 160,
               "producer_address": 255, "batch_number": 60, "retained_location": 120,
               "condition_description": 255}
