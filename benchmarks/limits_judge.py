"""Benchmark: batch judgement of 100,000 results against the limit library.

Mixed units (mg/kg, µg/kg, g/kg, ND, "<LOQ"), mixed foods and test items, lookups
included.  Compares ``lims.limits.checking.check_many`` with a naive loop that builds a
pint Quantity per result and converts it to the limit's unit.

Run: ``.venv/bin/python benchmarks/limits_judge.py`` (about half a minute).
Targets: >= 50,000 results/s on one core, and >= 10x the naive loop.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lims.limits.checking import check_many  # noqa: E402
from lims.limits.library import LimitMatch, load_shipped_library  # noqa: E402
from lims.limits.units import ureg  # noqa: E402

N = 100_000
NAIVE_N = 10_000  # the naive loop is slow; its rate is measured on a sample
FOODS = [
    "菠菜", "大白菜", "芹菜", "韭菜", "黄瓜", "番茄", "豇豆", "苹果", "梨", "葡萄", "柑",
    "大米", "小麦粉", "玉米", "猪肉", "牛肉", "猪肝", "鸡肉", "鸡蛋", "草鱼", "对虾",
    "大豆油", "花生油", "酱腌菜", "酱卤肉制品",
]  # fmt: skip
ITEMS = [
    "铅(以Pb计)", "镉(以Cd计)", "总汞(以Hg计)", "总砷(以As计)", "铬(以Cr计)", "毒死蜱",
    "氧乐果", "克百威", "吡虫啉", "啶虫脒", "恩诺沙星", "氯霉素", "黄曲霉毒素B1",
]  # fmt: skip


def make_batch(n: int, seed: int = 20260901) -> list[tuple[str, str, dt.date, str]]:
    rnd = random.Random(seed)
    day = dt.date(2026, 10, 15)
    batch = []
    for _ in range(n):
        kind = rnd.random()
        if kind < 0.05:
            result = "未检出"
        elif kind < 0.10:
            result = "<0.01mg/kg"
        elif kind < 0.45:
            result = f"{rnd.randint(1, 999) / 1000:.3f}mg/kg"
        elif kind < 0.85:
            result = f"{rnd.randint(1, 900)}µg/kg"
        else:
            result = f"0.000{rnd.randint(10, 99)}g/kg"
        batch.append((rnd.choice(ITEMS), rnd.choice(FOODS), day, result))
    return batch


_NUMBER_UNIT = re.compile(r"^([<≤]?)([0-9.]+)\s*(.+)$")


def naive(batch: list[tuple[str, str, dt.date, str]], index) -> list[str]:  # noqa: ANN001
    """The loop this engine replaces: a pint Quantity per result."""
    out = []
    for item, food, day, result in batch:
        match = index.lookup(item, food, day)
        if not isinstance(match, LimitMatch) or match.spec.kind != "max":
            out.append("skip")
            continue
        found = _NUMBER_UNIT.match(result.replace("µ", "u"))
        if not found:
            out.append("pass")
            continue
        spec = match.spec
        quantity = ureg.Quantity(Decimal(found.group(2)), found.group(3).replace("µ", "u"))
        value = quantity.to(spec.unit.expression).magnitude
        out.append("pass" if value <= spec.value else "fail")
    return out


def main() -> int:
    started = time.perf_counter()
    index = load_shipped_library()
    loaded = time.perf_counter() - started
    batch = make_batch(N)

    t0 = time.perf_counter()
    results = check_many(index, batch)
    engine_s = time.perf_counter() - t0
    engine_rate = N / engine_s

    sample = batch[:NAIVE_N]
    t0 = time.perf_counter()
    naive(sample, index)
    naive_s = time.perf_counter() - t0
    naive_rate = NAIVE_N / naive_s

    verdicts: dict[str, int] = {}
    for outcome in results:
        key = getattr(outcome, "verdict", None) or (
            "no_limit" if type(outcome).__name__ == "NoLimit" else "error"
        )
        verdicts[key] = verdicts.get(key, 0) + 1

    print(f"library load: {loaded:.2f} s ({len(index.graph.nodes)} categories)")
    print(f"batch judgement: {N:,} results in {engine_s:.2f} s = {engine_rate:,.0f} results/s")
    print(f"naive pint loop: {NAIVE_N:,} results in {naive_s:.2f} s = {naive_rate:,.0f} results/s")
    print(f"ratio engine/naive: {engine_rate / naive_rate:.1f}x")
    print("verdicts: " + ", ".join(f"{k}={v:,}" for k, v in sorted(verdicts.items())))
    ok = engine_rate >= 50_000 and engine_rate / naive_rate >= 10
    print("targets (>=50,000/s, >=10x): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
