"""Whether each result is inside the testing lab's CMA (资质认定) scope, and what that means
for the report: the one rule the signing page and the report both use."""

from __future__ import annotations

from dataclasses import dataclass

from lims.capabilities.models import LabCapability
from lims.results.models import TestResult
from lims.results.records import lab_capabilities, normalised_standard

CMA_ITEM_MARK = "▲"


def _capability_used(result: TestResult) -> tuple[LabCapability | None, list[LabCapability]]:
    test = result.sample_test
    declared = lab_capabilities(test)
    if result.capability is not None and result.capability.org_id == test.lab_org_id:
        return result.capability, declared
    used = normalised_standard(result.method_standard or test.method_standard)
    same = [c for c in declared if normalised_standard(c.method_standard) in (None, used)]
    same.sort(key=lambda c: (not c.in_cma_scope, c.test_item_id is None))
    return (same[0] if same else None), declared


def result_cma(result: TestResult) -> tuple[bool, str | None]:
    """(inside the CMA scope, why not as "<item>（<why>）")."""
    test = result.sample_test
    item, lab = test.test_item.name_zh, test.lab
    capability, declared = _capability_used(result)
    if capability is None:
        if not declared:
            return False, f"{item}（{lab.name if lab else '检验机构'}未声明该项目的检验能力）"
        listed = "、".join(sorted({c.method_standard for c in declared}))
        return False, (f"{item}（所用方法 {result.method_standard or result.method_key} "
                       f"不在能力范围内，已声明：{listed}）")
    if not capability.in_cma_scope:
        return False, f"{item}（该能力未列入资质认定范围）"
    return True, None


@dataclass(frozen=True)
class CmaDecision:
    """Whether the report carries the CMA mark, why, and the items outside the scope."""

    mark: bool
    reason: str
    outside: tuple[str, ...]  # "<item>（<why>）", each printed with CMA_ITEM_MARK


def sample_cma(results: list[TestResult], certificate: str | None) -> CmaDecision:
    """The CMA decision for a report of these results (the lab's certificate number)."""
    outside = tuple(why for ok, why in map(result_cma, results) if not ok and why)
    if not certificate:
        return CmaDecision(False, "实验室未登记资质认定（CMA）证书编号，报告不加盖 CMA 标志",
                           outside)
    if results and len(outside) == len(results):
        return CmaDecision(False, "所有检验项目均不在资质认定能力范围内，报告不加盖 CMA 标志："
                           + "；".join(outside), outside)
    if outside:
        return CmaDecision(True, f"加盖 CMA 标志；以下项目不在资质认定能力范围内，报告中以"
                           f"“{CMA_ITEM_MARK}”标注：" + "；".join(outside), outside)
    return CmaDecision(True, "加盖 CMA 标志：全部检验项目在资质认定能力范围内", outside)
