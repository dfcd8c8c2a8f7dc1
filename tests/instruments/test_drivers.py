"""Every driver against frames from its specification: parsed directly and over loop://."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lims.instruments.errors import DeviceErrorReply, InstrumentError
from lims.instruments.registry import DRIVERS, get_driver
from lims.instruments.transport import InstrumentSession, Port

from .conftest import ALL_CASES, DRIVER_NAMES, Case, load_cases


def check(case: Case, parse) -> None:
    kind = case.expect[0]
    if kind == "reading":
        value, unit, flag = case.expect[1:4]
        reading = parse()
        assert reading.value == value
        assert reading.unit == ("" if unit == "-" else unit)
        assert reading.raw == case.frame
        assert reading.driver == case.driver
        if flag in ("stable", "dynamic"):
            assert reading.stable is (flag == "stable")
        else:
            assert reading.positive is (flag == "positive")
            assert reading.status == flag
    else:
        assert kind == "error"
        with pytest.raises(InstrumentError) as info:
            parse()
        assert info.value.kind == case.expect[1], str(info.value)
        if len(case.expect) > 2:
            assert isinstance(info.value, DeviceErrorReply)
            assert info.value.code == " ".join(case.expect[2:])
        assert info.value.message_zh and str(info.value)


def test_every_driver_has_a_frame_file_with_readings_and_errors():
    assert sorted(DRIVERS) == sorted(DRIVER_NAMES)
    for name in DRIVER_NAMES:
        kinds = {c.expect[0] for c in load_cases(name)}
        assert kinds == {"reading", "error"}, name


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_parse_documented_frame(case: Case):
    driver = get_driver(case.driver)
    check(case, lambda: driver.parse(case.frame))


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_frame_over_loop(case: Case):
    """The device side writes the frame into loop://; the session takes it as pushed."""
    driver = get_driver(case.driver)
    with Port("loop://", driver.default_settings.with_(timeout=0.5)) as port:
        port.write(case.frame)
        session = InstrumentSession(driver, port)
        check(case, lambda: session.receive(timeout=0.5, require_stable=False))


def test_read_at_is_given_time_and_aware():
    t = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    r = get_driver("mt-sics").parse(b"S S     100.00 g\r\n", read_at=t)
    assert r.read_at == t
    assert r.to_json()["read_at"] == "2026-05-01T08:30:00Z"


def test_mt_sics_replies():
    d = get_driver("mt-sics")
    assert d.parse_reply("I4", b'I4 A "B021002593"\r\n') == "B021002593"
    assert d.parse_reply("@", b'I4 A "B021002593"\r\n') == "B021002593"
    assert d.parse_reply("Z", b"Z A\r\n") == "zeroed"
    assert d.parse_reply("T", b"T S     100.00 g\r\n") == "100.00 g"
    assert d.parse_reply("TA", b"TA A     100.00 g\r\n") == "100.00 g"
    with pytest.raises(DeviceErrorReply) as info:
        d.parse_reply("Z", b"Z +\r\n")
    assert info.value.code == "Z +"
    with pytest.raises(DeviceErrorReply):
        d.parse_reply("T", b"EL\r\n")
    assert d.encode("SI") == b"SI\r\n"
    with pytest.raises(InstrumentError) as info:
        d.encode("XYZ")
    assert info.value.kind == "unsupported_command"


def test_commands_bytes():
    assert get_driver("sartorius-sbi").encode("P") == b"\x1bP\r\n"
    assert get_driver("and-standard").encode("Q") == b"Q\r\n"


def test_plain_csv_vendor_format_judges_by_threshold():
    from lims.instruments.drivers.pesticide_reader import PesticideReaderDriver

    d = PesticideReaderDriver("plain-csv")
    assert d.parse(b"2,S-0042,18.5\r\n").positive is False
    assert d.parse(b"2,S-0042,50.0\r\n").positive is True
    with pytest.raises(InstrumentError):
        d.parse(b"2,S-0042\r\n")
    with pytest.raises(ValueError):
        PesticideReaderDriver("no-such-format")
