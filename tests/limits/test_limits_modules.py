"""Module structure of lims.limits (issue 13 items 9 and 10): one direction of imports
inside the package, and a CLI that imports only what the command uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lims" / "limits"


def _imports(path: Path) -> set[str]:
    """lims.limits modules imported at module level (function-level imports excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.module and node.module.startswith("lims.limits."):
                found.add(node.module.split(".")[2])
    return found


def test_library_modules_import_one_way() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    assert "library" not in graph["rows_io"] and "loading" not in graph["rows_io"]
    assert graph["records"] <= {"parsing"}
    assert "rows_io" not in graph["index"] and "loading" not in graph["index"]
    state: dict[str, int] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        state[name] = 1
        for other in graph.get(name, ()):
            assert state.get(other) != 1, f"import cycle: {' -> '.join((*trail, other))}"
            if other not in state:
                visit(other, (*trail, other))
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, (name,))


def _imported_by(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lims.cli", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_help_and_judge_do_not_import_the_app() -> None:
    for args in (("--help",), ("limits", "judge", "--result", "0.2mg/kg", "--limit", "≤0.1mg/kg")):
        modules = _imported_by(*args)
        for heavy in ("weasyprint", "pyhanko", "lims.reports", "lims.samples", "sqlalchemy"):
            assert f" {heavy}\n" not in modules and f" {heavy}." not in modules, (args, heavy)


def test_row_length_limits_match_the_database_columns() -> None:
    from lims.limits.models import LimitRowRecord
    from lims.limits.rows_io import MAX_LENGTHS

    for column, longest in MAX_LENGTHS.items():
        assert LimitRowRecord.__table__.c[column].type.length == longest, column
