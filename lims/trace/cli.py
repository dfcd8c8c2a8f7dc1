"""``lims businesses``: link samples to business records."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lims.audit.context import Actor, acting_as
from lims.extensions import db
from lims.trace import services

businesses_cli = AppGroup("businesses", help="经营主体 / businesses behind the samples.")


@businesses_cli.command("link")
def link_command():
    """Link samples without a business record (the rule receipt uses; merges are proposed)."""
    with acting_as(Actor(None, "lims businesses link")):
        n = services.link_unlinked_samples()
        db.session.commit()
    click.echo(f"处理样品 {n} 份")
