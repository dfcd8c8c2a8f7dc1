"""``lims backup FILE`` and ``lims restore FILE [--force]`` on the configured database."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lims.backup.services import BackupError, backup, restore
from lims.extensions import db


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent backup of the whole database to PATH."""
    try:
        summary = backup(_url(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"备份完成 / backup written: {summary.path} ({summary.engine}, "
               f"{summary.tables} tables, {summary.rows} rows, {summary.size} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data")
@with_appcontext
def restore_command(path: str, force: bool) -> None:
    """Replace the database with the backup at PATH, then verify the audit chain."""
    from lims.audit.services import verify_chain

    db.session.remove()
    db.engine.dispose()  # our own pooled connections would block dropping the schema
    try:
        summary = restore(_url(), path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"恢复完成 / restored from {summary.path}: {summary.tables} tables, "
               f"{summary.rows} rows")
    report = verify_chain()
    db.session.remove()
    if not report.intact:
        raise click.ClickException(f"恢复后审计链校验失败 / audit chain broken at row "
                                   f"{report.first_bad_id}: {report.problem}")
    click.echo(f"审计链完整 / audit chain intact: {report.checked} rows verified")
