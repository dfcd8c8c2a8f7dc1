"""Alerts computed as results conclude: connected to ``sample_approved`` when the alerts
blueprint is imported.  The evaluation is a job (on a worker with Redis, inline otherwise), so
the approval never waits for it and never fails because of it; the nightly job
(``lims alerts run``) computes the same signals again."""

from __future__ import annotations

import logging

from lims.alerts import services
from lims.core.jobs import enqueue
from lims.extensions import db
from lims.results.signals import sample_approved
from lims.samples.models import Sample

log = logging.getLogger(__name__)


def evaluate_sample_id(sample_id: int) -> int:
    """The job: the signals a concluded sample can start; returns the number of new alerts."""
    sample = db.session.get(Sample, sample_id)
    if sample is None:
        return 0
    return len(services.evaluate_sample(sample))


def on_sample_approved(sample: Sample, user=None, **_extra: object) -> None:
    try:
        enqueue("lims.alerts.hooks.evaluate_sample_id", sample.id)
    except Exception:  # noqa: BLE001 - the approval stands; the nightly job catches up
        log.exception("alert evaluation not queued for sample %s", sample.number)
        db.session.rollback()


sample_approved.connect(on_sample_approved)
