"""``lims demo``: a demo world on the configured database (SQLite by default)."""

from __future__ import annotations

import importlib

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_migrate import upgrade

from lims.audit.context import Actor, acting_as
from lims.extensions import db
from lims.orgs.services import load_network, org_by_code
from lims.users.models import User
from lims.users.roles import ROLE_LABELS_ZH, Role
from lims.users.services import create_user

DEMO_PASSWORD = "Demo-lims-2026"

# (username, organisation, roles, printed name)
DEMO_USERS = [
    ("admin", "BZ-LAB", [Role.ADMIN], "系统管理员"),
    ("receiver", "BZ-LAB", [Role.RECEIVER], "李接收"),
    ("tech", "BZ-LAB", [Role.TECHNICIAN], "王检验"),
    ("reviewer", "BZ-LAB", [Role.REVIEWER], "张审核"),
    ("signatory", "BZ-LAB", [Role.SIGNATORY], "赵批准"),
    ("supervisor", "BZ-LAB", [Role.SUPERVISOR], "周监管"),
    ("bl_receiver", "BL-LAB", [Role.RECEIVER], "陈接收"),
    ("bl_tech", "BL-LAB", [Role.TECHNICIAN], "刘检验"),
    ("bl_reviewer", "BL-LAB", [Role.REVIEWER], "杨审核"),
    ("bl_signatory", "BL-LAB", [Role.SIGNATORY], "黄批准"),
    ("jh_tech", "JH-LAB", [Role.TECHNICIAN], "吴检验"),
    ("bl_station", "BL-ST01", [Role.STATION_OPERATOR], "孙快检"),
    ("jh_station", "JH-ST01", [Role.STATION_OPERATOR], "郑快检"),
]

# Later packages add their demo data through these hooks (module, function), in flow order.
DEMO_STEPS: list[tuple[str, str]] = [
    ("lims.limits.services", "load_shipped_limits_once"),
    ("lims.foods.services", "import_edition_once"),
    ("lims.capabilities.services", "load_demo_capabilities"),
    ("lims.instruments.services", "load_demo_instruments"),
    ("lims.reports.demo", "load_demo_cma_certificates"),
    ("lims.stations.services", "load_demo_markets"),
    ("lims.plans.services", "load_demo_varieties"),
    ("lims.drugs.demo", "load_demo_drugs"),
]

# Steps that need the demo users (run after them; the tests' reference world has no users).
DEMO_WORLD_STEPS: list[tuple[str, str]] = [
    ("lims.alerts.demo", "load_demo_risk"),
]


def build_demo_world() -> list[tuple[str, str, str]]:
    """Create the network and one user per role; return (username, org, roles) rows."""
    with acting_as(Actor(None, "demo")):
        load_network()
        created = []
        for username, org_code, roles, name in DEMO_USERS:
            if db.session.scalar(sa.select(User.id).where(User.username == username)):
                continue
            create_user(username, org=org_by_code(org_code), roles=roles,
                        password=DEMO_PASSWORD, display_name=name)
            created.append((username, org_code, "、".join(ROLE_LABELS_ZH[r] for r in roles)))
        for module_name, func in DEMO_STEPS:
            getattr(importlib.import_module(module_name), func)()
        for module_name, func in DEMO_WORLD_STEPS:
            getattr(importlib.import_module(module_name), func)()
        db.session.commit()
    return created


@click.command("demo")
@with_appcontext
def demo_command():
    """Create (or top up) the demo world: labs, stations, users, standards, instruments."""
    upgrade()
    created = build_demo_world()
    click.echo("演示数据已就绪 / demo world ready.")
    click.echo(f"所有演示用户的密码 / password of every demo user: {DEMO_PASSWORD}")
    for username, org_code, _roles, _name in DEMO_USERS:
        click.echo(f"  {username:<14} {org_code:<10}")
    if not created:
        click.echo("(users already existed; nothing was changed)")
