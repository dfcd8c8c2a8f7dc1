"""``lims stations …``: markets and the confirmation rate from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

stations_cli = AppGroup("stations", help="快检室与市场 / Rapid-test stations and markets.")


@stations_cli.command("markets")
@click.option("--load-demo", is_flag=True, help="先载入演示市场 / load the demo markets first")
def markets_cmd(load_demo: bool) -> None:
    """列出市场 / list markets with their station and stall count."""
    import sqlalchemy as sa

    from lims.audit.context import Actor, acting_as
    from lims.extensions import db
    from lims.stations.models import Market
    from lims.stations.services import load_demo_markets

    if load_demo:
        with acting_as(Actor(None, "cli")):
            load_demo_markets()
            db.session.commit()
    for m in db.session.scalars(sa.select(Market).order_by(Market.code)):
        click.echo(f"{m.code:<10} {m.station_org.code:<10} {m.kind.value:<12} "
                   f"{m.stall_count:>5}  {m.name}")


@stations_cli.command("confirmation-rate")
@click.option("--period", required=True, help="2026 / 2026-11")
@click.option("--region", help="县市区划代码 / county code, e.g. 652701")
def rate_cmd(period: str, region: str | None) -> None:
    """快检阳性的实验室确认率 / share of rapid positives confirmed by the labs."""
    from lims.stations.confirmation import confirmation_rate

    try:
        rate = confirmation_rate(period, region=region)
    except ValueError as exc:
        raise click.ClickException(f"期间格式应为 YYYY 或 YYYY-MM：{period}") from exc
    click.echo(json.dumps({
        "period": period, "region": region, "positives": rate.positives,
        "concluded": rate.concluded, "confirmed": rate.confirmed, "open": rate.open,
        "rate": None if rate.rate is None else f"{rate.rate:.3f}",
        "share_of_positives": None if rate.share_of_positives is None
        else f"{rate.share_of_positives:.3f}"}, ensure_ascii=False))


@stations_cli.command("stalls")
@click.argument("market_code")
@click.option("--add", "add", multiple=True, help="登记摊位（可多次）/ register a stall")
@click.option("--withdraw", "withdraw", multiple=True, help="注销摊位 / deregister a stall")
def stalls_cmd(market_code: str, add: tuple[str, ...], withdraw: tuple[str, ...]) -> None:
    """市场登记的摊位 / a market's registered stalls (codes are normalised: A－1 = a-1 = A-1)."""
    import sqlalchemy as sa

    from lims.audit.context import Actor, acting_as
    from lims.extensions import db
    from lims.stations.models import MarketStall
    from lims.stations.services import find_market
    from lims.stations.stalls import UnknownStall, normalise_stall, register_stalls

    market = find_market(market_code)
    if market is None:
        raise click.ClickException(f"市场 {market_code} 不存在")
    with acting_as(Actor(None, "cli")):
        try:
            added = register_stalls(market, list(add)) if add else 0
        except UnknownStall as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        codes = {normalise_stall(c) for c in withdraw}
        stalls = db.session.scalars(sa.select(MarketStall).where(
            MarketStall.market_id == market.id, MarketStall.code.in_(codes))).all()
        missing = codes - {s.code for s in stalls}
        if missing:
            db.session.rollback()
            raise click.ClickException(f"摊位未登记：{'、'.join(sorted(missing))}")
        for stall in stalls:
            stall.active = False
        db.session.commit()
    active = db.session.scalars(sa.select(MarketStall.code).where(
        MarketStall.market_id == market.id, MarketStall.active.is_(True))).all()
    click.echo(f"{market.code} {market.name}: 新登记 {added}，注销 {len(stalls)}，"
               f"在册 {len(active)} 个摊位")
