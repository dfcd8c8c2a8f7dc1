"""What every driver provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import ClassVar

from lims.instruments.errors import FrameError, UnsupportedCommand
from lims.instruments.reading import Reading
from lims.instruments.settings import PortSettings


class Driver(ABC):
    #: registry name, e.g. "mt-sics"
    name: ClassVar[str]
    #: "balance" (answers requests, may push on PRINT) or "reader" (pushes lines by itself)
    kind: ClassVar[str]
    title: ClassVar[str]
    #: the manufacturer's document the driver follows
    spec: ClassVar[str]
    default_settings: ClassVar[PortSettings] = PortSettings()
    #: command name -> bytes sent (terminator included)
    commands: ClassVar[dict[str, bytes]] = {}
    #: commands whose answer is a weight reading
    reading_commands: ClassVar[frozenset[str]] = frozenset()
    #: command to use when waiting for a stable value, and the immediate one
    stable_command: ClassVar[str | None] = None
    immediate_command: ClassVar[str | None] = None

    def encode(self, command: str) -> bytes:
        try:
            return self.commands[command]
        except KeyError:
            raise UnsupportedCommand(self.name, command, sorted(self.commands)) from None

    @abstractmethod
    def parse(self, frame: bytes, *, read_at: datetime | None = None) -> Reading:
        """One frame (terminator optional) -> a reading, or raise an ``InstrumentError``."""

    def parse_reply(self, command: str, frame: bytes) -> str:
        """Answer to a non-reading command (zero, tare, serial number): text, or raise."""
        raise UnsupportedCommand(self.name, command, sorted(self.reading_commands))

    # helpers -------------------------------------------------------------------------
    def strip(self, frame: bytes) -> bytes:
        term = self.default_settings.terminator
        body = frame[: -len(term)] if frame.endswith(term) else frame
        return body.rstrip(b"\r\n")

    def text(self, frame: bytes) -> str:
        body = self.strip(frame)
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise FrameError(
                "non-ASCII bytes in frame", "数据帧含非 ASCII 字节（乱码）", raw=frame
            ) from None
        if any(ord(c) < 32 and c != "\t" for c in text):
            raise FrameError(
                "control characters inside frame", "数据帧中含控制字符（乱码）", raw=frame
            )
        return text

    @staticmethod
    def now(read_at: datetime | None) -> datetime:
        return read_at or datetime.now(UTC)
