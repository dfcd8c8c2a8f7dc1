"""Realistic report data shared by the report tests and the benchmark."""

from __future__ import annotations

import datetime as dt

from lims.reports.document import (
    LabInfo,
    ReportDocument,
    SampleInfo,
    SignatureLine,
    TestLine,
)

LAB = LabInfo(
    name="博尔塔拉蒙古自治州食品药品检验检测中心",
    address="新疆博乐市青得里大街 88 号",
    cma_certificate_no="202365123456",
    phone="0909-2200000",
)

_BASE_TESTS = [
    ("铅(以Pb计)", "GB 5009.12-2023 第一法", "0.031 mg/kg", "≤0.2 mg/kg", "GB 2762-2025"),
    ("镉(以Cd计)", "GB 5009.15-2023", "0.012 mg/kg", "≤0.2 mg/kg", "GB 2762-2025"),
    (
        "总汞(以Hg计)",
        "GB 5009.17-2021 第一篇第一法",
        "未检出(LOD 0.003 mg/kg)",
        "≤0.02 mg/kg",
        "GB 2762-2025",
    ),
    ("无机砷(以As计)", "GB 5009.11-2024 第二篇第一法", "0.08 mg/kg", "≤0.35 mg/kg", "GB 2762-2025"),
    ("铬(以Cr计)", "GB 5009.123-2023", "0.21 mg/kg", "≤1.0 mg/kg", "GB 2762-2025"),
    ("苯并[a]芘", "GB 5009.27-2016 第一法", "未检出(LOD 0.2 μg/kg)", "≤2.0 μg/kg", "GB 2762-2025"),
    (
        "黄曲霉毒素B₁",
        "GB 5009.22-2016 第三法",
        "未检出(LOD 0.03 μg/kg)",
        "≤10 μg/kg",
        "GB 2761-2017",
    ),
    (
        "赭曲霉毒素A",
        "GB 5009.96-2016 第一法",
        "未检出(LOD 0.3 μg/kg)",
        "≤5.0 μg/kg",
        "GB 2761-2017",
    ),
    ("毒死蜱", "GB 23200.113-2018", "未检出(LOD 0.01 mg/kg)", "≤0.5 mg/kg", "GB 2763-2026"),
    ("吡虫啉", "GB/T 20770-2008", "未检出(LOD 0.01 mg/kg)", "≤0.05 mg/kg", "GB 2763-2026"),
]


def make_tests(count: int = 6, *, fail_index: int | None = None) -> list[TestLine]:
    tests = []
    for i in range(count):
        item, method, result, limit, std = _BASE_TESTS[i % len(_BASE_TESTS)]
        if i >= len(_BASE_TESTS):
            item = f"{item}（复检{i // len(_BASE_TESTS)}）"
        verdict = "合格"
        if fail_index == i:
            result, verdict = "0.46 mg/kg", "不合格"
        tests.append(TestLine(item, method, result, limit, std, verdict))
    return tests


def make_document(
    tests: list[TestLine] | None = None,
    *,
    report_number: str = "BZJC-2026-000123",
    verify_url: str = "https://lims.example.cn/verify/Q2xW9rT4-vKp3Lm8ZsY1nA",
    **overrides: object,
) -> ReportDocument:
    sample = SampleInfo(
        number="BZ2026-00123",
        name="大米（粳米）",
        category="粮食及粮食制品",
        business="博乐市某某粮油店",
        task_type="监督抽检",
        task_source="博尔塔拉蒙古自治州市场监督管理局 2026 年食品安全监督抽检",
        sampling_form_no="DC26652700001",
        business_address="博乐市北京路 12 号",
        business_licence="JY16527010004567",
        producer="五常市某某米业有限公司",
        producer_address="黑龙江省五常市工业园区",
        sampler="王抽样、赵抽样",
        sampling_base="50 袋",
        testing_basis="GB 5009.12-2023、GB 5009.15-2023",
        judgement_basis="GB 2762-2025",
        sampling_place="博乐市青得里大街农贸市场",
        sampled_on=dt.date(2026, 11, 2),
        received_on=dt.date(2026, 11, 3),
        testing_started_on=dt.date(2026, 11, 4),
        testing_finished_on=dt.date(2026, 11, 12),
        issued_on=dt.date(2026, 11, 14),
        condition="袋装，包装完好，无破损，符合检验要求",
        quantity="2.0 kg（检验样 1.0 kg，备份样 1.0 kg）",
        specification="5 kg/袋",
        batch="2026-09-15",
    )
    fields: dict[str, object] = dict(
        lab=LAB,
        report_number=report_number,
        sample=sample,
        tests=tuple(tests if tests is not None else make_tests()),
        conclusion="经抽样检验，所检项目符合 GB 2762-2025、GB 2761-2017、GB 2763-2026 要求，检验结论为合格。",
        decision_rule="按 GB/T 8170-2008 全数值比较法判定，未考虑测量不确定度（简单接受规则）。",
        signatures=(
            SignatureLine("编制", "张敏", dt.date(2026, 11, 12)),
            SignatureLine("审核", "李建国", dt.date(2026, 11, 13)),
            SignatureLine("批准", "阿依古丽·买买提", dt.date(2026, 11, 14)),
        ),
        cma_allowed=True,
        verify_url=verify_url,
    )
    fields.update(overrides)
    return ReportDocument(**fields)  # type: ignore[arg-type]
