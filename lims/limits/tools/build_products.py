"""Build the product-standard part of the library (scheme ``PRODUCT``).

Run by hand::

    .venv/bin/python -m lims.limits.tools.build_products

* ``PRODUCT`` scheme nodes in ``lims/limits/data/food_categories.csv``: one node per 大类 and
  per 细类 of the 2026 sampling rules (``lims/foods/data/rules_2026_categories.csv``), code
  ``PRODUCT:<rules code>``.  Product standards (GB 2717 酱油, GB 7099 糕点, GB 25190 灭菌乳…)
  are written for product types, which is what the rules' 细类 are.
* ``lims/limits/data/limits_products.csv`` from the hand-written ``rows_products.txt``
  (product standards' indicators, written from knowledge of the standards: ``verified=no``)
  and, for every rules item whose basis is the product's own standard (产品明示标准和质量要求,
  or only recommended GB/T, QB/T, SB/T, LS/T standards) and that no mandatory row covers,
  a declared-value row (``明示值``) under the standard ``产品明示标准和质量要求``.

``rows_products*.txt`` (every file, in name order): ``细类 codes (space separated; N = 大类 N)
| standard | clause | analyte | limit | unit | notes [| condition [| source]]``.  A plan is
written ``n=5,c=2,m=10,M=100``.  A row with a ``source`` (a secondary text that states the
value: a published copy of the table, a bulletin) is ``verified=secondary`` and cites it; a row
without one was written from knowledge (``verified=no``).  A line
``@standard CODE | title | in force from`` declares a standard the rows use.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
RULES = HERE.parent.parent / "foods" / "data"
DECLARED_STANDARD = "产品明示标准和质量要求"
LIMIT_COLUMNS = [
    "standard", "clause", "analyte", "expressed_as", "category", "category_text", "exclusions",
    "limit", "unit", "basis", "condition", "temporary", "notes", "effective_from",
    "effective_to", "source", "verified",
]  # fmt: skip


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def product_nodes(categories: list[dict[str, str]]) -> list[dict[str, str]]:
    top = [c for c in categories if c["level"] == "1"]
    leaves = [c for c in categories if c["level"] == "4"]
    leaf_names = {c["name_zh"] for c in leaves}
    by_code = {c["code"]: c for c in categories}

    def top_of(code: str) -> str:
        node = by_code[code]
        while node["parent_code"]:
            node = by_code[node["parent_code"]]
        return node["code"]

    nodes = [{
        "code": "PRODUCT:食品", "parent_codes": "", "scheme": "PRODUCT", "name_zh": "食品（产品标准）",
        "aliases": "", "source": "食品安全监督抽检实施细则（2026年版）", "verified": "yes",
    }]  # fmt: skip
    for c in top:
        name = c["name_zh"] if c["name_zh"] not in leaf_names else f"{c['name_zh']}（大类）"
        nodes.append({
            "code": f"PRODUCT:{c['code']}", "parent_codes": "PRODUCT:食品", "scheme": "PRODUCT",
            "name_zh": name, "aliases": "",
            "source": f"食品安全监督抽检实施细则（2026年版）大类 {c['code']}（rules_2026_categories.csv）",
            "verified": "yes",
        })  # fmt: skip
    for c in leaves:
        nodes.append({
            "code": f"PRODUCT:{c['code']}", "parent_codes": f"PRODUCT:{top_of(c['code'])}",
            "scheme": "PRODUCT", "name_zh": c["name_zh"], "aliases": "",
            "source": f"食品安全监督抽检实施细则（2026年版）细类 {c['code']} {c['table_id']}",
            "verified": "yes",
        })  # fmt: skip
    return nodes


def spec_files() -> list[Path]:
    return sorted(HERE.glob("rows_products*.txt"))


def spec_rows(names: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for path in spec_files():
        out += _spec_file_rows(path, names)
    return out


def _spec_file_rows(path: Path, names: dict[str, str]) -> list[dict[str, str]]:
    out = []
    where = f"lims/limits/tools/{path.name}"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if parts[0].startswith("@standard"):
            code = parts[0].removeprefix("@standard").strip()
            if len(parts) != 3 or not code or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[2]):
                raise SystemExit(f"{where} line {number}: @standard CODE | title | YYYY-MM-DD")
            STANDARDS[code] = (parts[1], parts[2])
            continue
        if len(parts) < 7:
            raise SystemExit(f"{where} line {number}: 至少 7 栏（细类|标准|条款|项目|限量|单位|备注）")
        # optional 8th field: the row's condition (适用于1~10岁人群…), shown with the limit;
        # optional 9th: the secondary text that states the value
        codes, standard, clause, analyte, limit, unit, notes = parts[:7]
        condition = parts[7] if len(parts) > 7 else ""
        cited = parts[8] if len(parts) > 8 else ""
        expressed = ""
        m = re.search(r"\((以[^)]*计)\)$", analyte)
        if m:
            expressed = m.group(1)
            analyte = analyte[: m.start()]
        for code in codes.split():
            # a bare rules code is a PRODUCT node; a code with ":" is a node of the standard's
            # own scheme (GB 29921 is mapped on the GB 2762 tree), checked by the loader
            node = code if ":" in code else f"PRODUCT:{code}"
            if ":" not in code and node not in names:
                raise SystemExit(f"{where} line {number}: 细类 {code} 不存在")
            out.append({
                "standard": standard, "clause": clause, "analyte": analyte,
                "expressed_as": expressed, "category": node,
                "category_text": names.get(node, node.split(":", 1)[1]),
                "exclusions": "", "limit": limit, "unit": unit, "basis": "as_is",
                "condition": condition, "temporary": "no", "notes": notes,
                "effective_from": "", "effective_to": "",
                "source": f"{standard} {clause}（{cited}；{where} line {number}）" if cited
                else f"{standard} {clause}（凭对标准的了解录入；{where} line {number}）",
                "verified": "secondary" if cited else "no",
            })  # fmt: skip
    return out


def declared_rows(
    items: list[dict[str, str]], names: dict[str, str], covered: set[tuple[str, str]]
) -> list[dict[str, str]]:
    out = []
    seen: set[tuple[str, str]] = set()
    for it in items:
        basis = [b.strip() for b in it["basis_standards"].split("|") if b.strip()]
        # only where the rules' basis column sends the lab to the product's own standard or
        # label (a table note such as 表3-7 "限产品明示标准和质量要求有限量规定时检测" is not
        # enough: the item is then judged by the cited GB standard)
        if not any("明示" in b or "企业标准" in b or "标签" in b for b in basis):
            continue
        key = (it["subcategory_code"], it["analyte_key"])
        if key in covered or key in seen:
            continue
        seen.add(key)
        node = f"PRODUCT:{it['subcategory_code']}"
        out.append({
            "standard": DECLARED_STANDARD, "clause": "产品明示标准", "analyte": it["analyte_key"],
            "expressed_as": it["expressed_as"], "category": node, "category_text": names[node],
            "exclusions": "", "limit": "明示值", "unit": "", "basis": "as_is", "condition": "",
            "temporary": "no",
            "notes": "按产品明示的执行标准或标签/质量要求判定；依据：" + "、".join(basis),
            "effective_from": "", "effective_to": "",
            "source": f"食品安全监督抽检实施细则（2026年版）{it['table_id']} 第{it['seq']}项 依据 "
                      + "、".join(basis) + "（rules_2026_items.csv）",
            "verified": "secondary",  # the rules table is a secondary parse
        })  # fmt: skip
    return out


# code -> (title, in force from); written from knowledge of the standards (verified=no)
STANDARDS = {
    "GB 2716-2018": ("食品安全国家标准 植物油", "2019-06-21"),
    "GB 10146-2015": ("食品安全国家标准 食用动物油脂", "2016-12-23"),
    "GB 15196-2015": ("食品安全国家标准 食用油脂制品", "2016-11-13"),
    "GB 2717-2018": ("食品安全国家标准 酱油", "2019-12-21"),
    "GB 2719-2018": ("食品安全国家标准 食醋", "2019-12-21"),
    "GB 2718-2014": ("食品安全国家标准 酿造酱", "2016-01-28"),
    "GB 10133-2014": ("食品安全国家标准 水产调味品", "2015-05-24"),
    "GB 2721-2015": ("食品安全国家标准 食用盐", "2016-09-22"),
    "GB 26878-2011": ("食品安全国家标准 食用盐碘含量", "2012-03-15"),
    "GB 2730-2015": ("食品安全国家标准 腌腊肉制品", "2016-09-22"),
    "GB 2707-2016": ("食品安全国家标准 鲜(冻)畜、禽产品", "2017-06-23"),
    "GB 18394-2020": ("畜禽肉水分限量", "2021-05-01"),
    "GB 25190-2010": ("食品安全国家标准 灭菌乳", "2010-12-01"),
    "GB 19645-2010": ("食品安全国家标准 巴氏杀菌乳", "2010-12-01"),
    "GB 25191-2010": ("食品安全国家标准 调制乳", "2010-12-01"),
    "GB 19302-2010": ("食品安全国家标准 发酵乳", "2010-12-01"),
    "GB 19646-2010": ("食品安全国家标准 稀奶油、奶油和无水奶油", "2010-12-01"),
    "GB 5420-2021": ("食品安全国家标准 干酪", "2022-02-22"),
    "GB 8537-2018": ("食品安全国家标准 饮用天然矿泉水", "2019-10-01"),
    "GB 19298-2014": ("食品安全国家标准 包装饮用水", "2015-05-24"),
    "GB 7101-2022": ("食品安全国家标准 饮料", "2023-06-30"),
    "GB 17400-2015": ("食品安全国家标准 方便面", "2016-11-13"),
    "GB 7099-2015": ("食品安全国家标准 糕点、面包", "2016-09-22"),
    "GB/T 15037-2006": ("葡萄酒", "2008-01-01"),
    "GB 17399-2016": ("食品安全国家标准 糖果", "2017-06-23"),
    "GB 19299-2015": ("食品安全国家标准 果冻", "2016-11-13"),
    "GB 10767-2021": ("食品安全国家标准 幼儿配方食品", "2023-02-22"),
    "GB 11674-2010": ("食品安全国家标准 乳清粉和乳清蛋白粉", "2010-12-01"),
    "GB 25596-2010": ("食品安全国家标准 特殊医学用途婴儿配方食品通则", "2012-01-01"),
    "GB 7100-2015": ("食品安全国家标准 饼干", "2016-09-22"),
    "GB 2714-2015": ("食品安全国家标准 酱腌菜", "2016-11-13"),
    "GB 2712-2014": ("食品安全国家标准 豆制品", "2015-11-13"),
    "GB 29922-2013": ("食品安全国家标准 特殊医学用途配方食品通则", "2014-07-01"),
    "GB 31601-2015": ("食品安全国家标准 孕妇及乳母营养补充食品", "2016-09-22"),
    "GB 7098-2015": ("食品安全国家标准 罐头食品", "2016-11-13"),
    "GB 2759-2015": ("食品安全国家标准 冷冻饮品和制作料", "2016-11-13"),
    "GB 19640-2016": ("食品安全国家标准 冲调谷物制品", "2017-06-23"),
    "GB 13102-2022": ("食品安全国家标准 浓缩乳制品", "2023-06-30"),
    "GB 19295-2021": ("食品安全国家标准 速冻面米与调制食品", "2022-02-22"),
    "GB 17401-2014": ("食品安全国家标准 膨化食品", "2015-05-24"),
    "GB 2757-2012": ("食品安全国家标准 蒸馏酒及其配制酒", "2013-02-01"),
    "GB 2758-2012": ("食品安全国家标准 发酵酒及其配制酒", "2013-02-01"),
    "GB 4927-2008": ("啤酒", "2009-10-01"),
    "GB 2749-2015": ("食品安全国家标准 蛋与蛋制品", "2017-06-23"),
    "GB 13104-2014": ("食品安全国家标准 食糖", "2015-05-24"),
    "GB 14963-2011": ("食品安全国家标准 蜂蜜", "2011-10-20"),
    "GB 19300-2014": ("食品安全国家标准 坚果与籽类食品", "2015-05-24"),
    "GB 2733-2015": ("食品安全国家标准 鲜、冻动物性水产品", "2016-11-13"),
    "GB 14934-2016": ("食品安全国家标准 消毒餐(饮)具", "2017-06-19"),
    "卫生部公告〔2011〕4号": (
        "卫生部等7部门关于撤销食品添加剂过氧化苯甲酰、过氧化钙的公告",
        "2011-05-01",
    ),
    "食品整治办〔2008〕3号": (
        "食品中可能违法添加的非食用物质和易滥用的食品添加剂品种名单(第二批)",
        "2008-12-15",
    ),
    "食品整治办〔2009〕5号": (
        "食品中可能违法添加的非食用物质和易滥用的食品添加剂品种名单(第三批)",
        "2009-02-04",
    ),
    "国家食品药品监督管理总局 农业部 国家卫生和计划生育委员会公告2015年第11号": (
        "关于豆芽生产过程中禁止使用6-苄基腺嘌呤等物质的公告",
        "2015-04-13",
    ),
    "市场监管总局 国家卫生健康委公告2025年第24号": (
        "食品中不得添加的物质（西地那非等）",
        "2025-01-01",
    ),
    DECLARED_STANDARD: (
        "产品明示的执行标准、标签明示值和质量要求（按产品自身标准判定）",
        "2000-01-01",
    ),
}


def add_standards(used: set[str]) -> None:
    path = DATA / "standards.csv"
    records = _read(path)
    fields = list(records[0])
    have = {r["code"] for r in records}
    for code in sorted(used - have):
        title, since = STANDARDS[code]
        family, _, edition = code.rpartition("-") if re.search(r"-\d{4}$", code) else (code, "", "")
        records.append({
            "code": code, "family": family or code, "edition": edition, "title": title,
            "effective_from": since, "effective_to": "", "replaced_by": "", "comparison": "full",
            "scheme": "PRODUCT", "base_edition": "",
            "notes": "产品标准：食品类别为抽检细则的细类（PRODUCT 分类）；数值凭对标准的了解录入，待核"
            if code != DECLARED_STANDARD else "按产品明示标准/标签明示值判定，需在收样时记录明示值",
            "source": code, "verified": "no" if code != DECLARED_STANDARD else "secondary",
        })  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def build() -> None:
    categories = _read(RULES / "rules_2026_categories.csv")
    items = _read(RULES / "rules_2026_items.csv")
    nodes = product_nodes(categories)
    names = {n["code"]: n["name_zh"] for n in nodes}
    rows = spec_rows(names)
    from lims.foods.analytes import analyte_key

    covered = {
        (r["category"].split(":", 1)[1], analyte_key(r["analyte"]))
        for r in rows
        if r["category"].startswith("PRODUCT:")
    }
    rows += declared_rows(items, names, covered)
    path = DATA / "food_categories.csv"
    records = _read(path)
    fields = list(records[0])
    kept = [r for r in records if r["scheme"] != "PRODUCT"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        writer.writerows(nodes)
    with (DATA / "limits_products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LIMIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    add_standards({r["standard"] for r in rows})
    declared = sum(r["limit"] == "明示值" for r in rows)
    print(f"PRODUCT nodes: {len(nodes)}; limits_products.csv: {len(rows)} rows ({declared} 明示值)")


if __name__ == "__main__":
    build()
