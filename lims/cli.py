"""The ``lims`` console script: Flask's CLI group bound to the app factory (no FLASK_APP).

Commands are imported when they are run, not when the group starts: ``lims --help``
lists them from the table below without importing any of them, and ``lims limits judge``
imports the limits CLI only.  A command that needs the application builds it itself
(``with_appcontext``), so WeasyPrint, pyHanko and the models load only for those.
A command registered in :data:`lims.core.registry.CLI_COMMANDS` but missing from the
table still works; it is just found the slow way (by importing its module).
"""

from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup


def _factory():
    from lims import create_app

    return create_app()


#: name -> (module, attribute, short help shown by ``lims --help``)
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("flask_migrate.cli", "db", "数据库迁移 / database migrations (Flask-Migrate)"),
    "orgs": ("lims.orgs.cli", "orgs_cli", "机构管理 / organisations"),
    "users": ("lims.users.cli", "users_cli", "用户管理 / users"),
    "audit": ("lims.audit.cli", "audit_cli", "审计追踪 / audit trail"),
    "taxonomy": ("lims.foods.cli", "taxonomy_cli", "食品分类与抽检细则 / food taxonomy"),
    "limits": ("lims.limits.cli", "limits", "限量库与判定 / limit library and judgement"),
    "capabilities": ("lims.capabilities.cli", "capabilities_cli", "检验能力 / capabilities"),
    "import": ("lims.imports.cli", "import_command", "导入数据 / import data"),
    "instruments": ("lims.instruments.cli", "instruments", "仪器 / instruments"),
    "agent": ("lims.instruments.cli", "agent", "仪器采集代理 / instrument agent"),
    "keys": ("lims.reports.keys_cli", "keys", "签名密钥 / signing keys"),
    "results": ("lims.results.cli", "results_cli", "检验结果 / test results"),
    "reports": ("lims.reports.cli", "reports_cli", "检验报告 / reports"),
    "stations": ("lims.stations.cli", "stations_cli", "快检站 / rapid-test stations"),
    "drugs": ("lims.drugs.cli", "drugs_cli", "药品标准与药品检验 / drug monographs and testing"),
    "stats": ("lims.stats.cli", "stats_cli", "统计 / statistics"),
    "businesses": ("lims.trace.cli", "businesses_cli", "经营主体 / businesses"),
    "plans": ("lims.plans.cli", "plans_cli", "年度抽检计划 / annual sampling plans"),
    "alerts": ("lims.alerts.cli", "alerts_cli", "风险预警 / risk early warning"),
    "demo": ("lims.core.demo", "demo_command", "演示数据 / demo data"),
    "worker": ("lims.core.jobs", "worker_command", "后台任务 / background worker"),
    "backup": ("lims.backup.cli", "backup_command", "备份 / backup"),
    "restore": ("lims.backup.cli", "restore_command", "恢复 / restore"),
}


class LimsGroup(FlaskGroup):
    """A FlaskGroup that imports a command only when it is asked for."""

    def _unlisted(self) -> dict[str, click.Command]:
        """Registry commands missing from LAZY_COMMANDS (imported: the slow path)."""
        from lims.core.registry import CLI_COMMANDS

        known = {(module, attr) for module, attr, _ in LAZY_COMMANDS.values()}
        found = {}
        for module, attr in CLI_COMMANDS:
            if (module, attr) not in known:
                command = getattr(importlib.import_module(module), attr)
                found[command.name] = command
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = set(self.commands) | set(LAZY_COMMANDS) | set(self._unlisted())
        return sorted(own)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr, _ = LAZY_COMMANDS[name]
            return getattr(importlib.import_module(module), attr)
        if name in self.commands:
            return self.commands[name]
        unlisted = self._unlisted()
        if name in unlisted:
            return unlisted[name]
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][2]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(60)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


main = LimsGroup(create_app=_factory, help="lims 实验室信息管理系统命令行 / lims command line.")


if __name__ == "__main__":
    main()
