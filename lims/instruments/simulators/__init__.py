"""Device simulators for tests, demos and bench set-up without hardware.

``make_simulator("mt-sics", script).serve_pty()`` returns the pty path to give a driver.
"""

from __future__ import annotations

from collections.abc import Callable

from lims.instruments.simulators.and_standard import AndStandardDevice
from lims.instruments.simulators.base import Device, Simulator
from lims.instruments.simulators.mt_sics import MtSicsDevice
from lims.instruments.simulators.readers import GoldReaderDevice, PesticideReaderDevice
from lims.instruments.simulators.sartorius_sbi import SartoriusSbiDevice
from lims.instruments.simulators.script import ScriptError, Step, parse_script

DEVICES: dict[str, Callable[[], Device]] = {
    "mt-sics": MtSicsDevice,
    "sartorius-sbi": SartoriusSbiDevice,
    "and-standard": AndStandardDevice,
    "pesticide-reader": PesticideReaderDevice,
    "gold-reader": GoldReaderDevice,
}


def make_simulator(driver: str, script: str | None = None, **kw) -> Simulator:
    try:
        device = DEVICES[driver]()
    except KeyError:
        raise KeyError(f"no simulator for driver {driver!r}; known: {', '.join(DEVICES)}") from None
    return Simulator(device, script, **kw)


__all__ = [
    "DEVICES",
    "Device",
    "ScriptError",
    "Simulator",
    "Step",
    "make_simulator",
    "parse_script",
]
