"""Barcode and QR code images as SVG data URIs for embedding in HTML.

SVG keeps the codes vector-sharp at any print resolution; data URIs keep the
HTML self-contained so the PDF (and its signature) covers them.
"""

from __future__ import annotations

import base64
import io
import re

import segno
from barcode import Code128
from barcode.errors import BarcodeError


class CodeError(ValueError):
    """The text cannot be encoded as the requested code."""


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def code128_svg(text: str, *, height_modules: int = 40, quiet_zone_modules: int = 10) -> bytes:
    """Code 128 barcode of ``text`` as SVG bytes, without human-readable text.

    python-barcode computes the symbol (code set switching, checksum); the SVG
    is drawn here in module units with a viewBox, so the HTML can size it
    freely without distorting bar ratios. The number is printed by the template.
    """
    if not text:
        raise CodeError("条码内容不能为空")
    if any(ord(ch) > 127 or ord(ch) < 32 for ch in text):
        # Code 128 only encodes printable ASCII; anything else is a data error.
        raise CodeError(f"条码内容含非 ASCII 可打印字符，无法编码为 Code 128：{text!r}")
    try:
        (modules,) = Code128(text).build()
    except BarcodeError as exc:
        raise CodeError(f"无法生成 Code 128 条码 {text!r}：{exc}") from exc
    rects = []
    for match in re.finditer("1+", modules):
        x = match.start() + quiet_zone_modules
        rects.append(
            f'<rect x="{x}" y="0" width="{len(match.group())}" height="{height_modules}"/>'
        )
    width = len(modules) + 2 * quiet_zone_modules
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height_modules}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{height_modules}" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )
    return svg.encode("ascii")


def code128_modules(text: str) -> str:
    """The bar/space module pattern ('1' = bar) of ``text``; for tests and checks."""
    return Code128(text).build()[0]


def code128_data_uri(text: str, **kwargs: int) -> str:
    """Code 128 barcode of ``text`` as an ``image/svg+xml`` data URI."""
    return _data_uri(code128_svg(text, **kwargs))


def qr_svg(text: str, *, error: str = "m", border: int = 2) -> bytes:
    """QR code of ``text`` (UTF-8) as SVG bytes with a unit-less scalable viewBox."""
    if not text:
        raise CodeError("二维码内容不能为空")
    try:
        qr = segno.make_qr(text, error=error, encoding="utf-8")
    except (segno.DataOverflowError, ValueError) as exc:
        raise CodeError(f"无法生成二维码：{exc}") from exc
    buf = io.BytesIO()
    # omitsize: only a viewBox, so the HTML decides the printed size.
    qr.save(buf, kind="svg", border=border, xmldecl=False, svgns=True, omitsize=True)
    return buf.getvalue()


def qr_data_uri(text: str, **kwargs: object) -> str:
    """QR code of ``text`` as an ``image/svg+xml`` data URI."""
    return _data_uri(qr_svg(text, **kwargs))  # type: ignore[arg-type]
