"""Many receivers registering at once never share a number (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import current_app

from lims.extensions import db
from tests.conftest import ENGINE


@pytest.mark.skipif(ENGINE != "postgresql", reason="row locking is what is under test")
def test_200_concurrent_registrations_get_200_distinct_numbers(receiver, receipt):
    app = current_app._get_current_object()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    user_id = receiver.id
    db.session.commit()

    def register(i: int) -> str:
        from lims.samples.services import register_sample
        from lims.users.models import User

        with app.app_context():
            user = db.session.get(User, user_id)
            sample = register_sample(receipt(food_name=f"菠菜 {i}"), user)
            db.session.commit()
            number = sample.number
            db.session.remove()
            return number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(register, range(200)))
    assert len(set(numbers)) == 200
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, 201))
