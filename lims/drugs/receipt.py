"""Receipt of a medicine: its own fields checked, then the common receipt (numbering, plan,
custody) done by lims.samples, in one transaction and with one list of problems."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from lims.core.localtime import local_today
from lims.drugs import services
from lims.drugs.models import DrugSample, SupplyLink
from lims.extensions import db
from lims.limits.rounding import RoundingError, to_decimal
from lims.samples import receipt as common
from lims.samples import services as samples
from lims.samples.models import Sample
from lims.users.models import User

LINKS_ZH = {"生产": SupplyLink.PRODUCTION, "经营": SupplyLink.DISTRIBUTION,
            "使用": SupplyLink.USE}
# 国药准字H20053035, 国药准字Z65020001, 国药准字J20170001, 国药准字S…, 国药准字B…
APPROVAL_RE = re.compile(r"^(国药准字|国药证字|医药产品注册证号|进口药品注册证号|新药准字|"
                         r"新疆药制字|新药制字)\s*[A-Z]{0,2}\d{6,10}$")
STRENGTH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mg|g|μg|µg|万单位|IU|ml|mL)\b")


@dataclass
class DrugReceiptInput:
    monograph: str = ""        # key or name of the monograph (品种)
    generic_name: str = ""     # 通用名称
    trade_name: str = ""       # 商品名
    strength: str = ""         # 规格 (e.g. 0.25g, 0.5g:5ml)
    approval_number: str = ""  # 批准文号
    batch_number: str = ""     # 批号
    expiry: str = ""           # 有效期至
    manufacturer: str = ""     # 生产企业
    manufacturer_address: str = ""  # 生产企业地址 (the report's 标称生产者地址)
    holder: str = ""           # 上市许可持有人
    sampling_unit: str = ""    # 抽样单位
    link: str = ""             # 生产/经营/使用 (or production/distribution/use)
    common: common.ReceiptInput = field(default_factory=common.ReceiptInput)


def parse_strength(text: str) -> tuple[Decimal, str] | None:
    """规格 '0.25g' → (0.25, 'g'); '500mg' → (500, 'mg'); None when not a per-unit amount."""
    match = STRENGTH_RE.match(text or "")
    if not match:
        return None
    try:
        return to_decimal(match.group(1)), match.group(2).replace("µg", "μg")
    except RoundingError:
        return None


def _link(text: str) -> SupplyLink | None:
    text = (text or "").strip()
    if text in LINKS_ZH:
        return LINKS_ZH[text]
    try:
        return SupplyLink(text)
    except ValueError:
        return None


def register_drug_sample(data: DrugReceiptInput, user: User, *,
                         today: dt.date | None = None) -> Sample:
    """Register a medicine; raises common.ReceiptError listing every bad field (drug and
    common). The sample gets the monograph's items as its test plan."""
    today = today or local_today()
    errors: dict[str, str] = {}
    monograph = services.find_monograph(data.monograph)
    if not data.monograph.strip():
        errors["monograph"] = "请选择药品标准（品种）"
    elif monograph is None:
        errors["monograph"] = f"未知的药品标准：{data.monograph}"
    required = (("generic_name", "通用名称"), ("strength", "规格"), ("approval_number", "批准文号"),
                ("batch_number", "批号"), ("expiry", "有效期"), ("manufacturer", "生产企业"),
                ("sampling_unit", "抽样单位"), ("link", "抽样环节"))
    for name, zh in required:
        if not str(getattr(data, name) or "").strip():
            errors[name] = f"请填写{zh}"
    approval = data.approval_number.strip()
    if approval and not APPROVAL_RE.match(approval):
        errors["approval_number"] = f"批准文号格式不正确：{approval}（如 国药准字H20053035）"
    expiry = None
    if data.expiry.strip():
        try:
            expiry = dt.date.fromisoformat(data.expiry.strip())
        except ValueError:
            errors["expiry"] = f"有效期不是有效日期：{data.expiry}（YYYY-MM-DD）"
    link = _link(data.link) if data.link.strip() else None
    if data.link.strip() and link is None:
        errors["link"] = f"抽样环节应为 生产、经营 或 使用：{data.link}"
    strength = parse_strength(data.strength)
    generic = data.generic_name.strip()
    if monograph is not None and generic and generic != monograph.name:
        errors["generic_name"] = f"通用名称“{generic}”与所选药品标准“{monograph.name}”不一致"
    sampled = None
    try:
        sampled = dt.date.fromisoformat(str(data.common.sampled_on).strip())
    except ValueError:
        pass  # the common validation names it
    if expiry and sampled and expiry < sampled:
        errors["expiry"] = f"抽样时已过有效期（有效期至 {expiry}）"
    shared = data.common
    shared.food_name = generic or shared.food_name
    shared.batch_number = data.batch_number
    shared.producer = data.manufacturer
    shared.producer_address = data.manufacturer_address or shared.producer_address
    shared.specification = data.strength or shared.specification
    if monograph is not None:
        shared.subcategory = monograph.node.code
    if errors:
        try:
            common.validate(shared, today)
        except common.ReceiptError as exc:
            errors = {**exc.errors, **errors}
        if "monograph" in errors:
            errors.pop("subcategory", None)
        raise common.ReceiptError(errors)
    assert monograph is not None and expiry is not None and link is not None
    sample = samples.register_sample(shared, user, today=today,
                                     edition=services.pharmacopoeia_edition(),
                                     plan_source=f"药品标准《{monograph.name}》")
    db.session.add(DrugSample(
        sample_id=sample.id, monograph=monograph, generic_name=generic,
        trade_name=data.trade_name.strip() or None, dosage_form=monograph.dosage_form,
        strength=data.strength.strip(), labelled_amount=strength[0] if strength else None,
        labelled_unit=strength[1] if strength else None, approval_number=approval,
        expiry=expiry, manufacturer=data.manufacturer.strip(),
        holder=data.holder.strip() or None, sampling_unit=data.sampling_unit.strip(),
        link=link))
    db.session.flush()
    return sample
