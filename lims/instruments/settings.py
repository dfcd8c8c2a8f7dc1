"""Serial port settings of one instrument (pure data; the I/O lives in transport.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

_PARITIES = {"N", "E", "O", "M", "S"}


@dataclass(frozen=True)
class PortSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False
    #: end of every frame, sent and received
    terminator: bytes = b"\r\n"
    #: seconds to wait for one frame
    timeout: float = 2.0
    write_timeout: float = 2.0
    #: a frame longer than this without a terminator is garbage
    max_frame: int = 256

    def __post_init__(self) -> None:
        if self.baudrate <= 0:
            raise ValueError(f"baudrate must be positive, got {self.baudrate}")
        if self.bytesize not in (5, 6, 7, 8):
            raise ValueError(f"bytesize must be 5-8, got {self.bytesize}")
        if self.parity not in _PARITIES:
            raise ValueError(f"parity must be one of N E O M S, got {self.parity!r}")
        if self.stopbits not in (1, 1.5, 2):
            raise ValueError(f"stopbits must be 1, 1.5 or 2, got {self.stopbits}")
        if not self.terminator:
            raise ValueError("terminator must not be empty")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")

    def with_(self, **changes) -> PortSettings:
        """A copy with some fields changed (e.g. the instrument record's baud rate)."""
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: dict, base: PortSettings | None = None) -> PortSettings:
        """Settings from a stored mapping, e.g. ``{"baudrate": 2400, "parity": "O"}``.

        ``terminator`` may be given as text with escapes (``"\\r\\n"``). Unknown keys are errors.
        """
        base = base or cls()
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown port setting(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        if isinstance(values.get("terminator"), str):
            values["terminator"] = (
                values["terminator"].encode("latin-1").decode("unicode_escape").encode("latin-1")
            )
        return replace(base, **values)
