"""What a 药品检验报告书 says beyond a food report, from the drug sample's records.

Pure data for lims.reports (which comes after this package in the flow and applies it):
the title, the drug's fields, the items' verdict words and the 检验结论 sentence
"本品按…检验，结果符合规定/不符合规定".
"""

from __future__ import annotations

from dataclasses import dataclass

from lims.drugs import services
from lims.drugs.judgement import FAIL_ZH, PASS_ZH
from lims.samples.models import Sample

TITLE = "药品检验报告书"
VERDICT_WORDS = {"pass": PASS_ZH, "fail": FAIL_ZH}


@dataclass(frozen=True)
class DrugReportFields:
    title: str
    name: str
    category: str
    category_label: str
    specification: str
    batch: str
    remarks: tuple[str, ...]
    basis: str


def report_fields(sample: Sample) -> DrugReportFields | None:
    """None for a food sample."""
    drug = services.drug_of(sample)
    if drug is None:
        return None
    monograph = drug.monograph
    name = drug.generic_name + (f"（{drug.trade_name}）" if drug.trade_name else "")
    remarks = [
        f"批准文号：{drug.approval_number}；有效期至：{drug.expiry.isoformat()}",
        f"生产企业：{drug.manufacturer}"
        + (f"；上市许可持有人：{drug.holder}" if drug.holder else ""),
        f"抽样单位：{drug.sampling_unit}；抽样环节：{drug.link_zh}",
        f"检验依据：{monograph.standard}《{monograph.name}》",
    ]
    if not monograph.verified:
        remarks.append("本系统中该品种标准的数据尚未对照药典原文核实，报告签发前应由授权签字人核对。")
    return DrugReportFields(
        title=TITLE, name=name, category=f"药品／{drug.dosage_form}", category_label="剂型",
        specification=drug.strength, batch=drug.sample.batch_number or "/",
        remarks=tuple(remarks), basis=f"{monograph.standard}《{monograph.name}》")


def item_verdict(verdict: str) -> str:
    return VERDICT_WORDS.get(verdict, "不判定")


def conclusion(fields: DrugReportFields, verdicts: list[tuple[str, str]]) -> str:
    """``verdicts``: (item name, pass|fail) per reported item."""
    failed = [name for name, v in verdicts if v == "fail"]
    if failed:
        return f"本品按{fields.basis}检验，结果{FAIL_ZH}（{'、'.join(failed)}）。"
    return f"本品按{fields.basis}检验，结果{PASS_ZH}。"

DECISION_RULE = ("按药品标准逐项判定：各项均符合规定时结论为符合规定，任一项不符合规定即为不符合规定；"
                 "数值修约按中国药典凡例（GB/T 8170 修约值比较），溶出度、含量均匀度按通则0931、0941 的"
                 "初试与复试规则判定。")
