"""Build the GB 2760-2024 positive list (Table A.1) and its food category tree (Table E.1).

Run by hand at build time only::

    .venv/bin/python -m lims.limits.tools.build_gb2760 /work/shared/reference

Reads ``gb2760_2024_table_a1.csv`` (secondary parse), ``gb2760_2024_tables_a2_d_e1_f.json``
and ``GB_2760-2024.txt`` (primary text) and writes

* ``lims/limits/data/limits_gb2760.csv``: one row per (additive, E.1 category) after
  merging duplicates (full-/half-width variants of one row).  A row is ``verified=yes`` when
  its category code, category name and value are found, in that order and close together,
  in the whitespace-free text of its PDF page (or the next one); else ``secondary``.
* the ``GB2760`` scheme nodes appended to ``lims/limits/data/food_categories.csv``
  (Table E.1 codes, root ``GB2760:00`` 各类食品; codes that A.1 uses but the E.1 parse lost
  are added from the A.1 category name, marked ``secondary``).
* ``lims/limits/data/gb2760_additives.csv``: analyte, function, colour (着色剂).

The 各类食品 rows (按生产需要适量使用, 表 A.2 中编号为 … 的食品类别除外) become one row on
``GB2760:00`` with the A.2 categories as exclusions.  Absence of a row = 不得使用 (engine).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
STANDARD = "GB 2760-2024"
LIMIT_COLUMNS = [
    "standard", "clause", "analyte", "expressed_as", "category", "category_text", "exclusions",
    "limit", "unit", "basis", "condition", "temporary", "notes", "effective_from",
    "effective_to", "source", "verified",
]  # fmt: skip

# A.1 additive names (prefix) -> analyte name used by the rules (and its 以…计 default)
ANALYTE_NAMES = [
    ("山梨酸及其钾盐", "山梨酸及其钾盐"),
    ("苯甲酸及其钠盐", "苯甲酸及其钠盐"),
    ("脱氢乙酸及其钠盐", "脱氢乙酸及其钠盐"),
    ("二氧化硫及亚硫酸盐", "二氧化硫残留量"),
    ("甜蜜素", "甜蜜素"),
    ("安赛蜜", "安赛蜜"),
    ("阿斯巴甜", "阿斯巴甜"),
    ("三氯蔗糖", "三氯蔗糖"),
    ("纽甜", "纽甜"),
    ("亚硝酸钠", "亚硝酸盐"),
    ("硝酸钠", "硝酸盐"),
    ("丙酸及其钠盐、钙盐", "丙酸及其钠盐、钙盐"),
    ("对羟基苯甲酸酯类及其钠盐", "对羟基苯甲酸酯类及其钠盐"),
    ("特丁基对苯二酚", "特丁基对苯二酚"),
    ("亚铁氰化钾", "亚铁氰化钾/亚铁氰化钠"),
    ("丁基羟基茴香醚", "丁基羟基茴香醚(BHA)"),
    ("二丁基羟基甲苯", "二丁基羟基甲苯(BHT)"),
    ("没食子酸丙酯", "没食子酸丙酯(PG)"),
]
COLOURS = {
    "柠檬黄": "黄", "日落黄": "黄", "喹啉黄": "黄", "胭脂红": "红", "苋菜红": "红",
    "赤藓红": "红", "诱惑红": "红", "新红": "红", "酸性红": "红", "亮蓝": "蓝", "靛蓝": "蓝",
}  # fmt: skip
RESIDUE = re.compile(r"残留量(?:\(以[^)]*\))?([≤<])([\d.]+)(mg/kg|g/kg)")
EXPRESSED = re.compile(r"以([^，,；;]*?)计")


def analyte_name(raw: str) -> str:
    name = raw.replace("（", "(").replace("）", ")").replace("，", ",").strip()
    for prefix, target in ANALYTE_NAMES:
        if name.startswith(prefix) or (
            prefix in name and prefix in ("甜蜜素", "安赛蜜", "阿斯巴甜")
        ):
            return target
    for colour in COLOURS:
        if name.startswith(colour + "及其铝色淀"):
            return colour
    name = re.sub(r"\((包括|又名|简称)[^)]*\)", "", name)
    # what is left of a bracket that the parse broke (nested brackets, 以…计 glued on)
    name = re.split(r"\s*[\[(]\s*(?:包括|又名|简称)", name)[0]
    name = re.split(r"[\])]", name)[0] if name.count(")") > name.count("(") else name
    return name.strip()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")").replace("，", ",")


SPLIT_VALUE = re.compile(r"(\d+)(?:g/kg|g/L|mg/kg)(\d+)\.")


def value_found(pages: list[str], page: int, code: str, value: str) -> bool:
    """Code then value, within 160 characters, on the cited page or the next.

    pdftotext often splits a number around its unit (``1.0 g/kg`` reads ``0g/kg1.``); such a
    split number, rebuilt, counts when it is the first one after the code."""
    for index in (page - 1, page):
        if not 0 <= index < len(pages):
            continue
        text = pages[index]
        start = 0
        while (hit := text.find(code, start)) >= 0:
            window = text[hit + len(code) : hit + len(code) + 160]
            if value in window:
                return True
            split = SPLIT_VALUE.search(window[:60])
            if split and f"{split.group(2)}.{split.group(1)}" == value:
                return True
            start = hit + 1
    return False


def _same_number(limit: str) -> str:
    """``≤30.0`` and ``≤30`` are one limit (a row entered twice)."""
    m = re.fullmatch(r"([≤<])([\d.]+)", limit)
    if not m:
        return limit
    return m.group(1) + format(Decimal(m.group(2)).normalize(), "f")


def a2_codes(text: str, a2: dict[int, str]) -> list[str]:
    m = re.search(r"编号为\s*([0-9~～、，,\s]+)\s*的", text)
    if not m:
        return []
    out: list[str] = []
    for part in re.split(r"[、，,]", m.group(1)):
        part = part.strip()
        if not part:
            continue
        if "~" in part or "～" in part:
            lo, hi = re.split(r"[~～]", part)
            out.extend(a2[n] for n in range(int(lo), int(hi) + 1) if n in a2)
        elif int(part) in a2:
            out.append(a2[int(part)])
    return out


def parent_code(code: str, known: set[str]) -> str:
    parts = code.split(".")
    while len(parts) > 2:
        parts = parts[:-1]
        if ".".join(parts) in known:
            return ".".join(parts)
    if len(parts) == 2 and parts[1] != "0" and f"{parts[0]}.0" in known:
        return f"{parts[0]}.0"
    return "00"


def build(ref: Path) -> None:
    pages = [squeeze(p) for p in (ref / "GB_2760-2024.txt").read_text(encoding="utf-8").split("\f")]
    tables = json.loads((ref / "gb2760_2024_tables_a2_d_e1_f.json").read_text(encoding="utf-8"))
    e1 = {r["foodCategoryCode"]: r for r in tables["gb2760OfficialE1FoodCategoryRows"]}
    a2 = {r["exceptionNumber"]: "GB2760:" + r["foodCategoryCode"]
          for r in tables["gb2760OfficialA2ExceptionFoodCategories"]}  # fmt: skip
    with (ref / "gb2760_2024_table_a1.csv").open(encoding="utf-8") as handle:
        a1 = list(csv.DictReader(handle))
    names = {code: r["foodCategoryName"].strip('"“” ') for code, r in e1.items()}
    for r in a1:
        code = r["foodCategoryCode"]
        if code != "—" and code not in names:
            names[code] = re.sub(r"\((仅限|.*除外).*\)$", "", r["foodCategoryName"])
    a2_only = {}
    for r in tables["gb2760OfficialA2ExceptionFoodCategories"]:
        if r["foodCategoryCode"] not in names:
            names[r["foodCategoryCode"]] = r["foodCategoryName"]
            a2_only[r["foodCategoryCode"]] = r["pdfPage"]
    for code, (name, _page) in EXTRA_E1.items():
        names.setdefault(code, name)
    known = set(names)
    # -- category nodes
    nodes = [{
        "code": "GB2760:00", "parent_codes": "", "scheme": "GB2760", "name_zh": "各类食品",
        "aliases": "", "source": "GB 2760-2024 表A.1 “各类食品”；附录E 食品分类系统",
        "verified": "yes",
    }]  # fmt: skip
    for code in sorted(known, key=lambda c: [int(x) for x in c.split(".")]):
        src = e1.get(code)
        extra = EXTRA_E1.get(code) if src is None else None
        nodes.append({
            "code": f"GB2760:{code}",
            "parent_codes": f"GB2760:{parent_code(code, known)}",
            "scheme": "GB2760",
            "name_zh": f"{code} {names[code]}",
            "aliases": names[code] if names[code] not in ("—", "") else "",
            "source": (f"GB 2760-2024 表E.1 第{src['rowNumber']}行 (GB_2760-2024.txt pdf page {src['pdfPage']})"
                       if src else f"GB 2760-2024 表E.1 (GB_2760-2024.txt pdf page {extra[1]})" if extra
                       else f"GB 2760-2024 表A.2 (GB_2760-2024.txt pdf page {a2_only[code]})" if code in a2_only
                       else "GB 2760-2024 表A.1 食品分类号（表E.1 解析缺失，名称取自表A.1）"),
            "verified": "yes" if extra else "secondary",
        })  # fmt: skip
    # -- limit rows
    rows: dict[tuple[str, ...], dict[str, str]] = {}
    functions: dict[str, set[str]] = {}
    for r in a1:
        analyte = analyte_name(r["additiveNameCn"])
        if analyte.startswith("硫酸铝钾"):
            continue  # residue rows written below from page 80
        functions.setdefault(analyte, set()).update(
            f.strip() for f in re.split(r"[、，,]", r["functionText"]) if f.strip()
        )
        code = r["foodCategoryCode"]
        level = r["maxUseLevel"].strip()
        note = r["note"].strip()
        if code == "—":
            category, exclusions = "GB2760:00", "|".join(a2_codes(r["foodCategoryName"], a2))
        else:
            category, exclusions = f"GB2760:{code}", ""
        if level.startswith("按生产需要适量使用"):
            limit, unit = "按生产需要适量使用", ""
        else:
            limit, unit = f"≤{level}", r["unit"] or "g/kg"
        residue = RESIDUE.search(note.replace(" ", ""))
        if residue and analyte != "硝酸盐":
            # the text sets a residue limit: that is what a sample is judged against
            limit, unit = (
                f"{residue.group(1).replace('<', '<')}{residue.group(2)}",
                residue.group(3),
            )
            note = (
                "按生产需要适量使用"
                if level.startswith("按生产")
                else f"最大使用量 {level} {r['unit'] or 'g/kg'}"
            ) + f"；{note}"
        expressed = ""
        m = EXPRESSED.search(note)
        if m and "即饮" not in m.group(1) and "油脂" not in m.group(1):
            expressed = f"以{m.group(1)}计"
        if analyte == "二氧化硫残留量":
            expressed = "以SO2计"
        key = (
            analyte,
            category,
            limit,
            unit,
            r["foodCategoryName"].replace("（", "(").replace("）", ")"),
        )
        page = int(r["pdfPage"] or 0)
        verified = "yes" if code != "—" and limit != "按生产需要适量使用" and value_found(
            pages, page, code, level) else ("yes" if code != "—" and value_found(
            pages, page, code, squeeze(names.get(code, ""))[:4]) and limit == "按生产需要适量使用"
            else "secondary")  # fmt: skip
        row = {
            "standard": STANDARD, "clause": "表A.1", "analyte": analyte, "expressed_as": expressed,
            "category": category, "category_text": r["foodCategoryName"], "exclusions": exclusions,
            "limit": limit, "unit": unit, "basis": "as_is", "condition": "", "temporary": "no",
            "notes": note, "effective_from": "", "effective_to": "",
            "source": f"GB 2760-2024 表A.1 {r['additiveNameCn']} pdf page {page} (standard page "
                      f"{r['standardPage']}); gb2760_2024_table_a1.csv {r['id']}",
            "verified": verified,
        }  # fmt: skip
        old = rows.get(key)
        if old is None or (old["verified"] != "yes" and verified == "yes"):
            rows[key] = row
    # Two rows of one additive on one category with different restrictions (仅限…) are
    # both kept only if their limits differ; the engine then asks which applies.
    merged: dict[tuple[str, str, str], dict[str, str]] = {}
    for (analyte, category, limit, unit, _text), row in rows.items():
        k = (analyte, category, _same_number(limit) + unit)
        if k in merged:
            merged[k]["category_text"] += "；" + row["category_text"]
            continue
        merged[k] = row
    final = list(merged.values())
    by_cat: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in final:
        by_cat.setdefault((row["analyte"], row["category"]), []).append(row)
    for group in by_cat.values():
        if len(group) > 1:
            conditions: set[str] = set()
            for number, row in enumerate(group, 1):
                restriction = re.sub(
                    r"^.*?(\((仅限|.*除外)[^)]*\))?$", r"\1", row["category_text"]
                ).strip()
                condition = restriction or row["notes"][:30] or "通用"
                if condition in conditions:
                    condition = f"{condition}（第{number}行）"
                conditions.add(condition)
                row["condition"] = condition
    for code, text, value in AL_ROWS:
        final.append({
            "standard": STANDARD, "clause": "表A.1", "analyte": "铝的残留量",
            "expressed_as": "以Al计", "category": f"GB2760:{code}", "category_text": text,
            "exclusions": "", "limit": f"≤{value}", "unit": "mg/kg",
            "basis": "as_is" if code == "09.03.02" else "dry", "condition": "", "temporary": "no",
            "notes": "硫酸铝钾、硫酸铝铵 按生产需要适量使用，铝的残留量" + (
                "以即食海蜇中Al计" if code == "09.03.02" else "以干样品计"),
            "effective_from": "", "effective_to": "",
            "source": "GB 2760-2024 表A.1 硫酸铝钾,硫酸铝铵 备注 (GB_2760-2024.txt pdf page 80)",
            "verified": "yes",
        })  # fmt: skip
    for code, text, line in B1_ROWS:
        final.append({
            "standard": STANDARD, "clause": "附录B 表B.1", "analyte": FLAVOURINGS,
            "expressed_as": "", "category": f"GB2760:{code}", "category_text": text,
            "exclusions": "", "limit": "不得使用", "unit": "", "basis": "as_is", "condition": "",
            "temporary": "no",
            "notes": "表B.1 不得添加食品用香料、香精的食品" + (
                "；注a：较大婴儿和幼儿配方食品可使用香兰素、乙基香兰素(各5 mg/100 mL)和香荚兰豆浸膏，"
                "婴幼儿谷类辅助食品可使用香兰素(7 mg/100g)，0~6月龄婴儿配方食品不得添加任何食用香料"
                if code.startswith("13.") else ""),
            "effective_from": "", "effective_to": "",
            "source": f"GB 2760-2024 附录B 表B.1 (GB_2760-2024.txt line {line})",
            "verified": "yes",
        })  # fmt: skip
    for function in ("防腐剂", "相同色泽着色剂", "抗氧化剂") if EMIT_A4_ROWS else ():
        final.append({
            "standard": STANDARD, "clause": "附录A A.4",
            "analyte": f"{function}混合使用时各自用量占其最大使用量的比例之和", "expressed_as": "",
            "category": "GB2760:00", "category_text": "各类食品", "exclusions": "",
            "limit": "≤1", "unit": "", "basis": "as_is", "condition": "", "temporary": "no",
            "notes": "表A.1 同一功能且具有数值型最大使用量的食品添加剂(仅限相同色泽着色剂、防腐剂、"
                     "抗氧化剂)混合使用时，各自用量占其最大使用量的比例之和不应超过1",
            "effective_from": "", "effective_to": "",
            "source": "GB 2760-2024 附录A A.4 (GB_2760-2024.txt lines 339-341)",
            "verified": "yes",
        })  # fmt: skip
    final.sort(key=lambda r: (r["analyte"], [int(x) for x in r["category"][7:].split(".")]))
    with (DATA / "limits_gb2760.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LIMIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(final)
    # -- nodes into food_categories.csv (replace the GB2760 scheme block)
    path = DATA / "food_categories.csv"
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        kept = [r for r in reader if r["scheme"] != "GB2760"]
    link_foods(kept, nodes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        # GB2760 block before the PRODUCT block (build_products.py appends that one last)
        writer.writerows(r for r in kept if r["scheme"] != "PRODUCT")
        writer.writerows(nodes)
        writer.writerows(r for r in kept if r["scheme"] == "PRODUCT")
    with (DATA / "gb2760_additives.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["analyte", "function", "colour", "numeric_max", "source", "verified"])
        numeric = {r["analyte"] for r in final if r["limit"].startswith("≤")}
        for analyte, function, _source in EXTRA_ADDITIVES:
            functions.setdefault(analyte, set()).add(function)
        for analyte in sorted(functions):
            writer.writerow([
                analyte, "|".join(sorted(functions[analyte])), COLOURS.get(analyte, ""),
                "yes" if analyte in numeric else "no",
                EXTRA_SOURCES.get(analyte, "GB 2760-2024 表A.1 功能"),
                "yes" if analyte in EXTRA_CHECKED else "no" if analyte in EXTRA_SOURCES
                else "secondary",
            ])  # fmt: skip
    print(
        f"limits_gb2760.csv: {len(final)} rows "
        f"({sum(r['verified'] == 'yes' for r in final)} verified); GB2760 nodes: {len(nodes)}"
    )


# The A.4 proportion-sum items as limit rows (≤1, no unit): on once the loader accepts a
# dimensionless limit.
EMIT_A4_ROWS = False
# Additives the 2024 edition no longer lists at all (so 不得使用 in every category).
EXTRA_ADDITIVES = [
    (
        "偶氮甲酰胺",
        "面粉处理剂",
        "GB 2760-2014 表A.1 列有偶氮甲酰胺(06.03.01 小麦粉 0.045 g/kg，凭记忆)；"
        "GB_2760-2024.txt 全文检索无“偶氮甲酰胺”：2024 版不再允许使用",
    ),
]
# Flavourings the rules test (their own items): Table A.1 does not list flavourings (A.5);
# 附录B allows them except in the foods of Table B.1.
EXTRA_ADDITIVES += [
    (
        "乙基麦芽酚",
        "食品用香料",
        "GB 2760-2024 表B.3 允许使用的食品用合成香料 序号1161 S1162 乙基麦芽酚 "
        "(GB_2760-2024.txt line 33877)",
    ),
]
EXTRA_SOURCES = {a: s for a, _f, s in EXTRA_ADDITIVES}
EXTRA_CHECKED = {"乙基麦芽酚"}  # found in the text at the cited line
# The analyte of Table B.1 rows: every food flavouring (lookup reads these rows for any
# additive whose function is 食品用香料).
FLAVOURINGS = "食品用香料"
# Table B.1 不得添加食品用香料、香精的食品名单 (E.1 code, name, GB_2760-2024.txt line)
B1_ROWS = [
    ("01.01.01", "巴氏杀菌乳", 19326), ("01.01.02", "灭菌乳和高温杀菌乳", 19330),
    ("01.02.01", "发酵乳", 19334), ("01.05.01", "稀奶油", 19338),
    ("02.01.01", "植物油脂", 19342), ("02.01.02", "动物油脂(包括猪油、牛油、鱼油和其他动物脂肪等)", 19346),
    ("02.01.03", "无水黄油、无水乳脂", 19350), ("04.01.01", "新鲜水果", 19354),
    ("04.02.01", "新鲜蔬菜", 19358), ("04.02.02.01", "冷冻蔬菜", 19363),
    ("04.03.01", "新鲜食用菌和藻类", 19367), ("04.03.02.01", "冷冻食用菌和藻类", 19372),
    ("06.01", "原粮", 19375), ("06.02.01", "大米", 19379), ("06.03.01", "小麦粉", 19383),
    ("06.04.01", "杂粮粉", 19387), ("06.05.01", "食用淀粉", 19391), ("08.01", "生、鲜肉", 19394),
    ("09.01", "鲜水产", 19397), ("10.01", "鲜蛋", 19400), ("11.01", "食糖", 19403),
    ("11.03.01", "蜂蜜", 19407), ("12.01", "盐及代盐制品", 19410),
    ("13.01", "婴幼儿配方食品", 19413), ("13.02", "婴幼儿辅助食品", 19416),
    ("14.01.01", "饮用天然矿泉水", 19420), ("14.01.02", "饮用纯净水", 19424),
    ("14.01.03", "其他类饮用水", 19428), ("16.02.01", "茶叶、咖啡", 19432),
]  # fmt: skip
# E.1 rows the secondary parse lost, read from the text (pdf page)
EXTRA_E1 = {
    "12.02": ("鲜味剂和助鲜剂", 252),
    "15.0": ("酒类", 254),
    "15.01": ("蒸馏酒", 254),
    "15.01.01": ("白酒", 254),
    "15.01.02": ("调香蒸馏酒", 254),
}
AL_ROWS = [
    ("04.04", "豆类制品", "100"),
    ("06.03.02.05", "油炸面制品", "100"),
    ("06.05.02.01", "粉丝、粉条", "200"),
    ("06.05.02.02", "虾味片", "100"),
    ("06.11", "面糊(如用于鱼和禽肉的拖面糊)、裹粉、煎炸粉", "100"),
    ("07.0", "焙烤食品", "100"),
    ("09.03.02", "腌制水产品(仅限海蜇)", "500"),
]

FOOD_OVERRIDES = {
    "F:蜂蜜": "11.03.01",
    "F:茶叶": "16.02.01",
    "F:干菊花": "16.02.02",
    "F:苦丁茶": "16.02.02",
    "F:巴氏杀菌乳": "01.01.01",
    "F:灭菌乳": "01.01.02",
    "F:调制乳": "01.01.03",
    "F:发酵乳": "01.02.01",
    "F:食用盐": "12.01",
    "F:味精": "12.02",
    "F:食醋": "12.03",
    "F:酱油": "12.04",
    "F:葡萄酒": "15.03.01",
    "F:黄酒": "15.03.02",
    "F:果酒": "15.03.03",
    "F:啤酒": "15.03.05",
    "F:白酒": "15.01.01",
    "F:白兰地": "15.01.03",
    "F:油条": "06.03.02.05",
    "F:面包": "07.01",
    "F:馒头": "06.03.02.03",
    "F:花卷": "06.03.02.03",
    "F:包子": "06.03.02.03",
    "F:冰淇淋": "03.01",
    "F:雪糕": "03.01",
    "F:冰棍": "03.03",
    "F:甜味冰": "03.03",
    "F:食用冰": "03.04",
    "F:卤蛋": "10.02.01",
    "F:糟蛋": "10.02.02",
    "F:皮蛋": "10.02.03",
    "F:咸蛋": "10.02.04",
    "F:腐乳": "04.04.02.01",
    "F:豆豉": "04.04.02.02",
    "F:婴儿配方食品": "13.01.01",
    "F:较大婴儿配方食品": "13.01.02",
    "F:幼儿配方食品": "13.01.02",
    "F:特殊医学用途婴儿配方食品": "13.01.03",
    "F:葡萄汁": "14.02.01",
    "F:火锅底料": "12.10.02.04",
    "F:花生酱": "04.05.02.04",
    "F:熟制花生": "04.05.02.01",
    "F:炒瓜子": "04.05.02.01",
    "F:饮用天然矿泉水": "14.01.01",
    "F:饮用纯净水": "14.01.02",
    "F:豆腐": "04.04.01.01",
    "F:腐竹": "04.04.01.04",
    "F:豆浆": "14.03.02",
    "F:面筋": "06.03.02.06",
    "F:粽子": "06.12",
    "F:大米": "06.02.01",
    "F:糙米": "06.02.01",
    "F:小麦粉": "06.03.01",
}


def link_foods(kept: list[dict[str, str]], nodes: list[dict[str, str]]) -> None:
    """Give each shared food a GB2760 parent (override, else through its nearest GB 2762
    ancestor mapped in map_gb2762_gb2760.txt) and carry GB 2762 names over as aliases."""
    mapping: dict[str, str] = {}
    for line in (
        (Path(__file__).with_name("map_gb2762_gb2760.txt")).read_text(encoding="utf-8").splitlines()
    ):
        if line.strip() and not line.startswith("#"):
            name, code = line.strip().split("|")
            mapping[f"GB2762:{name}"] = "GB2760:" + code if code != "00" else "GB2760:00"
    by_code = {r["code"]: r for r in kept}
    e1 = {n["code"]: n for n in nodes}
    for code in mapping.values():
        if code not in e1:
            raise SystemExit(f"map_gb2762_gb2760.txt: {code} 不在表E.1")

    def mapped(code: str, seen: tuple[str, ...] = ()) -> str | None:
        if code in mapping:
            return mapping[code]
        node = by_code.get(code)
        if node is None or code in seen:
            return None
        for parent in filter(None, node["parent_codes"].split("|")):
            if parent.startswith("GB2762:") and (hit := mapped(parent, (*seen, code))):
                return hit
        return None

    taken: dict[str, str] = {}
    for n in nodes:
        for name in filter(None, [n["aliases"]]):
            taken.setdefault(name, n["code"])
    for gb2762, target in mapping.items():
        node = by_code.get(gb2762)
        if node is None:
            continue
        for name in [node["name_zh"], *filter(None, node["aliases"].split("|"))]:
            if taken.setdefault(name, target) == target and name not in e1[target]["aliases"].split(
                "|"
            ):
                e1[target]["aliases"] = "|".join(filter(None, [e1[target]["aliases"], name]))
    for row in kept:
        if row["scheme"] != "food":
            continue
        parents = [p for p in row["parent_codes"].split("|") if p and not p.startswith("GB2760:")]
        target = (
            ("GB2760:" + FOOD_OVERRIDES[row["code"]]) if row["code"] in FOOD_OVERRIDES else None
        )
        if target is None:
            for parent in parents:
                if parent.startswith("GB2762:") and (target := mapped(parent)):
                    break
        if target:
            parents.append(target)
            if "GB 2760" not in row["source"]:
                row["source"] += "；GB 2760-2024 表E.1（本库归类，经 GB 2762 类别对应）"
        row["parent_codes"] = "|".join(parents)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference"))
