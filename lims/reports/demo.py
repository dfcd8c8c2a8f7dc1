"""Demo data for reports: CMA certificate numbers of the demo labs (a ``lims demo`` step).

The network file has no certificate numbers (they are each lab's own data); without one no
report may carry the CMA mark. The demo gives the labs that declare CMA-accredited
capabilities an obviously fictitious number, and leaves 温泉县 (WQ-LAB, "CMA 扩项中") without
one, so that both cases can be seen.
"""

from __future__ import annotations

import sqlalchemy as sa

from lims.extensions import db
from lims.orgs.models import Organization

DEMO_CMA_CERTIFICATES = {
    "BZ-LAB": "202665270001",
    "BL-LAB": "202665270101",
    "JH-LAB": "202665270201",
    "ALSK-LAB": "202665270301",
}


def load_demo_cma_certificates() -> int:
    """Set the demo numbers on labs that have none; never overwrite a real one."""
    changed = 0
    for org in db.session.scalars(sa.select(Organization).where(
            Organization.code.in_(DEMO_CMA_CERTIFICATES), Organization.cma_certificate.is_(None))):
        org.cma_certificate = DEMO_CMA_CERTIFICATES[org.code]
        changed += 1
    db.session.flush()
    return changed
