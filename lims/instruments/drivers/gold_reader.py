"""Colloidal-gold (lateral flow) strip readers.

A reader scans the test (T) and control (C) lines of a strip and judges the sample by the
T/C ratio against the cut-off printed in the kit's instructions. Food-safety strips for
small molecules (clenbuterol 克伦特罗, ractopamine, salbutamol, antibiotics...) are
*competitive*: analyte in the sample takes gold away from the T line, so the sample is
positive when T/C < cut-off. Sandwich strips (large analytes) are positive when
T/C ≥ cut-off. A strip without a visible C line is invalid whatever the T line shows.

Line format ``lims-gr1`` (checksum as in checked_line.py), one line per strip::

    $GR,<channel>,<sample id>,<item>,<T>,<C>,<T/C>,<cut-off>,<COMP|SAND>,<POS|NEG|INV>*HH

    $GR,1,S20260501-011,clenbuterol,412.0,1030.5,0.40,0.80,COMP,POS*HH

T and C are line intensities (reader units); the ratio has 2 decimals. The driver checks
the ratio against T/C and the judgement against the cut-off.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from lims.instruments.drivers import checked_line
from lims.instruments.drivers.base import Driver
from lims.instruments.drivers.pesticide_formats import common
from lims.instruments.errors import FrameError, InvalidTest
from lims.instruments.reading import Reading
from lims.instruments.settings import PortSettings

TAG = "GR"


def is_positive(ratio: Decimal, cutoff: Decimal, assay: str) -> bool:
    """Judgement by the kit's cut-off: competitive positive below it, sandwich at or above."""
    if assay == "COMP":
        return ratio < cutoff
    if assay == "SAND":
        return ratio >= cutoff
    raise ValueError(f"assay must be COMP or SAND, got {assay!r}")


def format_line(
    channel: int,
    sample_id: str,
    item: str,
    t: str,
    c: str,
    cutoff: str,
    assay: str = "COMP",
    judgement: str | None = None,
    ratio: str | None = None,
) -> bytes:
    """Build a ``lims-gr1`` line; ratio and judgement are computed unless given."""
    if ratio is None:
        ratio = f"{Decimal(t) / Decimal(c):.2f}" if Decimal(c) > 0 else "0.00"
    if judgement is None:
        if Decimal(c) <= 0:
            judgement = "INV"
        else:
            judgement = "POS" if is_positive(Decimal(ratio), Decimal(cutoff), assay) else "NEG"
    return checked_line.build(
        TAG, [str(channel), sample_id, item, t, c, ratio, cutoff, assay, judgement]
    )


class GoldReaderDriver(Driver):
    name = "gold-reader"
    kind = "reader"
    title = "Colloidal-gold strip reader"
    spec = "lims-gr1 line format (module docstring); judgement by the kit's T/C cut-off"
    default_settings = PortSettings(baudrate=9600, terminator=b"\r\n", timeout=30.0)
    commands: dict[str, bytes] = {}

    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        ch, sid, item, t, c, ratio, cutoff, assay, judge = checked_line.split(
            self.text(frame), TAG, 9, frame
        )
        channel = common.channel(ch, frame)
        sample_id = common.sample_id(sid, frame)
        if not re.fullmatch(r"[a-z][a-z0-9_\-]{1,39}", item):
            raise FrameError(f"item {item!r} is not valid", f"检测项目 {item!r} 无效", raw=frame)
        t_d = Decimal(common.decimal(t, "T intensity", "T 线强度", frame))
        c_d = Decimal(common.decimal(c, "C intensity", "C 线强度", frame))
        ratio_s = common.decimal(ratio, "T/C ratio", "T/C 比值", frame)
        cutoff_d = Decimal(common.decimal(cutoff, "cut-off", "临界值", frame))
        if assay not in ("COMP", "SAND"):
            raise FrameError(
                f"assay {assay!r} is not COMP or SAND", f"检测模式 {assay!r} 无效", raw=frame
            )
        if judge == "INV" or c_d <= 0:
            raise InvalidTest(
                "no control (C) line on the strip",
                "试纸条质控线（C 线）未显色",
                raw=frame,
            )
        if t_d < 0:
            raise FrameError("T intensity is negative", "T 线强度为负", raw=frame)
        ratio_d = Decimal(ratio_s)
        step = Decimal(1).scaleb(ratio_d.as_tuple().exponent)  # one unit of the last digit
        if abs(t_d / c_d - ratio_d) > step:
            raise FrameError(
                f"T/C ratio {ratio_s} disagrees with T={t}, C={c} ({t_d / c_d:.3f})",
                f"T/C 比值 {ratio_s} 与 T={t}、C={c} 不符",
                raw=frame,
            )
        positive = is_positive(ratio_d, cutoff_d, assay)
        if judge not in ("POS", "NEG"):
            raise FrameError(
                f"judgement {judge!r} is not POS/NEG/INV", f"判定 {judge!r} 无效", raw=frame
            )
        if (judge == "POS") != positive:
            raise FrameError(
                f"reader judged {judge} but T/C {ratio_s} vs cut-off {cutoff} ({assay}) "
                f"gives {'POS' if positive else 'NEG'}",
                f"仪器判定 {judge} 与 T/C {ratio_s} 按临界值 {cutoff} 的结论不一致",
                raw=frame,
            )
        return Reading(
            value=ratio_s,
            unit="T/C",
            stable=True,
            status="positive" if positive else "negative",
            raw=frame,
            driver=self.name,
            read_at=self.now(read_at),
            channel=channel,
            sample_id=sample_id,
            item=item,
            tc_ratio=ratio_s,
            positive=positive,
        )
