"""Alerts computed as results conclude: connected to ``sample_approved`` when the alerts
blueprint is imported.  A failure here is logged and never touches the approval; the nightly
job (``lims alerts run``) computes the same signals again."""

from __future__ import annotations

import logging

from lims.alerts import services
from lims.extensions import db
from lims.results.signals import sample_approved
from lims.samples.models import Sample

log = logging.getLogger(__name__)


def on_sample_approved(sample: Sample, user=None, **_extra: object) -> None:
    try:
        services.evaluate_sample(sample)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the approval stands; the nightly job catches up
        log.exception("alert evaluation failed for sample %s", sample.number)
        db.session.rollback()


sample_approved.connect(on_sample_approved)
