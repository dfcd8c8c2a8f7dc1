"""Instrument faults: one class per fault, each with an English ``str()`` and a Chinese
``message_zh`` for lab users.

Every fault is raised instead of a reading, never alongside one: a caller that catches
``InstrumentError`` has nothing to record.
"""

from __future__ import annotations


class InstrumentError(Exception):
    """Base class. ``kind`` is a stable machine name used in JSON output."""

    kind = "instrument"
    #: True when the same request may succeed if repeated (busy device, noise on the line).
    retriable = False

    def __init__(self, message: str, message_zh: str, *, raw: bytes = b"") -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.raw = raw

    def to_json(self) -> dict:
        return {"error": self.message, "error_zh": self.message_zh, "kind": self.kind}


class UnstableReading(InstrumentError):
    kind = "unstable"

    def __init__(self, waited_s: float, *, last_value: str | None = None, raw: bytes = b""):
        detail = f" (last unstable value {last_value})" if last_value is not None else ""
        super().__init__(
            f"weight did not become stable within {waited_s:g} s{detail}",
            f"称量值在 {waited_s:g} 秒内未稳定，未记录读数；请检查防风罩、振动或气流后重试",
            raw=raw,
        )
        self.waited_s = waited_s
        self.last_value = last_value


class Overload(InstrumentError):
    kind = "overload"

    def __init__(self, raw: bytes = b""):
        super().__init__(
            "balance overloaded: load above the weighing range",
            "天平超载：载荷超过称量范围，未记录读数",
            raw=raw,
        )


class Underload(InstrumentError):
    kind = "underload"

    def __init__(self, raw: bytes = b""):
        super().__init__(
            "balance underloaded: load below the zero range (pan missing?)",
            "天平欠载：载荷低于零点范围（秤盘是否放好？），未记录读数",
            raw=raw,
        )


class DeviceErrorReply(InstrumentError):
    """The device answered with an error code instead of a value."""

    kind = "device_error"

    def __init__(
        self,
        code: str,
        meaning: str,
        meaning_zh: str,
        *,
        retriable: bool = False,
        raw: bytes = b"",
    ) -> None:
        super().__init__(
            f"device error reply {code}: {meaning}",
            f"仪器返回错误 {code}：{meaning_zh}",
            raw=raw,
        )
        self.code = code
        self.meaning = meaning
        self.meaning_zh = meaning_zh
        self.retriable = retriable


class FrameError(InstrumentError):
    """Garbage, a partial frame, a frame of the wrong format or with a bad checksum."""

    kind = "frame"

    def __init__(self, reason: str, reason_zh: str, *, raw: bytes = b"") -> None:
        shown = raw[:60].decode("latin-1").encode("unicode_escape").decode("ascii")
        super().__init__(
            f"bad frame: {reason} (received {shown!r})",
            f"数据帧错误：{reason_zh}（收到 {shown!r}），未记录读数",
            raw=raw,
        )
        self.reason = reason
        self.retriable = True


class InvalidTest(InstrumentError):
    """A rapid test that the reader itself declares invalid (e.g. no control line)."""

    kind = "invalid_test"

    def __init__(self, reason: str, reason_zh: str, *, raw: bytes = b"") -> None:
        super().__init__(f"invalid test: {reason}", f"检测无效：{reason_zh}，请重新检测", raw=raw)


class NoResponse(InstrumentError):
    kind = "no_response"

    def __init__(self, timeout_s: float, what: str = "a reply") -> None:
        super().__init__(
            f"no response: waited {timeout_s:g} s for {what}",
            f"仪器无响应：等待 {timeout_s:g} 秒无数据；请检查仪器电源、连接线和端口设置（波特率等）",
        )
        self.timeout_s = timeout_s


class PortLost(InstrumentError):
    kind = "port_lost"

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(
            f"port {url} lost and could not be reopened: {cause}",
            f"端口 {url} 已断开且无法重新连接（数据线是否被拔出？）：{cause}",
        )
        self.url = url
        self.cause = cause


class PortUnavailable(InstrumentError):
    """The port could not be opened at all (wrong name, in use, no permission)."""

    kind = "port_unavailable"

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(
            f"cannot open port {url}: {cause}",
            f"无法打开端口 {url}：{cause}（端口名是否正确、是否被其他程序占用？）",
        )
        self.url = url
        self.cause = cause


class UnsupportedCommand(InstrumentError):
    kind = "unsupported_command"

    def __init__(self, driver: str, command: str, supported: list[str]) -> None:
        super().__init__(
            f"driver {driver} has no command {command!r}; supported: {', '.join(supported)}",
            f"驱动 {driver} 不支持命令 {command!r}；可用命令：{', '.join(supported)}",
        )
