import base64
import re

import pytest
import segno

from lims.printing.codes import (
    CodeError,
    code128_data_uri,
    code128_modules,
    code128_svg,
    qr_data_uri,
    qr_svg,
)


def _bars_from_svg(svg: bytes, quiet: int = 10) -> str:
    """Rebuild the module pattern from the drawn rectangles."""
    text = svg.decode()
    width = int(re.search(r'viewBox="0 0 (\d+) ', text).group(1))
    pattern = ["0"] * (width - 2 * quiet)
    for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', text):
        for i in range(int(x) - quiet, int(x) - quiet + int(w)):
            pattern[i] = "1"
    return "".join(pattern)


@pytest.mark.parametrize("text", ["BZ2026-00123", "BZ2026-00123-2", "12345678", "a/b_c"])
def test_code128_svg_draws_exactly_the_symbol(text):
    svg = code128_svg(text)
    modules = code128_modules(text)
    assert _bars_from_svg(svg) == modules
    # Start code (B or C) and the stop pattern frame every Code 128 symbol.
    assert modules.endswith("1100011101011")
    assert modules[:11] in ("11010010000", "11010011100")


def test_code128_distinct_numbers_give_distinct_bars():
    assert code128_modules("BZ2026-00123") != code128_modules("BZ2026-00124")


@pytest.mark.parametrize("bad", ["", "样品001", "tab\there"])
def test_code128_rejects_unencodable_text(bad):
    with pytest.raises(CodeError):
        code128_svg(bad)


def test_code128_data_uri_round_trips():
    uri = code128_data_uri("BZ2026-00123")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == code128_svg("BZ2026-00123")


def _dark_modules_from_segno_path(svg: bytes) -> set[tuple[int, int]]:
    """Parse segno's relative path (M x y h n m dx dy …) into dark (row, col) cells."""
    d = re.search(r' d="([^"]+)"', svg.decode()).group(1)
    cells: set[tuple[int, int]] = set()
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            length = int(a)
            for i in range(length):
                cells.add((int(y - 0.5), int(x) + i))
            x += length
    return cells


def test_qr_svg_matches_the_qr_matrix():
    url = "https://lims.example.cn/verify/Q2xW9rT4-vKp3Lm8ZsY1nA"
    svg = qr_svg(url, border=2)
    assert b"viewBox" in svg and b"width=" not in svg  # sized by the HTML, not the SVG
    qr = segno.make_qr(url, error="m", encoding="utf-8")
    expected = {(r + 2, c + 2) for r, row in enumerate(qr.matrix) for c, v in enumerate(row) if v}
    assert _dark_modules_from_segno_path(svg) == expected


def test_qr_handles_chinese_and_rejects_empty():
    assert qr_data_uri("大米（粳米）BZ2026-00123").startswith("data:image/svg+xml;base64,")
    with pytest.raises(CodeError):
        qr_svg("")
    with pytest.raises(CodeError):
        qr_svg("x" * 5000)  # beyond QR capacity
