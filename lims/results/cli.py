"""``lims results …``: stored verdicts checked against the one judgement path."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

results_cli = AppGroup("results", help="检验结果 / Test results.")


@results_cli.command("rejudge")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象 / JSON Lines")
def rejudge_cmd(as_json: bool) -> None:
    """列出按全数值重新判定后结论不同的已存结果（只读）/ list stored results whose verdict
    differs when judged again on the unrounded value (read only; approved ones need an
    amended report)."""
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.limits.rounding import format_decimal
    from lims.results.entry import judge
    from lims.results.models import Detection, TestResult

    found = 0
    query = sa.select(TestResult).where(TestResult.value.is_not(None)).order_by(TestResult.id)
    for result in db.session.scalars(query):
        if result.detection != Detection.DETECTED.value or not result.detected:
            continue
        text = f"{format_decimal(result.value)}{result.unit}"
        now = judge(result.sample_test, text)
        if now["verdict"] == result.verdict:
            continue
        found += 1
        row = {"result_id": result.id, "sample": result.sample_test.sample.number,
               "item": result.sample_test.test_item.name_zh,
               "reported_value": result.reported_value, "value": format_decimal(result.value),
               "unit": result.unit, "stored_verdict": result.verdict,
               "full_value_verdict": now["verdict"], "comparison": now["comparison"],
               "status": result.status.value}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['sample']} {row['item']} {row['reported_value']} "
                       f"(全值 {row['value']}) {row['unit']}: {row['stored_verdict']} → "
                       f"{row['full_value_verdict']} [{row['status']}]")
    if not as_json:
        click.echo(f"共 {found} 个结果结论不同 / {found} results differ")
