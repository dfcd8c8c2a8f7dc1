"""``lims stats coverage`` and ``lims stats targets``: the dashboard's figures in a terminal."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lims.extensions import db
from lims.stats import coverage as cov
from lims.stats import targets as tg
from lims.stats.period import Period, PeriodError

stats_cli = AppGroup("stats", help="Statistics: test-item coverage and the plan's targets.")


def _region_id(code: str | None) -> int | None:
    from lims.orgs.models import Region

    if not code:
        return None
    region = db.session.scalar(sa.select(Region).where(
        sa.or_(Region.code == code, Region.name == code)))
    if region is None:
        raise click.BadParameter(f"未知县市：{code}", param_hint="--county")
    return region.id


def _period(year, date_from, date_to) -> Period:
    try:
        return Period.parse(year, date_from, date_to)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--year/--from/--to") from None


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@stats_cli.command("coverage")
@click.option("--year", help="period for the gap list's sample counts (default: this year)")
@click.option("--from", "date_from")
@click.option("--to", "date_to")
@click.option("--county", help="county code or name (sample counts of that county)")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def coverage_command(year, date_from, date_to, county, as_json):
    """Standards test-item coverage against the 80% target, and the gap list."""
    report = cov.coverage_report(_period(year, date_from, date_to), region_id=_region_id(county))
    db.session.commit()  # the rollup brought up to date on the way
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"标准检验项目覆盖率 {_pct(report['rate'])}（{report['covered']}/{report['items']}，"
               f"目标 80%：{'达到' if report['meets_target'] else '未达到'}）；"
               f"不核定量限 {_pct(report['rate_by_method'])}")
    for row in report["by_tier"]:
        click.echo(f"  {row['label']:<10} {_pct(row['rate']):>7}  ({row['covered']}/{row['items']})")
    click.echo(f"未覆盖项目 {report['gap_count']} 个，前 20 个：")
    for gap in report["gaps"][:20]:
        click.echo(f"  {gap['samples']:>6}  {gap['item_code']:<30} {gap['reason_zh']}")


@stats_cli.command("targets")
@click.option("--year", help="calendar year (default: this year)")
@click.option("--from", "date_from")
@click.option("--to", "date_to")
@click.option("--county", help="county code or name")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
def targets_command(year, date_from, date_to, county, as_json):
    """The plan's targets per county and for the prefecture."""
    report = tg.targets_report(_period(year, date_from, date_to), region_id=_region_id(county))
    db.session.commit()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    rows = report["counties"] + ([report["prefecture"]] if report["prefecture"] else [])
    click.echo(f"期间 {report['period']['label']}")
    click.echo("地区        每千人抽检  每千人农兽残  公开率  合格率  批发快检率  周期中位/P90（天）")
    for r in rows:
        click.echo(f"{r['region']:<10} {r['samples_per_1000'] or 0:>8} {r['residue_per_1000'] or 0:>10}"
                   f"  {_pct(r['published_rate']):>6}  {_pct(r['qualified_rate']):>6}"
                   f"  {_pct(r['rapid_testing_rate']):>8}  {r['turnaround_median_days']}/"
                   f"{r['turnaround_p90_days']}")


@stats_cli.command("rebuild")
def rebuild_command():
    """Recompute the statistics rollup from the sample, result and report tables (after a
    bulk load that bypassed the application)."""
    from lims.stats import rollup

    units = rollup.rebuild()
    db.session.commit()
    click.echo(f"统计汇总已重建：{units} 个报告单元")
