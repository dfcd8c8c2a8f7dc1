"""``lims import KIND FILE``: the same import as the page, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lims.extensions import db
from lims.imports import services
from lims.imports.models import ImportKind


@click.command("import")
@click.argument("kind", type=click.Choice([k.value for k in ImportKind]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--standard", help="Local standard number, e.g. DBS 65/010-2023")
@with_appcontext
def import_command(kind: str, path: Path, standard: str | None) -> None:
    """Import limits, capabilities or a local item list; any bad row refuses the file."""
    with click.progressbar(length=1, label=f"{services.KIND_ZH[ImportKind(kind)]} {path.name}",
                           show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            with db.session.begin_nested():
                message = services.import_file(ImportKind(kind), path, progress, standard)
        except services.REFUSALS as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(message)
