"""Simulated A&D balance, A&D standard format (see drivers/and_standard.py)."""

from __future__ import annotations

from lims.instruments.simulators.base import Device, Simulator


class AndStandardDevice(Device):
    driver_name = "and-standard"
    waiting_commands = frozenset({"S"})
    immediate_commands = frozenset({"Q", "SI"})
    streaming_commands = frozenset({"SIR"})

    def weight(self, value: str, unit: str, stable: bool) -> bytes:
        sign = "-" if value.startswith("-") else "+"
        digits = value.lstrip("+-")
        header = "ST" if stable else "US"
        return f"{header},{sign}{digits:0>8}{unit:>3}\r\n".encode("ascii")

    def overload(self) -> bytes:
        return b"OL,+9999999E+19\r\n"

    def underload(self) -> bytes:
        return b"OL,-9999999E+19\r\n"

    def busy(self) -> bytes:
        return b"EC,E02\r\n"

    def error(self, *code: str) -> bytes:
        c = code[0].removeprefix("E")
        return f"EC,E{c}\r\n".encode("ascii")

    def other(self, command: str, sim: Simulator) -> bytes | None:
        return b"EC,E01\r\n"  # undefined command
