"""The market registry's stalls: one spelling per stall, and the check an upload passes."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from lims.extensions import db
from lims.stations.models import Market, MarketStall

_PARTS = re.compile(r"[A-Z]+|\d+|[^\W\d_A-Za-z]+", re.UNICODE)


def normalise_stall(text: str | None) -> str:
    """The registry spelling of a stall code.

    Full-width forms become ASCII (NFKC: "A－1" → "A-1"), letters upper case, and the code
    is cut into runs of letters, digits and other word characters (Chinese); separators
    (space, hyphen, dash, dot, slash, underscore) are dropped and the runs joined with "-",
    digits without leading zeros.  So "A-1", "a-1", "A－1", "A 1", "A1" and "A-001" are all
    "A-1"; "东区 3号" is "东区-3-号".
    """
    text = unicodedata.normalize("NFKC", text or "").upper()
    parts = _PARTS.findall(text)
    return "-".join(str(int(p)) if p.isdigit() else p for p in parts)


class UnknownStall(ValueError):
    """An upload names a stall the market has not registered (Chinese message)."""


def stalls_of(market_ids: set[int]) -> dict[int, set[str]]:
    """market id → the codes of its active registered stalls."""
    out: dict[int, set[str]] = {m: set() for m in market_ids}
    if not market_ids:
        return out
    for market_id, code in db.session.execute(
            sa.select(MarketStall.market_id, MarketStall.code)
            .where(MarketStall.market_id.in_(market_ids), MarketStall.active.is_(True))):
        out[market_id].add(code)
    return out


def unknown_stall_message(market: Market, stall: str, known: set[str]) -> str:
    listed = sorted(known, key=_sort_key)
    if not listed:
        return f"市场 {market.code} 尚未登记摊位，请先在市场登记中添加摊位"
    shown = "、".join(listed[:60]) + (f" 等 {len(listed)} 个" if len(listed) > 60 else "")
    return f"摊位 {stall} 未在市场 {market.code} 登记；已登记摊位：{shown}"


def _sort_key(code: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("-"))


def register_stalls(market: Market, codes: list[str]) -> int:
    """Add stalls to a market (normalised; codes already registered are kept); returns how
    many were added.  The caller commits."""
    existing = stalls_of({market.id})[market.id] | set(db.session.scalars(
        sa.select(MarketStall.code).where(MarketStall.market_id == market.id)))
    added = 0
    for raw in codes:
        code = normalise_stall(raw)
        if not code:
            raise UnknownStall("摊位编号不能为空")
        if code in existing:
            continue
        db.session.add(MarketStall(market_id=market.id, code=code, active=True))
        existing.add(code)
        added += 1
    db.session.flush()
    return added


def demo_stall_codes(count: int) -> list[str]:
    """The demo world's stalls of a market: A-1 … A-count."""
    return [f"A-{n}" for n in range(1, count + 1)]


def registered_count(market_ids: list[int] | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(MarketStall).where(
        MarketStall.active.is_(True))
    if market_ids is not None:
        query = query.where(MarketStall.market_id.in_(market_ids))
    return int(db.session.scalar(query) or 0)
