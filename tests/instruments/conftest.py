"""Helpers for the instrument tests (plain pytest; no Flask app, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from lims.instruments.registry import get_driver
from lims.instruments.simulators import make_simulator
from lims.instruments.transport import InstrumentSession, Port

DATA = Path(__file__).resolve().parents[1] / "data" / "instruments"


@dataclass(frozen=True)
class Case:
    driver: str
    frame: bytes
    expect: list[str]
    line: int

    @property
    def id(self) -> str:
        return f"{self.driver}:{self.line}"


def load_cases(driver: str) -> list[Case]:
    path = DATA / f"{driver}.txt"
    text = path.read_text(encoding="utf-8")
    assert "Source" in text.split("\n\n")[0] or "Source" in text[:600], f"{path}: no source named"
    cases = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        frame, _, expect = line.rpartition(" => ")
        raw = frame.encode("latin-1").decode("unicode_escape").encode("latin-1")
        cases.append(Case(driver, raw, expect.split(), n))
    return cases


DRIVER_NAMES = ["mt-sics", "sartorius-sbi", "and-standard", "pesticide-reader", "gold-reader"]
ALL_CASES = [c for d in DRIVER_NAMES for c in load_cases(d)]


@pytest.fixture
def sim_session():
    """``sim_session(driver, script, tcp=False, **session_kw)`` -> (simulator, session)."""
    opened = []

    def make(driver: str, script: str | None = None, *, tcp: bool = False, port_kw=None, **kw):
        sim = make_simulator(driver, script)
        url = sim.serve_tcp() if tcp else sim.serve_pty()
        drv = get_driver(driver)
        port = Port(url, drv.default_settings.with_(timeout=1.0), **(port_kw or {}))
        session = InstrumentSession(drv, port, **kw)
        session.port.open()
        opened.append((sim, session))
        return sim, session

    yield make
    for sim, session in opened:
        session.close()
        sim.stop()
