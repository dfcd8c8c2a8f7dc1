"""Format ``lims-pr1``: the documented lims pesticide-reader line (checksummed).

One line per channel when the measurement ends::

    $PR,<channel>,<sample id>,<ΔA0 control>,<ΔAt sample>,<inhibition %>,<POS|NEG>*HH<CR><LF>

    $PR,3,S20260501-007,0.312,0.105,66.3,POS*HH

ΔA are absorbance changes at 412 nm over the reaction time (GB/T 5009.199-2003 §4.2), with
3 decimals; the inhibition rate has 1 decimal; HH is the XOR checksum of checked_line.py.
"""

from __future__ import annotations

from lims.instruments.drivers import checked_line
from lims.instruments.drivers.pesticide_formats import common

NAME = "lims-pr1"
DESCRIPTION = "$PR,channel,sample,dA_control,dA_sample,inhibition%,POS|NEG*HH"
TAG = "PR"


def parse_line(text: str, frame: bytes) -> common.PesticideFields:
    ch, sid, da0, dat, inh, judge = checked_line.split(text, TAG, 6, frame)
    return common.PesticideFields(
        channel=common.channel(ch, frame),
        sample_id=common.sample_id(sid, frame),
        delta_a_control=common.decimal(da0, "control ΔA", "对照 ΔA", frame),
        delta_a_sample=common.decimal(dat, "sample ΔA", "样品 ΔA", frame),
        inhibition_pct=common.decimal(inh, "inhibition rate", "抑制率", frame),
        positive=common.judgement(judge, frame),
    )


def format_line(
    channel: int, sample_id: str, da_control: str, da_sample: str, inhibition: str, positive: bool
) -> bytes:
    return checked_line.build(
        TAG,
        [str(channel), sample_id, da_control, da_sample, inhibition, "POS" if positive else "NEG"],
    )
