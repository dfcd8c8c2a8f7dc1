import dataclasses
import io

import pytest
from pypdf import PdfReader

from lims.printing.pdf import cjk_fonts_installed
from lims.reports.document import Amendment
from lims.reports.render import METADATA_KEY, render_report, report_html
from tests.reports.sample_data import LAB, make_document, make_tests

pytestmark = pytest.mark.skipif(
    not cjk_fonts_installed(), reason="fonts-noto-cjk not installed (run the setup command)"
)


def _text(pdf: bytes) -> list[str]:
    return ["".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _embedded_fonts(pdf: bytes) -> dict[str, str]:
    """BaseFont → embedded font-file key, for every font used on any page."""
    found: dict[str, str] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    found[str(font["/BaseFont"])] = key
    return found


def test_chinese_text_is_extractable(rendered):
    pages = _text(rendered.pdf)
    full = "".join(pages)
    for needle in (
        "检验报告",
        "大米（粳米）",
        "博乐市某某粮油店",
        "粮食及粮食制品",
        "GB5009.12-2023",
        "未检出(LOD0.003mg/kg)",
        "≤0.2mg/kg",
        "合格",
        "检验结论",
        "判定规则",
        "GB/T8170-2008",
        "仅对所检样品负责",
        "不得部分复制本报告",
        "报告结束",
        "编制",
        "审核",
        "批准",
        "张敏",
        "李建国",
        "阿依古丽·买买提",
        "2026年11月14日",
        "袋装，包装完好",
        "2026年11月2日",
        "2026年11月3日",
        "2026年11月4日至2026年11月12日",
        LAB.address.replace(" ", ""),
    ):
        assert needle in full, needle


def test_every_page_has_number_and_page_x_of_y(rendered):
    pages = _text(rendered.pdf)
    assert len(pages) == rendered.page_count == 2  # the benchmark's 20-test, two-page report
    for index, text in enumerate(pages, start=1):
        assert "报告编号：BZJC-2026-000123" in text
        assert f"第{index}页共{len(pages)}页" in text
        assert LAB.name in text


def test_cjk_font_is_embedded(rendered):
    fonts = _embedded_fonts(rendered.pdf)
    cjk = {name: key for name, key in fonts.items() if "CJK" in name}
    assert cjk, fonts
    assert set(cjk.values()) <= {"/FontFile2", "/FontFile3"}


def test_report_number_in_metadata(rendered):
    info = PdfReader(io.BytesIO(rendered.pdf)).metadata
    assert info["/Subject"] == "BZJC-2026-000123"
    assert info["/" + METADATA_KEY] == "BZJC-2026-000123"
    assert "检验报告" in info["/Title"]


def test_signature_box_is_on_the_last_page_inside_the_page(rendered):
    box = rendered.signature_box
    assert box.page_index == rendered.page_count - 1
    page = PdfReader(io.BytesIO(rendered.pdf)).pages[box.page_index]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    x1, y1, x2, y2 = box.box
    assert 0 < x1 < x2 <= width and 0 < y1 < y2 <= height
    # 70 × 22 mm as reserved by the template
    assert x2 - x1 == pytest.approx(70 * 72 / 25.4, abs=2)
    assert y2 - y1 == pytest.approx(22 * 72 / 25.4, abs=2)


def test_long_report_keeps_signature_on_last_page():
    long = render_report(make_document(make_tests(45)))
    assert long.page_count >= 3
    assert long.signature_box.page_index == long.page_count - 1
    last = _text(long.pdf)[-1]
    assert "报告结束" in last and f"第{long.page_count}页共{long.page_count}页" in last


def test_qr_code_carries_the_verify_url_before_signing():
    html = report_html(make_document())
    assert html.count("data:image/svg+xml;base64,") == 1
    assert "https://lims.example.cn/verify/Q2xW9rT4-vKp3Lm8ZsY1nA" in html


def test_cma_mark_only_when_allowed():
    with_mark = "".join(_text(render_report(make_document(make_tests(3))).pdf))
    assert "CMA" in with_mark and LAB.cma_certificate_no in with_mark
    doc = make_document(make_tests(3), cma_allowed=False, cma_reason="项目不在资质认定范围内")
    html = report_html(doc)
    assert "cma_mark.svg" not in html
    without = "".join(_text(render_report(doc).pdf))
    assert "CMA" not in without and LAB.cma_certificate_no not in without
    assert "项目不在资质认定范围内" not in without  # the reason is for the signatory only


def test_failing_item_and_amendment_and_deviations_are_shown():
    tests = make_tests(4, fail_index=1)
    sample = dataclasses.replace(make_document().sample, deviations=("样品接收时温度偏高 2 ℃",))
    doc = make_document(
        tests,
        sample=sample,
        conclusion="所检项目中镉不符合 GB 2762-2025 要求，检验结论为不合格。",
        amendment=Amendment("BZJC-2026-000100", "样品名称录入错误"),
    )
    text = "".join(_text(render_report(doc).pdf))
    assert "不合格" in text
    assert "本报告替代编号为BZJC-2026-000100的报告" in text
    assert "样品名称录入错误" in text
    assert "样品接收时温度偏高2℃" in text


def test_hostile_text_cannot_break_the_template():
    lab = dataclasses.replace(LAB, name='某"实验室</style><script>x</script>\\')
    doc = make_document(make_tests(2), lab=lab)
    html = report_html(doc)
    assert "<script>" not in html
    text = _text(render_report(doc).pdf)[0]
    assert '某"实验室</style><script>x</script>\\' in text  # shown literally in the header
