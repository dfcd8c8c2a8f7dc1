"""``lims plans``: variety lists, building a plan version, export."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lims.audit.context import Actor, acting_as
from lims.core.localtime import local_today
from lims.extensions import db
from lims.plans import services

plans_cli = AppGroup("plans", help="年度抽检计划 / annual sampling plans.")


@plans_cli.command("varieties")
def varieties_command():
    """Load the shipped county variety lists (rows already there are kept)."""
    with acting_as(Actor(None, "lims plans varieties")):
        n = services.load_county_varieties()
        db.session.commit()
    click.echo(f"新增品种 {n} 条")


@plans_cli.command("build")
@click.option("--year", type=int, default=lambda: local_today().year)
def build_command(year: int):
    """Make the year's plan (a new draft version when the inputs changed)."""
    with acting_as(Actor(None, "lims plans build")):
        try:
            plan = services.build_plan(year, None)
            db.session.commit()
        except services.PlanServiceError as exc:
            raise click.ClickException(str(exc)) from None
    for row in services.county_summary(plan):
        click.echo(f"{row['region']}: {row['total']} 批次（目标 {row['target_total']}），"
                   f"残留 {row['residue']}（目标 {row['target_residue']}），"
                   f"品种 {row['varieties']}")
    click.echo(f"{plan.year} 第{plan.version}版：{services.STATE_ZH[plan.state]}")


@plans_cli.command("export")
@click.option("--year", type=int, default=lambda: local_today().year)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(year: int, path: Path):
    """Write the latest plan of the year as XLSX."""
    plan = services.latest_plan(year)
    if plan is None:
        raise click.ClickException(f"{year}年没有抽检计划")
    path.write_bytes(services.export_xlsx(plan))
    click.echo(str(path))
