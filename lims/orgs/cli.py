"""``lims orgs …``: the organisations of the network."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lims.extensions import db
from lims.orgs.models import Organization
from lims.orgs.services import load_network

orgs_cli = AppGroup("orgs", help="机构 / Organisations of the network.")


@orgs_cli.command("load")
def load():
    """Create or update the prefecture's regions, labs and stations."""
    regions, orgs = load_network()
    db.session.commit()
    click.echo(f"{regions} regions, {orgs} organisations")


@orgs_cli.command("list")
def list_orgs():
    """List organisations with tier, county and population served."""
    for org in db.session.scalars(sa.select(Organization).order_by(Organization.code)):
        click.echo(f"{org.code}\t{org.tier.value}\t{org.region.name}\t"
                   f"{org.population_served}\t{org.name}")
