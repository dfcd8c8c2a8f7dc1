"""``lims users …``: accounts and API tokens from the command line."""

from __future__ import annotations

import secrets
import string
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lims.extensions import db
from lims.orgs.models import Organization
from lims.users.models import User
from lims.users.roles import parse_role
from lims.users.services import create_user as create_user_op
from lims.users.services import issue_token

users_cli = AppGroup("users", help="用户与 API 令牌 / Users and API tokens.")


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(14))
    return f"{core}-{secrets.randbelow(90) + 10}aA"


@users_cli.command("create")
@click.argument("username")
@click.option("--org", "org_code", required=True, help="Organisation code, e.g. BZ-LAB")
@click.option("--role", "roles", multiple=True, required=True, help="Role (repeatable)")
@click.option("--name", "display_name", help="Printed name used on signatures")
@click.option("--password", help="Password (generated and printed when omitted)")
def create_user(username, org_code, roles, display_name, password):
    """Create a user in an organisation with one or more roles."""
    org = db.session.scalar(sa.select(Organization).where(Organization.code == org_code))
    if org is None:
        raise click.ClickException(f"未知机构代码：{org_code}")
    try:
        parsed = [parse_role(r) for r in roles]
        shown = password or generate_password()
        create_user_op(username, org=org, roles=parsed, password=shown,
                       display_name=display_name)
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {username} ({org.code}, {', '.join(roles)})")
    if not password:
        click.echo(f"password: {shown}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="api", help="What the token is for")
@click.option("--days", type=int, default=None,
              help="Expire after this many days (1–1095; default 365: every token expires)")
def token(username, name, days):
    """Issue an API token; it is shown once and only its hash is kept."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"未知用户：{username}")
    try:
        issued = issue_token(user, name=name, valid_days=days)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(issued.token)
    click.echo("(shown once; store it now)", err=True)


@users_cli.command("list")
def list_users():
    """List users with their organisation and roles."""
    for user in db.session.scalars(sa.select(User).order_by(User.username)):
        roles = ",".join(sorted(r.value for r in user.roles))
        state = "" if user.active else " (inactive)"
        click.echo(f"{user.username}\t{user.org.code}\t{roles}{state}")
    sys.stdout.flush()
