"""Simulated METTLER TOLEDO balance speaking MT-SICS level 0/1 (see drivers/mt_sics.py)."""

from __future__ import annotations

from lims.instruments.simulators.base import Device, Simulator


class MtSicsDevice(Device):
    driver_name = "mt-sics"
    waiting_commands = frozenset({"S"})
    immediate_commands = frozenset({"SI"})
    streaming_commands = frozenset({"SIR"})
    serial_number = "B123456789"

    def weight(self, value: str, unit: str, stable: bool) -> bytes:
        return f"S {'S' if stable else 'D'} {value:>10} {unit}\r\n".encode("ascii")

    def overload(self) -> bytes:
        return b"S +\r\n"

    def underload(self) -> bytes:
        return b"S -\r\n"

    def busy(self) -> bytes:
        return b"S I\r\n"

    def error(self, *code: str) -> bytes:
        return code[0].encode("ascii") + b"\r\n"

    def other(self, command: str, sim: Simulator) -> bytes | None:
        if command in ("@", "I4"):
            return f'I4 A "{self.serial_number}"\r\n'.encode("ascii")
        if command == "Z":
            return b"Z A\r\n"
        if command == "T":
            value, unit = sim.current_weight()
            sim.tare = value
            return f"T S {value:>10} {unit}\r\n".encode("ascii")
        if command == "TA":
            return f"TA A {sim.tare:>10} g\r\n".encode("ascii")
        return b"ES\r\n"  # MT-SICS answers an unknown command with a syntax error
