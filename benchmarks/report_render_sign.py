"""Benchmark: render + sign a 20-test, two-page report vs plain WeasyPrint.

Prints the median time of the full pipeline (Jinja → WeasyPrint with layout
inspection → PAdES signature) and its ratio to rendering the same HTML with
plain ``weasyprint.HTML(...).write_pdf()``. Target: ratio ≤ 1.3.

    .venv/bin/python benchmarks/report_render_sign.py [--runs 7] [--check]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from weasyprint import HTML  # noqa: E402

from lims.reports.render import render_report, report_base_url, report_html  # noqa: E402
from lims.reports.signing import (  # noqa: E402
    init_dev_pki,
    load_signer,
    sign_pdf,
    verify_pdf,
)
from tests.reports.sample_data import make_document, make_tests  # noqa: E402

TARGET_RATIO = 1.3


def _median(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(runs: int = 7) -> dict[str, float]:
    doc = make_document(make_tests(20))
    html = report_html(doc)
    base_url = report_base_url()
    with tempfile.TemporaryDirectory() as tmp:
        paths = init_dev_pki(tmp, passphrase="benchmark")
        signer = load_signer(paths.lab_pkcs12, "benchmark")  # loaded once, as in the app

        def pipeline() -> bytes:
            rendered = render_report(doc)
            return sign_pdf(
                rendered.pdf,
                signer,
                box=rendered.signature_box.box,
                page_index=rendered.signature_box.page_index,
            )

        def plain() -> bytes:
            return HTML(string=html, base_url=base_url).write_pdf()

        # Warm-up: fontconfig, Python imports and font caches are paid once per process.
        signed = pipeline()
        plain()
        result = verify_pdf(signed, [paths.ca_cert])
        if not result.valid:
            raise SystemExit(f"benchmark produced an invalid signature: {result.reason}")
        pages = render_report(doc).page_count
        # Interleave to spread machine noise evenly over both measurements.
        t_plain, t_pipe = [], []
        for _ in range(runs):
            t_plain.append(_median(plain, 1))
            t_pipe.append(_median(pipeline, 1))
    med_plain = statistics.median(t_plain)
    med_pipe = statistics.median(t_pipe)
    return {
        "pages": pages,
        "plain_weasyprint_s": med_plain,
        "render_and_sign_s": med_pipe,
        "ratio": med_pipe / med_plain,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if ratio > {TARGET_RATIO}")
    args = parser.parse_args(argv)
    res = run(args.runs)
    print(f"pages:                     {res['pages']:.0f}")
    print(f"plain WeasyPrint (median): {res['plain_weasyprint_s'] * 1000:.0f} ms")
    print(f"render + sign (median):    {res['render_and_sign_s'] * 1000:.0f} ms")
    print(f"ratio:                     {res['ratio']:.3f} (target ≤ {TARGET_RATIO})")
    if args.check and res["ratio"] > TARGET_RATIO:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
