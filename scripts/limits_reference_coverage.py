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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lims.foods.derive.build_rules_2026 import clean_name  # noqa: E402
from lims.limits.coverage import CoverageQuery, measure  # noqa: E402
from lims.limits.library import load_shipped_library  # noqa: E402


def reference_queries(reference: Path) -> list[CoverageQuery]:
    data = json.loads((reference / "gb_checklist_subcat.json").read_text(encoding="utf-8"))
    out = []
    for big, tables in data["categories"].items():
        for table in tables:
            for row in table["items"]:
                raw = row["检验项目"]
                try:
                    item = clean_name(raw)[0]
                except ValueError:
                    item = raw.strip()
                out.append(
                    CoverageQuery(
                        item=item,
                        foods=tuple(dict.fromkeys((table["name"].strip(), big.strip()))),
                        basis=row.get("依据法律法规或标准") or "",
                        where=f"{table['table_no']}#{row.get('序号')}",
                    )
                )
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
    report = measure(load_shipped_library(), queries, on)
    if args.json:
        data = report.to_dict()
        if not args.misses:
            data.pop("misses")
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines(args.misses)))


if __name__ == "__main__":
    main()
