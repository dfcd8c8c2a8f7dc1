"""The unit vocabulary of method files.

Method files only declare units (for labels, for choosing the LOD row of the result unit
and for catching typos); conversions belong to :mod:`lims.limits`.  Spellings are folded
so that "ug/kg", "μg/kg" (Greek mu) and "µg/kg" (micro sign) are one unit.
"""

from __future__ import annotations

import unicodedata

__all__ = ["KNOWN_UNITS", "normalise_unit", "UnitError"]


class UnitError(ValueError):
    """An unknown unit in a method file (message in Chinese)."""


KNOWN_UNITS: frozenset[str] = frozenset(
    {
        # mass and volume of the test portion and of solutions
        "kg", "g", "mg", "µg", "ng",
        "L", "mL", "µL",
        # concentrations read from instruments or prepared
        "g/L", "mg/L", "µg/L", "ng/L", "mg/mL", "µg/mL", "ng/mL", "mol/L",
        # contents in the sample
        "g/kg", "mg/kg", "µg/kg", "ng/g", "g/100g", "g/100mL",
        # microbiology
        "CFU/g", "CFU/mL", "CFU", "MPN/g", "MPN/mL",
        # dimensionless: ratios, factors, counts, absorbance, percentages
        "1", "%", "个",
    }
)  # fmt: skip


def normalise_unit(text: str) -> str:
    """Return the canonical spelling of ``text`` or raise UnitError."""
    if not isinstance(text, str) or not text.strip():
        raise UnitError("单位为空")
    folded = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    # NFKC maps the micro sign to Greek mu; fold both, and ASCII "u", to the micro sign.
    folded = folded.replace("μ", "µ")
    if folded.startswith("u") and folded[1:2] in {"g", "L"}:
        folded = "µ" + folded[1:]
    folded = folded.replace("/ug", "/µg").replace("/uL", "/µL")
    folded = folded.replace("ml", "mL").replace("µl", "µL").replace("cfu", "CFU")
    if folded == "l":
        folded = "L"
    if folded.endswith("/l"):
        folded = folded[:-2] + "/L"
    if folded not in KNOWN_UNITS:
        known = "、".join(sorted(KNOWN_UNITS))
        raise UnitError(f"未知单位 {text!r}（可用：{known}）")
    return folded
