"""HTML → PDF with WeasyPrint, configured for Chinese documents.

One FontConfiguration per process: building it queries fontconfig, which is
measurable on every report. Templates live in the top-level ``templates/``
folder (shared with Flask); relative URLs in them (stylesheets, images)
resolve against that folder through ``base_url``.
"""

from __future__ import annotations

import functools
import math
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from lims.core.localtime import format_local

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

# The CJK families installed by the setup command (Debian fonts-noto-cjk).
CJK_FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")

PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF uses pt (1/72 in).


class PdfRenderError(RuntimeError):
    """Rendering failed in a way the caller must fix (e.g. missing CJK font)."""


@functools.cache
def font_config() -> FontConfiguration:
    """The process-wide WeasyPrint font configuration."""
    return FontConfiguration()


@functools.cache
def jinja_env() -> jinja2.Environment:
    """A Flask-independent Jinja environment over the top-level templates folder."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cssstr"] = css_string
    env.filters["zhdate"] = zh_date
    env.filters["localtime"] = format_local
    return env


def css_string(value: object) -> Markup:
    """Quote ``value`` as a CSS string literal (for @page margin box content).

    Returned as Markup: inside <style> HTML entities are not decoded, so the
    HTML autoescape must not touch it; quotes, backslashes, ``<``/``>`` and
    control characters are CSS-escaped instead.
    """
    out = []
    for ch in str(value):
        if ch in '"\\<>&' or ord(ch) < 32 or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def zh_date(value: Any) -> str:
    """Format a date as 2026年11月29日 (the form used on Chinese test reports)."""
    if value is None:
        return "/"
    return f"{value.year}年{value.month}月{value.day}日"


def base_url_for(template_name: str) -> str:
    """The base URL for relative references in ``template_name``."""
    return str((TEMPLATES_DIR / template_name).parent) + "/"


@functools.cache
def cjk_fonts_installed() -> tuple[str, ...]:
    """Families from CJK_FONT_FAMILIES known to fontconfig (empty if none or no fc-list)."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    found = {name.strip() for line in out.splitlines() for name in line.split(",")}
    return tuple(family for family in CJK_FONT_FAMILIES if family in found)


def require_cjk_font() -> None:
    """Fail loudly instead of printing reports full of empty boxes."""
    if not cjk_fonts_installed():
        raise PdfRenderError(
            "未找到中文字体（Noto Serif/Sans CJK SC），请先运行安装命令安装 fonts-noto-cjk"
        )


@dataclass(frozen=True)
class BoxRect:
    """An element's border box on a page, in PDF points (origin bottom-left)."""

    page_index: int
    page_count: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Integer (ll_x, ll_y, ur_x, ur_y), shrunk inward so it never exceeds the element."""
        return (math.ceil(self.x1), math.ceil(self.y1), math.floor(self.x2), math.floor(self.y2))


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int
    boxes: dict[str, BoxRect]


def _descendants(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _descendants(child)


def render_pdf(
    html: str,
    *,
    base_url: str | None = None,
    locate_ids: tuple[str, ...] = (),
    custom_metadata: bool = True,
) -> RenderedPdf:
    """Render ``html`` to PDF bytes and locate the elements whose ids are in ``locate_ids``.

    The location comes from WeasyPrint's own layout, so a visible signature
    widget can be placed exactly over a box the template reserved for it.
    """
    require_cjk_font()
    document = HTML(string=html, base_url=base_url or str(TEMPLATES_DIR) + "/").render(
        font_config=font_config()
    )
    if not document.pages:
        raise PdfRenderError("PDF 渲染结果没有页面")
    page_count = len(document.pages)
    boxes: dict[str, BoxRect] = {}
    wanted = set(locate_ids)
    if wanted:
        for index, page in enumerate(document.pages):
            for box in _descendants(page._page_box):
                element = getattr(box, "element", None)
                if element is None or getattr(box, "element_tag", None) is None:
                    continue
                element_id = element.get("id")
                if element_id in wanted and element_id not in boxes:
                    x = box.border_box_x() * PX_TO_PT
                    top = box.border_box_y() * PX_TO_PT
                    width = box.border_width() * PX_TO_PT
                    height = box.border_height() * PX_TO_PT
                    page_height = page.height * PX_TO_PT
                    boxes[element_id] = BoxRect(
                        page_index=index,
                        page_count=page_count,
                        x1=x,
                        y1=page_height - top - height,
                        x2=x + width,
                        y2=page_height - top,
                    )
        missing = wanted - boxes.keys()
        if missing:
            raise PdfRenderError(f"模板中未找到元素：{', '.join(sorted(missing))}")
    pdf = document.write_pdf(custom_metadata=custom_metadata)
    return RenderedPdf(pdf=pdf, page_count=page_count, boxes=boxes)


def render_template_pdf(template_name: str, **context: Any) -> RenderedPdf:
    """Render a Jinja template from ``templates/`` to PDF (no element location)."""
    html = jinja_env().get_template(template_name).render(**context)
    return render_pdf(html, base_url=base_url_for(template_name))
