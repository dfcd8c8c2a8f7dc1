"""A job that only reports progress: ``lims`` operators use it to check that a worker runs
(``enqueue("lims.core.jobs_demo.count_to", 3)``), and the job tests use it."""

from __future__ import annotations

from lims.core.jobs import set_progress


def count_to(n: int) -> int:
    for i in range(1, n + 1):
        set_progress(i, n, f"{i}/{n}")
    return n
