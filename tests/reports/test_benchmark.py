import importlib.util
from pathlib import Path

import pytest

from lims.printing.pdf import cjk_fonts_installed

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "report_render_sign.py"


@pytest.mark.slow
@pytest.mark.skipif(not cjk_fonts_installed(), reason="fonts-noto-cjk not installed")
def test_render_and_sign_within_1_3x_of_plain_weasyprint():
    spec = importlib.util.spec_from_file_location("report_render_sign", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(runs=5)
    assert result["pages"] == 2
    assert result["ratio"] <= module.TARGET_RATIO, result
