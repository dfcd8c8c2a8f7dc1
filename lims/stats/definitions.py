"""Every figure of the prefecture plan, as the plan words it and as the system counts it.

One function per figure: its docstring carries the plan's wording (博州政办发〔2018〕69号,
三、发展目标 and 四㈡4) and the rule — what counts, what is excluded, which date decides the
period.  The rollup (lims.stats.rollup), the targets (lims.stats.targets, read by the
dashboard, ``lims stats targets``, ``/api/v1/stats/targets`` and the CSV/XLSX downloads)
all go through these functions; ``DEFINITIONS`` (the dashboard's hover and footnotes, the API's
``definitions``) is built from the same docstrings.

Targets are compared on the unrounded value (``meets``); pages show the value rounded.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

PLAN_TASKS = ("supervision", "risk_monitoring", "rapid_retest")
SUPERVISION = "supervision"
KEY_FOOD_CATEGORIES = ("33", "34", "35", "36", "37")  # 畜禽肉、蔬菜、水产品、水果、鲜蛋
VARIETY_MIN = 20

TARGETS = {
    "samples_per_1000": Decimal("4"),
    "residue_per_1000": Decimal("2"),
    "published": Decimal("1"),
    "qualified": Decimal("0.96"),
    "rapid_rate": Decimal("0.80"),
}


def ratio(part: int | None, whole: int | None, scale: int = 1) -> Decimal | None:
    """part × scale ÷ whole, unrounded (None without a denominator)."""
    if not whole:
        return None
    return Decimal(part or 0) * scale / Decimal(whole)


def meets(value: Decimal | None, target: Decimal) -> bool | None:
    """Target reached, on the unrounded value: 3.995 per 1,000 does not reach 4."""
    return None if value is None else value >= target


def shown(value: Decimal | None, places: str = "0.0001") -> float | None:
    """The value as displayed (rounded half up)."""
    return None if value is None else float(value.quantize(Decimal(places)))


# --- which sample counts at all -------------------------------------------------------------

def counted_sample(unit) -> sa.ColumnElement[bool]:
    """计入统计的样品.

    Rule: a root sample (sub-samples …-A/-B are parts of it) of a plan task — 监督抽检,
    风险监测, 快检阳性复检; 委托检验 (commissioned) is a private request and is excluded.
    Cancelled samples count nowhere: not in any figure, not in the ≥20 per variety, not in
    the tested-items ratio (the rollup leaves them out).  The county is the one of the
    business sampled (被抽样单位); the period is decided by the sampling date.
    """
    return unit.task_type.in_(PLAN_TASKS)


def has_concluded_result(unit) -> sa.ColumnElement[bool]:
    """A report unit with at least one approved (concluded) result."""
    return unit.n_approved > 0


def concluded(unit) -> sa.ColumnElement[bool]:
    """A report unit every active test of which has an approved result."""
    return unit.n_tests == unit.n_approved


def tested(unit) -> sa.ColumnElement[bool]:
    """检验样品（食品检验量）: 食品检验量不低于每年4份/千人.

    Rule: a counted sample is tested when at least one of its tests has a concluded
    (approved) result.  A worksheet row without a value, a draft or a result still under
    review does not make a sample tested.  Period: sampling date.
    """
    return sa.and_(counted_sample(unit), has_concluded_result(unit))


def residue_tested(unit) -> sa.ColumnElement[bool]:
    """农兽残检验量: 其中主要针对农药兽药残留的食品检验量不低于每年2份/千人.

    Rule: a counted sample with a concluded (approved) result for a pesticide or
    veterinary-drug item (analyte class, or basis GB 2763 / GB 31650 / 农业农村部公告第250号).
    Period: sampling date.
    """
    return sa.and_(counted_sample(unit), unit.residue == 1)


def per_1000(count: int, population: int) -> Decimal | None:
    """每千人检验量 = samples × 1000 ÷ the county's resident population (常住人口)."""
    return ratio(count, population, 1000)


def supervision_concluded(unit) -> sa.ColumnElement[bool]:
    """监督抽检完成: a 监督抽检 sample every active test of which has an approved result."""
    return sa.and_(unit.task_type == SUPERVISION, concluded(unit))


def qualified_rate(concluded: int, failed: int) -> Decimal | None:
    """重点食品监督抽检合格率: 重点食品监督抽检预期合格率达到96%以上.

    Rule: among concluded 监督抽检 samples (all tests approved; commissioned tests, risk
    monitoring and rapid re-tests excluded; cancelled excluded), the share with no failing
    approved result.  Key foods: the 食用农产品 大类 (畜禽肉、蔬菜、水产品、水果、鲜蛋).
    Each result is judged on its unrounded value by the results workflow.  Period: sampling
    date.
    """
    return ratio(concluded - failed, concluded)


def published_rate(concluded: int, published: int) -> Decimal | None:
    """抽检结果公告率: 抽检结果公告率100%；抽样检验结果及时向社会公布.

    Rule: among concluded 监督抽检 samples, the share that appear on a 食品安全监督抽检信息
    公告 published to the public pages by an authorised user (lims.publication).  Issuing a
    report is not publication; commissioned tests are excluded; a sample published again (a
    correction notice, a retried report) counts once.  Period: sampling date.
    """
    return ratio(published, concluded)


def rapid_testing_rate(stalls_tested: int, stalls_registered: int) -> Decimal | None:
    """批发市场快检率: 批发市场、集贸市场食用农产品快速检测率达到80%.

    Rule: registered active stalls of active wholesale markets (the market registry) with at
    least one current rapid result in the period ÷ those registered stalls — at most 100 %:
    a stall is counted once however it is written ("A-1", "a-1", "A－1", "A 1" are one), and
    a corrected result replaces the one it corrects (neither counts twice).  Period: the
    day of the rapid test.
    """
    if stalls_registered and stalls_tested > stalls_registered:  # cannot happen: a join
        raise ValueError("tested stalls exceed registered stalls")
    return ratio(stalls_tested, stalls_registered)


def station_published_rate(results: int, published: int) -> Decimal | None:
    """快检公示率: current rapid results (a corrected result replaced by its correction)
    shown on the market's public notice board ÷ current rapid results of the period."""
    return ratio(published, results)


def confirmation_rate(confirmed: int, concluded: int) -> Decimal | None:
    """快检阳性确证率.

    Rule: of the rapid positives of the period (current results) whose confirmation sample
    the labs concluded, the share confirmed.  A positive is confirmed only by a failing
    approved lab result for an item the rapid test screens for (the mapping of rapid test
    kinds to lab items, lims/stations/data/rapid_items.csv); a failure for another item
    (铅 after an organophosphate strip) does not confirm it.  Period: day of the rapid test.
    """
    return ratio(confirmed, concluded)


def variety_meets(samples: int) -> bool:
    """品种抽检次数: 每个品种抽样不少于20个.

    Rule: counted (non-cancelled, plan-task) root samples per 细类 of the sampling rules
    (not per free-text food name) in the 蔬菜、水果、畜禽肉和鲜蛋、水产品 大类; a 细类 meets
    it with at least 20.  Period: sampling date.
    """
    return samples >= VARIETY_MIN


def failure_task(task_type: str | None) -> str:
    """不合格项目 / 不合格食品: approved failing results of one task type — 监督抽检 by
    default; rapid re-tests, risk monitoring and commissioned tests only when chosen.
    Period: sampling date."""
    return task_type or SUPERVISION


def turnaround_rule() -> str:
    """报告周期: receipt of the sample to the issue of the first report of each report unit,
    in days; counted in the period its first report was issued."""
    return "turnaround"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    plan: str   # the plan's wording (first line of the function's docstring)
    text: str   # the rule as users read it (Chinese), next to and under each figure


def _plan(fn) -> str:
    return inspect.getdoc(fn).split("\n\n")[0].replace("\n", "")


_FIGURES = [
    ("samples_per_1000", "每千人抽检", tested),
    ("residue_per_1000", "每千人农兽残", residue_tested),
    ("qualified_rate", "监督抽检合格率", qualified_rate),
    ("published_rate", "抽检结果公告率", published_rate),
    ("rapid_testing_rate", "批发市场快检率", rapid_testing_rate),
    ("station_published_rate", "快检公示率", station_published_rate),
    ("confirmation_rate", "快检阳性确证率", confirmation_rate),
    ("varieties", "品种抽检次数", variety_meets),
    ("failures", "不合格项目/食品", failure_task),
    ("turnaround", "报告周期", turnaround_rule),
    ("samples", "计入统计的样品", counted_sample),
]

# The rule of each function above, as the dashboard, the API and the exports state it.
_RULES_ZH = {
    "samples": "样品按抽样日期计入期间、按被抽样单位所在县市计入地区；分样计为一个样品。计划内样品为"
               "监督抽检、风险监测和快检阳性复检，委托检验不计入；已取消的样品不计入任何指标。",
    "samples_per_1000": "至少一个检验项目有已批准（已完成）结果的计划内样品数 × 1000 ÷ 常住人口；"
                        "工作单上尚无数值、草稿或审核中的结果不算已检验。",
    "residue_per_1000": "有农药或兽药残留项目已批准结果的计划内样品数 × 1000 ÷ 常住人口。",
    "qualified_rate": "全部检验项目结果已批准的监督抽检样品中，无一不合格者所占比例；委托检验、风险监测、"
                      "快检复检不计入。重点食品为畜禽肉、蔬菜、水产品、水果、鲜蛋。",
    "published_rate": "全部结果已批准的监督抽检样品中，已由授权签字人在食品安全监督抽检信息公告中向社会"
                      "公布者所占比例；出具报告不等于公告，委托检验不计入，更正公告中再次公布的样品只计一次。",
    "rapid_testing_rate": "在用批发市场的在册摊位中，期间内至少有一条现行快检结果的摊位所占比例，"
                          "不超过100%；摊位编号统一写法（A-1、a-1、A－1、A 1 为同一摊位），"
                          "被更正的结果由更正结果替代，不重复计数。按检测日期计入期间。",
    "station_published_rate": "期间内现行快检结果（被更正的以更正结果计）中已在市场公示栏公示的比例。",
    "confirmation_rate": "期间内快检阳性中实验室已完成复检的任务里，确证阳性的比例；只有该快检项目所筛查"
                         "的检验项目（快检项目与实验室项目对照表）不合格才算确证，其他项目不合格不算。",
    "varieties": "按抽检细则的细类（而非食品名称）统计蔬菜、水果、畜禽肉和鲜蛋、水产品的计划内样品数"
                 f"（不含已取消），每个细类不少于 {VARIETY_MIN} 个为达标。",
    "failures": "已批准的不合格结果，默认只统计监督抽检；快检复检、风险监测、委托检验可另行选择。",
    "turnaround": "样品受理至该报告单元首份报告签发的天数，按首份报告签发日期计入期间。",
}

FIGURES: dict[str, Definition] = {
    key: Definition(key, label, _plan(fn), _RULES_ZH[key]) for key, label, fn in _FIGURES}
DEFINITIONS: list[str] = [f"{d.label}：{d.text}" for d in FIGURES.values()]
