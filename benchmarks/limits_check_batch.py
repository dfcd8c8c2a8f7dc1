"""Benchmark: ``lims limits check --batch`` — judging many results through ``check_result``.

The rows are the sampling rules' own items (each with its 细类 name, then the names above
it, as the food), with results drawn at random (mg/kg, µg/kg, 未检出, group items with one
text for every member), so lookups cover the positive list, group items and misses.
Two figures:

* in-process: ``check_result`` per row (THE verdict function, the one the worksheet and
  ``check --batch`` call), rows/s;
* end to end: ``lims limits check --batch FILE --json`` as a subprocess (start-up, library
  load and JSON Lines output included), rows/s.

Run: ``.venv/bin/python benchmarks/limits_check_batch.py [N]`` (default N = 20,000).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lims.limits.checking import check_result  # noqa: E402
from lims.limits.coverage import rules_queries  # noqa: E402
from lims.limits.library import load_shipped_library  # noqa: E402

DAY = dt.date(2026, 10, 15)


def make_rows(n: int, seed: int = 20261202) -> list[tuple[str, str, str]]:
    rnd = random.Random(seed)
    queries = rules_queries()
    rows = []
    for _ in range(n):
        query = rnd.choice(queries)
        kind = rnd.random()
        if kind < 0.25:
            result = "未检出"
        elif kind < 0.6:
            result = f"{rnd.randint(1, 999) / 1000:.3f}mg/kg"
        else:
            result = f"{rnd.randint(1, 900)}µg/kg"
        rows.append((query.item, "|".join(query.foods), result))
    return rows


def in_process(rows: list[tuple[str, str, str]]) -> tuple[float, Counter]:
    index = load_shipped_library()
    verdicts: Counter = Counter()
    started = time.perf_counter()
    for item, food, result in rows:
        try:
            verdicts[check_result(index, item, food, result, DAY).verdict] += 1
        except ValueError:
            verdicts["error"] += 1
    return time.perf_counter() - started, verdicts


def end_to_end(rows: list[tuple[str, str, str]]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["item", "food", "result", "date"])
            writer.writerows([(i, f, r, DAY.isoformat()) for i, f, r in rows])
        lims = str(Path(sys.executable).with_name("lims"))
        env = {**os.environ, "LIMS_INSTANCE_PATH": tmp, "LIMS_DATABASE_URL": f"sqlite:///{tmp}/x.db"}
        started = time.perf_counter()
        done = subprocess.run([lims, "limits", "check", "--batch", str(path), "--json"],
                              capture_output=True, text=True, env=env, cwd=ROOT)  # fmt: skip
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        return elapsed, len(done.stdout.splitlines())


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rows = make_rows(n)
    started = time.perf_counter()
    load_shipped_library()
    print(f"library load: {time.perf_counter() - started:.2f} s")
    seconds, verdicts = in_process(rows)
    print(f"check_result in process: {n:,} rows in {seconds:.2f} s = {n / seconds:,.0f} rows/s")
    print("verdicts: " + ", ".join(f"{k}={v:,}" for k, v in sorted(verdicts.items())))
    e2e_n = min(n, 5_000)
    seconds, lines = end_to_end(rows[:e2e_n])
    assert lines == e2e_n, (lines, e2e_n)
    print(f"lims limits check --batch --json: {e2e_n:,} rows in {seconds:.2f} s "
          f"= {e2e_n / seconds:,.0f} rows/s (start-up and library load included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
