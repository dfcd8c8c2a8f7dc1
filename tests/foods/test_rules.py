"""The shipped 2026 sampling-rule data and its loader."""

import csv
from collections import Counter

import pytest

from lims.foods.rules import ANALYTE_CLASSES, DATA_DIR, load_rules, path

RULES = load_rules("2026")


def test_counts_after_repair():
    levels = Counter(c.level for c in RULES.categories.values())
    assert levels[1] == 38
    assert levels[4] == 259  # 细类 entries (tables 19-2 and 19-3 serve 2 and 3 细类)
    assert len({c.table_id for c in RULES.subcategories()}) == 256
    # 1,916 source rows minus 24 merged duplicates (表5-5 沙门氏菌 #7 and #11 are two tables' rows)
    assert len(RULES.all_items()) == 1892
    assert sum(1 for c in RULES.subcategories() if not RULES.items_for(c.code)) == 7


def test_major_categories_are_numbered_like_the_rules():
    codes = sorted(int(c.code) for c in RULES.categories.values() if c.level == 1)
    assert codes == [n for n in range(1, 40) if n != 32]
    assert RULES.categories["34"].name_zh == "蔬菜"


def test_every_table_lives_in_its_own_chapter():
    for cat in RULES.subcategories():
        chapter = cat.table_id[1:].split("-")[0]
        assert path(cat.code)[0].code == chapter, cat


def test_path_has_four_levels():
    chain = RULES.path("1-5")
    assert [c.level for c in chain] == [1, 2, 3, 4]
    assert [c.name_zh for c in chain] == ["粮食加工品", "其他粮食加工品", "谷物碾磨加工品",
                                           "玉米粉(片、渣)"]
    with pytest.raises(KeyError):
        RULES.path("99-9")


def test_every_item_has_analyte_key_class_and_basis():
    for item in RULES.all_items():
        assert item.analyte_key and item.analyte_key in RULES.analytes
        assert item.analyte_class in ANALYTE_CLASSES
        assert item.item_code == f"{item.subcategory_code}:{item.analyte_key}"
    missing_basis = [i.item_code for i in RULES.all_items() if not i.basis_standards]
    assert missing_basis == ["24-3:商业无菌"]


def test_item_codes_are_unique():
    codes = [i.item_code for i in RULES.all_items()]
    assert len(codes) == len(set(codes))


def test_lead_in_spinach_and_rice_is_one_analyte():
    spinach = RULES.find_subcategory("菠菜")
    rice = RULES.find_subcategory("大米")
    lead_s = next(i for i in RULES.items_for(spinach.code) if i.name_zh.startswith("铅"))
    lead_r = next(i for i in RULES.items_for(rice.code) if i.name_zh.startswith("铅"))
    assert lead_s.analyte_key == lead_r.analyte_key == "铅"
    assert lead_s.expressed_as == "以Pb计"
    assert RULES.analytes["铅"].name_en == "Lead"
    assert lead_s.item_code == "34-6:铅"


def test_residue_items_are_marked():
    spinach_items = {i.analyte_key: i for i in RULES.items_for("34-6")}
    assert spinach_items["毒死蜱"].is_residue
    assert spinach_items["毒死蜱"].analyte_class == "pesticide"
    assert not spinach_items["铅"].is_residue
    pork = {i.analyte_key: i for i in RULES.items_for("33-1")}
    assert pork["克伦特罗"].analyte_class == "veterinary_drug"
    assert pork["恩诺沙星"].is_residue


def test_basis_families_normalised():
    fams = Counter(f for i in RULES.all_items() for f in i.basis_families)
    for fam in ("GB 2763", "GB 2762", "GB 31650", "GB 2760", "GB 2761", "GB 29921",
                "整顿办函〔2011〕1号", "农业农村部公告第250号"):
        assert fams[fam] > 0, fam
    assert "GB 2763.1" not in fams and "GB 31650.1" not in fams


def test_repaired_rows():
    items = {i.item_code: i for i in RULES.all_items()}
    # D4: subscript and footnote separated
    m1 = items["5-1:黄曲霉毒素M1"]
    assert m1.name_zh == "黄曲霉毒素M1"
    nitrite = items["16-1:亚硝酸盐"]
    assert nitrite.expressed_as == "以NaNO2计" and nitrite.name_zh == "亚硝酸盐(以NaNO2计)"
    # D3: footnotes glued to names
    assert items["28-4:黄曲霉毒素M1"].footnote_refs == ("e",)
    assert items["28-1:维生素A"].footnote_refs == ("b", "j")
    # D12: OCR 豹女 -> 茶多酚
    assert "6-7:茶多酚" in items
    # D9: 表5-3's rows belonged to 表5-2 (GB 19645 is the pasteurised-milk standard)
    assert "5-2:菌落总数" in items
    # D12: chapter 5's headings are shifted: the rows under 发酵乳 cite GB 25191 (调制乳), and
    # 发酵乳's own rows 8-14 (GB 19302) sit under 高温杀菌乳
    assert "GB 25191" in items["5-3:蛋白质"].basis_standards
    assert "GB 19302" in items["5-4:霉菌"].basis_standards
    assert "5-5:霉菌" not in items
    # D10: duplicate 莱克多巴胺 in 猪肾 merged
    assert [i.analyte_key for i in RULES.items_for("33-11")].count("莱克多巴胺") == 1
    # D8: 保健食品 names came from the basis column
    assert "27-1:维生素B12" in items
    # method qualifiers split off
    assert items["28-4:大肠菌群"].method_standards == ("GB 4789.3",)
    assert "GB 4789.3: 平板计数法" in items["28-4:大肠菌群"].method_notes


def test_shared_table_gives_one_subcategory_per_food():
    dried = RULES.find_subcategory("干蛋制品")
    frozen = RULES.find_subcategory("冰蛋制品")
    assert dried.table_id == frozen.table_id == "表19-2"
    assert dried.code != frozen.code


def test_find_subcategory():
    assert RULES.find_subcategory("34-6").name_zh == "菠菜"
    assert RULES.find_subcategory("表34-6").code == "34-6"
    assert RULES.find_subcategory("百香果").code == "36-15"
    assert RULES.find_subcategory("西番莲（百香果）").code == "36-15"  # full-width brackets
    assert RULES.find_subcategory("不存在的食品") is None
    assert RULES.find_subcategory("") is None


def test_notes_split_by_reference():
    notes = RULES.notes_for("19-1")
    assert [n.ref for n in notes] == ["a", "b", "c", "d"]
    assert notes[0].text == "除糟蛋外的产品检测。"


def test_item_codes_stable_across_rederivation():
    """Item codes depend on 细类 code and analyte key only, never on row order."""
    with (DATA_DIR / "rules_2026_items.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        assert r["item_code"] == f"{r['subcategory_code']}:{r['analyte_key']}"
        assert r["source"].startswith("gb_checklist_subcat.json $.categories[")


def test_unknown_edition_is_refused():
    with pytest.raises(FileNotFoundError):
        load_rules("1999")
    with pytest.raises(ValueError):
        load_rules("../x")
