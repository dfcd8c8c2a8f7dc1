"""The shipped library data and the lookup rules, on real and synthetic data."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from lims.limits.library import (
    SHIPPED_LIMIT_FILES,
    FoodCategory,
    LibraryError,
    LimitIndex,
    LimitMatch,
    LimitRow,
    NoLimit,
    Standard,
    expressed_as_factor,
    normalise_expressed_as,
)
from lims.limits.rows_io import load_limit_rows, read_table, validate_rows

REFERENCE = Path("/work/shared/reference/GB_2762-2025.txt")
DATA = resources.files("lims.limits").joinpath("data")


def _csv(name: str) -> list[dict[str, str]]:
    return read_table(Path(str(DATA.joinpath(name))))


# --- shipped data --------------------------------------------------------------------


def test_every_shipped_file_validates(index: LimitIndex) -> None:
    for name in SHIPPED_LIMIT_FILES:
        records = _csv(name)
        assert records, name
        assert validate_rows(records, standards=index.standards, graph=index.graph) == [], name
        for record in records:
            assert record["source"].strip(), f"{name} row {record['__row__']} has no source"


def test_gb2762_covers_all_twelve_tables(index: LimitIndex) -> None:
    rows = index.rows_by_standard["GB 2762-2025"]
    clauses = {row.clause.split()[0] for row in rows}
    assert clauses == {f"4.{i}" for i in range(1, 13)}
    assert len(rows) >= 280
    assert all(row.verified == "yes" and re.search(r"line \d+", row.source) for row in rows)


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference text not available")
def test_gb2762_values_are_on_their_cited_lines(index: LimitIndex) -> None:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    for row in index.rows_by_standard["GB 2762-2025"]:
        number = int(re.search(r"line (\d+)", row.source).group(1))
        value = row.limit.lstrip("≤")
        assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d.])", lines[number - 1]), row


def test_gb2763_defects_handled(index: LimitIndex) -> None:
    rows = index.rows_by_standard["GB 2763-2026"]
    assert len(rows) > 3000
    texts = Counter(r.category_text for r in rows)
    assert "根茎类蔬菜(姜除外)姜" not in texts and "蔬菜大白菜" not in texts
    assert not any(
        r.clause.endswith(("表 153", "表 154", "表 498", "表 499", "表 496", "表 166"))
        for r in rows
    )
    split = [r for r in rows if r.analyte == "戊唑醇" and r.category == "F:黄花菜(干)"]
    assert len(split) == 1 and split[0].limit == "≤15"
    ddt = [r for r in rows if r.analyte == "滴滴涕"]
    assert ddt and all("再残留限量" in r.notes for r in ddt)
    assert any(r.temporary for r in rows)
    assert {r.basis for r in rows} >= {"fresh", "fat", "as_is"}


def test_unverified_rows_say_so(index: LimitIndex) -> None:
    for code in ("GB 31650-2019", "GB 2761-2017", "GB 29921-2021"):
        assert index.standards[code].verified == "no"
        assert all(r.verified == "no" for r in index.rows_by_standard[code])
    # GB 2760 rows come from the secondary Table A.1 parse; a row is "yes" only when its
    # code and value were found at its page of the text (build_gb2760.py)
    rows = index.rows_by_standard["GB 2760-2024"]
    assert {r.verified for r in rows} == {"yes", "secondary"}
    assert all(re.search(r"pdf page \d+|GB_2760-2024\.txt line \d+", r.source) for r in rows)


def test_category_graph(index: LimitIndex) -> None:
    graph = index.graph
    schemes = Counter(node.scheme for node in graph.nodes.values())
    assert set(schemes) == {"GB2760", "GB2762", "GB2763", "VET", "PRODUCT", "food"}
    for node in graph.nodes.values():
        if node.scheme == "food":
            assert node.parents, node.code
    # a food's name resolves to one node within each scheme
    by_name: dict[tuple[str, str], set[str]] = {}
    for node in graph.nodes.values():
        for name in (node.name_zh, *node.aliases):
            by_name.setdefault((node.scheme, name), set()).add(node.code)
    clashes = {k: v for k, v in by_name.items() if len(v) > 1}
    assert not clashes
    # 芹菜 is a 茎类 vegetable in GB 2762 but a 叶菜 in GB 2763
    assert "GB2762:茎类蔬菜" in {c for _, c in graph.ancestors("F:芹菜", "GB2762")}
    assert "GB2763:叶菜类蔬菜" in {c for _, c in graph.ancestors("F:芹菜", "GB2763")}
    assert "GB2762:叶菜蔬菜" not in {c for _, c in graph.ancestors("F:芹菜", "GB2762")}
    # and an unprocessed fresh vegetable in GB 2760 Table E.1 (04.02.01.01)
    assert "GB2760:04.02.01.01" in {c for _, c in graph.ancestors("F:芹菜", "GB2760")}


def test_categories_file_cites_sources() -> None:
    for record in _csv("food_categories.csv"):
        assert record["source"], record["code"]
        assert record["verified"] in ("yes", "no", "secondary")


# --- lookup rules on a small synthetic library ---------------------------------------


def _std(code: str, start: str, end: str = "", base: str = "") -> Standard:
    return Standard(
        code=code, family=code.split("-")[0], edition=code.split("-")[-1], title="测试标准",
        effective_from=dt.date.fromisoformat(start),
        effective_to=dt.date.fromisoformat(end) if end else None, replaced_by="",
        comparison="full", scheme="S", base_edition=base, notes="", source="test", verified="yes",
    )  # fmt: skip


def _row(standard: str, analyte: str, category: str, limit: str, **extra: object) -> LimitRow:
    values = dict(
        standard=standard, clause="表1", analyte=analyte, expressed_as="", category=category,
        category_text=category, exclusions=(), limit=limit, unit="mg/kg", basis="fresh",
        condition="", temporary=False, notes="", effective_from=None, effective_to=None,
        source="test", verified="yes",
    )  # fmt: skip
    values.update(extra)
    return LimitRow(**values)  # type: ignore[arg-type]


def _node(
    code: str, parents: tuple[str, ...] = (), scheme: str = "S", aliases: tuple[str, ...] = ()
) -> FoodCategory:
    return FoodCategory(code, parents, scheme, code.split(":")[-1], aliases, "test", "yes")


@pytest.fixture
def tiny() -> LimitIndex:
    nodes = [
        _node("S:食品"),
        _node("S:蔬菜", ("S:食品",)),
        _node("S:叶菜", ("S:蔬菜",)),
        _node("S:茎菜", ("S:蔬菜",)),
        _node("F:菠菜", ("S:叶菜",), "food", ("赤根菜",)),
        _node("F:芹菜", ("S:茎菜",), "food"),
        _node("F:韭菜", ("S:蔬菜",), "food"),
        _node("F:苹果", ("S:食品",), "food"),
    ]
    standards = [
        _std("T 1-2020", "2020-01-01", "2022-12-31", base="T 1-2023"),
        _std("T 1-2023", "2023-01-01"),
    ]
    rows = [
        _row("T 1-2023", "铅", "S:蔬菜", "≤0.1", exclusions=("S:叶菜", "F:芹菜")),
        _row("T 1-2023", "铅", "S:叶菜", "≤0.3"),
        _row("T 1-2023", "镉", "S:蔬菜", "≤0.05"),
        _row("T 1-2023", "镉", "F:菠菜", "≤0.2"),
        _row("T 1-2020", "铅", "S:叶菜", "≤0.5"),
        _row("T 1-2020", "镉", "F:菠菜", "—"),
    ]
    return LimitIndex(standards, rows, nodes)


def test_most_specific_row_wins(tiny: LimitIndex) -> None:
    match = tiny.lookup("镉", "菠菜", dt.date(2024, 1, 1))
    assert isinstance(match, LimitMatch) and match.row.limit == "≤0.2" and match.distance == 0
    match = tiny.lookup("镉", "韭菜", dt.date(2024, 1, 1))
    assert match.row.limit == "≤0.05" and match.distance == 1


def test_exclusions(tiny: LimitIndex) -> None:
    assert tiny.lookup("铅", "韭菜", dt.date(2024, 1, 1)).row.limit == "≤0.1"
    assert tiny.lookup("铅", "赤根菜", dt.date(2024, 1, 1)).row.limit == "≤0.3"
    excluded = tiny.lookup("铅", "芹菜", dt.date(2024, 1, 1))
    assert (
        isinstance(excluded, NoLimit) and excluded.code == "excluded" and "除外" in excluded.reason
    )


def test_editions_by_date(tiny: LimitIndex) -> None:
    assert tiny.lookup("铅", "菠菜", dt.date(2021, 6, 1)).row.limit == "≤0.5"
    assert tiny.lookup("铅", "韭菜", dt.date(2021, 6, 1)).row.limit == "≤0.1"  # inherited from base
    removed = tiny.lookup("镉", "菠菜", dt.date(2021, 6, 1))  # row absent in 2020 edition
    assert removed.row.limit == "≤0.05"  # falls back to the category row
    early = tiny.lookup("铅", "菠菜", dt.date(2019, 1, 1))
    assert isinstance(early, NoLimit) and early.code == "no_edition"


def test_unknowns(tiny: LimitIndex) -> None:
    assert tiny.lookup("铅", "石头", dt.date(2024, 1, 1)).code == "unknown_food"
    assert tiny.lookup("汞", "菠菜", dt.date(2024, 1, 1)).code == "no_row"
    assert tiny.lookup("铅", ["石头", "菠菜"], dt.date(2024, 1, 1)).row.limit == "≤0.3"
    assert tiny.lookup("铅", "苹果", dt.date(2024, 1, 1)).code == "no_row"


def test_ambiguous_rows_are_not_guessed() -> None:
    nodes = [_node("S:肉"), _node("F:猪肉", ("S:肉",), "food")]
    rows = [
        _row("T 1-2023", "滴滴涕", "S:肉", "≤0.2", condition="脂肪<10%", basis="as_is"),
        _row("T 1-2023", "滴滴涕", "S:肉", "≤2", condition="脂肪≥10%", basis="fat"),
    ]
    index = LimitIndex([_std("T 1-2023", "2023-01-01")], rows, nodes)
    outcome = index.lookup("滴滴涕", "猪肉", dt.date(2024, 1, 1))
    assert (
        isinstance(outcome, NoLimit)
        and outcome.code == "ambiguous"
        and len(outcome.candidates) == 2
    )
    assert index.lookup("滴滴涕", "猪肉", dt.date(2024, 1, 1), basis="fat").row.limit == "≤2"


def test_bad_library_is_refused() -> None:
    with pytest.raises(LibraryError):
        LimitIndex(
            [_std("T 1-2023", "2023-01-01")],
            [_row("T 1-2023", "铅", "S:无", "≤1")],
            [_node("S:食品")],
        )
    with pytest.raises(LibraryError, match="循环"):
        LimitIndex([], [], [_node("S:a", ("S:b",)), _node("S:b", ("S:a",))])


def test_expressed_as() -> None:
    assert (
        normalise_expressed_as("以亚硝酸钠计") == normalise_expressed_as("以NaNO₂计") == "以NaNO2计"
    )
    factor = expressed_as_factor("以NaNO2计", "以NO2-计")
    assert factor == Decimal("46.01") / Decimal("69.00")
    assert expressed_as_factor("以Pb计", "以Cd计") is None


def test_lookup_is_memoised(index: LimitIndex) -> None:
    first = index.lookup("铅", "菠菜", dt.date(2026, 10, 1))
    assert index.lookup("铅", "菠菜", dt.date(2026, 10, 1)) is first


def test_shipped_rows_have_consistent_columns() -> None:
    header = next(csv.reader(DATA.joinpath("limits_gb2762_2025.csv").open(encoding="utf-8")))
    for name in SHIPPED_LIMIT_FILES:
        with DATA.joinpath(name).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == header, name
    assert load_limit_rows(Path(str(DATA.joinpath("limits_banned.csv"))))
