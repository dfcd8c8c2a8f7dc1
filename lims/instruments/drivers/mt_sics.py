"""METTLER TOLEDO balances over MT-SICS.

Specification: METTLER TOLEDO "Standard Interface Command Set MT-SICS", Reference Manual
(level 0 and level 1 commands; §2 "Command formats" and the command pages for @, I4, S, SI,
SIR, Z, T and TA).

Frames are ASCII lines ended by CR LF. A weight answer is ``<ID> <status> <value> <unit>``
with the value right-aligned in a 10-character field, e.g. ``S S     100.00 g``:

=========  ============================================================================
``S S``    stable weight value
``S D``    dynamic (not yet stable) value, answer to SI / SIR
``S I``    command not executable (busy, e.g. taring, or stability not reached in time)
``S +``    balance in overload range
``S -``    balance in underload range
``ES``     syntax error: command not recognised
``ET``     transmission error: faulty command received (parity, break)
``EL``     logical error: command cannot be executed
=========  ============================================================================

``@`` (reset) and ``I4`` answer ``I4 A "<serial number>"``; ``Z`` answers ``Z A``;
``T`` answers ``T S <tare value> <unit>``; ``TA`` answers ``TA A <tare value> <unit>``.
Default interface settings of the balances: 9600 baud, 8 data bits, no parity, 1 stop bit.
"""

from __future__ import annotations

import re
from datetime import datetime

from lims.instruments.drivers.base import Driver
from lims.instruments.errors import DeviceErrorReply, FrameError, Overload, Underload
from lims.instruments.reading import Reading, normalize_decimal
from lims.instruments.settings import PortSettings

ERROR_REPLIES: dict[str, tuple[str, str]] = {
    "ES": ("syntax error: the balance did not recognise the command", "语法错误：天平未识别该命令"),
    "ET": (
        "transmission error: the balance received a faulty command (parity error or break)",
        "传输错误：天平收到的命令有误（奇偶校验错误或接口中断）",
    ),
    "EL": ("logical error: the balance cannot execute the command", "逻辑错误：天平无法执行该命令"),
}

_UNIT = re.compile(r"[A-Za-z%/µ]{1,6}")
_SERIAL = re.compile(r'I4 A "([^"]*)"')


def _busy(frame: bytes, ident: str) -> DeviceErrorReply:
    return DeviceErrorReply(
        f"{ident} I",
        "command not executable now (balance busy, e.g. taring, or stability not reached)",
        "当前无法执行命令（天平忙，如正在去皮，或未达到稳定）",
        retriable=True,
        raw=frame,
    )


class MtSicsDriver(Driver):
    name = "mt-sics"
    kind = "balance"
    title = "METTLER TOLEDO MT-SICS balance"
    spec = "METTLER TOLEDO Standard Interface Command Set MT-SICS, Reference Manual, level 0/1"
    default_settings = PortSettings(baudrate=9600, terminator=b"\r\n")
    commands = {
        c: c.encode("ascii") + b"\r\n" for c in ("@", "I4", "S", "SI", "SIR", "Z", "T", "TA")
    }
    reading_commands = frozenset({"S", "SI", "SIR"})
    stable_command = "S"
    immediate_command = "SI"

    def _check_error(self, tokens: list[str], frame: bytes) -> None:
        if len(tokens) == 1 and tokens[0] in ERROR_REPLIES:
            meaning, meaning_zh = ERROR_REPLIES[tokens[0]]
            # ET means the command was garbled on the way: sending it again may work
            raise DeviceErrorReply(
                tokens[0], meaning, meaning_zh, retriable=tokens[0] == "ET", raw=frame
            )

    def _tokens(self, frame: bytes) -> list[str]:
        tokens = self.text(frame).split()
        if not tokens:
            raise FrameError("empty frame", "空数据帧", raw=frame)
        self._check_error(tokens, frame)
        return tokens

    def _weight(self, tokens: list[str], frame: bytes) -> tuple[str, str]:
        if len(tokens) != 4:
            raise FrameError(
                f"weight answer needs 4 fields, got {len(tokens)}",
                f"称量应答应有 4 个字段，实际 {len(tokens)} 个",
                raw=frame,
            )
        try:
            value = normalize_decimal(tokens[2])
        except ValueError:
            raise FrameError(
                f"weight value {tokens[2]!r} is not a number",
                f"称量值 {tokens[2]!r} 不是数字",
                raw=frame,
            ) from None
        if not _UNIT.fullmatch(tokens[3]):
            raise FrameError(
                f"unit {tokens[3]!r} is not a unit", f"单位 {tokens[3]!r} 无效", raw=frame
            )
        return value, tokens[3]

    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        tokens = self._tokens(frame)
        if tokens[0] != "S" or len(tokens) < 2:
            raise FrameError(
                f"not a weight answer (starts with {tokens[0]!r})",
                f"不是称量应答（以 {tokens[0]!r} 开头）",
                raw=frame,
            )
        status = tokens[1]
        if status == "I":
            raise _busy(frame, "S")
        if status == "+":
            raise Overload(raw=frame)
        if status == "-":
            raise Underload(raw=frame)
        if status not in ("S", "D"):
            raise FrameError(
                f"unknown weight status {status!r}", f"未知的称量状态 {status!r}", raw=frame
            )
        value, unit = self._weight(tokens, frame)
        return Reading(
            value=value,
            unit=unit,
            stable=status == "S",
            status="stable" if status == "S" else "dynamic",
            raw=frame,
            driver=self.name,
            read_at=self.now(read_at),
        )

    def parse_reply(self, command: str, frame: bytes) -> str:
        tokens = self._tokens(frame)
        if command in ("@", "I4"):
            m = _SERIAL.fullmatch(self.text(frame).strip())
            if m:
                return m.group(1)
            if tokens[:2] == ["I4", "I"]:
                raise _busy(frame, "I4")
            raise FrameError("not an I4 serial number answer", "不是序列号(I4)应答", raw=frame)
        if command == "Z":
            if tokens == ["Z", "A"]:
                return "zeroed"
            if tokens == ["Z", "I"]:
                raise _busy(frame, "Z")
            if tokens in (["Z", "+"], ["Z", "-"]):
                side, side_zh = ("upper", "上") if tokens[1] == "+" else ("lower", "下")
                raise DeviceErrorReply(
                    f"Z {tokens[1]}",
                    f"{side} limit of the zero setting range exceeded",
                    f"超出置零范围{side_zh}限",
                    raw=frame,
                )
            raise FrameError("not a Z answer", "不是置零(Z)应答", raw=frame)
        if command in ("T", "TA"):
            ok = "S" if command == "T" else "A"
            if tokens[0] != command or len(tokens) < 2:
                raise FrameError(f"not a {command} answer", f"不是 {command} 应答", raw=frame)
            if tokens[1] == "I":
                raise _busy(frame, command)
            if tokens[1] in ("+", "-", "L"):
                meaning = {
                    "+": ("upper limit of the taring range exceeded", "超出去皮范围上限"),
                    "-": ("lower limit of the taring range exceeded", "超出去皮范围下限"),
                    "L": ("tare value not allowed", "皮重值不允许"),
                }[tokens[1]]
                raise DeviceErrorReply(f"{command} {tokens[1]}", *meaning, raw=frame)
            if tokens[1] != ok:
                raise FrameError(
                    f"unknown {command} status {tokens[1]!r}",
                    f"未知的 {command} 状态 {tokens[1]!r}",
                    raw=frame,
                )
            value, unit = self._weight(tokens, frame)
            return f"{value} {unit}"
        return super().parse_reply(command, frame)
