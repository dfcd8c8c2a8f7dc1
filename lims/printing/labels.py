"""Sample label sheets: Code 128 + QR code, food name and receipt date.

Two layouts:

* ``"roll"`` (default): one 60 × 40 mm label per PDF page, the common size of
  thermal transfer label printers at sample receipt; the printer driver feeds
  one label per page.
* ``"a4"``: 3 × 7 labels of 60 × 40 mm on an A4 sheet (self-adhesive label
  paper), for labs printing on an office printer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from lims.printing.codes import code128_data_uri, qr_data_uri
from lims.printing.pdf import base_url_for, jinja_env, render_pdf

TEMPLATE = "printing/labels.html"
LAYOUTS = ("roll", "a4")
A4_LABELS_PER_SHEET = 21


class LabelError(ValueError):
    """Label data that cannot be printed."""


@dataclass(frozen=True)
class LabelData:
    """One label: a sample or one of its sub-samples (sub_label e.g. "检验样", "备份样")."""

    number: str
    food_name: str
    received_on: dt.date
    sub_label: str | None = None

    def __post_init__(self) -> None:
        if not self.number or not self.number.strip():
            raise LabelError("标签缺少样品编号")
        if not self.food_name or not self.food_name.strip():
            raise LabelError(f"样品 {self.number} 的标签缺少食品名称")
        if not isinstance(self.received_on, dt.date):
            raise LabelError(f"样品 {self.number} 的接收日期无效：{self.received_on!r}")


def label_html(labels: Iterable[LabelData], *, layout: str = "roll") -> str:
    """The label sheet as HTML (codes embedded as SVG data URIs)."""
    if layout not in LAYOUTS:
        raise LabelError(f"未知的标签版式：{layout!r}（可选 {', '.join(LAYOUTS)}）")
    items = list(labels)
    if not items:
        raise LabelError("没有需要打印的标签")
    rows = [
        {
            "label": label,
            "barcode": code128_data_uri(label.number),
            # The QR carries the plain number so any phone scanner shows it.
            "qr": qr_data_uri(label.number),
        }
        for label in items
    ]
    return jinja_env().get_template(TEMPLATE).render(rows=rows, layout=layout)


def render_labels_pdf(labels: Iterable[LabelData], *, layout: str = "roll") -> bytes:
    """The label sheet as PDF bytes."""
    html = label_html(labels, layout=layout)
    return render_pdf(html, base_url=base_url_for(TEMPLATE)).pdf
