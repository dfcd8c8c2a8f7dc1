"""``lims drugs``: load the shipped monographs, import a lab's monograph file, judge."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from lims.audit.context import Actor, acting_as
from lims.drugs import services
from lims.drugs.monographs import MonographError
from lims.extensions import db


@click.group("drugs", help="药品标准与药品检验 / drug monographs and testing.")
def drugs_cli() -> None:
    pass


@drugs_cli.command("load")
@with_appcontext
def load_command() -> None:
    """(Re)load the shipped monographs (lims/drugs/monographs/*.toml)."""
    with acting_as(Actor(None, "cli")):
        summary = services.load_shipped_monographs()
        db.session.commit()
    click.echo(f"药品标准 {summary.monographs} 个（新增 {summary.created}），检验项目 {summary.items} 项")


@drugs_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_command(path: Path) -> None:
    """Import one monograph file; refused whole, every problem listed, when anything is wrong."""
    try:
        with acting_as(Actor(None, "cli")):
            record, created = services.import_monograph_file(path)
            db.session.commit()
    except MonographError as exc:
        db.session.rollback()
        click.echo(f"药品标准未导入（{len(exc.problems)} 处错误）：", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{'已导入' if created else '已更新'}药品标准：{record.name}（{record.standard}）")


@drugs_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    rows = [{"key": m.key, "name": m.name, "dosage_form": m.dosage_form,
             "standard": m.standard, "origin": m.origin, "verified": m.verified}
            for m in services.monographs()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        flag = "已核实" if row["verified"] else "未核实"
        click.echo(f"{row['name']:<16}{row['dosage_form']:<6}{row['standard']}  {flag}")


@drugs_cli.command("judge")
@click.argument("monograph")
@click.argument("item")
@click.argument("values", nargs=-1)
@click.option("--labelled", help="标示量（每单位），含量测定用，如 0.25")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def judge_command(monograph: str, item: str, values: tuple[str, ...], labelled: str | None,
                  as_json: bool) -> None:
    """Judge figures against a monograph item, as the entry page does:
    ``lims drugs judge 阿莫西林胶囊 溶出度 first="85 86 88 90 82 84"``."""
    from decimal import Decimal

    from lims.drugs.entry import judge
    from lims.results.errors import ResultError

    record = services.find_monograph(monograph)
    if record is None:
        raise click.ClickException(f"未知的药品标准：{monograph}")
    parsed = services.parsed(record)
    found = next((i for i in parsed.items if item in (i.name, i.code)), None)
    if found is None:
        raise click.ClickException(f"{parsed.name} 没有检验项目：{item}")
    inputs = dict(v.split("=", 1) for v in values if "=" in v)
    try:
        outcome, value, reported, unit = judge(found, inputs, labelled=Decimal(labelled)
                                               if labelled else None)
    except ResultError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps({"verdict": outcome.outcome.value, "reported": reported,
                               "unit": unit, "value": format(value, "f"),
                               "reason": outcome.reason, "figures": outcome.figures},
                              ensure_ascii=False))
    else:
        click.echo(f"{found.name}：{reported}{unit}（{outcome.outcome_zh}）\n{outcome.reason}")
