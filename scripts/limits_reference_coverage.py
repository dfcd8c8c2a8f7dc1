"""Acceptance figure of issue 13: ``lookup`` on every test-item row of the 2026 rules.

Reads ../shared/reference/gb_checklist_subcat.json (a development input, never read by
lims at run time): 38 大类, 254 tables, 1,916 item rows.  Each row is looked up with the
table's 细类 name as the food, then its 大类 (``细类|大类``), through the same function as
``lims limits lookup --batch`` (:func:`lims.limits.lookup.lookup_item`), on the shipped
library.  Prints found/total, by basis standard (the rules' 依据 column), and the misses.

    .venv/bin/python scripts/limits_reference_coverage.py [--misses] [--json]
        [--csv batch.csv]   # also write the batch file: lims limits lookup --batch batch.csv --json
        [--date 2026-10-01] [--reference DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lims.foods.derive.build_rules_2026 import clean_name  # noqa: E402
from lims.limits.coverage import CoverageQuery, measure  # noqa: E402
from lims.limits.library import load_shipped_library  # noqa: E402


def _rules_basis() -> dict[tuple[str, str], str]:
    """(table, 序号) -> basis standards, from the rules as lims ships them (repaired)."""
    path = ROOT / "lims" / "foods" / "data" / "rules_2026_items.csv"
    with path.open(encoding="utf-8") as handle:
        return {(r["table_id"], r["seq"]): r["basis_standards"].replace("|", "、")
                for r in csv.DictReader(handle)}


def _food(name: str) -> str:
    """A 细类 name without the footnote letter some tables carry (熏烧烤肉类（自制）a)."""
    try:
        return clean_name(name)[0]
    except ValueError:
        return name.strip()


def _renamed() -> dict[tuple[str, str], str]:
    """Item names misread by OCR, as lims/foods/data/rules_2026_corrections.csv repairs
    them: (table, 序号) -> name.  (Rows under the wrong heading need nothing here: each
    row is looked up under the 细类 rules_2026_items.csv ships it in.)"""
    names: dict[tuple[str, str], str] = {}
    path = ROOT / "lims" / "foods" / "data" / "rules_2026_corrections.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["field"] == "name" and "#" in row["target"]:
                table = row["target"].split("|")[0]
                names[(table, row["target"].rsplit("#", 1)[1])] = row["new"]
    return names


def _shipped_placement() -> dict[tuple[str, int, int], str]:
    """(大类, table index, item index) of each source row -> the 细类 lims ships it under
    (rules_2026_items.csv, after the repairs D9 page-break continuations and D12 moved
    headings of lims/foods/derive/build_rules_2026.py)."""
    names = {}
    with (ROOT / "lims" / "foods" / "data" / "rules_2026_categories.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            names[r["code"]] = r["name_zh"]
    out = {}
    where = re.compile(r"\$\.categories\['([^']+)'\]\[(\d+)\]\.items\[(\d+)\]")
    with (ROOT / "lims" / "foods" / "data" / "rules_2026_items.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for big, table, item in where.findall(r["source"]):
                out[(big, int(table), int(item))] = names[r["subcategory_code"]]
    return out


def reference_queries(reference: Path) -> list[CoverageQuery]:
    """The 1,916 rows.  Two tables of the source (表24-3 粽子, 表27-1 保健食品, 39 rows) have
    their columns shifted one to the right (item in the basis column): those rows are
    read shifted back, their basis taken from lims/foods/data/rules_2026_items.csv.  The
    repairs of rules_2026_corrections.csv (an OCR-misread name, the shifted headings of
    chapters 5 and 21) are applied, and each row is looked up under the 细类 lims ships it
    in (rules_2026_items.csv: rows a page break attributed to the next heading are moved
    back, D9); 细类 names lose their footnote letters."""
    data = json.loads((reference / "gb_checklist_subcat.json").read_text(encoding="utf-8"))
    known = _rules_basis()
    renamed = _renamed()
    shipped = _shipped_placement()
    out = []
    for big, tables in data["categories"].items():
        for t_index, table in enumerate(tables):
            for i_index, row in enumerate(table["items"]):
                raw = (row.get("检验项目") or "").strip()
                basis = (row.get("依据法律法规或标准") or "").strip()
                if not raw or raw == "所有样品":  # shifted row
                    raw = basis
                    basis = known.get((table["table_no"], str(row.get("序号"))), "")
                raw = renamed.get((table["table_no"], str(row.get("序号"))), raw)
                try:
                    item = clean_name(raw)[0]
                except ValueError:
                    item = raw
                food = _food(shipped.get((big, t_index, i_index), table["name"]))
                out.append(
                    CoverageQuery(
                        item=item,
                        foods=tuple(dict.fromkeys((food, big.strip()))),
                        basis=basis,
                        where=f"{table['table_no']}#{row.get('序号')}",
                    )
                )
    return out


def declared_where_not_cited(report_misses: list, queries: list[CoverageQuery], index, on) -> list:
    """Rows whose lookup asks for a declared value although the rules do not cite the
    product's own standard or label (should be none)."""
    from lims.limits.lookup import lookup_item

    out = []
    for q in queries:
        # GB 26878 (食用盐碘含量) judges iodine against the level the salt declares
        # (the province's 平均水平 20/25/30 mg/kg, ±30%): a declared value by the standard.
        if any(w in q.basis for w in ("明示", "标签", "企业标准", "产品技术要求", "GB 26878")):
            continue
        if lookup_item(index, q.item, q.foods, on).declared_value_required:
            out.append(f"{q.where} {q.item} @ {'|'.join(q.foods)} ({q.basis})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(ROOT.parent / "shared" / "reference"))
    parser.add_argument("--date", default="2026-10-01")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", default=None, help="write the item,food,date batch file")
    args = parser.parse_args()
    reference = Path(args.reference)
    if not reference.exists():
        reference = Path("/work/shared/reference")
    queries = reference_queries(reference)
    on = dt.date.fromisoformat(args.date)
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["item", "food", "date"])
            for q in queries:
                writer.writerow([q.item, "|".join(q.foods), on.isoformat()])
    index = load_shipped_library()
    report = measure(index, queries, on)
    unexpected = declared_where_not_cited(report.misses, queries, index, on)
    if args.json:
        data = report.to_dict()
        data["declared_where_rules_do_not_cite_it"] = unexpected
        if not args.misses:
            data.pop("misses")
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines(args.misses)))
        print(f"需明示值但细则未引用产品明示标准或标签的行：{len(unexpected)}")
        for line in unexpected:
            print(f"  {line}")


if __name__ == "__main__":
    main()
