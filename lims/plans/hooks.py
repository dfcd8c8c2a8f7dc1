"""Receipt against a plan task: connected to ``sample_received`` when the plans blueprint is
imported (the receipt page sends it with the form, which carries ``plan_task``)."""

from __future__ import annotations

from lims.plans.services import on_sample_received
from lims.samples.signals import sample_received

sample_received.connect(on_sample_received)
