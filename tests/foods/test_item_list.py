"""Validation of a local (DBS 65/…) test-item list."""

import csv
import io

import pytest
from openpyxl import Workbook

from lims.foods.rules import ItemListError, parse_item_list, read_item_list

HEADER = ["细类", "序号", "检验项目", "依据法律法规或标准", "检测方法"]


def rows(*data):
    return [dict(zip(HEADER, r, strict=True)) for r in data]


def test_valid_list_becomes_items():
    items = parse_item_list(rows(
        ("菠菜", "1", "铅（以Pb计）", "DBS 65/016-2022", "GB 5009.12"),
        ("表1-2", "2", "毒死蜱", "DBS 65/016-2022 / GB 2763", "GB 23200.113 GB 23200.121"),
    ), source_name="local.csv")
    assert [i.item_code for i in items] == ["34-6:铅", "1-2:毒死蜱"]
    assert items[0].basis_families == ("DBS 65",)
    assert items[1].basis_standards == ("DBS 65/016-2022", "GB 2763")
    assert items[1].method_standards == ("GB 23200.113", "GB 23200.121")
    assert items[1].analyte_class == "pesticide" and items[1].is_residue
    assert items[0].source == "local.csv 第2行"


def test_every_error_is_reported_with_its_row_and_nothing_imported():
    with pytest.raises(ItemListError) as exc:
        parse_item_list(rows(
            ("菠菜", "1", "铅（以Pb计）", "DBS 65/016-2022", "GB 5009.12"),
            ("火星菜", "2", "镉", "DBS 65/016-2022", "GB 5009.15"),
            ("菠菜", "x", "", "", ""),
            ("菠菜", "4", "铅", "GB 2762", "GB 5009.12"),
        ))
    errors = exc.value.errors
    assert "第3行：细类“火星菜”不在2026年版抽检细则中" in errors
    assert "第4行：序号“x”不是正整数" in errors
    assert "第4行：检验项目为空" in errors
    assert "第4行：依据法律法规或标准为空" in errors
    assert any(e.startswith("第4行：检测方法为空") for e in errors)
    assert "第5行：检验项目“铅”与第2行重复（同一细类）" in errors


def test_missing_columns_and_empty_file():
    with pytest.raises(ItemListError, match="缺少必填列：检测方法"):
        parse_item_list([{"细类": "菠菜", "检验项目": "铅", "依据法律法规或标准": "GB 2762"}])
    with pytest.raises(ItemListError, match="没有数据行"):
        parse_item_list([])


def test_slash_means_calculated_item():
    items = parse_item_list(rows(("菠菜", "", "防腐剂比例之和", "DBS 65/016-2022", "/")))
    assert items[0].method_standards == ()


def test_read_csv_and_xlsx(tmp_path):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerow(["菠菜", "1", "铅", "DBS 65/016-2022", "GB 5009.12"])
    csv_path = tmp_path / "list.csv"
    csv_path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    assert parse_item_list(read_item_list(csv_path))[0].item_code == "34-6:铅"

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["大米", 1, "镉（以Cd计）", "DBS 65/016-2022", "GB 5009.15"])
    xlsx_path = tmp_path / "list.xlsx"
    wb.save(xlsx_path)
    assert parse_item_list(read_item_list(xlsx_path))[0].item_code == "1-2:镉"

    with pytest.raises(ItemListError, match="不支持的文件类型"):
        read_item_list(tmp_path / "list.txt", content=b"x")
    with pytest.raises(ItemListError, match="UTF-8"):
        read_item_list(tmp_path / "gbk.csv", content="细类".encode("gbk"))
