"""``lims limits judge|check|validate`` behave as specified."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from lims.limits.cli import limits

runner = CliRunner()


def run(*args: str) -> tuple[int, dict]:
    result = runner.invoke(limits, [*args, "--json"])
    return result.exit_code, json.loads(result.output)


def test_judge_json() -> None:
    code, data = run("judge", "--result", "0.0926g/kg", "--limit", "≤50mg/kg")
    assert code == 0
    assert data["verdict"] == "fail"
    assert (
        data["limit"]["text"] == "≤50mg/kg"
        and data["limit"]["value"] == "50"
        and data["limit"]["unit"] == "mg/kg"
    )
    assert data["result"]["converted"] == "92.6" and data["result"]["converted_unit"] == "mg/kg"
    assert data["comparison"] == "full" and data["rule"] == "simple" and "不符合" in data["reason"]


def test_judge_forms() -> None:
    assert run("judge", "--result", "287µg/kg", "--limit", "≤0.5mg/kg")[1]["verdict"] == "pass"
    assert run("judge", "--result", "未检出", "--limit", "不得检出")[1]["verdict"] == "pass"
    assert run("judge", "--result", "0.02g/kg", "--limit", "不得使用")[1]["verdict"] == "fail"
    assert run("judge", "--result", "14.2%vol", "--limit", "13.5~15.5%vol")[1]["verdict"] == "pass"
    assert run("judge", "--result", "19.5%vol", "--limit", "≤18.0±1.0%vol")[1]["verdict"] == "fail"
    assert run("judge", "--result", "97%", "--limit", "≥96%")[1]["verdict"] == "pass"
    assert (
        run("judge", "--result", "1.2×10⁴ CFU/g", "--limit", "≤1.0×10⁴CFU/g")[1]["verdict"]
        == "fail"
    )
    plan = run(
        "judge", "--result", "＜10，15，10，＜10，390CFU/g", "--limit", "n=5,c=2,m=10,M=100CFU/g"
    )[1]
    assert plan["verdict"] == "fail" and plan["result"]["above_M"] == 1
    nb = run("judge", "--result", "0.048mg/kg", "--limit", "≤0.05mg/kg", "--rule", "non-binary",
             "--uncertainty", "0.004mg/kg")[1]  # fmt: skip
    assert nb["verdict"] == "conditional_pass" and nb["rule"] == "non-binary"
    rounded = run(
        "judge", "--result", "0.054mg/kg", "--limit", "≤0.05mg/kg", "--comparison", "rounded"
    )[1]
    assert rounded["verdict"] == "pass" and rounded["result"]["compared"] == "0.05"
    lod = run("judge", "--result", "0.3µg/kg", "--limit", "不得检出", "--lod", "0.1µg/kg")[1]
    assert lod["verdict"] == "fail"


def test_unparseable_input_exits_2() -> None:
    for args in (
        ("judge", "--result", "abc", "--limit", "≤0.05mg/kg"),
        ("judge", "--result", "0.1mg/kg", "--limit", "≤zz"),
        ("judge", "--result", "0.1furlongs", "--limit", "≤0.05mg/kg"),
        ("judge", "--result", "0.1mg/L", "--limit", "≤0.05mg/kg"),
        ("check", "--item", "铅", "--food", "菠菜", "--result", "abc"),
        ("check", "--item", "铅", "--food", "菠菜", "--result", "0.1mg/kg", "--date", "2026-13-01"),
    ):
        code, data = run(*args)
        assert code == 2, args
        assert set(data) == {"error"} and data["error"]
    assert "abc" in run("judge", "--result", "abc", "--limit", "≤0.05mg/kg")[1]["error"]


def test_check_json() -> None:
    code, data = run(
        "check",
        "--item",
        "铅(以Pb计)",
        "--food",
        "菠菜",
        "--result",
        "0.35mg/kg",
        "--date",
        "2026-10-01",
    )
    assert code == 0 and data["verdict"] == "fail"
    limit = data["limit"]
    assert limit["standard"] == "GB 2762-2025" and limit["clause"] == "4.1 表1"
    assert limit["value"] == "0.3" and limit["unit"] == "mg/kg" and "line 63" in limit["source"]
    assert data["lookup"]["food_code"] == "F:菠菜"


def test_check_no_limit_and_species() -> None:
    code, data = run(
        "check", "--item", "镉", "--food", "猪肺", "--result", "0.2mg/kg", "--date", "2026-10-01"
    )
    assert code == 0 and data["verdict"] == "no_limit" and "除外" in data["reason"]
    data = run(
        "check",
        "--item",
        "总汞",
        "--food",
        "金枪鱼",
        "--result",
        "0.8mg/kg",
        "--date",
        "2026-10-01",
    )[1]
    assert data["verdict"] == "pass" and "甲基汞" in data["reason"]
    data = run(
        "check",
        "--item",
        "总汞",
        "--food",
        "金枪鱼",
        "--result",
        "1.5mg/kg",
        "--date",
        "2026-10-01",
    )[1]
    assert data["verdict"] == "no_limit" and data["requires"] == "甲基汞"


def test_check_candidates_and_standard() -> None:
    data = run("check", "--item", "铅", "--food", "某种青菜", "--food", "菠菜", "--result", "0.2mg/kg",
               "--date", "2026-10-01")[1]  # fmt: skip
    assert data["verdict"] == "pass"
    data = run("check", "--item", "铅", "--food", "菠菜", "--result", "0.2mg/kg", "--standard", "GB 2763",
               "--date", "2026-10-01")[1]  # fmt: skip
    assert data["verdict"] == "no_limit"


def test_human_output() -> None:
    result = runner.invoke(limits, ["judge", "--result", "0.35mg/kg", "--limit", "≤0.3mg/kg"])
    assert result.exit_code == 0 and "判定：不符合" in result.output and "理由：" in result.output
    result = runner.invoke(limits, ["judge", "--result", "abc", "--limit", "≤0.3mg/kg"])
    assert result.exit_code == 2


def test_validate_command(tmp_path: Path) -> None:
    good = Path(__file__).parents[2] / "lims" / "limits" / "data" / "limits_banned.csv"
    assert runner.invoke(limits, ["validate", str(good)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        good.read_text(encoding="utf-8").replace("不得检出", "≤abc", 1), encoding="utf-8"
    )
    result = runner.invoke(limits, ["validate", str(bad), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert not data["ok"] and data["errors"][0]["row"] == 2


def test_engine_modules_need_no_flask_or_database() -> None:
    """The engine is pure: none of its modules imports Flask or SQLAlchemy (the lead's
    models/views/forms/services and the CLI wrap it and may)."""
    wrappers = {"models.py", "views.py", "forms.py", "services.py", "cli.py"}
    package = Path(__file__).parents[2] / "lims" / "limits"
    for path in sorted(package.rglob("*.py")):
        if path.name in wrappers:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root not in ("flask", "flask_sqlalchemy", "sqlalchemy", "flask_login"), path
                assert name not in ("lims", "lims.extensions", "lims.core"), path


def test_cli_runs_as_a_module_without_app() -> None:
    code = "from lims.limits.cli import limits; limits(['judge','--result','1mg/kg','--limit','≤2mg/kg','--json'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and json.loads(out.stdout)["verdict"] == "pass"
