"""Checksummed ASCII lines ``$TAG,f1,f2,...*HH`` used by the lims reader line formats.

The checksum is the NMEA 0183 one (IEC 61162-1 §7.2.3): XOR of every byte between ``$`` and
``*``, written as two upper-case hex digits. Readers that cannot send it are given a vendor
format module of their own.
"""

from __future__ import annotations

from functools import reduce

from lims.instruments.errors import FrameError


def checksum(payload: bytes) -> str:
    return f"{reduce(lambda a, b: a ^ b, payload, 0):02X}"


def build(tag: str, fields: list[str]) -> bytes:
    """The full line, CR LF included (used by simulators and tests)."""
    payload = ",".join([tag, *fields]).encode("ascii")
    return b"$" + payload + b"*" + checksum(payload).encode("ascii") + b"\r\n"


def split(text: str, tag: str, n_fields: int, frame: bytes) -> list[str]:
    """Check start, checksum and field count; return the fields after the tag."""
    if not text.startswith("$") or "*" not in text:
        raise FrameError("line must look like $TAG,...*HH", "数据行格式应为 $TAG,...*HH", raw=frame)
    payload, _, given = text[1:].rpartition("*")
    if len(given) != 2:
        raise FrameError("checksum must be 2 hex digits", "校验和应为 2 位十六进制", raw=frame)
    expected = checksum(payload.encode("ascii"))
    if given.upper() != expected:
        raise FrameError(
            f"checksum mismatch: line says {given}, content gives {expected}",
            f"校验和不符：数据行为 {given}，按内容计算为 {expected}",
            raw=frame,
        )
    fields = payload.split(",")
    if fields[0] != tag:
        raise FrameError(
            f"line tag {fields[0]!r} is not {tag!r}",
            f"数据行标识 {fields[0]!r} 不是 {tag!r}",
            raw=frame,
        )
    if len(fields) - 1 != n_fields:
        raise FrameError(
            f"{tag} line needs {n_fields} fields, got {len(fields) - 1}",
            f"{tag} 数据行应有 {n_fields} 个字段，实际 {len(fields) - 1} 个",
            raw=frame,
        )
    return fields[1:]
