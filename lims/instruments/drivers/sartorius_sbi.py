"""Sartorius balances over the SBI (Sartorius Balance Interface) print output.

Specification: Sartorius operating instructions, chapter "Data interface / SBI: data output
format" (e.g. Entris, Quintix, Secura manuals): output formats with 16 and 22 characters and
the SBI control command ``ESC P`` (print request).

16-character line (positions 1-16)::

    1     +, - or space (sign)
    2     space
    3-10  weight value with decimal point, leading zeros sent as spaces
    11    space
    12-14 unit symbol (left-aligned), or spaces while the value is unstable
    15-16 CR LF

The 22-character line puts a 6-character identification code (``N``, ``G#``, ``T``...)
before those 16 characters. Special codes replace the value: ``H`` overload, ``L`` underload,
``C`` adjustment running, ``--`` final readout not yet available, ``Err ##`` device error.
Typical setting: 9600 baud, 7 data bits, odd parity, 1 stop bit.
"""

from __future__ import annotations

import re
from datetime import datetime

from lims.instruments.drivers.base import Driver
from lims.instruments.errors import DeviceErrorReply, FrameError, Overload, Underload
from lims.instruments.reading import Reading, normalize_decimal
from lims.instruments.settings import PortSettings

_VALUE = re.compile(r" *\d*\.?\d+")
_ERR = re.compile(r"Err\s*(\d{1,3})")


class SartoriusSbiDriver(Driver):
    name = "sartorius-sbi"
    kind = "balance"
    title = "Sartorius balance, SBI print output"
    spec = "Sartorius operating instructions, SBI data output format (16/22 characters), ESC P"
    default_settings = PortSettings(baudrate=9600, bytesize=7, parity="O", terminator=b"\r\n")
    commands = {"P": b"\x1bP\r\n"}
    reading_commands = frozenset({"P"})
    stable_command = "P"
    immediate_command = "P"

    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        body = self.text(frame)
        if len(body) == 20:
            ident, data = body[:6].strip(), body[6:]
        elif len(body) == 14:
            ident, data = "", body
        else:
            raise FrameError(
                f"SBI line must have 16 or 22 characters with CR LF, got {len(body) + 2}",
                f"SBI 数据行应为 16 或 22 个字符（含回车换行），实际 {len(body) + 2} 个",
                raw=frame,
            )
        self._special(data.strip(), frame)
        sign, value_field, unit_field = data[0], data[2:10], data[11:14]
        if (
            sign not in "+- "
            or data[1] != " "
            or data[10] != " "
            or not _VALUE.fullmatch(value_field)
        ):
            raise FrameError(
                "SBI line does not follow the sign/value/unit layout",
                "SBI 数据行不符合“符号/数值/单位”格式",
                raw=frame,
            )
        value = normalize_decimal(("-" if sign == "-" else "") + value_field.strip())
        unit = unit_field.strip()
        if unit and not re.fullmatch(r"[A-Za-z%/#µ]+", unit):
            raise FrameError(f"unit {unit!r} is not a unit", f"单位 {unit!r} 无效", raw=frame)
        stable = bool(unit)  # SBI omits the unit symbol while the value is not stable
        return Reading(
            value=value,
            unit=unit,
            stable=stable,
            status=("stable" if stable else "dynamic") + (f" {ident}" if ident else ""),
            raw=frame,
            driver=self.name,
            read_at=self.now(read_at),
        )

    def _special(self, code: str, frame: bytes) -> None:
        if code in ("H", "HH"):
            raise Overload(raw=frame)
        if code in ("L", "LL"):
            raise Underload(raw=frame)
        if code == "C":
            raise DeviceErrorReply(
                "C", "adjustment/calibration running", "天平正在校准", retriable=True, raw=frame
            )
        if code == "--":
            raise DeviceErrorReply(
                "--",
                "final readout not yet available",
                "显示值尚未就绪",
                retriable=True,
                raw=frame,
            )
        m = _ERR.fullmatch(code)
        if m:
            raise DeviceErrorReply(
                f"Err {m.group(1)}",
                f"balance error code {m.group(1)} (see the balance manual's error table)",
                f"天平错误代码 {m.group(1)}（见天平说明书错误代码表）",
                raw=frame,
            )
