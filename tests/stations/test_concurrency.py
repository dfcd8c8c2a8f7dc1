"""Two deliveries of the same batch at the same moment (an agent's retry racing its first
attempt) still store it once, and both get the same answer."""

from __future__ import annotations

import threading

from lims.stations.models import ConfirmationTask, StationResult

URL = "/api/v1/stations/results"


def test_the_same_batch_twice_at_once_is_stored_once(app, bl_operator, token_for, record,
                                                     count):
    auth = token_for(bl_operator)
    batch = [record() for _ in range(199)] + [record(inhibition_pct="88.0",
                                                     station_verdict="positive")]
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def deliver(slot: int) -> None:
        with app.app_context():  # a request of its own, as on another server worker
            client = app.test_client()
            barrier.wait()
            resp = client.post(URL, json={"records": batch}, headers=auth)
            answers[slot] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers[0][0] == answers[1][0] == 200, answers
    assert answers[0][1] == answers[1][1]
    assert count(StationResult) == 200 and count(ConfirmationTask) == 1
