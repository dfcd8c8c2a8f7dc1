"""The bench agent's readings API: extreme timestamps and non-finite values are the client's
error (4xx naming the field), never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.instruments_db.conftest import (  # noqa: F401 - the instruments world, shared
    payload,
    tech,
    today,
)

URL = "/api/v1/instruments/BZ-BAL-01/readings"


@pytest.mark.parametrize("change", [{"read_at": "0001-01-01T00:00:00+08:00"},
                                    {"read_at": "9999-12-31T23:59:59-08:00"},
                                    {"value": "NaN"}, {"value": "sNaN"}, {"value": "Infinity"}])
def test_bad_readings_are_4xx(client, tech, payload, change):  # noqa: F811
    # BZ-BAL-01 is in the reference world
    body = {**payload("5.00"), **change}
    answer = client.post(URL, json=body, headers={**bearer(tech), "Idempotency-Key": body["uid"]})
    assert 400 <= answer.status_code < 500, answer.get_json()
    assert answer.is_json and "error" in answer.get_json()
    if "read_at" in change:
        assert "read_at" in str(answer.get_json())
