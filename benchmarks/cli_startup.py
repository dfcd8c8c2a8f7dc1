"""Benchmark: start-up time of the ``lims`` command, as a ratio to ``import flask``.

The console script must not import the application (WeasyPrint, pyHanko, models) to
print its help or to judge one result.  Each command is run REPEAT times in a fresh
process; the median wall time is compared with ``python -c "import flask"`` on the same
machine (the floor: the ``lims`` command is a Flask CLI group).

Run: ``.venv/bin/python benchmarks/cli_startup.py``.
Target: ``lims --help`` and ``lims limits judge …`` under 1 s each.  Wall time and the
child's CPU time (user + system) are both printed: on a loaded machine the wall time
mostly measures waiting for a core, the CPU time what the command costs.
"""

from __future__ import annotations

import os
import resource
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


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=os.environ)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    for argv in COMMANDS.values():  # warm the file cache
        timed(argv)
    wall, cpu = {}, {}
    for name, argv in COMMANDS.items():
        runs = [timed(argv) for _ in range(REPEAT)]
        wall[name] = statistics.median(r[0] for r in runs)
        cpu[name] = statistics.median(r[1] for r in runs)
    base_wall, base_cpu = wall['python -c "import flask"'], cpu['python -c "import flask"']
    print(f"{'command':32s} {'wall':>8s} {'ratio':>6s} {'cpu':>8s} {'ratio':>6s}")
    for name in COMMANDS:
        print(f"{name:32s} {wall[name]:7.3f}s {wall[name] / base_wall:6.2f} "
              f"{cpu[name]:7.3f}s {cpu[name] / base_cpu:6.2f}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall time waits for the CPU under load; CPU time does not)")
    slow = [n for n in ("lims --help", "lims limits judge") if min(wall[n], cpu[n]) >= 1.0]
    print("target (< 1 s): " + ("met" if not slow else "NOT met for " + ", ".join(slow)))
    return 0 if not slow else 1


if __name__ == "__main__":
    raise SystemExit(main())
