"""Special dietary foods (抽检细则 表28, GB 10769 / GB 31601 / GB 24154): limits per 100 kJ
and per daily portion are judged only against results in the same kind of unit.  A result
in mg/100g (what a lab measures) is refused with a Chinese message instead of being
converted, because the conversion needs the product's energy or its daily portion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lims.limits.checking import check_result
from lims.limits.judgement import JudgementError
from lims.limits.lookup import lookup_item
from lims.limits.units import UnitError, convert, parse_unit, same_kind

ON = dt.date(2026, 10, 1)


def test_per_day_units_are_their_own_kind() -> None:
    for text in ("mg/日", "µg/日", "ug/每日", "g/天", "mg/d"):
        assert parse_unit(text).kind == "mass_per_day"
    assert convert(Decimal("0.2"), "mg/日", "µg/日") == Decimal("200")
    for other in ("mg/kg", "mg/100g", "mg/100kJ", "mg/L"):
        assert not same_kind("mg/日", other)
        with pytest.raises(UnitError, match="每日份含量"):
            convert(Decimal(1), "mg/日", other)


def test_per_energy_never_converts_from_mass_fraction() -> None:
    with pytest.raises(UnitError, match="每100 kJ 含量须按产品能量"):
        convert(Decimal(50), "mg/100g", "mg/100kJ")


def test_mg_per_100g_against_per_energy_limit_is_refused(index) -> None:  # noqa: ANN001
    # GB 10769-2010 表1 钠 ≤24.0 mg/100kJ
    with pytest.raises(JudgementError) as caught:
        check_result(index, "钠", "婴幼儿谷类辅助食品", "50mg/100g", ON)
    message = str(caught.value)
    assert "不兼容" in message and "mg/100kJ" in message and "kJ/100g" in message


def test_mg_per_100g_against_per_day_limit_is_refused(index) -> None:  # noqa: ANN001
    # GB 31601-2015 表1 孕妇营养补充食品 铁 9~18 mg（以每日计）
    with pytest.raises(JudgementError, match="每日份推荐量"):
        check_result(
            index, "铁", "孕妇及乳母营养补充品", "20mg/100g", ON, condition="孕妇营养补充食品"
        )


def test_product_type_rows_need_the_condition(index) -> None:  # noqa: ANN001
    # GB 10769 蛋白质 differs by product type: lookup counts the candidates as found but
    # refuses to choose; the verdict needs the condition.
    found = lookup_item(index, "蛋白质", ("婴幼儿谷类辅助食品", "特殊膳食食品"), ON)
    assert found.found and len(found.matches) == 4
    outcome = check_result(index, "蛋白质", "婴幼儿谷类辅助食品", "0.5g/100kJ", ON)
    assert outcome.verdict == "no_limit" and "--condition" in outcome.data["reason"]
    chosen = check_result(
        index, "蛋白质", "婴幼儿谷类辅助食品", "0.5g/100kJ", ON,
        condition="适用于婴幼儿高蛋白谷物辅助食品",
    )  # fmt: skip
    assert chosen.verdict == "fail"  # 0.66~1.30 g/100kJ


def test_negative_is_a_qualitative_limit_and_positive_fails() -> None:
    # 脲酶活性定性 (细则表28-4, GB 22570): the limit 阴性 is a state; 阳性 contradicts it.
    from lims.limits.checking import judge_text
    from lims.limits.parsing import ParseError, parse_limit, qualitative_state

    spec = parse_limit("阴性")
    assert spec.kind == "qualitative" and spec.display() == "阴性"
    assert qualitative_state("阴性", "阴性") is True
    assert qualitative_state("阳性", "阴性") is False
    assert qualitative_state("阳性", "商业无菌") is None
    assert judge_text("阴性", "阴性").verdict == "pass"
    assert judge_text("阳性", "阴性").verdict == "fail"
    with pytest.raises(ParseError, match="应写作“阴性”或“阳性”"):
        judge_text("未检出", "阴性")
    # 商业无菌 keeps its own negation
    with pytest.raises(ParseError, match="应写作“商业无菌”或“非商业无菌”"):
        judge_text("阴性", "商业无菌")
