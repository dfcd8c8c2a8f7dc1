"""Check the library from outside: results that provincial bulletins of 2026 published as
non-compliant, judged again by lims.

Input: ``data/master.json`` of the public repository 5678Hub/jianyu (commit 3278f1e): 1,191
records of 山东/安徽/浙江/辽宁/重庆 sampling bulletins, each with the food, its 细类
(``大类-细类``) and the failed items ``{item, result, limit}`` as the bulletin printed them.
A development input, never read by lims at run time.  Each failed item is judged with
:func:`lims.limits.checking.check_result` (the one verdict path), the food being the
bulletin's food name, then its 细类, then its 大类.  A published non-compliant result should
come out 不符合; the script counts how many do, and lists the others with the bulletin's
limit beside ours.

    .venv/bin/python scripts/limits_bulletin_check.py [--file master.json] [--list] [--json]
        [--cases tests/limits/cases_bulletins_2026.csv]

``--cases`` writes the items judged 不符合 as table-driven cases (expected ``fail``, the
bulletin cited in ``note``) for tests/limits/test_limits_bulletins.py: a published
non-compliant result must stay 不符合 whatever the library becomes.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lims.limits.checking import check_result  # noqa: E402
from lims.limits.library import load_shipped_library  # noqa: E402

_PREFIX = re.compile(r"^(初检结果|复检结果)[:：]\s*")
_SUB = str.maketrans({"₁": "1", "₂": "2", "₃": "3", "⁻": "-", "（": "(", "）": ")", "μ": "µ"})


def failed_items(data: dict) -> list[dict]:
    """One entry per failed item: record id, foods (name, 细类, 大类), item, result, limit."""
    out = []
    for record in data["records"]:
        big, _, sub = (record.get("sub_category") or "").partition("-")
        sub = sub.split("-")[-1] if sub else ""
        foods = [f for f in (record.get("food_name_canonical"), sub, big) if f]
        for failed in record.get("failed_items", []):
            item = _PREFIX.sub("", failed["item"]).translate(_SUB).strip()
            result = failed["result"].translate(_SUB).strip()
            if not result or not item or item[0].isdigit():
                continue  # a row the bulletin parse broke (results split into items)
            limit = re.split(r"复检|\n", failed["limit"])[0].translate(_SUB).strip()
            if limit.startswith("n=") and re.fullmatch(r"[\d.×^⁰-⁹]+(/[\d.×^⁰-⁹]+){4}\D.*", result):
                result = result.replace("/", ";", 4)  # the five results of a plan
            out.append({
                "id": record.get("id", ""), "bulletin": f"{record.get('source')} {record.get('bulletin_no')}",
                "foods": foods, "item": item, "result": result, "limit": limit,
                "date": record.get("prod_date") or "",
            })  # fmt: skip
    return out


def judge(index, entry: dict, day: dt.date) -> tuple[str, str]:
    """(verdict, our limit or the reason) for one published failed item, judged on ``day``.

    The bulletins give the production date, not the sampling date; the items are judged on
    one day (default 2026-10-01, GB 2763-2026 and GB 2762-2025 in force) so that the
    comparison is of the limits, not of which edition was in force when the sample was
    taken (bulletins of January and February 2026 applied GB 2763-2021)."""
    try:
        outcome = check_result(index, entry["item"], entry["foods"], entry["result"], day)
        if outcome.declared_value_required and entry["limit"]:
            # a 明示值 limit: the bulletin's limit is the value the product declared
            outcome = check_result(
                index, entry["item"], entry["foods"], entry["result"], day,
                declared=entry["limit"].removeprefix("≤≤"),
            )  # fmt: skip
            entry["declared"] = entry["limit"]
    except Exception as exc:  # noqa: BLE001 - a result text the parser refuses is reported
        return "refused", str(exc)[:80]
    limit = (outcome.data.get("limit") or {}).get("text") if outcome.data.get("limit") else None
    return outcome.verdict, limit or outcome.data.get("reason", "")[:80]


def write_cases(path: Path, agreeing: list[dict], day: dt.date) -> None:
    """The published non-compliant items lims judges 不符合, in the columns of
    tests/limits/cases_2026.csv."""
    columns = ["id", "analyte", "food", "date", "result", "expected", "declared", "note"]
    seen: set[tuple[str, str, str]] = set()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        number = 0
        for entry in agreeing:
            key = (entry["item"], "|".join(entry["foods"]), entry["result"])
            if key in seen:
                continue
            seen.add(key)
            number += 1
            writer.writerow({
                "id": f"B{number:04d}", "analyte": entry["item"], "food": "|".join(entry["foods"]),
                "date": day.isoformat(), "result": entry["result"], "expected": "fail",
                "declared": entry.get("declared", ""),
                "note": f"{entry['bulletin']} 不合格（公告限量 {entry['limit'] or '未注明'}）；"
                        f"5678Hub/jianyu data/master.json {entry['id']}",
            })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="/tmp/master.json")
    parser.add_argument("--list", action="store_true", help="list every item not judged 不符合")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--date", default="2026-10-01")
    parser.add_argument("--cases", default=None, help="write the agreeing items as test cases")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    index = load_shipped_library()
    entries = failed_items(data)
    skipped = sum(len(r.get("failed_items", [])) for r in data["records"]) - len(entries)
    counts: collections.Counter[str] = collections.Counter()
    others = []
    agreeing = []
    for entry in entries:
        verdict, ours = judge(index, entry, day)
        counts[verdict] += 1
        if verdict != "fail":
            others.append({**entry, "verdict": verdict, "ours": ours})
        else:
            agreeing.append({**entry, "ours": ours})
    if args.cases:
        write_cases(Path(args.cases), agreeing, day)
    total = len(entries)
    if args.json:
        print(json.dumps({"total": total, "counts": counts, "others": others}, ensure_ascii=False, indent=1))
        return
    print(f"公告不合格项目 {total} 项（另有 {skipped} 行为公告解析残缺，未计），"
          f"lims 判为不符合 {counts['fail']} 项（{counts['fail'] / total:.1%}）")
    for verdict, n in counts.most_common():
        print(f"  {verdict}: {n}")
    if args.list:
        for o in others:
            print(f"{o['id']} {o['item']} @ {'|'.join(o['foods'])} = {o['result']}；公告限量 {o['limit']}；"
                  f"lims：{o['verdict']} {o['ours']}")


if __name__ == "__main__":
    main()
