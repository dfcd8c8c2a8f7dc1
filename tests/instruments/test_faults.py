"""Point 4: every fault is a distinct, clear error and produces no reading.

Each test runs the real driver over a pty (or TCP) against its simulator.
"""

from __future__ import annotations

import time

import pytest

from lims.instruments.errors import (
    DeviceErrorReply,
    FrameError,
    InstrumentError,
    InvalidTest,
    NoResponse,
    Overload,
    PortLost,
    PortUnavailable,
    Underload,
    UnstableReading,
)
from lims.instruments.transport import InstrumentSession, Port

BALANCES = ["mt-sics", "sartorius-sbi", "and-standard"]
IMMEDIATE = {"mt-sics": "SI", "sartorius-sbi": "P", "and-standard": "Q"}


def expect_no_reading(session, exc_type, **read_kw):
    result = None
    with pytest.raises(exc_type) as info:
        result = session.read(**read_kw)
    assert result is None
    err = info.value
    assert isinstance(err, InstrumentError)
    assert str(err) and err.message_zh and err.to_json()["kind"] == err.kind
    return err


@pytest.mark.parametrize("driver", BALANCES)
def test_unstable_until_timeout_is_refused(sim_session, driver):
    sim, s = sim_session(driver, "unstable 100.03 g", poll_interval=0.05)
    err = expect_no_reading(s, UnstableReading, command=IMMEDIATE[driver], timeout=0.6)
    assert err.last_value and err.last_value.startswith("100.03")
    assert "未稳定" in err.message_zh
    assert len(sim.requests) >= 3  # it kept polling


@pytest.mark.parametrize("driver", BALANCES)
def test_unstable_then_stable_waits(sim_session, driver):
    sim, s = sim_session(driver, "unstable 3 then stable 12.345 g", poll_interval=0.05)
    r = s.read(IMMEDIATE[driver], timeout=5)
    assert (r.value, r.unit, r.stable) == ("12.345", "g", True)
    assert len(sim.requests) == 4


def test_immediate_value_when_unstable_allowed(sim_session):
    _, s = sim_session("mt-sics", "unstable 100.03 g")
    r = s.read("SI", timeout=2, require_stable=False)
    assert r.stable is False and r.status == "dynamic"


def test_mt_sics_s_waits_inside_the_balance(sim_session):
    sim, s = sim_session("mt-sics", "unstable 5 then stable 7.50 g")
    r = s.read("S", timeout=5)
    assert r.value == "7.50" and sim.requests == ["S"]


@pytest.mark.parametrize("driver", BALANCES)
@pytest.mark.parametrize("step,exc", [("overload", Overload), ("underload", Underload)])
def test_overload_underload(sim_session, driver, step, exc):
    _, s = sim_session(driver, step)
    expect_no_reading(s, exc, command=IMMEDIATE[driver], timeout=2)


@pytest.mark.parametrize(
    "driver,step,code",
    [
        ("mt-sics", "error ES", "ES"),
        ("mt-sics", "error EL", "EL"),
        ("sartorius-sbi", "error 54", "Err 54"),
        ("and-standard", "error E01", "EC,E01"),
    ],
)
def test_error_replies(sim_session, driver, step, code):
    _, s = sim_session(driver, step)
    err = expect_no_reading(s, DeviceErrorReply, command=IMMEDIATE[driver], timeout=2)
    assert err.code == code


def test_transmission_error_is_retried_then_reported(sim_session):
    _, s = sim_session("mt-sics", "error ET", poll_interval=0.05)
    err = expect_no_reading(s, DeviceErrorReply, command="SI", timeout=0.5)
    assert err.code == "ET"


def test_transmission_error_then_good_value(sim_session):
    _, s = sim_session("mt-sics", "error ET; stable 3.00 g", poll_interval=0.05)
    assert s.read("SI", timeout=2).value == "3.00"


def test_busy_balance_is_asked_again(sim_session):
    sim, s = sim_session("mt-sics", "busy; busy; stable 4.00 g", poll_interval=0.05)
    assert s.read("SI", timeout=2).value == "4.00"
    assert len(sim.requests) == 3


@pytest.mark.parametrize("driver", BALANCES)
def test_garbage_is_a_frame_error(sim_session, driver):
    _, s = sim_session(driver, "garbage", retries=0)
    err = expect_no_reading(s, FrameError, command=IMMEDIATE[driver], timeout=2)
    assert "乱码" in err.message_zh


def test_garbage_once_then_retry_succeeds(sim_session):
    _, s = sim_session("mt-sics", "garbage; stable 5.00 g", retries=1)
    assert s.read("SI", timeout=2).value == "5.00"


def test_garbage_every_time_exhausts_retries(sim_session):
    sim, s = sim_session("and-standard", "garbage", retries=2)
    expect_no_reading(s, FrameError, command="Q", timeout=3)
    assert len(sim.requests) == 3


@pytest.mark.parametrize("driver", BALANCES)
def test_partial_frame(sim_session, driver):
    _, s = sim_session(driver, "partial", retries=0)
    err = expect_no_reading(s, FrameError, command=IMMEDIATE[driver], timeout=3)
    assert "partial" in str(err) and "不完整" in err.message_zh


@pytest.mark.parametrize("driver", BALANCES)
def test_silence_is_no_response(sim_session, driver):
    _, s = sim_session(driver, "silence 30", retries=1)
    t0 = time.monotonic()
    err = expect_no_reading(s, NoResponse, command=IMMEDIATE[driver], timeout=1.5)
    assert time.monotonic() - t0 < 3
    assert "无响应" in err.message_zh


def test_silence_then_answer(sim_session):
    _, s = sim_session("mt-sics", "silence 0.5; stable 6.00 g", retries=3)
    assert s.read("SI", timeout=5).value == "6.00"


def test_port_vanishes_mid_read(sim_session):
    """The pty disappears while the session waits for the answer: PortLost, no reading."""
    sim, s = sim_session(
        "mt-sics", "stable 1.00 g; silence 5; sleep 0.5; unplug", port_kw={"reconnect_delay": 0.05}
    )
    assert s.read("SI", timeout=2).value == "1.00"
    time.sleep(0.1)
    err = expect_no_reading(s, PortLost, command="SI", timeout=3)
    assert "断开" in err.message_zh


def test_tcp_disconnect_reconnects(sim_session):
    sim, s = sim_session(
        "mt-sics",
        "stable 1.00 g; disconnect; stable 2.00 g",
        tcp=True,
        port_kw={"reconnect_delay": 0.05},
    )
    assert s.read("SI", timeout=2).value == "1.00"
    time.sleep(0.2)
    assert s.read("SI", timeout=3).value == "2.00"
    assert s.port.reconnects == 1


def test_tcp_server_gone_is_port_lost(sim_session):
    sim, s = sim_session(
        "mt-sics", "stable 1.00 g; unplug", tcp=True, port_kw={"reconnect_delay": 0.05}
    )
    assert s.read("SI", timeout=2).value == "1.00"
    time.sleep(0.2)
    expect_no_reading(s, PortLost, command="SI", timeout=3)


def test_port_that_does_not_exist():
    from lims.instruments.registry import get_driver

    with pytest.raises(PortUnavailable) as info:
        InstrumentSession.connect(get_driver("mt-sics"), "/dev/lims-no-such-port")
    assert "无法打开端口" in info.value.message_zh


@pytest.mark.parametrize(
    "driver,script,exc",
    [
        ("pesticide-reader", "line $PR,3,S-7,0.312,0.105,66.3,POS*00", FrameError),
        ("pesticide-reader", "line $PR,3,S-7,0.000,0.105,66.3,POS*11", FrameError),
        ("pesticide-reader", "garbage", FrameError),
        ("pesticide-reader", "partial", FrameError),
        ("gold-reader", "gold 1 S-1 clenbuterol 400 0 0.80", InvalidTest),
        ("gold-reader", "garbage", FrameError),
    ],
)
def test_reader_faults(sim_session, driver, script, exc):
    _, s = sim_session(driver, "sleep 0.3; " + script)
    with pytest.raises(exc):
        s.receive(timeout=2)


def test_reader_silence(sim_session):
    _, s = sim_session("gold-reader", "sleep 5")
    with pytest.raises(NoResponse):
        s.read(timeout=0.5)


def test_nothing_recorded_on_fault_in_loop():
    """A driver never returns a reading for a fault frame, even among good ones."""
    from lims.instruments.registry import get_driver

    d = get_driver("mt-sics")
    with Port("loop://", d.default_settings.with_(timeout=0.3)) as port:
        port.write(b"S +\r\nS S     1.00 g\r\n")
        s = InstrumentSession(d, port)
        with pytest.raises(Overload):
            s.receive(timeout=0.3)
        assert s.receive(timeout=0.3).value == "1.00"
