"""Format ``plain-csv``: readers that print a bare comma-separated line, no checksum.

    <channel>,<sample id>,<inhibition %>        e.g.  2,S-0042,18.5

Seen on simple readers whose print-out gives only the inhibition rate; the judgement is
then made by lims from the GB/T 5009.199 threshold alone. Without a checksum a garbled
digit cannot be detected, so prefer ``lims-pr1`` where the reader allows it.
"""

from __future__ import annotations

from lims.instruments.drivers.pesticide_formats import common
from lims.instruments.errors import FrameError

NAME = "plain-csv"
DESCRIPTION = "channel,sample,inhibition%"


def parse_line(text: str, frame: bytes) -> common.PesticideFields:
    fields = text.split(",")
    if len(fields) != 3:
        raise FrameError(
            f"plain-csv line needs 3 fields, got {len(fields)}",
            f"plain-csv 数据行应有 3 个字段，实际 {len(fields)} 个",
            raw=frame,
        )
    return common.PesticideFields(
        channel=common.channel(fields[0], frame),
        sample_id=common.sample_id(fields[1], frame),
        delta_a_control=None,
        delta_a_sample=None,
        inhibition_pct=common.decimal(fields[2], "inhibition rate", "抑制率", frame),
        positive=None,
    )
