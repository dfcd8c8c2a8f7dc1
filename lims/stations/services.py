"""Markets, the day's results of a station, publication (公示) and corrections."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources

import sqlalchemy as sa
from sqlalchemy import event

from lims.core.db import utcnow
from lims.extensions import db
from lims.orgs.models import Organization, OrgTier, Region
from lims.stations.models import (
    ConfirmationTask,
    Market,
    MarketKind,
    StationResult,
)
from lims.users.models import User
from lims.users.roles import Permission
from lims.users.scoping import can_see_org


class StationError(ValueError):
    """A refused station operation (Chinese message)."""


# --- markets ----------------------------------------------------------------------------------

def load_demo_markets() -> int:
    """The demo world's markets (lims/stations/data/markets.csv); existing codes are updated."""
    text = resources.files("lims.stations").joinpath("data/markets.csv").read_text("utf-8")
    regions = {r.code: r for r in db.session.scalars(sa.select(Region))}
    orgs = {o.code: o for o in db.session.scalars(sa.select(Organization))}
    markets = {m.code: m for m in db.session.scalars(sa.select(Market))}
    created = 0
    for row in csv.DictReader(text.splitlines()):
        if row["county"] not in regions or row["station"] not in orgs:
            continue  # a network without that station
        market = markets.get(row["code"])
        if market is None:
            market = Market(code=row["code"])
            db.session.add(market)
            created += 1
        market.name, market.kind = row["name"], MarketKind(row["kind"])
        market.region = regions[row["county"]]
        market.station_org = orgs[row["station"]]
        market.stall_count = int(row["stall_count"])
        market.address = row["address"] or None
    db.session.flush()
    from lims.stations.stalls import demo_stall_codes, register_stalls

    for market in db.session.scalars(sa.select(Market)):
        register_stalls(market, demo_stall_codes(market.stall_count or 0))
    return created


def markets_of(org: Organization) -> list[Market]:
    return list(db.session.scalars(sa.select(Market).where(
        Market.station_org_id == org.id, Market.active.is_(True)).order_by(Market.code)))


def find_market(code: str) -> Market | None:
    return db.session.scalar(sa.select(Market).where(Market.code == code.strip()))


def visible_stations(user: User) -> list[Organization]:
    stations = db.session.scalars(sa.select(Organization).where(
        Organization.tier == OrgTier.STATION).order_by(Organization.code)).all()
    return [s for s in stations if can_see_org(user, s)]


# --- the day view -----------------------------------------------------------------------------

def day_results(station: Organization, day: dt.date, market: Market | None = None
                ) -> list[tuple[StationResult, int | None]]:
    """A station's results of one local day, with the id of each one's confirmation task."""
    query = (sa.select(StationResult, ConfirmationTask.id)
             .outerjoin(ConfirmationTask,
                        ConfirmationTask.station_result_id == StationResult.id)
             .where(StationResult.station_org_id == station.id,
                    StationResult.tested_on == day)
             .order_by(StationResult.tested_at, StationResult.id))
    if market is not None:
        query = query.where(StationResult.market_id == market.id)
    return [(r, t) for r, t in db.session.execute(query)]


def corrections_of(results: list[StationResult]) -> dict[int, list[StationResult]]:
    """Corrections made of these results, by the corrected result's id."""
    ids = [r.id for r in results]
    if not ids:
        return {}
    out: dict[int, list[StationResult]] = {}
    for row in db.session.scalars(sa.select(StationResult).where(
            StationResult.corrects_id.in_(ids)).order_by(StationResult.id)):
        out.setdefault(row.corrects_id, []).append(row)
    return out


# --- publication (公示) ---------------------------------------------------------------------

def publish_day(user: User, market: Market, day: dt.date) -> int:
    """Publish a market's results of a day; once published a result is never changed."""
    if not user.can(Permission.UPLOAD_STATION_RESULT) or market.station_org_id != user.org_id:
        raise StationError("只有本市场快检室的操作员可以公示结果")
    rows = db.session.scalars(sa.select(StationResult).where(
        StationResult.market_id == market.id, StationResult.tested_on == day,
        StationResult.published.is_(False))).all()
    now = utcnow()
    for row in rows:
        row.published, row.published_at = True, now
    db.session.flush()
    return len(rows)


@dataclass(frozen=True)
class PublicLine:
    result: StationResult
    corrected_by: list[StationResult]


def public_day(market: Market, day: dt.date) -> list[PublicLine]:
    """The published results of a market's day, each with the corrections made of it later,
    and the corrections of earlier published results made on that day."""
    rows = db.session.scalars(sa.select(StationResult).where(
        StationResult.market_id == market.id, StationResult.tested_on == day,
        StationResult.published.is_(True)).order_by(StationResult.tested_at,
                                                    StationResult.id)).all()
    corrections = corrections_of(rows)
    return [PublicLine(r, [c for c in corrections.get(r.id, []) if c.published]) for r in rows]


def public_days(market: Market, limit: int = 30) -> list[dt.date]:
    return list(db.session.scalars(
        sa.select(StationResult.tested_on).where(StationResult.market_id == market.id,
                                                 StationResult.published.is_(True))
        .group_by(StationResult.tested_on).order_by(StationResult.tested_on.desc())
        .limit(limit)))


# Station results are never updated after insert except to be published: a correction is a
# new row.  This listener keeps that promise against any code path using the ORM.
_MUTABLE = {"published", "published_at"}


@event.listens_for(StationResult, "before_update")
def _immutable(mapper, connection, target: StationResult) -> None:
    state = sa.inspect(target)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        if attr.key not in _MUTABLE:
            raise StationError("快检结果保存后不能修改；请提交一条更正记录并说明原因")
        if attr.key == "published" and history.deleted and history.deleted[0] is True:
            raise StationError("已公示的结果不能撤回；请提交更正记录")


# --- JSON -------------------------------------------------------------------------------------

def result_json(result: StationResult, task_id: int | None,
                corrects_uid: str | None = None) -> dict:
    def text(value):
        return None if value is None else format(value, "f")

    return {
        "id": result.id, "uid": result.uid, "market": result.market.code,
        "stall": result.stall, "vendor": result.vendor, "food_name": result.food_name,
        "food_category": result.food_category, "test_item": result.test_item,
        "method": result.method.value, "inhibition_pct": text(result.inhibition_pct),
        "tc_ratio": text(result.tc_ratio), "tc_cutoff": text(result.tc_cutoff),
        "kit_result": result.kit_result, "station_verdict": result.station_verdict.value,
        "server_verdict": result.server_verdict.value, "server_reason": result.server_reason,
        "disagreement": result.disagreement,
        "tested_at": result.tested_at.isoformat().replace("+00:00", "Z"),
        "tested_on": result.tested_on.isoformat(), "operator": result.operator,
        "instrument_serial": result.instrument_serial, "kit_lot": result.kit_lot,
        "corrects_uid": corrects_uid, "correction_reason": result.correction_reason,
        "published": result.published, "confirmation_task_id": task_id,
    }
