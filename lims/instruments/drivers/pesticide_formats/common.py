"""Field checks shared by the pesticide line formats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lims.instruments.errors import FrameError
from lims.instruments.reading import normalize_decimal


@dataclass(frozen=True)
class PesticideFields:
    channel: int
    sample_id: str
    #: absorbance change of the control in the reaction time, ΔA0 (may be unknown)
    delta_a_control: str | None
    #: absorbance change of the sample, ΔAt (may be unknown)
    delta_a_sample: str | None
    inhibition_pct: str
    #: the reader's own judgement, True = positive; None if the format has none
    positive: bool | None


_SAMPLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}")


def channel(text: str, frame: bytes) -> int:
    if not re.fullmatch(r"\d{1,3}", text.strip()) or int(text) == 0:
        raise FrameError(
            f"channel {text!r} is not a number 1-999", f"通道号 {text!r} 无效", raw=frame
        )
    return int(text)


def sample_id(text: str, frame: bytes) -> str:
    if not _SAMPLE.fullmatch(text.strip()):
        raise FrameError(f"sample id {text!r} is not valid", f"样品编号 {text!r} 无效", raw=frame)
    return text.strip()


def decimal(text: str, what: str, what_zh: str, frame: bytes) -> str:
    try:
        return normalize_decimal(text)
    except ValueError:
        raise FrameError(
            f"{what} {text!r} is not a number", f"{what_zh} {text!r} 不是数字", raw=frame
        ) from None


def judgement(text: str, frame: bytes) -> bool:
    t = text.strip().upper()
    if t in ("POS", "+", "阳性"):
        return True
    if t in ("NEG", "-", "阴性"):
        return False
    raise FrameError(
        f"judgement {text!r} is not POS/NEG", f"判定结果 {text!r} 不是阳性/阴性", raw=frame
    )
