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

    def __post_init__(self) -> None:
        if not REPORT_NUMBER_RE.match(self.report_number or ""):
            raise ReportDataError(
                f"报告编号“{self.report_number}”无效：应为 3-64 位字母、数字或 - _ / ."
            )
        for name in ("tests", "signatures", "remarks"):
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
            outside = [t.item for t in self.tests if not t.in_cma_scope]
            if outside:
                raise ReportDataError(
                    f"以下项目不在资质认定范围内，不能加盖 CMA 标志：{'、'.join(outside)}"
                )
        else:
            _require(self.cma_reason, "不加盖 CMA 标志的原因")

    @property
    def ordered_signatures(self) -> tuple[SignatureLine, ...]:
        return tuple(sorted(self.signatures, key=lambda s: ROLES.index(s.role)))


def cma_decision(
    tests: tuple[TestLine, ...] | list[TestLine], cma_certificate_no: str | None
) -> tuple[bool, str | None]:
    """Whether the CMA mark may be used, and if not, why (for the signatory)."""
    if not cma_certificate_no:
        return False, "实验室未登记资质认定（CMA）证书编号"
    outside = [t.item for t in tests if not t.in_cma_scope]
    if outside:
        return False, f"以下项目不在资质认定能力范围内：{'、'.join(outside)}"
    return True, None
