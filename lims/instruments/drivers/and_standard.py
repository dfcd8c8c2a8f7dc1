"""A&D balances, standard data format.

Specification: A&D Company, GF/GX/FX-i/FZ-i instruction manuals, chapter "Data format:
A&D standard format" and "Commands" (Q, S, SI, SIR) and "Error codes" (EC,Exx).

A frame is 15 characters plus CR LF::

    1-2    header  ST stable weight, US unstable weight, QT stable count, OL out of range
    3      comma
    4-12   data, sign first, leading zeros kept: ``+00123.45``
    13-15  unit, right-aligned: ``  g``, `` kg``, `` PC``, ``  %``

``OL`` with a minus sign is the underload side. With the acknowledge/error setting on,
a refused command is answered ``EC,Exx``. Factory setting: 2400 baud, 7 bits, even parity.
"""

from __future__ import annotations

import re
from datetime import datetime

from lims.instruments.drivers.base import Driver
from lims.instruments.errors import DeviceErrorReply, FrameError, Overload, Underload
from lims.instruments.reading import Reading, normalize_decimal
from lims.instruments.settings import PortSettings

ERROR_CODES: dict[str, tuple[str, str, bool]] = {
    "00": ("communications error", "通信错误", True),
    "01": ("undefined command", "未定义的命令", False),
    "02": ("not ready", "天平未就绪", True),
    "03": ("timeout", "超时", True),
    "04": ("excess characters", "字符过多", False),
    "06": ("format error", "格式错误", False),
    "07": ("parameter setting error", "参数设置错误", False),
    "11": ("stability error: the weight did not become stable", "稳定错误：称量值未稳定", True),
    "20": ("calibration weight error: too heavy", "校准砝码错误：过重", False),
    "21": ("calibration weight error: too light", "校准砝码错误：过轻", False),
}

_DATA = re.compile(r"[+-](?=[\d.]{8}$)\d*\.?\d+")


class AndStandardDriver(Driver):
    name = "and-standard"
    kind = "balance"
    title = "A&D balance, standard format"
    spec = "A&D GF/GX/FX-i instruction manual, A&D standard format and commands Q/S/SI/SIR"
    default_settings = PortSettings(baudrate=2400, bytesize=7, parity="E", terminator=b"\r\n")
    commands = {c: c.encode("ascii") + b"\r\n" for c in ("Q", "S", "SI", "SIR")}
    reading_commands = frozenset(commands)
    stable_command = "S"
    immediate_command = "Q"

    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        body = self.text(frame)
        m = re.fullmatch(r"EC,E(\d\d)", body)
        if m:
            meaning, meaning_zh, retriable = ERROR_CODES.get(
                m.group(1), ("unknown error code", "未知错误代码", False)
            )
            raise DeviceErrorReply(
                f"EC,E{m.group(1)}", meaning, meaning_zh, retriable=retriable, raw=frame
            )
        if len(body) != 15 or body[2] != ",":
            raise FrameError(
                f"A&D standard frame must be 15 characters 'HH,DDDDDDDDDUUU', got {len(body)}",
                f"A&D 标准格式帧应为 15 个字符，实际 {len(body)} 个",
                raw=frame,
            )
        header, data, unit = body[:2], body[3:12], body[12:15].strip()
        if header == "OL":
            raise Underload(raw=frame) if data.strip().startswith("-") else Overload(raw=frame)
        if header not in ("ST", "US", "QT"):
            raise FrameError(f"unknown header {header!r}", f"未知的帧头 {header!r}", raw=frame)
        if not _DATA.fullmatch(data):
            raise FrameError(
                f"data field {data!r} is not a signed 8-character number",
                f"数据字段 {data!r} 不是带符号的 8 位数值",
                raw=frame,
            )
        if not re.fullmatch(r"[A-Za-z%/µ]{1,3}", unit):
            raise FrameError(f"unit {unit!r} is not a unit", f"单位 {unit!r} 无效", raw=frame)
        stable = header != "US"
        return Reading(
            value=normalize_decimal(data),
            unit=unit,
            stable=stable,
            status={"ST": "stable", "US": "dynamic", "QT": "stable count"}[header],
            raw=frame,
            driver=self.name,
            read_at=self.now(read_at),
        )
