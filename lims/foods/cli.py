"""``lims taxonomy …``: the sampling rules' food tree and test-item tables."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lims.extensions import db
from lims.foods import services

taxonomy_cli = AppGroup("taxonomy", help="抽检实施细则食品分类与检验项目 / Sampling rules.")


@taxonomy_cli.command("import")
@click.option("--edition", default="2026", show_default=True)
@click.option("--make-current/--no-make-current", default=True, show_default=True)
def import_command(edition: str, make_current: bool) -> None:
    """(Re)load an edition of the sampling rules from the shipped data files."""
    try:
        summary = services.import_edition(edition, make_current=make_current)
    except (FileNotFoundError, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(f"无法导入实施细则 {edition}：{exc}") from exc
    db.session.commit()
    click.echo(f"实施细则 {summary.edition}：{summary.categories} 个分类节点，"
               f"{summary.items} 个检验项目（新增 {summary.created}，更新 {summary.updated}）")


@taxonomy_cli.command("import-local")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--standard", help="Local standard number, e.g. DBS 65/010-2023")
def import_local(path: str, standard: str | None) -> None:
    """Add a local-standard test-item list (CSV or XLSX); any bad row refuses the file."""
    from lims.foods.item_list import ItemListError

    try:
        added = services.import_local_items(path, standard=standard)
    except (ItemListError, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"新增地方标准检验项目 {added} 项")


@taxonomy_cli.command("show")
@click.argument("subcategory")
def show(subcategory: str) -> None:
    """Print the test-item table of a 细类 (code or name)."""
    node = services.find_subcategory(subcategory)
    if node is None:
        raise click.ClickException(f"未知的食品细类：{subcategory}")
    path = " → ".join(n.name_zh for n in services.category_path(node))
    click.echo(f"{node.code} {path}")
    for item in services.items_for(node):
        click.echo(f"  {item.seq or '':>3} {item.name_zh}\t{item.basis_standards}\t"
                   f"{item.method_standards}")
