"""Calibration status: which instrument may produce results on a given day, and why not."""

from __future__ import annotations

import datetime as dt

import pytest

from lims.extensions import db
from lims.instruments import services


def test_valid_certificate(make_instrument, today):
    inst = make_instrument(cert=(-10, 100))
    status = services.calibration_status(inst, today)
    assert status.ok and status.code == "valid"
    assert status.valid_until == today + dt.timedelta(days=100)
    assert services.ensure_usable(inst).ok


def test_expiring_soon_is_still_usable(make_instrument, today):
    inst = make_instrument(cert=(-300, 20))
    status = services.calibration_status(inst, today)
    assert status.ok and status.code == "expiring" and "剩 20 天" in status.reason_zh


def test_expired(make_instrument, today):
    inst = make_instrument(cert=(-400, -1))
    status = services.calibration_status(inst, today)
    expired_on = (today - dt.timedelta(days=1)).isoformat()
    assert not status.ok and status.code == "expired"
    assert f"已于 {expired_on} 过期" in status.reason_zh and "JZ-BZ-BAL-01" in status.reason_zh
    with pytest.raises(services.InstrumentRefused, match="过期"):
        services.ensure_usable(inst)


def test_last_day_is_valid_and_next_day_is_not(make_instrument, today):
    inst = make_instrument(cert=(-100, 0))
    assert services.calibration_status(inst, today).ok
    assert services.calibration_status(inst, today + dt.timedelta(days=1)).code == "expired"


def test_not_yet_valid(make_instrument, today):
    inst = make_instrument(cert=(5, 300))
    status = services.calibration_status(inst, today)
    assert not status.ok and status.code == "not_yet_valid" and "尚未生效" in status.reason_zh


def test_no_certificate(make_instrument):
    status = services.calibration_status(make_instrument(cert=None))
    assert not status.ok and status.code == "no_certificate" and "没有校准" in status.reason_zh


def test_renewed_certificate_covers_after_old_one_expired(make_instrument, today):
    inst = make_instrument(cert=(-400, -30))
    services.add_certificate(inst, number="JZ-NEW", kind="verification", issued_by="州计量所",
                             valid_from=today - dt.timedelta(days=29),
                             valid_until=today + dt.timedelta(days=336))
    db.session.commit()
    status = services.calibration_status(inst, today)
    assert status.ok and "JZ-NEW" in status.reason_zh


def test_inactive(make_instrument):
    inst = make_instrument()
    inst.active = False
    db.session.commit()
    status = services.calibration_status(inst)
    assert not status.ok and status.code == "inactive" and "已停用" in status.reason_zh


def test_serial_mismatch(make_instrument):
    inst = make_instrument(serial="B123456789")
    status = services.calibration_status(inst, reported_serial="B000000001")
    assert not status.ok and status.code == "serial_mismatch"
    assert "B000000001" in status.reason_zh and "B123456789" in status.reason_zh
    assert services.calibration_status(inst, reported_serial="B123456789").ok
    assert services.calibration_status(inst, reported_serial=None).ok  # protocol can't tell


def test_bad_certificate_is_refused_whole(make_instrument, today, count):
    from lims.instruments.models import CalibrationCertificate

    inst = make_instrument(cert=None)
    with pytest.raises(services.InstrumentInputError) as err:
        services.add_certificate(inst, number=" ", kind="other", issued_by="",
                                 valid_from=today, valid_until=today - dt.timedelta(days=1))
    assert set(err.value.errors) == {"number", "kind", "issued_by", "valid_until"}
    db.session.rollback()
    assert count(CalibrationCertificate) == 0


def test_register_validates_every_field(network, count):
    from lims.instruments.models import Instrument

    with pytest.raises(services.InstrumentInputError) as err:
        services.register_instrument(code="x", name="", kind="scale", driver="nope", org=None,
                                     port_settings='{"baudrate": 0}')
    assert set(err.value.errors) == {"code", "name", "kind", "driver", "org", "port_settings"}
    assert "baudrate" in err.value.errors["port_settings"]
    with pytest.raises(services.InstrumentInputError) as err:
        services.register_instrument(code="BAL-9", name="t", kind="balance", driver="mt-sics",
                                     org=network["BZ-LAB"], port_settings='{"speed": 9600')
    assert "JSON" in err.value.errors["port_settings"]
    db.session.rollback()
    assert count(Instrument) == 0


def test_registration_is_audited(make_instrument):
    import sqlalchemy as sa

    from lims.audit.models import AuditEntry

    inst = make_instrument()
    tables = set(db.session.scalars(sa.select(AuditEntry.table_name).where(
        AuditEntry.action == "create")))
    assert {"instrument", "instrument_certificate"} <= tables
    assert inst.port_settings == "{}"
