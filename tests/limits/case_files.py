"""The table-driven case files of tests/limits (cases.csv, cases_2026.csv,
cases_bulletins_2026.csv): one reader for all of them."""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent


def load_cases(name: str) -> list[dict[str, str]]:
    """The rows of ``tests/limits/<name>`` as dicts keyed by its header."""
    with (HERE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
