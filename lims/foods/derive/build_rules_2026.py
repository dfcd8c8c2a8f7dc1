"""Derive the 2026 sampling-rule data files from the parsed reference JSON.

One-off and kept for provenance.  Run by hand from the repository root::

    .venv/bin/python -m lims.foods.derive.build_rules_2026 /work/shared/reference

It reads ``gb_checklist_subcat.json`` and ``categories_2026_full.json`` (secondary
sources parsed from 《食品安全监督抽检实施细则（2026年版）》), repairs the parse defects by
the rules below plus ``data/rules_2026_corrections.csv``, and writes
``data/rules_2026_{categories,items,notes}.csv`` and ``data/analytes.csv``.  Nothing
in the running application reads the reference folder.

Defect classes handled by rule (counts are printed by the run and kept in README.md):

D1  table numbers written without 表 (``3-1``) or in another chapter (``表33-44``)
D2  one table shared by several 细类 is repeated once per 细类 (表19-2, 表19-3)
D3  footnote markers glued to names (``组胺a``, ``菌落总数ab``, ``维生素Abj``) and to
    table names (``油饼油条（自制）a``) or basis cells (``产品明示标准和质量要求a``)
D4  subscripts displaced by the PDF layer (``黄曲霉毒素B b 1`` = B1 + note b,
    ``亚硝酸盐（以NaNO 计） 2`` = 以NaNO2计)
D5  stray whitespace from line wraps inside Chinese text and standard numbers
    (``甜蜜素（以环己基氨基 磺酸计）``, ``农业部781号公 告-4-2006``)
D6  method cells holding several standards without a separator, with qualifiers
    (参照, 第二法, 平板计数法, 附录A, 第10章, （直接干燥法）) or the placeholder ``/``
D7  basis cells listing standards separated by spaces or `` / ``, sometimes carrying a
    method standard (``GB/T 4789.3-2003``) that belongs to the method column
D8  columns shifted by one (表24-3 粽子: the name sits in the basis column;
    表27-1 保健食品: the name in the basis column, the basis in the method column)
D9  rows of a table continued on the next page attributed to the next table heading:
    the next table starts at 序号 k+1 where the previous one ended at k and shares no
    analyte with it; its rows are moved back
D10 the same analyte listed twice in one table (表33-11 莱克多巴胺, 表36-17 氯氟氰菊酯):
    merged into one test item, methods / bases / footnotes united
D11 empty basis or method after repair: borrowed from the same analyte in the nearest
    table (same 大类 first), flagged ``inferred`` in the items file
D12 OCR misreadings and misaligned headings that no rule can detect: listed one by one
    in ``rules_2026_corrections.csv`` with the reason
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lims.foods.analyte_meta import ANALYTE_META, CLASS_OVERRIDES
from lims.foods.analytes import split_analyte_name
from lims.foods.standards import (
    basis_family,
    clean_text,
    parse_basis,
    parse_methods,
)

DATA = Path(__file__).resolve().parent.parent / "data"
EDITION = "2026"
CN_NUMERALS = "一二三四五六七八九十"

# Group items whose parenthesised member list varies per table: the analyte is the group.
GROUP_PREFIXES = ("合成着色剂",)

# 亚类 of the 大类 for which categories_2026_full.json lists them, by table number range.
# Everything else gets pass-through levels (see README.md, "Hierarchy").
SUBCLASS_OF_TABLE: dict[str, str] = {}


def _assign(subclass: str, chapter: int, first: int, last: int) -> None:
    for n in range(first, last + 1):
        SUBCLASS_OF_TABLE[f"{chapter}-{n}"] = subclass


for _sc, _ch, _a, _b in [
    ("1.1", 1, 1, 1), ("1.2", 1, 2, 2), ("1.3", 1, 3, 3), ("1.4", 1, 4, 11),
    ("2.1", 2, 1, 1), ("2.2", 2, 2, 2), ("2.3", 2, 3, 3),
    ("3.1", 3, 1, 1), ("3.2", 3, 2, 2), ("3.3", 3, 3, 3), ("3.4", 3, 4, 4),
    ("3.5", 3, 5, 7), ("3.6", 3, 8, 9), ("3.7", 3, 10, 14), ("3.8", 3, 15, 16),
    ("3.9", 3, 17, 17), ("3.10", 3, 18, 21), ("3.11", 3, 22, 22),
    ("4.1", 4, 1, 2), ("4.2", 4, 3, 8),
    ("5.1", 5, 1, 5), ("5.2", 5, 6, 6), ("5.3", 5, 7, 7), ("5.4", 5, 8, 11),
    ("6.1", 6, 1, 3), ("6.2", 6, 4, 4), ("6.3", 6, 5, 5), ("6.4", 6, 6, 6),
    ("6.5", 6, 7, 7), ("6.6", 6, 8, 8), ("6.7", 6, 9, 9),
    ("11.1", 11, 1, 1), ("11.2", 11, 2, 2), ("11.3", 11, 3, 3), ("11.4", 11, 4, 4),
    ("11.5", 11, 5, 5), ("11.6", 11, 6, 6),
    ("12.1", 12, 1, 1), ("12.2", 12, 2, 6),
    ("13.1", 13, 1, 1), ("13.2", 13, 2, 2), ("13.3", 13, 3, 3),
    ("14.1", 14, 1, 1), ("14.2", 14, 2, 3),
    ("15.1", 15, 1, 1), ("15.2", 15, 2, 2), ("15.3", 15, 3, 3), ("15.4", 15, 4, 4),
    ("15.5", 15, 5, 5), ("15.6", 15, 6, 7), ("15.7", 15, 8, 8), ("15.8", 15, 9, 9),
    ("20.1", 20, 1, 1), ("20.2", 20, 2, 2),
    ("24.1", 24, 1, 1), ("24.2", 24, 2, 2), ("24.3", 24, 3, 3), ("24.4", 24, 4, 4),
    ("26.1", 26, 1, 1), ("26.2", 26, 2, 2), ("26.3", 26, 3, 3), ("26.4", 26, 4, 4),
    ("28.1", 28, 1, 1), ("28.2", 28, 2, 2), ("28.3", 28, 3, 4),
    ("35.1", 35, 1, 1), ("35.2", 35, 2, 2), ("35.3", 35, 3, 3), ("35.4", 35, 4, 4),
    ("35.5", 35, 5, 5), ("35.6", 35, 6, 6), ("35.7", 35, 7, 7), ("35.8", 35, 8, 8),
]:
    _assign(_sc, _ch, _a, _b)

# 品种 known from the chapter text where a 亚类 holds several groups of 细类.
VARIETY_OF_TABLE: dict[str, str] = {
    "1-4": "谷物加工品",
    "1-5": "谷物碾磨加工品", "1-6": "谷物碾磨加工品", "1-7": "谷物碾磨加工品",
    "1-8": "谷物粉类制成品", "1-9": "谷物粉类制成品", "1-10": "谷物粉类制成品",
    "1-11": "谷物粉类制成品",
    "3-18": "食用盐", "3-19": "食用盐", "3-20": "食用盐", "3-21": "食用盐",
}

FOOTNOTE_TAIL = re.compile(r"\s*([a-k]{1,3})$")
SUBSCRIPT_TAIL = re.compile(r"\s+(\d{1,2})$")
LATIN_BEFORE_SPACE = re.compile(r"[A-Za-z](?=\s)")
MICROBE = re.compile(r"(菌|菌群|菌数|杆菌\)|弧菌)$|^(商业无菌|霉菌|酵母|霉菌及酵母|螨)$|^克罗诺杆菌")


@dataclass
class Row:
    """One test-item row while it is being repaired."""

    table_key: str  # source identity: "<table_no as written>|<name>"
    seq: int | None
    name_raw: str
    basis_raw: str
    method_raw: str
    refs: list[str]
    source: str
    fixes: list[str] = field(default_factory=list)
    name: str = ""
    inferred: list[str] = field(default_factory=list)


@dataclass
class Table:
    key: str
    chapter: int
    category: str
    table_no: str  # normalised "表N-M"
    name: str
    refs: list[str]
    notes: list[str]
    rows: list[Row]
    source: str
    code: str = ""


def clean_name(raw: str) -> tuple[str, list[str], list[str]]:
    """Repair D3/D4/D5 in an item name; returns (name, footnote refs, fixes applied)."""
    fixes: list[str] = []
    text = unicodedata.normalize("NFKC", raw).strip()
    digits = None
    m = SUBSCRIPT_TAIL.search(text)
    if m:
        digits = m.group(1)
        text = text[: m.start()]
    refs: list[str] = []
    m = FOOTNOTE_TAIL.search(text)
    # A footnote tail follows CJK, a bracket, a digit, or a capital (维生素Abj, 铅(以Pb计)a).
    if m and (m.start() > 0) and re.match(r"[\u4e00-\u9fff)\]A-Z0-9\s]", text[m.start() - 1]):
        refs = list(m.group(1))
        text = text[: m.start()]
        fixes.append("D3 footnote marker")
    if digits:
        spots = list(LATIN_BEFORE_SPACE.finditer(text + " "))
        if not spots:
            raise ValueError(f"cannot place subscript {digits!r} in {raw!r}")
        pos = spots[-1].end()
        text = text[:pos] + digits + text[pos:]
        fixes.append("D4 displaced subscript")
    cleaned = re.sub(r"\s+(?=-)", "", clean_text(text))  # 以NO3 -计 → 以NO3-计
    if cleaned != text.strip():
        fixes.append("D5 whitespace")
    return cleaned, refs, fixes


def load_corrections() -> list[dict[str, str]]:
    with (DATA / "rules_2026_corrections.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_tables(ref: Path) -> tuple[list[dict], list[Table]]:
    cats_doc = json.loads((ref / "categories_2026_full.json").read_text(encoding="utf-8"))
    check = json.loads((ref / "gb_checklist_subcat.json").read_text(encoding="utf-8"))
    big = cats_doc["categories"]
    number_of = {c["name"]: cn_to_int(c["no"]) for c in big}
    tables: list[Table] = []
    for cat, entries in check["categories"].items():
        chapter = number_of[cat]
        for i, t in enumerate(entries):
            path = f"gb_checklist_subcat.json $.categories['{cat}'][{i}]"
            raw_no = t["table_no"].strip()
            key = f"{raw_no}|{t['name']}"
            rows = []
            for j, it in enumerate(t["items"]):
                refs = [r.strip() for r in (it.get("注脚") or "").split(",") if r.strip()]
                rows.append(Row(
                    table_key=key, seq=it.get("序号"),
                    name_raw=it.get("检验项目") or "", basis_raw=it.get("依据法律法规或标准") or "",
                    method_raw=it.get("检测方法") or "", refs=refs,
                    source=f"{path}.items[{j}] " + json.dumps(
                        [it.get("检验项目"), it.get("依据法律法规或标准"), it.get("检测方法")],
                        ensure_ascii=False),
                ))
            name = unicodedata.normalize("NFKC", t["name"]).strip()
            trefs: list[str] = []
            m = re.search(r"(?<=[\u4e00-\u9fff)])([a-k])$", name)
            if m:
                trefs = [m.group(1)]
                name = name[: m.start()]
            no = raw_no if raw_no.startswith("表") else f"表{raw_no}"
            tables.append(Table(key=key, chapter=chapter, category=cat, table_no=no,
                                name=clean_text(name), refs=trefs, notes=list(t.get("notes") or []),
                                rows=rows, source=path))
    return big, tables


def cn_to_int(text: str) -> int:
    """一 .. 三十九 to 1 .. 39."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (
            CN_NUMERALS.index(ones) + 1 if ones else 0)
    return CN_NUMERALS.index(text) + 1


def analyte_of(name: str) -> tuple[str, str | None, str]:
    """(key, expressed_as, members) of a cleaned item name."""
    for prefix in GROUP_PREFIXES:
        if name.startswith(prefix):
            inner = name[len(prefix):].strip("()")
            members = "|".join(m for m in re.split(r"[、,，]+", inner) if m)
            return prefix, None, members
    parts = split_analyte_name(name)
    return parts.key, parts.expressed_as, ""


def main(ref_dir: str) -> None:
    ref = Path(ref_dir)
    big, tables = read_tables(ref)
    stats: Counter[str] = Counter()
    stats["source tables"] = len(tables)
    stats["source rows"] = sum(len(t.rows) for t in tables)
    by_key = {t.key: t for t in tables}
    corrections = load_corrections()
    used = [False] * len(corrections)

    def correct(target: str, fld: str):
        for i, c in enumerate(corrections):
            if c["target"] == target and c["field"] == fld:
                used[i] = True
                yield c

    # D1: table numbers.
    for t in tables:
        for c in correct(t.key, "table_no"):
            if t.table_no != c["old"]:
                raise SystemExit(f"correction {c} does not match {t.table_no}")
            t.table_no = c["new"]
            stats["D1 table renumbered (corrections)"] += 1
        if not t.key.startswith("表"):
            stats["D1 table number without 表"] += 1
        chapter = int(t.table_no[1:].split("-")[0])
        if chapter != t.chapter:
            raise SystemExit(f"{t.key}: table in chapter {chapter}, category {t.chapter}")

    # D9: page-break continuations, detected on the source order.
    for prev, cur in zip(tables, tables[1:], strict=False):
        if prev.chapter != cur.chapter or not prev.rows or not cur.rows:
            continue
        last, first = prev.rows[-1].seq, cur.rows[0].seq
        if last is None or first is None or first != last + 1 or first == 1:
            continue
        prev_keys = {analyte_of(clean_name(r.name_raw)[0])[0] for r in prev.rows if r.name_raw}
        cur_keys = {analyte_of(clean_name(r.name_raw)[0])[0] for r in cur.rows if r.name_raw}
        if prev_keys & cur_keys:
            continue
        for r in cur.rows:
            r.fixes.append(f"D9 moved from {cur.table_no} {cur.name}")
        stats["D9 rows moved back to the previous table"] += len(cur.rows)
        stats["D9 tables"] += 1
        prev.rows.extend(cur.rows)
        cur.rows = []

    # D12: explicit row moves (misaligned headings), applied on a snapshot.
    moves = [(t, c) for t in tables for c in correct(t.key, "move_rows_to")]
    snapshot = {t.key: list(t.rows) for t, _ in moves}
    for t, _ in moves:
        t.rows = []
    for t, c in moves:
        dest = by_key[c["new"]]
        for r in snapshot[t.key]:
            r.fixes.append(f"D12 moved from {t.table_no} {t.name}: {c['reason']}")
        dest.rows.extend(snapshot[t.key])
        stats["D12 rows moved (corrections)"] += len(snapshot[t.key])

    # D12: single rows under the wrong heading (a page break shifted the headings of a
    # chapter), moved by 序号 as rules_2026_corrections.csv lists them.
    for t in tables:
        staying = []
        for r in t.rows:
            moved = list(correct(f"{r.table_key}#{r.seq}", "move_row_to"))
            if not moved:
                staying.append(r)
                continue
            by_key[moved[0]["new"]].rows.append(r)
            r.fixes.append(f"D12 moved from {t.table_no} {t.name}: {moved[0]['reason']}")
            stats["D12 single rows moved (corrections)"] += 1
        t.rows = staying

    # Rows: D8 shifts, D12 row corrections, D3-D5 names.
    for t in tables:
        kept = []
        for r in t.rows:
            target = f"{r.table_key}#{r.seq}"
            if any(True for _ in correct(target, "drop")):
                stats["D12 rows dropped (corrections)"] += 1
                continue
            if not r.name_raw.strip() or r.name_raw.strip() == "所有样品":
                if r.basis_raw.strip() and not r.method_raw.strip():
                    r.name_raw, r.basis_raw = r.basis_raw, ""
                elif r.basis_raw.strip():
                    # 保健食品: name / basis / method shifted one column to the right.
                    r.name_raw, r.basis_raw, r.method_raw = r.basis_raw, r.method_raw, ""
                r.fixes.append("D8 shifted columns")
                stats["D8 rows with shifted columns"] += 1
            for c in correct(target, "name"):
                if clean_name(r.name_raw)[0] != c["old"]:
                    raise SystemExit(f"correction {c} does not match {r.name_raw!r}")
                r.name_raw = c["new"]
                r.fixes.append(f"D12 name: {c['reason']}")
                stats["D12 names corrected (corrections)"] += 1
            name, refs, fixes = clean_name(r.name_raw)
            r.name = name
            r.refs = sorted(set(r.refs) | set(refs))
            r.fixes.extend(fixes)
            for f in fixes:
                stats[f] += 1
            kept.append(r)
        t.rows = kept

    # 保健食品: the basis is written once for the whole table (merged cell).
    for t in tables:
        shared = [r.basis_raw for r in t.rows if r.basis_raw.strip()]
        if any("D8 shifted columns" in r.fixes for r in t.rows) and len(shared) == 1:
            for r in t.rows:
                if not r.basis_raw.strip():
                    r.basis_raw = shared[0]
                    r.fixes.append("D8 merged basis cell repeated")

    unused = [c for c, u in zip(corrections, used, strict=True) if not u]
    if unused:
        raise SystemExit(f"corrections that matched nothing: {unused}")

    write_outputs(big, tables, stats)


def write_outputs(big: list[dict], tables: list[Table], stats: Counter[str]) -> None:
    # ---- categories ------------------------------------------------------------------
    cat_rows: list[dict[str, str]] = []
    sub_names: dict[str, str] = {}
    for c in big:
        n = cn_to_int(c["no"])
        cat_rows.append(dict(code=str(n), level="1", parent_code="", name_zh=c["name"],
                             table_id="", source=f"categories_2026_full.json 大类 {c['no']}"))
        for s in c.get("subcategories") or []:
            if s.get("kind") == "specific_fruit" or n == 36:
                continue  # 水果类 lists two 细类 as if they were 亚类; see README.md
            sub_names[s["code"]] = s["name"]
    tables_by_chapter: dict[int, list[Table]] = defaultdict(list)
    for t in tables:
        tables_by_chapter[t.chapter].append(t)
    emitted_sub: set[str] = set()
    emitted_var: dict[tuple[str, str], str] = {}
    var_count: Counter[str] = Counter()
    synth_sub: Counter[int] = Counter()
    shared_count = Counter(t.table_no for t in tables)
    shared_seen: Counter[str] = Counter()
    for chapter in sorted(tables_by_chapter):
        chapter_tables = sorted(tables_by_chapter[chapter], key=lambda t: table_sort(t.table_no))
        base = max((int(k.split(".")[1]) for k in sub_names if k.split(".")[0] == str(chapter)),
                   default=0)
        for t in chapter_tables:
            num = t.table_no[1:]
            if shared_count[t.table_no] > 1:
                shared_seen[t.table_no] += 1
                t.code = f"{num}{'abcdefgh'[shared_seen[t.table_no] - 1]}"
            else:
                t.code = num
            sub = SUBCLASS_OF_TABLE.get(num)
            if sub:
                sub_src = f"categories_2026_full.json subcategory {sub}"
                sub_name = sub_names[sub]
            else:
                synth_sub[chapter] += 1
                sub = f"{chapter}.{base + synth_sub[chapter]}"
                sub_name = t.name
                sub_src = f"pass-through: 亚类 not in the reference data; named after {t.table_no}"
            if sub not in emitted_sub:
                emitted_sub.add(sub)
                cat_rows.append(dict(code=sub, level="2", parent_code=str(chapter),
                                     name_zh=sub_name, table_id="", source=sub_src))
            var_name = VARIETY_OF_TABLE.get(num)
            var_src = "chapter text of the rules (品种 heading)"
            if not var_name:
                var_name = t.name
                var_src = f"pass-through: 品种 not in the reference data; named after {t.table_no}"
            vkey = (sub, var_name)
            if vkey not in emitted_var:
                var_count[sub] += 1
                emitted_var[vkey] = f"{sub}.{var_count[sub]}"
                cat_rows.append(dict(code=emitted_var[vkey], level="3", parent_code=sub,
                                     name_zh=var_name, table_id="", source=var_src))
            cat_rows.append(dict(code=t.code, level="4", parent_code=emitted_var[vkey],
                                 name_zh=t.name, table_id=t.table_no,
                                 source=f"{t.source} table_no={t.key.split('|')[0]}"))
    write_csv(DATA / "rules_2026_categories.csv",
              ["code", "level", "parent_code", "name_zh", "table_id", "source"], cat_rows)

    # ---- items -----------------------------------------------------------------------
    items: list[dict[str, str]] = []
    for t in sorted(tables, key=lambda t: table_sort(t.code)):
        merged: dict[str, dict] = {}
        for r in t.rows:
            key, expressed, members = analyte_of(r.name)
            basis, moved_methods = parse_basis(r.basis_raw)
            basis_refs = [x for x in basis if re.fullmatch(r"[a-k]", x)]
            basis = [x for x in basis if x not in basis_refs]
            methods, method_notes = parse_methods(r.method_raw)
            if clean_text(r.method_raw) == "/":
                method_notes = ["计算项"]  # a ratio or sum computed from other items
            methods = dedupe(moved_methods + methods)
            if moved_methods:
                r.fixes.append("D7 method standard moved out of the basis cell")
                stats["D7 method standard moved out of the basis cell"] += 1
            if len(basis) > 1 or "/" in r.basis_raw:
                stats["D7 basis cells split"] += 1
            if len(methods) > 1:
                stats["D6 method cells split"] += 1
            if method_notes:
                stats["D6 method qualifiers separated"] += 1
            rec = merged.get(key)
            if rec:
                stats["D10 duplicate analyte merged"] += 1
                rec["basis"] = dedupe(rec["basis"] + basis)
                rec["methods"] = dedupe(rec["methods"] + methods)
                rec["method_notes"] = dedupe(rec["method_notes"] + method_notes)
                rec["refs"] = sorted(set(rec["refs"]) | set(r.refs) | set(basis_refs))
                rec["fixes"] = dedupe(rec["fixes"] + r.fixes + [f"D10 merged 序号 {r.seq}"])
                rec["source"].append(r.source)
                continue
            merged[key] = dict(
                seq=r.seq, name=r.name, key=key, expressed=expressed or "", members=members,
                basis=basis, methods=methods, method_notes=method_notes,
                refs=sorted(set(r.refs) | set(basis_refs)), fixes=list(r.fixes),
                source=[r.source], inferred=[],
            )
        for rec in merged.values():
            rec["table"] = t
            items.append(rec)

    fill_missing(items, stats)

    classes = analyte_classes(items)
    out_items = []
    seen_codes: set[str] = set()
    for rec in items:
        t: Table = rec["table"]
        code = f"{t.code}:{rec['key']}"
        if code in seen_codes:
            raise SystemExit(f"duplicate item code {code}")
        seen_codes.add(code)
        out_items.append({
            "table_id": t.table_no,
            "subcategory_code": t.code,
            "seq": str(rec["seq"] or ""),
            "item_code": code,
            "name_zh": rec["name"],
            "analyte_key": rec["key"],
            "expressed_as": rec["expressed"],
            "members": rec["members"],
            "analyte_class": classes[rec["key"]],
            "basis_standards": "|".join(rec["basis"]),
            "basis_families": "|".join(dedupe([basis_family(b) for b in rec["basis"]])),
            "method_standards": "|".join(rec["methods"]),
            "method_notes": "|".join(rec["method_notes"]),
            "footnote_refs": "|".join(rec["refs"]),
            "inferred": "|".join(rec["inferred"]),
            "fixes": "|".join(rec["fixes"]),
            "source": " || ".join(rec["source"]),
        })
    write_csv(DATA / "rules_2026_items.csv", list(out_items[0]), out_items)

    # ---- notes -----------------------------------------------------------------------
    notes = []
    for t in sorted(tables, key=lambda t: table_sort(t.code)):
        for i, text in enumerate(t.notes):
            for ref, body in split_notes(text):
                notes.append(dict(table_id=t.table_no, subcategory_code=t.code, ref=ref,
                                  text=body, source=f"{t.source}.notes[{i}]"))
    write_csv(DATA / "rules_2026_notes.csv",
              ["table_id", "subcategory_code", "ref", "text", "source"], notes)

    # ---- analytes --------------------------------------------------------------------
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in items:
        names[rec["key"]][rec["name"] if not rec["members"] else rec["key"]] += 1
    analytes = []
    for key in sorted(names):
        meta = ANALYTE_META.get(key, ("", ""))
        analytes.append(dict(analyte_key=key, name_zh=names[key].most_common(1)[0][0],
                             name_en=meta[0], cas=meta[1], analyte_class=classes[key],
                             source="derived from rules_2026_items.csv; names: editor"))
    write_csv(DATA / "analytes.csv",
              ["analyte_key", "name_zh", "name_en", "cas", "analyte_class", "source"], analytes)

    stats["tables (细类 entries)"] = len(tables)
    stats["distinct table numbers"] = len({t.table_no for t in tables})
    stats["tables without items after repair"] = sum(1 for t in tables if not t.rows)
    stats["items written"] = len(out_items)
    stats["analytes"] = len(analytes)
    stats["analytes with English name"] = sum(1 for a in analytes if a["name_en"])
    stats["inferred basis or method"] = sum(1 for r in out_items if r["inferred"])
    for k in sorted(stats):
        print(f"{k}: {stats[k]}")
    print("tables without items:", [f"{t.table_no} {t.name}" for t in tables if not t.rows])


def fill_missing(items: list[dict], stats: Counter[str]) -> None:
    """D11: borrow an empty basis or method from the same analyte elsewhere.

    A basis depends on the product, so it is borrowed only inside the same 大类 (the
    nearest table).  A method depends on the analyte, so the method list used most often
    for that analyte across the rules is taken (nearest chapter breaks ties).
    """
    by_key: dict[str, list[dict]] = defaultdict(list)
    for rec in items:
        by_key[rec["key"]].append(rec)
    for rec in items:
        t: Table = rec["table"]
        donors_all = [d for d in by_key[rec["key"]] if not d["inferred"] and d is not rec]
        if not rec["basis"]:
            donors = [d for d in donors_all if d["basis"] and d["table"].chapter == t.chapter]
            donors.sort(key=lambda d: abs(table_sort(d["table"].code)[1]
                                          - table_sort(t.code)[1]))
            if donors:
                rec["basis"] = list(donors[0]["basis"])
                rec["inferred"].append(
                    f"basis from {donors[0]['table'].table_no} {donors[0]['name']}")
                stats["D11 basis borrowed"] += 1
        if not rec["methods"]:
            donors = [d for d in donors_all if d["methods"]]
            if donors:
                counts = Counter(tuple(d["methods"]) for d in donors)
                donors.sort(key=lambda d: (-counts[tuple(d["methods"])],
                                           abs(d["table"].chapter - t.chapter)))
                rec["methods"] = list(donors[0]["methods"])
                rec["inferred"].append(
                    f"methods from {donors[0]['table'].table_no} {donors[0]['name']}"
                    f" (used by {counts[tuple(donors[0]['methods'])]} tables)")
                stats["D11 methods borrowed"] += 1


def analyte_classes(items: list[dict]) -> dict[str, str]:
    """One class per analyte: override table, microbe words, else the majority family."""
    family_class = {
        "GB 2763": "pesticide", "GB 31650": "veterinary_drug",
        "农业农村部公告第250号": "veterinary_drug", "GB 2761": "mycotoxin",
        "GB 2762": "contaminant", "GB 2760": "additive", "GB 29921": "microbe",
        "GB 31607": "microbe", "整顿办函〔2011〕1号": "illegal_additive",
        "食品整治办": "illegal_additive", "卫生部公告": "illegal_additive",
        "市场监管总局公告": "illegal_additive",
    }
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in items:
        for b in rec["basis"]:
            cls = family_class.get(basis_family(b))
            if cls:
                votes[rec["key"]][cls] += 1
    out = {}
    for rec in items:
        key = rec["key"]
        if key in CLASS_OVERRIDES:
            out[key] = CLASS_OVERRIDES[key]
        elif MICROBE.search(key):
            out[key] = "microbe"
        elif votes[key]:
            out[key] = votes[key].most_common(1)[0][0]
        else:
            out[key] = "quality"
    return out


def split_notes(text: str) -> list[tuple[str, str]]:
    """Split "注：a. … b. …" into (ref, text) pairs."""
    text = re.sub(r"^注[:：]\s*", "", unicodedata.normalize("NFKC", text).strip())
    parts = re.split(r"(?:^|\s|(?<=[。;]))([a-k])[.．]\s*", text)
    out = []
    if parts[0].strip():
        out.append(("", clean_text(parts[0])))
    for i in range(1, len(parts) - 1, 2):
        out.append((parts[i], clean_text(parts[i + 1])))
    return out


def table_sort(code: str) -> tuple:
    nums = re.findall(r"\d+|[a-h]$", code)
    return tuple(int(n) if n.isdigit() else ord(n) for n in nums)


def dedupe(seq: list[str]) -> list[str]:
    out: list[str] = []
    for x in seq:
        if x and x not in out:
            out.append(x)
    return out


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference")
