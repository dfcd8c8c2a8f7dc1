"""The sampling rules in the database (editions as versions) and lab capabilities."""

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lims.capabilities import services as caps
from lims.capabilities.models import LabCapability
from lims.extensions import db
from lims.foods import services as foods
from lims.foods.models import RulesEdition, TestItemRecord
from lims.foods.rules import load_rules


def _items(edition: RulesEdition) -> int:
    return db.session.scalar(sa.select(sa.func.count(TestItemRecord.id))
                             .where(TestItemRecord.edition_id == edition.id))


def test_the_2026_edition_is_loaded_whole(app):
    edition = foods.current_edition()
    assert edition.code == "2026"
    assert _items(edition) == len(load_rules("2026").all_items())
    spinach = foods.find_subcategory("菠菜")
    assert spinach.code == "34-6" and spinach.level == 4
    assert [n.level for n in foods.category_path(spinach)] == [1, 2, 3, 4]


def test_lead_in_spinach_and_rice_is_the_same_analyte(app):
    spinach = foods.items_for(foods.find_subcategory("34-6"))
    rice = foods.items_for(foods.find_subcategory("1-2"))
    lead = {i.analyte_key for i in spinach} & {i.analyte_key for i in rice}
    assert "铅" in lead


def test_reimport_updates_in_place(app):
    edition = foods.current_edition()
    before = _items(edition)
    result = CliRunner().invoke(app.cli, ["taxonomy", "import"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _items(edition) == before
    assert "新增 0" in result.output


def test_a_new_edition_is_a_new_version(app, monkeypatch):
    rules = load_rules("2026")
    monkeypatch.setattr(foods, "load_rules",
                        lambda code: dataclasses.replace(rules, edition=code))
    old = foods.current_edition()
    foods.import_edition("2027")
    db.session.commit()
    new = foods.current_edition()
    assert new.code == "2027" and new.id != old.id
    assert _items(old) == _items(new) == len(rules.all_items())
    db.session.refresh(old)
    assert not old.is_current


def test_can_test_matches_item_analyte_scope_and_dates(app, network):
    item = foods.items_for(foods.find_subcategory("34-6"))[0]  # 铅 in spinach
    rice_lead = next(i for i in foods.items_for(foods.find_subcategory("1-2"))
                     if i.analyte_key == "铅")
    bole = network["BL-LAB"]
    assert caps.can_test(bole, item) is not None            # 铅 in any food
    pesticide = next(i for i in foods.items_for(foods.find_subcategory("34-6"))
                     if i.analyte_class == "pesticide")
    assert caps.can_test(bole, pesticide).food_scope_code == "34"
    rice_pesticide = next((i for i in foods.items_for(foods.find_subcategory("1-2"))
                           if i.analyte_class == "pesticide"), None)
    if rice_pesticide is not None:
        assert caps.can_test(bole, rice_pesticide) is None   # outside the vegetable scope
    assert caps.can_test(network["WQ-LAB"], rice_lead) is not None
    capability = caps.can_test(bole, item)
    capability.valid_until = dt.date(2026, 1, 1)
    db.session.flush()
    assert caps.can_test(bole, item, on=dt.date(2026, 6, 1)) is None
    capability.valid_until = None
    capability.active = False
    db.session.flush()
    assert caps.can_test(bole, item) is None


def test_routing_with_no_capable_lab_says_so(app, network):
    from lims.capabilities.routing import propose_routing

    health_food = next(n for n in db.session.scalars(
        sa.select(foods.FoodCategoryNode).where(foods.FoodCategoryNode.level == 4))
        if n.code.startswith("27-"))
    items = foods.items_for(health_food)
    proposals = propose_routing(network["BL-LAB"].region_id, items)
    assert proposals and all(p.preferred_org is None for p in proposals)
    assert "均未声明" in proposals[0].reason_zh


def test_capability_import_refuses_the_whole_file(app, tmp_path):
    before = db.session.scalar(sa.select(sa.func.count(LabCapability.id)))
    path = tmp_path / "caps.csv"
    path.write_text("org,item_code,analyte,food_scope,method,lod,loq,unit,cma\n"
                    "JH-LAB,,总汞,,GB 5009.17,0.0002,0.0005,mg/kg,yes\n"
                    "XX-LAB,,铅,,GB 5009.12,0.005,0.02,mg/kg,yes\n"
                    "JH-LAB,,镉,99,GB 5009.15,0.01,0.001,mg/kg,yes\n", encoding="utf-8")
    with pytest.raises(caps.CapabilityImportError) as refused:
        caps.import_capabilities(path)
    text = "\n".join(refused.value.errors)
    assert "第3行" in text and "第4行" in text and "定量限不能小于检出限" in text
    assert db.session.scalar(sa.select(sa.func.count(LabCapability.id))) == before
