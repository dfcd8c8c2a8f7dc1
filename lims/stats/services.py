"""The dashboard's figures as tables: built once per request, rendered, charted, exported.

A table is (title, columns, rows); the page, CSV and XLSX downloads and the records pages
all read the same table, so a downloaded figure is the figure on the page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa

from lims.core.exports import csv_bytes, xlsx_append
from lims.core.localtime import to_local
from lims.extensions import db
from lims.stats import coverage as cov
from lims.stats import targets as tg
from lims.stats.period import Period
from lims.users.models import User
from lims.users.scoping import visible_region_id


def scope_for(user: User, requested: int | None = None) -> int | None:
    """The county a user's figures are limited to: a county user's own, always; the
    prefecture may choose one (``requested``) or see all (None)."""
    own = visible_region_id(user)
    return own if own is not None else requested


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (field, heading)
    rows: list[dict]

    def values(self) -> list[list]:
        return [[_cell(row.get(field)) for field, _ in self.columns] for row in self.rows]


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        # Exports show the lab's wall-clock time (naive: spreadsheets have no zones).
        return to_local(value).replace(tzinfo=None)
    return value


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


COVERAGE_COLUMNS = [("label", "范围"), ("items", "检验项目数"), ("covered", "已覆盖"),
                    ("rate_pct", "覆盖率"), ("covered_by_method", "方法满足（不核定量限）"),
                    ("rate_by_method_pct", "覆盖率（不核定量限）"), ("meets_target", "达到80%")]


def _with_pct(rows: list[dict], *names: str) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row)
        for name in names:
            row[f"{name}_pct"] = _pct(row.get(name))
        out.append(row)
    return out


def coverage_tables(report: dict) -> dict[str, Table]:
    return {
        "coverage_tiers": Table("coverage_tiers", "标准检验项目覆盖率（按实验室层级）",
                                COVERAGE_COLUMNS,
                                _with_pct(report["by_tier"], "rate", "rate_by_method")),
        "coverage_categories": Table("coverage_categories", "覆盖率（按食品大类，全州网络）",
                                     COVERAGE_COLUMNS,
                                     _with_pct(report["by_category"], "rate", "rate_by_method")),
        "coverage_basis": Table("coverage_basis", "覆盖率（按判定依据标准，全州网络）",
                                COVERAGE_COLUMNS,
                                _with_pct(report["by_basis"], "rate", "rate_by_method")),
        "coverage_gaps": Table("coverage_gaps", "未覆盖项目（按本期需要的样品数排序）", [
            ("item_code", "项目编码"), ("category", "大类"), ("subcategory", "细类"),
            ("item", "检验项目"), ("basis", "判定依据"), ("limit", "限量"),
            ("local_standard", "地方标准"), ("reason_zh", "未覆盖原因"),
            ("samples", "本期需要的样品数")], report["gaps"]),
    }


TARGET_COLUMNS = [
    ("region", "地区"), ("population", "常住人口"), ("samples_tested", "检验样品数"),
    ("samples_per_1000", "每千人抽检（目标≥4）"), ("residue_samples", "农兽残样品数"),
    ("residue_per_1000", "每千人农兽残（目标≥2）"),
    ("report_units_approved", "已批准结果的样品"), ("report_units_reported", "已出具报告"),
    ("supervision_published", "监督抽检已公告"), ("published_rate_pct", "抽检结果公告率（目标100%）"),
    ("station_results", "快检结果数"), ("station_results_published", "快检已公示"),
    ("station_published_rate_pct", "快检公示率"),
    ("supervision_concluded", "监督抽检完成"), ("supervision_failed", "不合格"),
    ("qualified_rate_pct", "合格率（目标≥96%）"), ("key_concluded", "重点品种完成"),
    ("key_failed", "重点品种不合格"), ("key_qualified_rate_pct", "重点品种合格率"),
    ("wholesale_stalls", "批发市场登记摊位"), ("wholesale_stalls_tested", "已快检摊位"),
    ("rapid_testing_rate_pct", "批发市场快检率（目标80%）"),
    ("rapid_positives", "快检阳性"), ("rapid_concluded", "已完成确证"),
    ("rapid_confirmed", "确证阳性"), ("confirmation_rate_pct", "快检阳性确证率"),
    ("turnaround_reports", "报告数"), ("turnaround_median_days", "周期中位数（天）"),
    ("turnaround_p90_days", "周期第90百分位（天）"),
]


def target_tables(report: dict) -> dict[str, Table]:
    rows = list(report["counties"]) + ([report["prefecture"]] if report["prefecture"] else [])
    rows = _with_pct(rows, "published_rate", "station_published_rate", "qualified_rate",
                     "key_qualified_rate", "rapid_testing_rate", "confirmation_rate")
    return {
        "targets": Table("targets", "规划指标（按县市）", TARGET_COLUMNS, rows),
        "monthly_qualified": Table("monthly_qualified", "监督抽检合格率（按月）", [
            ("month", "月份"), ("supervision_concluded", "完成样品"),
            ("supervision_failed", "不合格"), ("qualified_rate_pct", "合格率")],
            _with_pct(report["monthly_qualified"], "qualified_rate")),
        "varieties": Table("varieties", "品种抽检次数（≥20次）", [
            ("group", "类别"), ("food_name", "品种"), ("samples", "样品数"),
            ("meets", "达到20次")], report["varieties"]["rows"]),
        "failing_items": Table("failing_items",
                               f"不合格项目（{report['failures']['task_type_zh']}）", [
            ("item", "检验项目"), ("results", "不合格结果数")], report["failures"]["items"]),
        "failing_foods": Table("failing_foods",
                               f"不合格食品（{report['failures']['task_type_zh']}）", [
            ("food", "食品"), ("samples", "不合格样品数")], report["failures"]["foods"]),
    }


# each row of the targets table → the figure whose definition explains it (hover, footnote)
FIELD_FIGURE = {
    "samples_tested": "samples_per_1000", "samples_per_1000": "samples_per_1000",
    "residue_samples": "residue_per_1000", "residue_per_1000": "residue_per_1000",
    "supervision_published": "published_rate", "published_rate_pct": "published_rate",
    "station_results": "station_published_rate",
    "station_results_published": "station_published_rate",
    "station_published_rate_pct": "station_published_rate",
    "supervision_concluded": "qualified_rate", "supervision_failed": "qualified_rate",
    "qualified_rate_pct": "qualified_rate", "key_concluded": "qualified_rate",
    "key_failed": "qualified_rate", "key_qualified_rate_pct": "qualified_rate",
    "wholesale_stalls": "rapid_testing_rate", "wholesale_stalls_tested": "rapid_testing_rate",
    "rapid_testing_rate_pct": "rapid_testing_rate", "rapid_positives": "confirmation_rate",
    "rapid_concluded": "confirmation_rate", "rapid_confirmed": "confirmation_rate",
    "confirmation_rate_pct": "confirmation_rate", "turnaround_reports": "turnaround",
    "turnaround_median_days": "turnaround", "turnaround_p90_days": "turnaround",
    "report_units_approved": "turnaround", "report_units_reported": "turnaround",
}


def figure_help() -> dict[str, str]:
    """Field of the targets table → the definition shown on hover (lims.stats.definitions)."""
    from lims.stats.definitions import FIGURES

    return {field: f"{FIGURES[key].label}：{FIGURES[key].text}"
            for field, key in FIELD_FIGURE.items()}


def all_tables(period: Period, region_id: int | None, task_type: str | None = None
               ) -> tuple[dict, dict, dict[str, Table]]:
    coverage = cov.coverage_report(period, region_id=region_id)
    targets = tg.targets_report(period, region_id=region_id, task_type=task_type)
    tables = {**coverage_tables(coverage), **target_tables(targets)}
    return coverage, targets, tables


def table_for(key: str, period: Period, region_id: int | None,
              task_type: str | None = None) -> Table | None:
    if key.startswith("coverage_"):
        return coverage_tables(cov.coverage_report(period, region_id=region_id)).get(key)
    if key.startswith("records_"):
        return records(key.removeprefix("records_"), period, region_id)
    return target_tables(tg.targets_report(period, region_id=region_id,
                                           task_type=task_type)).get(key)


# --- the records behind a figure ----------------------------------------------------------

RECORD_KINDS = {
    "failed": "监督抽检不合格样品",
    "unreported": "结果已批准、尚未出具报告的样品",
    "unpublished": "已完成、尚未在抽检信息公告中公布的监督抽检样品",
    "turnaround": "报告周期（受理至首份报告）",
    "positives": "快检阳性及确证情况",
    "stalls": "批发市场已快检摊位",
}
RECORD_LIMIT = 2000


def records(kind: str, period: Period, region_id: int | None) -> Table | None:
    from lims.stats import rollup

    builder = _RECORDS.get(kind)
    if builder is None:
        return None
    rollup.refresh()
    columns, query = builder(period, region_id)
    rows = [dict(zip([c for c, _ in columns], r, strict=False))
            for r in db.session.execute(query.limit(RECORD_LIMIT))]
    return Table(f"records_{kind}", RECORD_KINDS[kind], columns, rows)


def _failed(period: Period, region_id: int | None):
    from lims.foods.models import TestItemRecord
    from lims.orgs.models import Region
    from lims.results.models import ResultStatus, TestResult
    from lims.samples.models import Sample, SampleTest

    root = sa.orm.aliased(Sample)
    query = (sa.select(root.number, root.food_name, Region.name, root.sampled_on,
                       TestItemRecord.name_zh, TestResult.reported_value, TestResult.unit,
                       TestResult.limit_text)
             .select_from(TestResult)
             .join(SampleTest, SampleTest.id == TestResult.sample_test_id)
             .join(Sample, Sample.id == SampleTest.sample_id)
             .join(root, root.id == sa.func.coalesce(Sample.parent_id, Sample.id))
             .join(Region, Region.id == root.business_region_id)
             .join(TestItemRecord, TestItemRecord.id == SampleTest.test_item_id)
             .where(TestResult.verdict == "fail", TestResult.status == ResultStatus.APPROVED,
                    SampleTest.removed.is_(False), root.task_type == "supervision",
                    root.sampled_on.between(period.start, period.end))
             .order_by(root.sampled_on.desc(), root.number))
    if region_id is not None:
        query = query.where(root.business_region_id == region_id)
    return [("number", "样品编号"), ("food", "食品"), ("county", "县市"),
            ("sampled_on", "抽样日期"), ("item", "不合格项目"), ("value", "结果"),
            ("unit", "单位"), ("limit", "限量")], query


def _unreported(period: Period, region_id: int | None):
    from lims.orgs.models import Organization
    from lims.samples.models import Sample
    from lims.stats.models import StatsUnit as U

    query = (sa.select(Sample.number, Sample.food_name, Organization.code, U.sampled_on,
                       U.n_tests)
             .select_from(U).join(Sample, Sample.id == U.sample_id)
             .outerjoin(Organization, Organization.id == Sample.assigned_org_id)
             .where(U.n_tests == U.n_approved, U.reported == 0,
                    U.sampled_on.between(period.start, period.end))
             .order_by(U.sampled_on, Sample.number))
    if region_id is not None:
        query = query.where(U.region_id == region_id)
    return [("number", "样品编号"), ("food", "食品"), ("lab", "检验机构"),
            ("sampled_on", "抽样日期"), ("tests", "检验项目数")], query


def _unpublished(period: Period, region_id: int | None):
    """Concluded 监督抽检 samples not yet on a notice: what the published rate misses
    (lims.stats.definitions.published_rate)."""
    from lims.orgs.models import Region
    from lims.samples.models import Sample
    from lims.stats import definitions as df
    from lims.stats.models import StatsUnit as U

    roots = (sa.select(U.root_id).where(U.sampled_on.between(period.start, period.end),
                                        U.task_type == df.SUPERVISION)
             .group_by(U.root_id)
             .having(sa.func.min(sa.case((df.concluded(U), 1), else_=0)) == 1,
                     sa.func.max(U.published) == 0))
    if region_id is not None:
        roots = roots.where(U.region_id == region_id)
    query = (sa.select(Sample.number, Sample.food_name, Region.name, Sample.sampled_on)
             .join(Region, Region.id == Sample.business_region_id)
             .where(Sample.id.in_(roots)).order_by(Sample.sampled_on, Sample.number))
    return [("number", "样品编号"), ("food", "食品"), ("county", "县市"),
            ("sampled_on", "抽样日期")], query


def _turnaround(period: Period, region_id: int | None):
    from lims.orgs.models import Region
    from lims.samples.models import Sample
    from lims.stats.models import StatsUnit as U

    days = tg._duration_days(U.received_at, U.first_report_at)
    query = (sa.select(Sample.number, Region.name, U.received_at, U.first_report_at,
                       sa.func.round(sa.cast(days, sa.Numeric), 2))
             .select_from(U).join(Sample, Sample.id == U.sample_id)
             .join(Region, Region.id == U.region_id)
             .where(U.first_report_at >= period.start_at, U.first_report_at < period.end_before)
             .order_by(days.desc(), Sample.number))
    if region_id is not None:
        query = query.where(U.region_id == region_id)
    return [("number", "样品编号"), ("county", "县市"), ("received_at", "受理时间"),
            ("issued_at", "首份报告签发"), ("days", "周期（天）")], query


def _positives(period: Period, region_id: int | None):
    from lims.stations.models import ConfirmationTask, Market, StationResult

    positive = sa.or_(StationResult.station_verdict == "positive",
                      StationResult.server_verdict == "positive")
    query = (sa.select(StationResult.tested_on, Market.name, StationResult.stall,
                       StationResult.food_name, StationResult.test_item,
                       ConfirmationTask.status)
             .select_from(StationResult).join(Market, Market.id == StationResult.market_id)
             .outerjoin(ConfirmationTask,
                        ConfirmationTask.station_result_id == StationResult.id)
             .where(positive, StationResult.tested_on.between(period.start, period.end),
                    tg.current_results())
             .order_by(StationResult.tested_on.desc(), StationResult.id))
    if region_id is not None:
        query = query.where(Market.region_id == region_id)
    return [("tested_on", "检测日期"), ("market", "市场"), ("stall", "摊位"),
            ("food", "食品"), ("item", "项目"), ("task_status", "确证任务状态")], query


def _stalls(period: Period, region_id: int | None):
    from lims.stations.models import Market, MarketKind, StationResult

    query = (sa.select(Market.name, StationResult.stall, sa.func.count(StationResult.id),
                       sa.func.max(StationResult.tested_on))
             .select_from(StationResult).join(Market, Market.id == StationResult.market_id)
             .where(Market.kind == MarketKind.WHOLESALE, Market.active.is_(True),
                    StationResult.tested_on.between(period.start, period.end),
                    tg.current_results())
             .group_by(Market.name, StationResult.stall)
             .order_by(Market.name, StationResult.stall))
    if region_id is not None:
        query = query.where(Market.region_id == region_id)
    return [("market", "批发市场"), ("stall", "摊位"), ("tests", "快检次数"),
            ("last", "最近检测")], query


_RECORDS = {"failed": _failed, "unreported": _unreported, "unpublished": _unpublished,
            "turnaround": _turnaround,
            "positives": _positives, "stalls": _stalls}


# --- downloads ----------------------------------------------------------------------------

def to_csv(table: Table) -> bytes:
    return csv_bytes([heading for _, heading in table.columns], table.values())


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    xlsx_append(sheet, [heading for _, heading in table.columns])
    for values in table.values():
        xlsx_append(sheet, values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
