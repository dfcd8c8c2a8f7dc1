"""Simulated rapid-test readers: they push one line per result (see drivers/*_reader.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from lims.instruments.drivers import gold_reader
from lims.instruments.drivers.pesticide_formats import lims_pr1
from lims.instruments.drivers.pesticide_reader import POSITIVE_THRESHOLD_PCT, inhibition_rate
from lims.instruments.simulators.base import Device
from lims.instruments.simulators.script import Step


class PesticideReaderDevice(Device):
    driver_name = "pesticide-reader"
    kind = "reader"
    push_steps = frozenset({"pesticide", "line"})
    default_script = """
        sleep 2
        pesticide 1 S20260501-001 0.312 0.290
        sleep 0.5
        pesticide 2 S20260501-002 0.312 0.105
    """

    def partial(self) -> bytes:
        return b"$PR,4,S-009,0.31"

    def push(self, step: Step) -> bytes:
        if step.kind != "pesticide":
            return super().push(step)
        ch, sid, da0, dat = step.args
        rate = inhibition_rate(Decimal(da0), Decimal(dat)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_EVEN
        )
        return lims_pr1.format_line(
            int(ch), sid, da0, dat, str(rate), rate >= POSITIVE_THRESHOLD_PCT
        )


class GoldReaderDevice(Device):
    driver_name = "gold-reader"
    kind = "reader"
    push_steps = frozenset({"gold", "line"})
    default_script = """
        sleep 2
        gold 1 S20260501-011 clenbuterol 412.0 1030.5 0.80 COMP
        sleep 0.5
        gold 2 S20260501-012 clenbuterol 980.0 1010.0 0.80 COMP
    """

    def partial(self) -> bytes:
        return b"$GR,1,S-011,clenbut"

    def push(self, step: Step) -> bytes:
        if step.kind != "gold":
            return super().push(step)
        ch, sid, item, t, c, cutoff, *assay = step.args
        return gold_reader.format_line(int(ch), sid, item, t, c, cutoff, *(assay or ["COMP"]))
