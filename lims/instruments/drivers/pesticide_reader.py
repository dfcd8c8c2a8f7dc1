"""Enzyme-inhibition pesticide-residue readers (organophosphate and carbamate rapid test).

Method: GB/T 5009.199-2003 "蔬菜中有机磷和氨基甲酸酯类农药残留量的快速检测", §4.2
(enzyme inhibition, 412 nm). The inhibition rate is

    I (%) = (ΔA0 − ΔAt) / ΔA0 × 100

with ΔA0 the absorbance change of the control and ΔAt that of the sample over the reaction
time; a sample with I ≥ 50 % is positive (§4.2.4 结果判定: 抑制率≥50% 为阳性).

Readers push one line per channel when a run ends; line layouts differ by vendor and live
in ``pesticide_formats/`` (default ``lims-pr1``). This driver checks every line against the
method: the rate must agree with the two ΔA when both are sent, and the reader's own
judgement must agree with the 50 % threshold. A line that disagrees is a frame error, not a
result.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from lims.instruments.drivers.base import Driver
from lims.instruments.drivers.pesticide_formats import FORMATS
from lims.instruments.errors import FrameError, InvalidTest
from lims.instruments.reading import Reading
from lims.instruments.settings import PortSettings

POSITIVE_THRESHOLD_PCT = Decimal("50")
#: |reported − recomputed| allowed, in percentage points: the ΔA on the line are rounded
#: to 3 decimals, so the rate recomputed from them differs slightly from the reader's own
RATE_TOLERANCE_PCT = Decimal("0.5")


def inhibition_rate(delta_a_control: Decimal, delta_a_sample: Decimal) -> Decimal:
    """GB/T 5009.199-2003 §4.2.4: I = (ΔA0 − ΔAt) / ΔA0 × 100."""
    if delta_a_control <= 0:
        raise ValueError("control ΔA must be positive")
    return (delta_a_control - delta_a_sample) / delta_a_control * 100


class PesticideReaderDriver(Driver):
    name = "pesticide-reader"
    kind = "reader"
    title = "Pesticide residue rapid-test reader (enzyme inhibition)"
    spec = "GB/T 5009.199-2003 §4.2; line formats in lims/instruments/drivers/pesticide_formats"
    default_settings = PortSettings(baudrate=9600, terminator=b"\r\n", timeout=30.0)
    commands: dict[str, bytes] = {}

    def __init__(self, line_format: str = "lims-pr1") -> None:
        if line_format not in FORMATS:
            raise ValueError(
                f"unknown pesticide line format {line_format!r}; known: {', '.join(FORMATS)}"
            )
        self.line_format = FORMATS[line_format]

    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        fields = self.line_format.parse_line(self.text(frame), frame)
        rate = Decimal(fields.inhibition_pct)
        if not Decimal("-100") <= rate <= Decimal("100"):
            raise FrameError(
                f"inhibition rate {rate} % outside -100..100",
                f"抑制率 {rate}% 超出 -100~100 范围",
                raw=frame,
            )
        if fields.delta_a_control is not None and fields.delta_a_sample is not None:
            da0 = Decimal(fields.delta_a_control)
            if da0 <= 0:
                # the enzyme did not react in the control: the whole run is invalid
                raise InvalidTest(
                    f"control ΔA {da0} is not positive (enzyme inactive?)",
                    f"对照 ΔA 为 {da0}，不大于 0（酶是否失活？）",
                    raw=frame,
                )
            expected = inhibition_rate(da0, Decimal(fields.delta_a_sample))
            if abs(expected - rate) > RATE_TOLERANCE_PCT:
                raise FrameError(
                    f"inhibition rate {rate} % disagrees with the ΔA sent "
                    f"(recomputed {expected:.1f} %)",
                    f"抑制率 {rate}% 与 ΔA 不符（按 ΔA 计算为 {expected:.1f}%）",
                    raw=frame,
                )
        positive = rate >= POSITIVE_THRESHOLD_PCT
        if fields.positive is not None and fields.positive != positive:
            raise FrameError(
                f"reader judged {'positive' if fields.positive else 'negative'} "
                f"but the rate {rate} % is {'≥' if positive else '<'} 50 %",
                f"仪器判定与抑制率 {rate}% 按 50% 阈值的结论不一致",
                raw=frame,
            )
        return Reading(
            value=fields.inhibition_pct,
            unit="%",
            stable=True,
            status="positive" if positive else "negative",
            raw=frame,
            driver=self.name,
            read_at=self.now(read_at),
            channel=fields.channel,
            sample_id=fields.sample_id,
            item="organophosphate/carbamate (enzyme inhibition)",
            inhibition_pct=fields.inhibition_pct,
            positive=positive,
        )
