"""The explicit list of drivers, by name. A new protocol = one module + one line here."""

from __future__ import annotations

from collections.abc import Callable

from lims.instruments.drivers.and_standard import AndStandardDriver
from lims.instruments.drivers.base import Driver
from lims.instruments.drivers.gold_reader import GoldReaderDriver
from lims.instruments.drivers.mt_sics import MtSicsDriver
from lims.instruments.drivers.pesticide_reader import PesticideReaderDriver
from lims.instruments.drivers.sartorius_sbi import SartoriusSbiDriver

DRIVERS: dict[str, Callable[[], Driver]] = {
    MtSicsDriver.name: MtSicsDriver,
    SartoriusSbiDriver.name: SartoriusSbiDriver,
    AndStandardDriver.name: AndStandardDriver,
    PesticideReaderDriver.name: PesticideReaderDriver,
    GoldReaderDriver.name: GoldReaderDriver,
}


def get_driver(name: str) -> Driver:
    try:
        return DRIVERS[name]()
    except KeyError:
        raise KeyError(f"unknown driver {name!r}; known: {', '.join(DRIVERS)}") from None


def driver_names() -> list[str]:
    return list(DRIVERS)
