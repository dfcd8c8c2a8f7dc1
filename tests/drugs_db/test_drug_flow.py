"""A medicine from receipt to a signed 药品检验报告书, through the sample, result, signature
and report machinery of the food samples."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lims.drugs import entry, services
from lims.drugs.models import DrugSample
from lims.extensions import db
from lims.foods.models import TestItemRecord
from lims.results import services as results
from lims.samples.receipt import ReceiptError
from tests.conftest import PASSWORD
from tests.drugs_db.conftest import paracetamol

TABLET = ["0.52"] * 20  # 20 tablets, all alike: no deviation


def _inputs(failing_dissolution: bool = False) -> dict[str, dict]:
    first = "70 70 70 85 85 85" if failing_dissolution else "85 86 88 90 82 84"
    return {
        "性状": {"conforms": "1", "evidence": "白色片"},
        "鉴别": {"conforms": "1", "evidence": "红外光吸收图谱与对照图谱一致"},
        "对氨基酚": {"value": "0.03"},
        "溶出度": {"first": first, "retest": ""},
        "重量差异": {"weights": " ".join(TABLET)},
        "含量测定": {"found": "0.4955"},  # 99.1 % of 0.5 g
    }


def _enter_all(sample, tech, failing=False):
    values = _inputs(failing)
    out = {}
    for test in sample.active_tests:
        out[test.test_item.name_zh] = entry.enter_drug_result(test, tech,
                                                              values[test.test_item.name_zh])
    results.commit()
    return out


def _sign_all(found, people):
    for meaning, who in (("submitted", "tech"), ("reviewed", "reviewer"),
                         ("approved", "signatory")):
        for result in found.values():
            results.sign(result, people[who], meaning, PASSWORD)
            results.commit()


def test_monographs_loaded_with_plan_from_monograph(received):
    drug = db.session.get(DrugSample, received.id)
    assert drug.labelled_amount == 0.5 and drug.labelled_unit == "g"
    assert received.category_code == "YP"
    names = [t.test_item.name_zh for t in received.active_tests]
    assert names == ["性状", "鉴别", "对氨基酚", "溶出度", "重量差异", "含量测定"]
    assert {t.lab_org_id for t in received.active_tests} == {received.assigned_org_id}
    plan = next(e for e in received.events if e.kind.value == "test_plan")
    assert plan.summary == "检验方案：药品标准《对乙酰氨基酚片》 6 项"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(services.DrugMonograph.id).subquery())) == 15


def test_receipt_lists_every_bad_field(people):
    from lims.drugs.receipt import register_drug_sample

    bad = paracetamol(approval_number="H2000", expiry="2026-01-01", link="批发",
                      generic_name="布洛芬片")
    bad.common.quantity = ""
    with pytest.raises(ReceiptError) as caught:
        register_drug_sample(bad, people["receiver"])
    errors = caught.value.errors
    assert set(errors) >= {"approval_number", "expiry", "link", "generic_name", "quantity"}
    assert "有效期" in errors["expiry"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(DrugSample.sample_id))) == 0


def test_results_judged_signed_and_report_issued(received, people):
    found = _enter_all(received, people["tech"])
    assert found["含量测定"].reported_value == "99.1"  # 0.4955 / 0.5 = 99.10 %
    assert found["溶出度"].verdict == "pass"
    assert all(r.verdict == "pass" for r in found.values())
    _sign_all(found, people)
    db.session.expire_all()
    from lims.reports.services import current_report

    report = current_report(received)
    assert report is not None
    assert report.pdf.startswith(b"%PDF") and b"/ByteRange" in report.pdf  # signed
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(report.pdf)).pages)
                   .split())
    for words in ("药品检验报告书", "本品按中国药典2025年版二部《对乙酰氨基酚片》检验，结果符合规定。",
                  "剂型药品／片剂", "国药准字H20000001", "99.1%", "95.0%～105.0%"):
        assert words in text, words


def test_report_document_words(received, people):
    from lims.reports.content import build_document, report_content

    found = _enter_all(received, people["tech"], failing=True)
    # 3 units below Q = 80 → fails at the first stage: 不符合规定
    assert found["溶出度"].verdict == "fail"
    _sign_all(found, people)
    db.session.expire_all()
    from lims.instruments.services import local_date

    doc = build_document(received, report_content(received), number="BZ-2026-0001",
                         issued_on=local_date(), token="t0k3n")
    assert doc.title == "药品检验报告书"
    assert doc.conclusion == "本品按中国药典2025年版二部《对乙酰氨基酚片》检验，结果不符合规定（溶出度）。"
    verdicts = {t.item: t.verdict for t in doc.tests}
    assert verdicts["溶出度"] == "不符合规定" and verdicts["含量测定"] == "符合规定"
    assert doc.sample.specification == "0.5g" and doc.sample.category_label == "剂型"
    assert any("国药准字H20000001" in r for r in doc.remarks)


def test_retest_needed_is_refused_and_nothing_written(received, people):
    test = next(t for t in received.active_tests if t.test_item.name_zh == "溶出度")
    with pytest.raises(results.ResultError, match="复试"):
        entry.enter_drug_result(test, people["tech"], {"first": "69.9 85 85 85 85 85"})
    db.session.rollback()
    assert results.result_for_test(test) is None
    result = entry.enter_drug_result(test, people["tech"], {
        "first": "69.9 85 85 85 85 85", "retest": "85 85 85 85 85 85"})
    assert result.verdict == "pass" and "12 个单位" in result.verdict_reason


def test_import_refused_whole_with_every_problem(app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('''
[monograph]
key = "测试片"
name = "测试片"
dosage_form = "片剂"
standard = "某标准"
source = "lab"
verified = false

[[items]]
name = "含量测定"
section = "含量测定"
kind = "content"
requirement = "90%～110%"
method = "HPLC"
source = "x"
verified = false
low = 90.0

[[items]]
name = "溶出度"
section = "检查项"
kind = "dissolve"
requirement = "Q"
method = "0931"
source = "x"
verified = "no"
''', encoding="utf-8")
    runner = app.test_cli_runner()
    before = db.session.scalar(sa.select(sa.func.count(TestItemRecord.id)))
    outcome = runner.invoke(args=["drugs", "import", str(bad)])
    assert outcome.exit_code == 1
    for words in ("low 请写成带引号的文本", "未知的项目类别 '检查项'", "未知的判定类型 'dissolve'",
                  "verified 须为 true 或 false", "decimals"):
        assert words in outcome.output, words
    assert db.session.scalar(sa.select(sa.func.count(TestItemRecord.id))) == before
    good = tmp_path / "good.toml"
    good.write_text(bad.read_text(encoding="utf-8").split("[[items]]\nname = \"溶出度\"")[0]
                    .replace("low = 90.0", 'low = "90.0"\nhigh = "110.0"\ndecimals = 1'),
                    encoding="utf-8")
    outcome = runner.invoke(args=["drugs", "import", str(good)])
    assert outcome.exit_code == 0, outcome.output
    assert services.find_monograph("测试片") is not None


def test_cli_judges_as_the_entry_page_does(app):
    import json

    runner = app.test_cli_runner()
    out = runner.invoke(args=["drugs", "judge", "阿莫西林胶囊", "含量测定", "found=0.2478",
                              "--labelled", "0.25", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert (data["verdict"], data["reported"], data["unit"]) == ("pass", "99.1", "%")
    out = runner.invoke(args=["drugs", "judge", "阿莫西林胶囊", "溶出度",
                              "first=69.9 85 85 85 85 85"])
    assert out.exit_code == 1 and "应另取 6 个单位复试" in out.output
    out = runner.invoke(args=["drugs", "list", "--json"])
    assert len(json.loads(out.output)) == 15


def test_a_drug_sample_is_not_counted_in_the_food_figures(received, people):
    """The plan's food targets (per 1,000, qualified rate…) count food samples only."""
    from lims.stats import rollup
    from lims.stats.models import StatsUnit

    rollup.rebuild()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatsUnit).where(
        StatsUnit.sample_id == received.id)) == 0
