"""Analyte identity shared by test items, limits and methods.

A test item in the sampling rules (铅(以Pb计)) and a limit row in GB 2762 (铅 以Pb计)
must meet on the same analyte, whatever the punctuation of the source text.  The key
is the normalised Chinese name without its "expressed as" (以…计) part, which is kept
separately because it changes the number (以NaNO2计 vs 以NO2计).

Spelling variants of one analyte that occur in the official texts (酸值 / 酸价,
苯并[α]芘 / 苯并[a]芘, 铝的残留量(干样品) / 铝的残留量) fold to one key through
``_ALIASES``; only true synonyms belong there, never related but distinct analytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_EXPRESSED_AS = re.compile(r"[（(]?\s*(以[^()（）]+?计)\s*[)）]?")
# 以…计 sharing a bracket with another qualifier: (干样品，以Al计) keeps (干样品).
_SHARED_BRACKET = re.compile(r"[（(]([^()（）]*?)\s*[，,、;；]\s*(以[^()（）]+?计)\s*[)）]")
_SHARED_BRACKET_FIRST = re.compile(r"[（(]\s*(以[^()（）]+?计)\s*[，,、;；]\s*([^()（）]*?)\s*[)）]")
# A bare unit basis after the name, e.g. 酸价(KOH): the unit, not part of the analyte.
_UNIT_BASIS = re.compile(r"\((?:KOH|NaOH)\)")
_SPACES = re.compile(r"\s+")

# Synonymous spellings found in the sampling rules and the limit standards.
_ALIASES: dict[str, str] = {
    "酸值": "酸价",
    "酸值/酸价": "酸价",
    "酸价/酸值": "酸价",
    "苯并[α]芘": "苯并[a]芘",
    "苯并(a)芘": "苯并[a]芘",
    "铝的残留量(干样品)": "铝的残留量",
    "总钠/钠": "钠",
    "霉菌和酵母": "霉菌及酵母",
    "酵母菌": "酵母",
    "烟酸(烟酰胺)": "烟酸",
    "N-亚硝基二甲胺": "N-二甲基亚硝胺",
    "二十碳五烯酸(EPA)": "二十碳五烯酸",
    "二十二碳六烯酸(DHA)": "二十二碳六烯酸",
}


@dataclass(frozen=True)
class AnalyteName:
    """An analyte name split into its key and its "expressed as" qualifier."""

    key: str
    expressed_as: str | None


def split_analyte_name(text: str) -> AnalyteName:
    """Split a name such as ``铅（以Pb计）`` into key ``铅`` and ``以Pb计``.

    NFKC folds full-width brackets, letters and digits so that 以Ｐｂ计 and 以Pb计 agree.
    """
    if text is None or not str(text).strip():
        raise ValueError("分析物名称为空")
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    expressed_as = None
    shared = _SHARED_BRACKET.search(folded)
    shared_first = _SHARED_BRACKET_FIRST.search(folded)
    if shared:
        expressed_as = _SPACES.sub("", shared.group(2))
        folded = f"{folded[: shared.start()]}({shared.group(1).strip()}){folded[shared.end():]}"
    elif shared_first:
        expressed_as = _SPACES.sub("", shared_first.group(1))
        rest = shared_first.group(2).strip()
        folded = f"{folded[: shared_first.start()]}({rest}){folded[shared_first.end():]}"
    else:
        match = _EXPRESSED_AS.search(folded)
        if match:
            expressed_as = _SPACES.sub("", match.group(1))
            folded = (folded[: match.start()] + folded[match.end() :]).strip()
    key = _SPACES.sub("", folded)
    key = _UNIT_BASIS.sub("", key)
    # Sampling-rule tables sometimes leave an empty pair of brackets behind.
    key = key.replace("()", "").strip("，,、;；")
    if not key:
        raise ValueError(f"无法识别分析物名称：{text!r}")
    return AnalyteName(key=_ALIASES.get(key, key), expressed_as=expressed_as)


def analyte_key(text: str) -> str:
    """The stable key of an analyte name (see :func:`split_analyte_name`)."""
    return split_analyte_name(text).key
