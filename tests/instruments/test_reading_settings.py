from __future__ import annotations

from datetime import datetime

import pytest

from lims.instruments.reading import Reading, normalize_decimal
from lims.instruments.settings import PortSettings


@pytest.mark.parametrize(
    "text,out",
    [("+00123.45", "123.45"), ("  -0.05", "-0.05"), ("-0.00", "0.00"), ("100.00", "100.00"),
     ("0012345", "12345"), (".5", "0.5"), ("- 12.3", "-12.3")],
)  # fmt: skip
def test_normalize_decimal(text, out):
    assert normalize_decimal(text) == out


@pytest.mark.parametrize("bad", ["", "+", "1.2.3", "1e5", "12a", "--1", "1,5"])
def test_normalize_decimal_rejects(bad):
    with pytest.raises(ValueError):
        normalize_decimal(bad)


def test_reading_is_frozen_and_validated():
    r = Reading(value="1.00", unit="g", stable=True, status="stable", raw=b"x", driver="d")
    with pytest.raises(AttributeError):
        r.value = "2.00"
    with pytest.raises(ValueError, match="exact decimal"):
        Reading(value="1.0e3", unit="g", stable=True, status="s", raw=b"", driver="d")
    with pytest.raises(ValueError, match="timezone"):
        Reading(
            value="1", unit="g", stable=True, status="s", raw=b"", driver="d",
            read_at=datetime(2026, 1, 1),
        )  # fmt: skip
    j = Reading(value="1", unit="g", stable=True, status="s", raw=b"\x06\xff", driver="d").to_json()
    assert j["raw"] == "\\x06\\xff" and j["raw_b64"] == "Bv8="


def test_port_settings():
    s = PortSettings.from_mapping({"baudrate": 2400, "parity": "E", "terminator": "\\r"})
    assert (s.baudrate, s.parity, s.terminator) == (2400, "E", b"\r")
    with pytest.raises(ValueError, match="unknown port setting"):
        PortSettings.from_mapping({"baud": 2400})
    with pytest.raises(ValueError, match="parity"):
        PortSettings(parity="X")
    with pytest.raises(ValueError, match="bytesize"):
        PortSettings(bytesize=9)
