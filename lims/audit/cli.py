"""``lims audit verify``: walk the hash chain."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from lims.audit.services import verify_chain

audit_cli = AppGroup("audit", help="审计追踪 / Audit trail.")


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
def verify(as_json: bool):
    """Verify the audit chain; exit 1 at the first tampered row."""
    report = verify_chain()
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False))
    elif report.intact:
        click.echo(f"审计链完整 / audit chain intact: {report.checked} rows verified")
    else:
        click.echo(f"审计链被篡改 / audit chain broken at row {report.first_bad_id}: "
                   f"{report.problem} ({report.checked} rows before it verified)")
    sys.exit(0 if report.intact else 1)
