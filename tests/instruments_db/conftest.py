"""Instrument records on a real database: helpers to register instruments and build payloads."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

import pytest

from lims.extensions import db
from lims.instruments import services
from lims.instruments.agent import reading_payload
from lims.instruments.reading import Reading
from lims.users.roles import Role


@pytest.fixture
def today():
    return services.local_date()


@pytest.fixture
def make_instrument(network, today):
    """``make_instrument(code, org_code, cert=(from_offset, until_offset) | None, **fields)``."""

    def make(code="BZ-BAL-01", org_code="BZ-LAB", *, cert=(-100, 200), driver="mt-sics",
             kind="balance", serial="B123456789", **fields):
        instrument = services.register_instrument(
            code=code, name=f"天平 {code}", kind=kind, driver=driver, org=network[org_code],
            serial_number=serial, bench="1", **fields)
        if cert is not None:
            start, end = cert
            services.add_certificate(
                instrument, number=f"JZ-{code}", kind="calibration", issued_by="州计量所",
                valid_from=today + dt.timedelta(days=start),
                valid_until=today + dt.timedelta(days=end))
        db.session.commit()
        return instrument

    return make


@pytest.fixture
def tech(make_user):
    return make_user("wang", org_code="BZ-LAB", roles=(Role.TECHNICIAN,), display_name="王检验")



@pytest.fixture
def payload():
    """A contract payload (lims.instruments.agent.reading_payload) with a uid."""
    counter = iter(range(1, 10_000))

    def build(value="100.00", *, uid=None, serial="B123456789", request_id=None,
              read_at=None, driver="mt-sics", **reading_fields):
        reading = Reading(value=value, unit=reading_fields.pop("unit", "g"), stable=True,
                          status="stable", raw=f"S S {value:>10} g\r\n".encode(),
                          driver=driver,
                          read_at=read_at or datetime.now(UTC) - dt.timedelta(seconds=5),
                          **reading_fields)
        body = reading_payload(reading, serial_number=serial, request_id=request_id)
        body["uid"] = uid or f"uid-{next(counter):06d}-test"
        return body

    return build


@pytest.fixture
def count():
    """``count(Model)``: rows in the model's table, read fresh from the database."""
    import sqlalchemy as sa

    def rows(model) -> int:
        db.session.expire_all()
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return rows
