"""ReportDocument → HTML (Jinja) → PDF (WeasyPrint).

The verification QR code is part of the HTML, so the later PAdES signature
covers it. The report number is written to the PDF Info dictionary (/Subject
and a custom key) so verification can read it from the signed bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from lims.printing.codes import qr_data_uri
from lims.printing.pdf import BoxRect, base_url_for, jinja_env, render_pdf
from lims.reports.document import CMA_ITEM_MARK, ReportDocument, header_rows

TEMPLATE = "reports/report.html"
SIGNATURE_BOX_ID = "signature-box"
# Custom PDF Info key holding the report number (WeasyPrint writes <meta name=…>,
# which lower-cases it and drops non-alphanumerics).
METADATA_KEY = "limsreportnumber"


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    page_count: int
    signature_box: BoxRect  # where the visible signature goes (on the last page)


def report_html(doc: ReportDocument) -> str:
    """The report as a self-contained HTML string (stylesheet via base URL)."""
    return (
        jinja_env()
        .get_template(TEMPLATE)
        .render(
            doc=doc,
            s=doc.sample,
            header=header_rows(doc.sample),
            cma_item_mark=CMA_ITEM_MARK,
            qr_uri=qr_data_uri(doc.verify_url),
            signature_box_id=SIGNATURE_BOX_ID,
            metadata_key=METADATA_KEY,
        )
    )


def report_base_url() -> str:
    return base_url_for(TEMPLATE)


def render_report(doc: ReportDocument) -> RenderedReport:
    """Render the report to PDF and locate the reserved signature box."""
    rendered = render_pdf(
        report_html(doc), base_url=report_base_url(), locate_ids=(SIGNATURE_BOX_ID,)
    )
    return RenderedReport(
        pdf=rendered.pdf,
        page_count=rendered.page_count,
        signature_box=rendered.boxes[SIGNATURE_BOX_ID],
    )
