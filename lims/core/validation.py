"""Checks of client input shared by every form, API model and import (Chinese messages).

Each raises ``ValueError`` naming the problem, so that pydantic validators, WTForms
validators and services can all use them and the client gets a 4xx, never a 500.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Zero-width characters and the byte-order mark: invisible, dropped from text.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e]")
# C0/C1 controls (except tab and newlines) and bidirectional overrides/isolates: refused,
# they hide or reorder what a reader sees.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                        "\u2066-\u2069\u061c]")

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
MAX_ID = 2**63 - 1


def visible_text(value: str | None, *, required: bool = False) -> str | None:
    """Text as a reader sees it: zero-width characters and BOMs removed, surrounding space
    stripped; control and direction-override characters refused; a required text that is
    empty once cleaned is refused."""
    if value is None:
        if required:
            raise ValueError("必填项")
        return None
    found = _FORBIDDEN.search(value)
    if found:
        raise ValueError(f"含有不可见的控制字符（U+{ord(found.group()):04X}）")
    cleaned = _ZERO_WIDTH.sub("", value).strip()
    if required and not any(not unicodedata.category(c).startswith(("Z", "C"))
                            for c in cleaned):
        raise ValueError("不能为空（不能只有空白或不可见字符）")
    return cleaned


def strip_invisible(value: str) -> str:
    """Zero-width characters and BOMs removed, surrounding space stripped (no checks)."""
    return _ZERO_WIDTH.sub("", value).strip()


def invisible_problem(value: object) -> str | None:
    """The problem with a text holding control or direction-override characters, or None."""
    if isinstance(value, str):
        found = _FORBIDDEN.search(value)
        if found:
            return f"含有不可见的控制字符（U+{ord(found.group()):04X}）"
    return None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date_text(value: object) -> object:
    """For a pydantic BeforeValidator: a date given as text must be YYYY-MM-DD (a bare
    number such as ``0`` is not a date)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise ValueError(f"日期格式应为 YYYY-MM-DD：{value}")
    return value.strip()


def finite_decimal(value: object) -> Decimal:
    """A finite decimal from text or a number; NaN, sNaN and Infinity are refused."""
    if isinstance(value, bool):
        raise ValueError(f"不是数值：{value}")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"不是数值：{value}") from None
    if not number.is_finite():
        raise ValueError(f"数值必须是有限数（不接受 {value}）")
    return number


def datetime_in_range(value: dt.datetime) -> dt.datetime:
    """A timestamp the system can store and convert: with an offset, between 2000 and 2100."""
    if value.tzinfo is None:
        raise ValueError("时间必须带时区，如 2026-11-28T08:10:00+08:00")
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("时间超出允许范围（2000—2099 年）") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("时间超出允许范围（2000—2099 年）")
    return value


def page_limit(text: str | None, *, default: int, maximum: int) -> int:
    """A page size from a query string: an integer from 1 to ``maximum``."""
    if text in (None, ""):
        return default
    try:
        limit = int(str(text).strip())
    except ValueError:
        raise ValueError(f"每页数量（limit）应为 1 到 {maximum} 的整数") from None
    if not 1 <= limit <= maximum:
        raise ValueError(f"每页数量（limit）应为 1 到 {maximum} 的整数")
    return limit


def record_id(text: object) -> int | None:
    """A database id from a path or a query: None unless a positive integer < 2^63."""
    value = str(text).strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
