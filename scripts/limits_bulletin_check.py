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
"""

from __future__ import annotations

import argparse
import collections
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
            limit = re.split(r"复检|\n", failed["limit"])[0].translate(_SUB).strip()
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
    except Exception as exc:  # noqa: BLE001 - a result text the parser refuses is reported
        return "refused", str(exc)[:80]
    limit = (outcome.data.get("limit") or {}).get("text") if outcome.data.get("limit") else None
    return outcome.verdict, limit or outcome.data.get("reason", "")[:80]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="/tmp/master.json")
    parser.add_argument("--list", action="store_true", help="list every item not judged 不符合")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--date", default="2026-10-01")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    index = load_shipped_library()
    entries = failed_items(data)
    counts: collections.Counter[str] = collections.Counter()
    others = []
    for entry in entries:
        verdict, ours = judge(index, entry, day)
        counts[verdict] += 1
        if verdict != "fail":
            others.append({**entry, "verdict": verdict, "ours": ours})
    total = len(entries)
    if args.json:
        print(json.dumps({"total": total, "counts": counts, "others": others}, ensure_ascii=False, indent=1))
        return
    print(f"公告不合格项目 {total} 项，lims 判为不符合 {counts['fail']} 项（{counts['fail'] / total:.1%}）")
    for verdict, n in counts.most_common():
        print(f"  {verdict}: {n}")
    if args.list:
        for o in others:
            print(f"{o['id']} {o['item']} @ {'|'.join(o['foods'])} = {o['result']}；公告限量 {o['limit']}；"
                  f"lims：{o['verdict']} {o['ours']}")


if __name__ == "__main__":
    main()
