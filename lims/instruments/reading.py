"""The value a driver produces: a frozen reading with its raw frame."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def normalize_decimal(text: str) -> str:
    """Exact decimal text as the device showed it, without sign noise or leading zeros.

    ``"+00123.450"`` -> ``"123.450"`` (trailing zeros are kept: they carry the resolution),
    ``"-0.00"`` -> ``"0.00"``. Raises ``ValueError`` on anything that is not a plain decimal.
    """
    t = text.strip().replace(" ", "")
    sign = ""
    if t[:1] and t[:1] in "+-":
        sign, t = ("-" if t[0] == "-" else ""), t[1:]
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", t):
        raise ValueError(f"not a decimal number: {text!r}")
    if t.startswith("."):
        t = "0" + t
    whole, _, frac = t.partition(".")
    whole = whole.lstrip("0") or "0"
    out = whole + ("." + frac if frac else "")
    if set(out) <= {"0", "."}:
        sign = ""
    return sign + out


def escape_raw(raw: bytes) -> str:
    """Frame bytes as printable ASCII text: ``b"S S 1 g\\r\\n"`` -> ``"S S 1 g\\\\r\\\\n"``."""
    return raw.decode("latin-1").encode("unicode_escape").decode("ascii")


@dataclass(frozen=True)
class Reading:
    value: str
    unit: str
    stable: bool
    status: str
    raw: bytes
    driver: str
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    channel: int | None = None
    sample_id: str | None = None
    item: str | None = None
    inhibition_pct: str | None = None
    tc_ratio: str | None = None
    positive: bool | None = None

    def __post_init__(self) -> None:
        if not _DECIMAL.fullmatch(self.value):
            raise ValueError(f"Reading.value must be an exact decimal string, got {self.value!r}")
        if self.read_at.tzinfo is None or self.read_at.utcoffset() is None:
            raise ValueError("Reading.read_at must be timezone-aware")
        if not isinstance(self.raw, bytes):
            raise TypeError("Reading.raw must be bytes")

    def to_json(self) -> dict:
        out: dict = {
            "value": self.value,
            "unit": self.unit,
            "stable": self.stable,
            "status": self.status,
            "raw": escape_raw(self.raw),
            "raw_b64": base64.b64encode(self.raw).decode("ascii"),
            "read_at": self.read_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "driver": self.driver,
        }
        for name in ("channel", "sample_id", "item", "inhibition_pct", "tc_ratio", "positive"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        return out
