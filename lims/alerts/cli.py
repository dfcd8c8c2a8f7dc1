"""``lims alerts``: the nightly signal run and the outside-notice import."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from lims.alerts import services
from lims.audit.context import Actor, acting_as
from lims.core.localtime import local_today
from lims.extensions import db
from lims.limits.rows_io import ImportRefused

alerts_cli = AppGroup("alerts", help="风险预警 / risk early warning.")


@alerts_cli.command("run")
@click.option("--date", "day", help="as of this day (YYYY-MM-DD, default today)")
@click.option("--json", "as_json", is_flag=True)
def run_command(day, as_json):
    """Compute every signal as of the day and raise the new alerts (the nightly job)."""
    try:
        as_of = dt.date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{day}") from None
    started = time.perf_counter()
    with acting_as(Actor(None, "lims alerts run")):
        new = services.run(as_of)
        db.session.commit()
    seconds = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps({"as_of": as_of.isoformat(), "new": len(new), "seconds":
                               round(seconds, 3), "alerts": [a.title for a in new]},
                              ensure_ascii=False))
        return
    click.echo(f"{as_of.isoformat()}：新增预警 {len(new)} 条（{seconds:.2f} s）")
    for a in new:
        click.echo(f"  [{a.level.value}] {a.title}")


@alerts_cli.command("import-notice")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_notice_command(path: Path):
    """Import a published 抽检信息公告 file (CSV or XLSX), all rows or none."""
    with acting_as(Actor(None, "lims alerts import-notice")):
        try:
            record, new = services.import_notice(path.read_bytes(), path.name, None)
            db.session.commit()
        except (ImportRefused, services.AlertError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    click.echo(f"导入 {record.row_count} 行，新增预警 {len(new)} 条")
