"""Cleaning of the basis-standard and method-standard cells of test-item tables.

The same functions serve the one-off derivation of the national rules and the import of
a prefecture's local item list, so that both produce identical standard numbers
(``GB 5009.12``, ``GB/T 5750.4-2006``, ``DBS 65/010-2023``, ``BJS 201802``, ``农业部781号公告-4-2006``).
A year is kept only where the source wrote one; none is invented.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef（）〔〕【】、，。；："
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")

_PREFIX = r"(?:GB/T|GB/Z|GB|SB/T|LS/T|QB/T|NY/T|SN/T|GH/T|WS/T|HJ|JJF|BJS|DBS\s?\d{2}/|DB\s?\d{2}/T)"
_STANDARD = re.compile(rf"({_PREFIX})\s*(\d+(?:\.\d+)*(?:-\d{{4}})?)")
_MOA_NOTICE = re.compile(r"农业(?:农村)?部\s*(\d+)\s*号\s*公\s*告\s*-\s*(\d+)\s*-\s*(\d{4})")
# Standards that are test methods wherever they appear (moved out of a basis cell).
_METHOD_ONLY = re.compile(r"^(?:GB(?:/T)? (?:4789|5009|5413|23200|31656|31658|31659)\.)")

NO_METHOD = {"", "/", "—", "-", "－"}
DECLARED = "产品明示标准和质量要求"
_MELAMINE = "卫生部、工业和信息化部、农业部、工商总局、质检总局公告2011年第10号"


def clean_text(text: str) -> str:
    """NFKC-fold and drop whitespace that line wraps left inside Chinese text."""
    folded = unicodedata.normalize("NFKC", text or "")
    # NFKC turns （） into (): the folded form is canonical so both spellings compare equal.
    folded = _SPACE_NEAR_CJK.sub("", folded)
    return _SPACES.sub(" ", folded).strip()


def _standard_token(prefix: str, number: str) -> str:
    prefix = _SPACES.sub(" ", prefix).replace(" /", "/")
    if prefix.startswith("DBS"):
        return f"DBS {prefix[3:].strip()}{number}"
    if prefix.startswith("DB"):
        return f"DB {prefix[2:].strip()} {number}"
    return f"{prefix} {number}"


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Standard numbers and MOA notices in ``text`` as (token, start, end)."""
    found = [(_standard_token(m.group(1), m.group(2)), m.start(), m.end())
             for m in _STANDARD.finditer(text)]
    found += [(f"农业部{m.group(1)}号公告-{m.group(2)}-{m.group(3)}", m.start(), m.end())
              for m in _MOA_NOTICE.finditer(text)]
    found.sort(key=lambda t: t[1])
    # A notice such as 农业部781号公告-4-2006 never overlaps a GB number; drop overlaps anyway.
    out: list[tuple[str, int, int]] = []
    for tok in found:
        if out and tok[1] < out[-1][2]:
            continue
        out.append(tok)
    return out


def _normalise_phrase(text: str) -> str:
    text = text.strip(" /;；,，")
    if not text:
        return ""
    if text.startswith("产品明示标准") and "质量要求" in text:
        tail = text.split("质量要求", 1)[1]
        return DECLARED + tail
    if "公告2011年第10号" in text:
        return _MELAMINE
    return text


def parse_basis(raw: str) -> tuple[list[str], list[str]]:
    """Split a basis cell into standards/documents; also return method standards found in it.

    Footnote letters glued to a phrase (产品明示标准和质量要求a) come back as
    single-letter entries, which the caller treats as footnote references.
    """
    text = clean_text(raw)
    basis: list[str] = []
    methods: list[str] = []
    pos = 0
    for tok, start, end in _tokens(text) + [("", len(text), len(text))]:
        phrase = _normalise_phrase(text[pos:start])
        if phrase:
            m = re.fullmatch(rf"(.*?[{_CJK}\d])([a-k])", phrase)
            if m and m.group(1) == DECLARED:
                basis += [m.group(1), m.group(2)]
            else:
                basis.append(phrase)
        if tok:
            (methods if _METHOD_ONLY.match(tok) else basis).append(tok)
        pos = end
    return _unique(basis), _unique(methods)


def parse_methods(raw: str) -> tuple[list[str], list[str]]:
    """Split a method cell into standard numbers and their qualifiers.

    ``参照GB/T 20769 GB 23200.121`` gives ``["GB/T 20769", "GB 23200.121"]`` and the
    note ``"GB/T 20769: 参照"``; ``GB 4789.3平板计数法`` gives the note
    ``"GB 4789.3: 平板计数法"``.  A cell with no standard number (an enterprise standard,
    say) is kept whole as one method.
    """
    text = clean_text(raw)
    if text in NO_METHOD:
        return [], []
    tokens = _tokens(text)
    if not tokens:
        return [text], []
    methods: list[str] = []
    notes: list[str] = []
    pending_prefix = text[: tokens[0][1]].strip(" /")
    for i, (tok, _start, end) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else len(text)
        between = text[end:nxt].strip(" /")
        following_prefix = ""
        if between.endswith("参照"):
            between, following_prefix = between[: -len("参照")].strip(" /"), "参照"
        quals = [q for q in (pending_prefix, between.strip("()（）")) if q]
        methods.append(tok)
        if quals:
            notes.append(f"{tok}: {' '.join(quals)}")
        pending_prefix = following_prefix
    return _unique(methods), _unique(notes)


def basis_family(token: str) -> str:
    """The family a basis entry counts under (GB 2763.1 → GB 2763, DBS 65/010 → DBS 65)."""
    if token.startswith("DBS "):
        return token.split("/")[0]
    m = re.match(rf"^({_PREFIX}) ?(\d+)", token)
    if m:
        return f"{m.group(1)} {m.group(2)}"
    if token.startswith("食品整治办"):
        return "食品整治办"
    if token.startswith("卫生部"):
        return "卫生部公告"
    if token.startswith("市场监管总局"):
        return "市场监管总局公告"
    if token.startswith("国家食品药品监督管理总局"):
        return "国家食品药品监督管理总局公告"
    if token.startswith(DECLARED):
        return DECLARED
    return token


def _unique(seq: list[str]) -> list[str]:
    out: list[str] = []
    for x in seq:
        if x and x not in out:
            out.append(x)
    return out
