"""Benchmark: start-up time of the ``lims`` command, as a ratio to ``import flask``.

The console script must not import the application (WeasyPrint, pyHanko, models) to
print its help or to judge one result.  Each command is run REPEAT times in a fresh
process; the median wall time is compared with ``python -c "import flask"`` on the same
machine (the floor: the ``lims`` command is a Flask CLI group).

Run: ``.venv/bin/python benchmarks/cli_startup.py``.
Target: ``lims --help`` and ``lims limits judge …`` under 1 s each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 7
PYTHON = sys.executable
LIMS = str(Path(PYTHON).with_name("lims"))

COMMANDS = {
    'python -c "import flask"': [PYTHON, "-c", "import flask"],
    "lims --help": [LIMS, "--help"],
    "lims limits --help": [LIMS, "limits", "--help"],
    "lims limits judge": [LIMS, "limits", "judge", "--result", "0.12mg/kg", "--limit", "≤0.1mg/kg"],
    "lims limits judge --json": [
        LIMS, "limits", "judge", "--result", "287µg/kg", "--limit", "≤0.5mg/kg", "--json",
    ],
}  # fmt: skip


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=os.environ)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return elapsed


def main() -> int:
    for argv in COMMANDS.values():  # warm the file cache (and pint's definition cache)
        timed(argv)
    medians = {}
    for name, argv in COMMANDS.items():
        medians[name] = statistics.median(timed(argv) for _ in range(REPEAT))
    base = medians['python -c "import flask"']
    for name, seconds in medians.items():
        print(f"{name:32s} {seconds:6.3f} s   ratio {seconds / base:4.2f}")
    slow = [n for n in ("lims --help", "lims limits judge") if medians[n] >= 1.0]
    print("target (< 1 s): " + ("met" if not slow else "NOT met for " + ", ".join(slow)))
    return 0 if not slow else 1


if __name__ == "__main__":
    raise SystemExit(main())
