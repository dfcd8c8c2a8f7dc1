"""The server's own judgement of a rapid result, by the thresholds of the reader drivers.

Enzyme inhibition: positive when the inhibition rate is ≥ 50 % (GB/T 5009.199-2003 §4.2.4,
``POSITIVE_THRESHOLD_PCT`` of the pesticide-reader driver).  Colloidal gold: the kit's T/C
cut-off decides, by ``gold_reader.is_positive`` (competitive strips — the food-safety small
molecules — are positive below the cut-off, sandwich strips at or above it).  Other kits: the
kit's own result is the judgement.
"""

from __future__ import annotations

from decimal import Decimal

from lims.instruments.drivers.gold_reader import is_positive
from lims.instruments.drivers.pesticide_reader import POSITIVE_THRESHOLD_PCT

POSITIVE, NEGATIVE, NOT_JUDGED = "positive", "negative", "not_judged"


def judge(method: str, *, inhibition_pct: Decimal | None = None,
          tc_ratio: Decimal | None = None, tc_cutoff: Decimal | None = None,
          assay: str | None = None, kit_result: str | None = None) -> tuple[str, str]:
    """(verdict, reason in Chinese)."""
    if method == "enzyme_inhibition":
        if inhibition_pct is None:
            return NOT_JUDGED, "缺少抑制率，无法判定"
        if inhibition_pct >= POSITIVE_THRESHOLD_PCT:
            return POSITIVE, (f"抑制率 {inhibition_pct}% ≥ {POSITIVE_THRESHOLD_PCT}%"
                              "（GB/T 5009.199-2003）")
        return NEGATIVE, f"抑制率 {inhibition_pct}% < {POSITIVE_THRESHOLD_PCT}%（GB/T 5009.199-2003）"
    if method == "colloidal_gold":
        if tc_ratio is None or tc_cutoff is None:
            return NOT_JUDGED, "缺少 T/C 比值或试剂盒临界值，无法判定"
        assay = assay or "COMP"
        positive = is_positive(tc_ratio, tc_cutoff, assay)
        if assay == "COMP":
            sign = "<" if positive else "≥"
            kind = "竞争法"
        else:
            sign = "≥" if positive else "<"
            kind = "夹心法"
        return (POSITIVE if positive else NEGATIVE,
                f"T/C {tc_ratio} {sign} 临界值 {tc_cutoff}（{kind}）")
    if kit_result in (POSITIVE, NEGATIVE):
        return kit_result, "按试剂盒说明书判定"
    return NOT_JUDGED, "缺少试剂盒结果，无法判定"
