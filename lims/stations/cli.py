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
