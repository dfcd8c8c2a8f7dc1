"""Simulated Sartorius balance, SBI print output (see drivers/sartorius_sbi.py)."""

from __future__ import annotations

from lims.instruments.simulators.base import Device


class SartoriusSbiDevice(Device):
    driver_name = "sartorius-sbi"
    immediate_commands = frozenset({"P"})

    def __init__(self, ident: str | None = None) -> None:
        #: with an identification code the balance sends the 22-character format
        self.ident = ident

    def command_name(self, data: bytes) -> str:
        text = data.decode("latin-1").strip()
        return text[1:] if text.startswith("\x1b") else text

    def _line(self, body14: str) -> bytes:
        assert len(body14) == 14, body14
        prefix = f"{self.ident:<6}" if self.ident is not None else ""
        return (prefix + body14 + "\r\n").encode("ascii")

    def weight(self, value: str, unit: str, stable: bool) -> bytes:
        sign = "-" if value.startswith("-") else "+"
        digits = value.lstrip("+-")
        return self._line(f"{sign} {digits:>8} {unit if stable else '':<3}")

    def overload(self) -> bytes:
        return self._line(f"{'':6}H{'':7}")

    def underload(self) -> bytes:
        return self._line(f"{'':6}L{'':7}")

    def busy(self) -> bytes:
        return self._line(f"{'':6}--{'':6}")

    def error(self, *code: str) -> bytes:
        return self._line(f"   Err {code[0]:<7}")
