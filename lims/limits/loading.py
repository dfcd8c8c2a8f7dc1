"""Loading the library from its CSV files (the shipped one, or a directory).

Every ``limits_*.csv`` file of the directory is loaded (known files first, in a fixed
order, then any other in name order), with the side files: ``gb2760_additives.csv``
(functions for the GB 2760 A.4 sum of proportions), ``groups.csv`` (items that group
analytes), ``residue_definitions.csv`` (residues that are sums of components) and the
placement of the sampling rules' 细类 in each category scheme
(``lims/foods/data/subcat_placement.csv``).

Imports go one way: records <- categories <- index <- rows_io <- loading.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from .index import LimitIndex
from .records import LibraryError, LimitRow
from .rows_io import (
    ImportRefused,
    load_additives,
    load_analytes,
    load_categories,
    load_groups,
    load_limit_rows,
    load_placements,
    load_residues,
    load_standards,
)

__all__ = [
    "DATA_DIR",
    "PLACEMENT_FILE",
    "SHIPPED_LIMIT_FILES",
    "limit_files",
    "load_library",
    "load_shipped_library",
    "shipped_placement_path",
]

DATA_DIR = "data"
PLACEMENT_FILE = "subcat_placement.csv"
# Known files, in the order their rows were always loaded; any other limits_*.csv follows.
SHIPPED_LIMIT_FILES = (
    "limits_gb2762_2025.csv",
    "limits_gb2762_2022.csv",
    "limits_gb2763_2026.csv",
    "limits_gb31650.csv",
    "limits_banned.csv",
    "limits_gb2761.csv",
    "limits_gb2760.csv",
    "limits_gb29921.csv",
)


def limit_files(directory: Path | str) -> list[Path]:
    """The limit-row files of ``directory``: the known ones first, then the others."""
    base = Path(directory)
    known = [base / name for name in SHIPPED_LIMIT_FILES if (base / name).exists()]
    others = sorted(p for p in base.glob("limits_*.csv") if p.name not in SHIPPED_LIMIT_FILES)
    return [*known, *others]


def load_library(directory: Path | str, placement_path: Path | str | None = None) -> LimitIndex:
    """Build an index from a directory holding the library CSV files."""
    base = Path(directory)
    standards = load_standards(base / "standards.csv")
    categories = load_categories(base / "food_categories.csv")
    analytes = load_analytes(base / "analytes.csv")
    rows: list[LimitRow] = []
    for path in limit_files(base):
        try:
            rows.extend(load_limit_rows(path))
        except ImportRefused as exc:
            raise LibraryError(f"{path.name}：{exc}") from None
    placements = load_placements(placement_path) if placement_path else []
    return LimitIndex(
        standards, rows, categories, analytes,
        placements=placements,
        additives=load_additives(base / "gb2760_additives.csv"),
        groups=load_groups(base / "groups.csv"),
        residues=load_residues(base / "residue_definitions.csv"),
    )  # fmt: skip


def shipped_placement_path() -> Path:
    """Where the placement of the rules' 细类 is shipped (the foods package's data)."""
    return Path(str(resources.files("lims.foods").joinpath("data", PLACEMENT_FILE)))


@cache
def load_shipped_library() -> LimitIndex:
    """The library shipped with the package (built once per process)."""
    root = resources.files("lims.limits").joinpath(DATA_DIR)
    with resources.as_file(root) as path:
        return load_library(path, shipped_placement_path())
