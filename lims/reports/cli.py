"""``lims reports …``: check a report file, issue a sample's report (retry / job queue)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lims.extensions import db
from lims.reports import services, verification
from lims.reports.signing import SigningSetupError

reports_cli = AppGroup("reports", help="检验报告 / Test reports.")


@reports_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify_command(path: Path, as_json: bool) -> None:
    """Check FILE against the lab CA and the stored hash; exit 1 when it is not valid."""
    try:
        check = verification.check_file(path.read_bytes())
    except SigningSetupError as exc:
        raise click.ClickException(str(exc)) from exc
    data = check.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(f"{'有效' if check.valid else '无效'}：{check.message}")
        click.echo(f"报告编号：{data['report_number'] or '—'}  状态：{data['status'] or '—'}")
        click.echo(f"SHA-256：{check.sha256}")
    if not check.valid:
        raise SystemExit(1)


@reports_cli.command("issue")
@click.argument("sample_number")
@click.option("--user", "username", required=True, help="The signatory issuing the report.")
def issue_command(sample_number: str, username: str) -> None:
    """Issue the report of an approved sample (what the approval does automatically)."""
    from lims.audit.context import Actor, acting_as
    from lims.samples.models import Sample
    from lims.users.models import User

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"未知用户：{username}")
    sample = db.session.scalar(sa.select(Sample).where(Sample.number == sample_number))
    if sample is None:
        raise click.ClickException(f"未知样品：{sample_number}")
    with acting_as(Actor(user.id, user.username)):
        try:
            report = services.issue_report(sample, user)
            db.session.commit()
        except (services.ReportError, SigningSetupError, ValueError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    click.echo(f"已签发报告 {report.number}（SHA-256 {report.sha256}）")
