"""``lims capabilities …``: what each lab declares it can test."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lims.capabilities import services
from lims.extensions import db
from lims.orgs.services import org_by_code

capabilities_cli = AppGroup("capabilities", help="检验能力 / Lab capabilities.")


@capabilities_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Add capabilities from a CSV; any bad row refuses the whole file."""
    try:
        count = services.import_capabilities(path)
    except services.CapabilityImportError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"导入检验能力 {count} 条")


@capabilities_cli.command("list")
@click.option("--org", "org_code", help="Lab code, e.g. BL-LAB")
def list_command(org_code: str | None) -> None:
    """Count capabilities per lab, or list one lab's capabilities."""
    if not org_code:
        for code, count in sorted(services.count_by_org().items()):
            click.echo(f"{code}\t{count}")
        return
    org = org_by_code(org_code)
    if org is None:
        raise click.ClickException(f"未知机构代码：{org_code}")
    for cap in services.capabilities_for(org):
        target = cap.test_item.code if cap.test_item else f"{cap.analyte_key} @ {cap.food_scope_code or '*'}"
        click.echo(f"{target}\t{cap.method_standard}\tLOQ {cap.loq or '—'} {cap.unit or ''}\t"
                   f"{'CMA' if cap.in_cma_scope else ''}")
