"""Frozen description of one test report, independent of the database.

The lead maps database records onto these classes; rendering and signing only
see them. Contents follow ISO/IEC 17025:2017 §7.8.2.1 and the CMA rules for
检验检测报告 (title, lab, unique number, customer, sample, dates, methods,
results with units, decision rule, authorisation, disclaimers).
Validation errors are in Chinese because they surface to lab users.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

ROLES = ("编制", "审核", "批准")
VERDICTS = ("合格", "不合格", "不判定", "符合规定", "不符合规定")  # the last two: medicines
REPORT_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{2,63}$")


class ReportDataError(ValueError):
    """The report data is incomplete or inconsistent."""


def _require(value: str | None, what: str) -> None:
    if value is None or not str(value).strip():
        raise ReportDataError(f"报告缺少{what}")


def _require_date(value: object, what: str) -> None:
    if not isinstance(value, dt.date):
        raise ReportDataError(f"{what}不是有效日期：{value!r}")


@dataclass(frozen=True)
class LabInfo:
    name: str
    address: str
    cma_certificate_no: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _require(self.name, "实验室名称")
        _require(self.address, "实验室地址")


@dataclass(frozen=True)
class Amendment:
    """This report replaces an earlier one (ISO/IEC 17025 §7.8.8)."""

    replaces_number: str
    reason: str

    def __post_init__(self) -> None:
        _require(self.replaces_number, "被替代报告编号")
        _require(self.reason, "报告更正/替代原因")


@dataclass(frozen=True)
class SampleInfo:
    number: str
    name: str
    category: str
    business: str  # the sampled business (被抽样单位)
    received_on: dt.date
    testing_started_on: dt.date
    testing_finished_on: dt.date
    issued_on: dt.date
    condition: str  # condition on receipt (样品状态)
    quantity: str
    sampled_on: dt.date | None = None  # None when the customer delivered the sample
    customer: str | None = None  # 委托单位, when different from the sampled business
    deviations: tuple[str, ...] = ()
    sampling_place: str | None = None
    specification: str | None = None  # 规格型号
    batch: str | None = None  # 生产日期/批号
    # The sampling form (抽样单) as recorded at receipt; which rows print depends on the task.
    task_type: str = "监督抽检"  # one of TASK_HEADERS
    task_source: str | None = None
    sampling_form_no: str | None = None
    business_address: str | None = None
    business_licence: str | None = None
    customer_address: str | None = None
    producer: str | None = None
    producer_address: str | None = None
    sampler: str | None = None
    sampling_base: str | None = None
    testing_basis: str | None = None  # 检验依据: the method standards used
    judgement_basis: str | None = None  # 判定依据: the standards the limits come from
    category_label: str = "食品类别"  # 剂型 on a 药品检验报告书

    def __post_init__(self) -> None:
        for value, what in (
            (self.number, "样品编号"),
            (self.name, "样品名称"),
            (self.category, "食品类别"),
            (self.business, "被抽样单位"),
            (self.condition, "样品状态"),
            (self.quantity, "样品数量"),
        ):
            _require(value, what)
        for value, what in (
            (self.received_on, "接收日期"),
            (self.testing_started_on, "检验开始日期"),
            (self.testing_finished_on, "检验完成日期"),
            (self.issued_on, "签发日期"),
        ):
            _require_date(value, what)
        if self.sampled_on is not None:
            _require_date(self.sampled_on, "抽样日期")
            if self.sampled_on > self.received_on:
                raise ReportDataError(f"抽样日期 {self.sampled_on} 晚于接收日期 {self.received_on}")
        if self.received_on > self.testing_started_on:
            raise ReportDataError(
                f"接收日期 {self.received_on} 晚于检验开始日期 {self.testing_started_on}"
            )
        if self.testing_started_on > self.testing_finished_on:
            raise ReportDataError(
                f"检验开始日期 {self.testing_started_on} 晚于完成日期 {self.testing_finished_on}"
            )
        if self.testing_finished_on > self.issued_on:
            raise ReportDataError(
                f"检验完成日期 {self.testing_finished_on} 晚于签发日期 {self.issued_on}"
            )
        if isinstance(self.deviations, list):
            object.__setattr__(self, "deviations", tuple(self.deviations))
        if self.task_type not in TASK_HEADERS:
            raise ReportDataError(f"任务类别“{self.task_type}”无效，应为 {'/'.join(TASK_HEADERS)}")
        if self.customer and self.task_type != "委托检验":
            raise ReportDataError(f"{self.task_type}报告不列委托单位")
        for name in TASK_REQUIRED[self.task_type]:
            _require(getattr(self, name), HEADER_LABELS[name])


# The header of each task type's report (label, SampleInfo field), in print order. Official
# sampling (监督抽检, 风险监测, 快检复核) prints the sampling form; commissioned work prints the
# client instead (the sample was delivered, not sampled by the lab's task).
HEADER_LABELS = {
    "task_type": "任务类别", "task_source": "任务来源", "sampling_form_no": "抽样单编号",
    "name": "样品名称", "number": "样品编号", "category": "食品类别",
    "specification": "规格型号", "batch": "生产日期/批号", "customer": "委托单位",
    "customer_address": "委托单位地址", "business": "被抽样单位",
    "business_address": "被抽样单位地址", "business_licence": "被抽样单位许可证号",
    "producer": "标称生产者", "producer_address": "标称生产者地址", "sampler": "抽样人",
    "sampling_place": "抽样地点", "sampled_on": "抽样日期", "sampling_base": "抽样基数",
    "quantity": "样品数量", "condition": "样品状态", "received_on": "接收日期",
    "testing_basis": "检验依据", "judgement_basis": "判定依据",
}
_OFFICIAL = ("task_type", "task_source", "sampling_form_no", "name", "number", "category",
             "specification", "batch", "business", "business_address", "business_licence",
             "producer", "producer_address", "sampler", "sampling_place", "sampled_on",
             "sampling_base", "quantity", "condition", "received_on", "testing_basis",
             "judgement_basis")
_COMMISSIONED = ("task_type", "customer", "customer_address", "name", "number", "category",
                 "specification", "batch", "producer", "producer_address", "quantity",
                 "condition", "received_on", "testing_basis", "judgement_basis")
TASK_HEADERS: dict[str, tuple[str, ...]] = {
    "监督抽检": _OFFICIAL, "风险监测": _OFFICIAL, "快检阳性复检": _OFFICIAL,
    "委托检验": _COMMISSIONED,
}
# What may not be missing on each task's report (the receipt requires the same fields).
TASK_REQUIRED: dict[str, tuple[str, ...]] = {
    "监督抽检": ("task_source", "sampling_form_no", "business_address", "business_licence",
             "sampler", "sampled_on", "sampling_base", "testing_basis", "judgement_basis"),
    "风险监测": ("task_source", "sampling_form_no", "business_address", "sampler", "sampled_on",
             "testing_basis"),
    "快检阳性复检": ("task_source", "business_address", "sampler", "sampled_on", "testing_basis"),
    "委托检验": ("customer", "customer_address", "testing_basis"),
}


def header_rows(sample: SampleInfo) -> list[tuple[str, str]]:
    """(label, text) of the report header for the sample's task type; absent values print "/"."""
    rows = []
    for name in TASK_HEADERS[sample.task_type]:
        value = getattr(sample, name)
        if isinstance(value, dt.date):
            value = f"{value.year}年{value.month}月{value.day}日"
        label = sample.category_label if name == "category" else HEADER_LABELS[name]
        rows.append((label, str(value).strip() if value else "/"))
    return rows


@dataclass(frozen=True)
class TestLine:
    """One reported test item. ``result`` already carries its unit, or 未检出(LOD)."""

    __test__ = False  # not a pytest test class

    item: str
    method_standard: str
    result: str
    limit: str  # e.g. "≤0.2 mg/kg", "不得检出", or "/" when no limit applies
    limit_standard: str  # e.g. "GB 2762-2025", or "/"
    verdict: str
    in_cma_scope: bool = True

    def __post_init__(self) -> None:
        _require(self.item, "检验项目名称")
        _require(self.method_standard, f"检验项目“{self.item}”的检验方法")
        _require(self.result, f"检验项目“{self.item}”的检验结果")
        _require(self.limit, f"检验项目“{self.item}”的标准限值（无限值时填“/”）")
        _require(self.limit_standard, f"检验项目“{self.item}”的判定依据（无时填“/”）")
        if self.verdict not in VERDICTS:
            raise ReportDataError(
                f"检验项目“{self.item}”的单项判定“{self.verdict}”无效，应为 {'/'.join(VERDICTS)}"
            )


@dataclass(frozen=True)
class SignatureLine:
    role: str
    name: str
    signed_on: dt.date

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ReportDataError(f"签字角色“{self.role}”无效，应为 {'/'.join(ROLES)}")
        _require(self.name, f"{self.role}人姓名")
        _require_date(self.signed_on, f"{self.role}日期")


@dataclass(frozen=True)
class ReportDocument:
    lab: LabInfo
    report_number: str
    sample: SampleInfo
    tests: tuple[TestLine, ...]
    conclusion: str
    decision_rule: str
    signatures: tuple[SignatureLine, ...]
    cma_allowed: bool
    verify_url: str
    cma_reason: str | None = None  # why the CMA mark is omitted (shown to the signatory)
    amendment: Amendment | None = None
    title: str = "检验报告"
    remarks: tuple[str, ...] = field(default=())
    # The visible digital-signature block (Chinese lines: lab, signatory, certificate, time),
    # printed in the embedded CJK font under the transparent PAdES widget.
    signature_block: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not REPORT_NUMBER_RE.match(self.report_number or ""):
            raise ReportDataError(
                f"报告编号“{self.report_number}”无效：应为 3-64 位字母、数字或 - _ / ."
            )
        for name in ("tests", "signatures", "remarks", "signature_block"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        if not self.tests:
            raise ReportDataError("报告没有检验项目")
        _require(self.conclusion, "检验结论")
        _require(self.decision_rule, "判定规则说明")
        roles = [s.role for s in self.signatures]
        if sorted(roles, key=ROLES.index) != list(ROLES) or len(roles) != len(ROLES):
            raise ReportDataError(
                f"报告须有编制、审核、批准各一人签字，实际为：{'、'.join(roles) or '无'}"
            )
        by_role = {s.role: s for s in self.signatures}
        # Four-eyes principle: the reviewer must not review their own draft.
        if by_role["编制"].name == by_role["审核"].name:
            raise ReportDataError("审核人不能与编制人为同一人")
        if not self.verify_url.startswith(("https://", "http://")):
            raise ReportDataError(f"验证网址无效：{self.verify_url!r}")
        if self.cma_allowed:
            if not self.lab.cma_certificate_no:
                raise ReportDataError("加盖 CMA 标志需要实验室的资质认定证书编号")
            if all(not t.in_cma_scope for t in self.tests):
                raise ReportDataError("所有项目均不在资质认定范围内，不能加盖 CMA 标志")
        else:
            _require(self.cma_reason, "不加盖 CMA 标志的原因")

    @property
    def ordered_signatures(self) -> tuple[SignatureLine, ...]:
        return tuple(sorted(self.signatures, key=lambda s: ROLES.index(s.role)))


CMA_ITEM_MARK = "▲"
CMA_ITEM_STATEMENT = (f"标注“{CMA_ITEM_MARK}”的检验项目不在本机构资质认定（CMA）能力范围内，"
                      "其结果仅供参考，不具有对社会的证明作用。")
