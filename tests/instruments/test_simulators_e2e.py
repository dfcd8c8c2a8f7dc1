"""End to end: each driver against its simulator over a pty."""

from __future__ import annotations

import pytest

from lims.instruments.simulators import ScriptError, make_simulator, parse_script


@pytest.mark.parametrize(
    "driver,command",
    [
        ("mt-sics", "S"), ("mt-sics", "SI"), ("sartorius-sbi", "P"),
        ("and-standard", "S"), ("and-standard", "Q"), ("and-standard", "SI"),
    ],
)  # fmt: skip
def test_balance_over_pty(sim_session, driver, command):
    _, s = sim_session(driver, "stable 100.00 g")
    r = s.read(command, timeout=3)
    assert (r.value, r.unit, r.stable, r.driver) == ("100.00", "g", True, driver)
    assert r.raw.endswith(b"\r\n")


@pytest.mark.parametrize("driver", ["mt-sics", "sartorius-sbi", "and-standard"])
def test_negative_and_kilogram(sim_session, driver):
    _, s = sim_session(driver, "stable -0.05 g; stable 1.2345 kg")
    assert s.read(timeout=3).value == "-0.05"
    r = s.read(timeout=3)
    assert (r.value, r.unit) == ("1.2345", "kg")


def test_sartorius_22_character_format():
    from lims.instruments.registry import get_driver
    from lims.instruments.simulators.base import Simulator
    from lims.instruments.simulators.sartorius_sbi import SartoriusSbiDevice
    from lims.instruments.transport import InstrumentSession, Port

    sim = Simulator(SartoriusSbiDevice(ident="N"), "stable 153.56 g")
    url = sim.serve_pty()
    d = get_driver("sartorius-sbi")
    try:
        with InstrumentSession(d, Port(url, d.default_settings)) as s:
            r = s.read("P", timeout=3)
        assert len(r.raw) == 22 and r.value == "153.56" and r.status == "stable N"
    finally:
        sim.stop()


def test_mt_sics_serial_zero_tare(sim_session):
    _, s = sim_session("mt-sics", "stable 25.00 g")
    assert s.serial_number() == "B123456789"
    assert s.ask("Z") == "zeroed"
    s.read("SI")
    assert s.ask("T") == "25.00 g"
    assert s.ask("TA") == "25.00 g"


def test_print_key_push(sim_session):
    _, s = sim_session("mt-sics", "sleep 0.3; print 42.10 g")
    r = s.receive(timeout=3)
    assert r.value == "42.10" and r.stable


def test_sir_stream(sim_session):
    _, s = sim_session("and-standard", "unstable 2 then stable 9.99 g")
    s.port.write(s.driver.encode("SIR"))
    r = s.receive(timeout=3)  # unstable streamed values are skipped
    assert r.value == "9.99" and r.stable


def test_pesticide_reader_over_pty(sim_session):
    _, s = sim_session(
        "pesticide-reader",
        "sleep 0.3; pesticide 1 S-001 0.312 0.290; pesticide 2 S-002 0.312 0.105",
    )
    a, b = s.read(timeout=3), s.read(timeout=3)
    assert (a.channel, a.sample_id, a.inhibition_pct, a.positive) == (1, "S-001", "7.1", False)
    assert (b.channel, b.sample_id, b.inhibition_pct, b.positive) == (2, "S-002", "66.3", True)


def test_gold_reader_over_pty(sim_session):
    _, s = sim_session(
        "gold-reader",
        "sleep 0.3; gold 1 S-011 clenbuterol 412.0 1030.5 0.80; "
        "gold 2 S-012 aflatoxin-m1 950 500 1.00 SAND",
    )
    a, b = s.read(timeout=3), s.read(timeout=3)
    assert (a.item, a.tc_ratio, a.positive) == ("clenbuterol", "0.40", True)
    assert (b.item, b.tc_ratio, b.positive) == ("aflatoxin-m1", "1.90", True)


def test_script_errors():
    with pytest.raises(ScriptError, match="unknown step"):
        parse_script("stable 1.00 g\nexplode")
    with pytest.raises(ScriptError, match="arguments"):
        parse_script("stable 1.00")
    with pytest.raises(ScriptError, match="not a number"):
        parse_script("stable abc g")
    with pytest.raises(ScriptError, match="cannot do"):
        make_simulator("gold-reader", "stable 1.00 g")
    steps = parse_script("unstable 2 then stable 1.000 g  # settle")
    assert [s.kind for s in steps] == ["unstable", "unstable", "stable"]
    assert steps[0].args[0] != "1.000" and len(steps[0].args[0]) == 5
