"""``lims limits`` commands: judge a result against a limit, or check it against the
limit library.  No database or app context is needed.

Both commands print a JSON object with ``--json``; unreadable input exits with status 2
and ``{"error": …}`` naming what could not be read.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext

from lims.core.localtime import local_today

from .judgement import COMPARISON_ZH, COMPARISONS, RULE_ZH, RULES, JudgementError
from .parsing import ParseError
from .rounding import RoundingError
from .units import UnitError

__all__ = ["limits"]

_INPUT_ERRORS = (ParseError, JudgementError, UnitError, RoundingError)


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = [f"判定：{data.get('verdict_zh', '')}（{data['verdict']}）"]
    limit = data.get("limit") or {}
    if limit:
        where = " ".join(str(limit[k]) for k in ("standard", "clause") if limit.get(k))
        category = f" {limit['matched_category']}" if limit.get("matched_category") else ""
        lines.append(
            f"限量：{limit.get('display') or limit.get('text')}  {where}{category}".rstrip()
        )
    if data.get("result"):
        shown = (
            data["result"].get("display")
            or "，".join(data["result"].get("values", []))
            or data["result"].get("text", "")
        )
        lines.append(f"结果：{shown}")
    comparison = COMPARISON_ZH.get(data.get("comparison", ""), data.get("comparison", ""))
    lines.append(f"规则：{comparison}，{RULE_ZH.get(data.get('rule', ''), data.get('rule', ''))}")
    lines.append(f"理由：{data['reason']}")
    verified = data.get("verified")
    if verified and verified != "yes":
        lines.append(f"限量待核：限量行未与标准原文核对（verified={verified}）")
    for note in data.get("notes", []):
        lines.append(f"备注：{note}")
    click.echo("\n".join(lines))


def _fail(message: str, as_json: bool, code: int = 2) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": message}, ensure_ascii=False))
    else:
        click.echo(f"错误：{message}", err=True)
    sys.exit(code)


def _density(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.replace("g/mL", "").replace("g/ml", "").strip())
    except InvalidOperation:
        raise ParseError(f"无法识别的密度：{text!r}（单位 g/mL）") from None
    if value <= 0:
        raise ParseError(f"密度必须为正数：{text!r}")
    return value


@click.group(name="limits")
def limits() -> None:
    """Limit library and conformity judgement (GB 2762, GB 2763, GB 31650, …)."""


@limits.command("judge")
@click.option(
    "--result", "result", required=True, help="检测结果，如 0.0926g/kg、未检出、<0.01mg/kg"
)
@click.option(
    "--limit",
    "limit_text",
    required=True,
    help="限量，如 ≤0.05mg/kg、不得检出、n=5,c=2,m=10,M=100CFU/g",
)
@click.option("--comparison", type=click.Choice(COMPARISONS), default="full", show_default=True)
@click.option("--uncertainty", default=None, help="扩展不确定度 U，如 0.005mg/kg 或 10%rel")
@click.option("--rule", type=click.Choice(RULES), default="simple", show_default=True)
@click.option("--lod", default=None, help="检出限，如 0.01mg/kg")
@click.option("--loq", default=None, help="定量限，如 0.03mg/kg")
@click.option("--density", default=None, help="密度 g/mL（仅 mg/L 与 mg/kg 互换时需要）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def judge_command(
    result: str,
    limit_text: str,
    comparison: str,
    uncertainty: str | None,
    rule: str,
    lod: str | None,
    loq: str | None,
    density: str | None,
    as_json: bool,
) -> None:
    """Judge a result against a limit written as standards write it."""
    from .checking import judge_text

    try:
        outcome = judge_text(
            result, limit_text, comparison=comparison, rule=rule, uncertainty=uncertainty,
            lod=lod, loq=loq, density=_density(density),
        )  # fmt: skip
    except _INPUT_ERRORS as exc:
        _fail(str(exc), as_json)
    _emit(outcome.to_dict(), as_json)


@limits.command("check")
@click.option("--item", default=None, help="检验项目，如 铅(以Pb计)、毒死蜱、合成着色剂(柠檬黄、日落黄)")
@click.option(
    "--food", "foods", multiple=True,
    help="食品名称；可重复给出多个候选名称（最具体的在前），或用 | 分隔",
)  # fmt: skip
@click.option(
    "--result", "result", default=None,
    help="检测结果；采样方案给出 n 个结果，逗号分隔；组分结果写作 柠檬黄=0.05g/kg;日落黄=未检出",
)  # fmt: skip
@click.option("--declared", default=None, help="产品明示值（执行标准或标签），如 ≥3.0g/100g 或 52%vol")
@click.option(
    "--batch", "batch_path", type=click.Path(exists=True, dir_okay=False), default=None,
    help="CSV：表头 item,food,result[,date][,declared]；每行输出一个 JSON 对象（JSON Lines）",
)  # fmt: skip
@click.option("--date", "date_text", default=None, help="抽样日期 YYYY-MM-DD（默认今天）")
@click.option("--standard", default=None, help="只在该标准中查找，如 GB 2763 或 GB 2762-2025")
@click.option("--basis", default=None, help="限量基准：fresh/dry/fat/as_is/solid")
@click.option("--condition", default=None, help="限量行的适用条件，如 脂肪含量10%以下")
@click.option("--comparison", type=click.Choice(COMPARISONS), default=None, help="默认取标准规定")
@click.option("--uncertainty", default=None)
@click.option("--rule", type=click.Choice(RULES), default="simple", show_default=True)
@click.option("--lod", default=None)
@click.option("--loq", default=None)
@click.option("--density", default=None)
@click.option("--json", "as_json", is_flag=True)
def check_command(
    item: str,
    foods: tuple[str, ...],
    result: str | None,
    declared: str | None,
    batch_path: str | None,
    date_text: str | None,
    standard: str | None,
    basis: str | None,
    condition: str | None,
    comparison: str | None,
    uncertainty: str | None,
    rule: str,
    lod: str | None,
    loq: str | None,
    density: str | None,
    as_json: bool,
) -> None:
    """Look the limit up in the library, then judge the result (or every row of --batch)."""
    from .checking import check_result

    on = _date(date_text, as_json)
    if batch_path is not None:
        records = _batch_records(batch_path, ("item", "food", "result"), as_json)
        _with_library(lambda index: _check_batch(index, records, on, comparison, rule, as_json))
        return
    if not item or not foods or result is None:
        _fail("需要 --item、--food 与 --result（或 --batch 文件）", as_json)
    names = [n.strip() for f in foods for n in f.split("|") if n.strip()]
    try:
        outcome = _with_library(lambda index: check_result(
            index, item, names, result, on, standard=standard, basis=basis,
            condition=condition, comparison=comparison, rule=rule, uncertainty=uncertainty,
            lod=lod, loq=loq, density=_density(density), declared=declared,
        ))  # fmt: skip
    except (ValueError, *_INPUT_ERRORS) as exc:
        _fail(str(exc), as_json)
    _emit(outcome.data, as_json)


def _date(text: str | None, as_json: bool) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else local_today()
    except ValueError:
        _fail(f"无法识别的日期：{text!r}（应为 YYYY-MM-DD）", as_json)


def _batch_records(path: str, required: tuple[str, ...], as_json: bool) -> list[dict[str, str]]:
    """Rows of a batch CSV; a missing column refuses the whole file before any output."""
    from .rows_io import read_table

    try:
        records = read_table(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        _fail(f"无法读取批量文件：{exc}", as_json)
    if records:
        missing = [c for c in required if c not in records[0]]
        if missing:
            _fail(f"批量文件缺少列：{'、'.join(missing)}（表头应为 {','.join(required)}[,date]）", as_json)
    return records


def _row_date(record: dict[str, str], default: dt.date) -> dt.date:
    text = (record.get("date") or "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParseError(f"无法识别的日期：{text!r}（应为 YYYY-MM-DD）") from None


def _line(data: dict[str, Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


def _check_batch(index, records, on, comparison, rule, as_json: bool) -> None:
    """One output line per input row, in order; a bad row gives {"error"} and the batch goes on."""
    from .checking import check_result

    for record in records:
        item, food, result = record.get("item", ""), record.get("food", ""), record.get("result", "")
        try:
            outcome = check_result(
                index, item, food, result, _row_date(record, on), comparison=comparison,
                rule=rule, declared=record.get("declared") or None,
            )  # fmt: skip
        except (ValueError, *_INPUT_ERRORS) as exc:
            _line({"item": item, "food": food, "error": str(exc)}, as_json,
                  f"{item}\t{food}\t错误：{exc}")  # fmt: skip
            continue
        data = {"item": item, "food": food, **outcome.data}
        _line(data, as_json, f"{item}\t{food}\t{result}\t{data.get('verdict_zh')}\t{data['reason']}")


def _with_library(work):
    """Run ``work(index)`` on the database library when run as ``lims`` with a migrated
    database; otherwise (no app, or no tables yet) on the library shipped with lims."""
    from contextlib import nullcontext

    from flask import has_app_context
    from flask.cli import ScriptInfo

    from .library import load_shipped_library

    info = click.get_current_context().find_object(ScriptInfo)
    if has_app_context():
        context = nullcontext()
    elif info is not None:
        context = info.load_app().app_context()
    else:
        return work(load_shipped_library())
    import sqlalchemy.exc

    from .services import library_index

    with context:
        try:
            index = library_index()
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError):
            index = load_shipped_library()  # no tables yet: judge with the shipped library
        return work(index)


@limits.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def validate_command(path: str, as_json: bool) -> None:
    """Check a CSV/XLSX file of limit rows; exit 1 listing every bad row."""
    from .library import load_shipped_library
    from .rows_io import read_table, validate_rows

    index = load_shipped_library()
    try:
        records = read_table(path)
    except (ValueError, OSError) as exc:
        _fail(str(exc), as_json)
    errors = validate_rows(records, standards=index.standards, graph=index.graph)
    if as_json:
        click.echo(json.dumps(
            {"ok": not errors, "rows": len(records),
             "errors": [{"row": e.row, "message": e.message} for e in errors]},
            ensure_ascii=False, indent=2))  # fmt: skip
    else:
        for error in errors:
            click.echo(str(error))
        click.echo(f"{len(records)} 行，{len(errors)} 处错误")
    sys.exit(1 if errors else 0)


@limits.command("load")
@with_appcontext
def load_command() -> None:
    """Put the limit library shipped with lims into the database (add or update)."""
    from lims.extensions import db

    from .services import load_shipped_limits

    summary = load_shipped_limits()
    db.session.commit()
    click.echo(f"{len(summary.standards)} 项标准，{summary.rows} 条限量 / "
               f"{len(summary.standards)} standards, {summary.rows} limit rows loaded")


@limits.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--standards", "standards_path", type=click.Path(exists=True, dir_okay=False),
              help="CSV of new standards/editions (columns as data/standards.csv)")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def import_command(path: str, standards_path: str | None, as_json: bool) -> None:
    """Add or update a standard from a CSV/XLSX of limit rows; any bad row refuses the file."""
    from lims.extensions import db

    from .rows_io import ImportRefused
    from .services import import_limits

    try:
        summary = import_limits(path, standards_path=standards_path)
        db.session.commit()
    except ImportRefused as exc:
        db.session.rollback()
        if as_json:
            click.echo(json.dumps({"ok": False, "errors": [
                {"row": e.row, "message": e.message} for e in exc.errors]}, ensure_ascii=False))
        else:
            click.echo(f"文件被拒绝，未导入任何行 / file refused, nothing imported "
                       f"({len(exc.errors)} errors):", err=True)
            for error in exc.errors:
                click.echo(f"  {error}", err=True)
        sys.exit(1)
    except (ValueError, OSError) as exc:
        db.session.rollback()
        _fail(str(exc), as_json)
    if as_json:
        click.echo(json.dumps({"ok": True, "standards": list(summary.standards),
                               "rows": summary.rows}, ensure_ascii=False))
    else:
        click.echo(f"导入 {summary.rows} 条限量：{'、'.join(summary.standards)}")


@limits.command("lookup")
@click.option("--item", default=None, help="检验项目，如 腐霉利、合成着色剂(柠檬黄、日落黄)")
@click.option(
    "--food", "foods", multiple=True,
    help="食品名称；可用 | 分隔多个候选名称（最具体的在前），如 菠菜|叶菜类蔬菜",
)  # fmt: skip
@click.option("--date", "date_text", default=None, help="日期 YYYY-MM-DD（默认今天）")
@click.option("--standard", default=None, help="只在该标准中查找，如 GB 2763")
@click.option("--basis", default=None)
@click.option("--condition", default=None)
@click.option(
    "--batch", "batch_path", type=click.Path(exists=True, dir_okay=False), default=None,
    help="CSV：表头 item,food[,date]；每行输出一个 JSON 对象（JSON Lines），顺序同输入",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def lookup_command(
    item: str | None,
    foods: tuple[str, ...],
    date_text: str | None,
    standard: str | None,
    basis: str | None,
    condition: str | None,
    batch_path: str | None,
    as_json: bool,
) -> None:
    """The limit(s) that apply to an item in a food, with their source and status."""
    from .lookup import lookup_item

    on = _date(date_text, as_json)
    if batch_path is not None:
        records = _batch_records(batch_path, ("item", "food"), as_json)

        def run_batch(index) -> None:
            for record in records:
                item_text, food = record.get("item", ""), record.get("food", "")
                try:
                    answer = lookup_item(index, item_text, food, _row_date(record, on))
                    data = answer.to_json()
                    shown = answer.rows()
                except (ValueError, *_INPUT_ERRORS) as exc:
                    data = {"item": item_text, "food": food, "found": False, "limits": [],
                            "declared_value_required": False, "reason": str(exc)}  # fmt: skip
                    shown = []
                data["food"] = food
                _line(data, as_json, _lookup_text(data, shown))

        _with_library(run_batch)
        return
    if not item or not foods:
        _fail("需要 --item 与 --food（或 --batch 文件）", as_json)
    names = [n.strip() for f in foods for n in f.split("|") if n.strip()]
    answer = _with_library(lambda index: lookup_item(
        index, item, names, on, standard=standard, basis=basis, condition=condition))  # fmt: skip
    data = answer.to_json()
    data["food"] = "|".join(names)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_lookup_text(data, answer.rows()))


def _lookup_text(data: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    head = f"{data['item']} @ {data['food']}：" + ("找到限量" if data["found"] else "未找到限量")
    lines = [head]
    for limit in rows:
        who = f"{limit['analyte']} " if limit.get("analyte") != data["item"] else ""
        status = "" if limit["verified"] == "yes" else "（限量待核）"
        lines.append(
            f"  {who}{limit['text']}  {limit['standard']} {limit['clause']} “{limit['category']}”"
            f"  [{limit['verified']}]{status}"
        )
    if data["declared_value_required"]:
        lines.append("  需要产品明示值（执行标准或标签）")
    lines.append(f"  说明：{data['reason']}")
    return "\n".join(lines)


@limits.command("coverage")
@click.option("--date", "date_text", default=None, help="日期 YYYY-MM-DD（默认今天）")
@click.option("--misses/--no-misses", default=True, help="列出未找到限量的项目")
@click.option("--json", "as_json", is_flag=True)
def coverage_command(date_text: str | None, misses: bool, as_json: bool) -> None:
    """Of the sampling rules' items, how many find a limit, by basis standard."""
    from .coverage import measure, rules_queries

    on = _date(date_text, as_json)
    report = _with_library(lambda index: measure(index, rules_queries(), on))
    if as_json:
        data = report.to_dict()
        if not misses:
            data.pop("misses")
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report.lines(misses)))
