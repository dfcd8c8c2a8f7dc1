import datetime as dt
import io

import pytest
from pypdf import PdfReader

from lims.printing.labels import LabelData, LabelError, label_html, render_labels_pdf

MM = 72 / 25.4
RECEIVED = dt.date(2026, 11, 28)
LABELS = [
    LabelData("BZ2026-00012", "大米（粳米）", RECEIVED),
    LabelData("BZ2026-00012-1", "大米（粳米）", RECEIVED, "检验样"),
    LabelData("BZ2026-00012-2", "大米（粳米）", RECEIVED, "备份样"),
]


def _compact(text: str) -> str:
    return "".join(text.split())


def test_roll_layout_one_60x40_label_per_page_with_text():
    reader = PdfReader(io.BytesIO(render_labels_pdf(LABELS)))
    assert len(reader.pages) == len(LABELS)
    for page, label in zip(reader.pages, LABELS, strict=True):
        box = page.mediabox
        assert float(box.width) == pytest.approx(60 * MM, abs=0.5)
        assert float(box.height) == pytest.approx(40 * MM, abs=0.5)
        text = _compact(page.extract_text())
        assert label.number in text
        assert "大米（粳米）" in text
        assert "2026-11-28" in text
        if label.sub_label:
            assert label.sub_label in text


def test_a4_layout_fits_21_labels_per_sheet():
    labels = [LabelData(f"BZ2026-{i:05d}", "小麦粉", RECEIVED) for i in range(22)]
    reader = PdfReader(io.BytesIO(render_labels_pdf(labels, layout="a4")))
    assert len(reader.pages) == 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(210 * MM, abs=0.5)
    first = _compact(reader.pages[0].extract_text())
    assert "BZ2026-00000" in first and "BZ2026-00020" in first
    assert "BZ2026-00021" in _compact(reader.pages[1].extract_text())


def test_each_label_carries_its_own_barcode_and_qr():
    html = label_html(LABELS)
    assert html.count("data:image/svg+xml;base64,") == 2 * len(LABELS)


def test_label_text_is_escaped():
    html = label_html([LabelData("BZ-1", "<b>鱼</b>", RECEIVED)])
    assert "<b>鱼</b>" not in html and "&lt;b&gt;鱼" in html


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"number": " ", "food_name": "米", "received_on": RECEIVED}, "样品编号"),
        ({"number": "BZ-1", "food_name": "", "received_on": RECEIVED}, "食品名称"),
        ({"number": "BZ-1", "food_name": "米", "received_on": "2026-11-28"}, "接收日期"),
    ],
)
def test_bad_label_data_is_rejected(kwargs, message):
    with pytest.raises(LabelError, match=message):
        LabelData(**kwargs)


def test_bad_layout_and_empty_list_are_rejected():
    with pytest.raises(LabelError, match="版式"):
        label_html(LABELS, layout="a5")
    with pytest.raises(LabelError, match="没有"):
        label_html([])
