"""The report benchmark measures what the issue asks for: a 20-test report of two pages.

Its timing is printed by the script (speed is measured in benchmarks/, never asserted here:
a loaded CI machine would make such an assertion flaky)."""

import importlib.util
from pathlib import Path

import pytest

from lims.printing.pdf import cjk_fonts_installed

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "report_render_sign.py"


@pytest.mark.skipif(not cjk_fonts_installed(), reason="fonts-noto-cjk not installed")
def test_benchmark_renders_and_signs_a_two_page_twenty_test_report():
    spec = importlib.util.spec_from_file_location("report_render_sign", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(runs=1)
    assert result["pages"] == 2
    assert result["plain_weasyprint_s"] > 0 and result["render_and_sign_s"] > 0
