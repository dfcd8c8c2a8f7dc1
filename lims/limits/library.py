"""The limit library, as one import for callers: records, category graph, index, loading.

The code lives in its own modules with one direction of imports:
:mod:`.records` (standards, rows, categories) <- :mod:`.categories` (the graph) <-
:mod:`.index` (lookup) <- :mod:`.rows_io` (reading and validating files) <-
:mod:`.loading` (the shipped library).  This module only re-exports them.
"""

from __future__ import annotations

from .categories import CategoryGraph
from .index import POSITIVE_LIST_FAMILIES, LimitIndex, LimitMatch, NoLimit, weakest_status
from .loading import DATA_DIR, SHIPPED_LIMIT_FILES, limit_files, load_library, load_shipped_library
from .records import (
    Additive,
    Analyte,
    FoodCategory,
    GroupMember,
    LibraryError,
    LimitRow,
    Placement,
    ResidueComponent,
    Standard,
    expressed_as_factor,
    normalise_expressed_as,
)

__all__ = [
    "Standard",
    "LimitRow",
    "FoodCategory",
    "Analyte",
    "Placement",
    "Additive",
    "GroupMember",
    "ResidueComponent",
    "CategoryGraph",
    "LimitMatch",
    "NoLimit",
    "LimitIndex",
    "LibraryError",
    "POSITIVE_LIST_FAMILIES",
    "weakest_status",
    "load_shipped_library",
    "load_library",
    "limit_files",
    "normalise_expressed_as",
    "expressed_as_factor",
    "DATA_DIR",
    "SHIPPED_LIMIT_FILES",
]
