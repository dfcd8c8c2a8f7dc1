"""Two saves of the same result version at the same moment: one wins (200), the other is told
it lost (409) — never a 500 — and the stored result is the winner's (both engines)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lims.extensions import db
from lims.results.models import TestResult
from tests.conftest import bearer
from tests.results.conftest import (  # noqa: F401 - the results world, shared
    LEAD,
    entered,
    people,
    sample,
    tests_of,
)


def test_concurrent_saves_of_one_version_give_409_not_500(app, people, tests_of,  # noqa: F811
                                                          entered):  # noqa: F811
    result = entered()["铅"]
    test_id = tests_of["铅"].id
    tokens = [bearer(people["tech"]), bearer(people["tech2"])]
    for round_ in range(5):
        db.session.expire_all()
        version = db.session.get(TestResult, result.id).version
        barrier = threading.Barrier(2)
        # 12.5 − 0.5 = 12.0 µg/L × 10 mL / 0.5 g → different rho per writer: 12.6 / 12.7
        bodies = [{"inputs": {**LEAD, "rho": f"12.{6 + i}"}, "version": version,
                   "reason": f"更正第 {round_} 轮"} for i in range(2)]

        def save(i, barrier=barrier, bodies=bodies):
            with app.app_context():
                client = app.test_client()
                barrier.wait(timeout=30)
                try:
                    answer = client.post(f"/api/v1/results/tests/{test_id}", json=bodies[i],
                                         headers=tokens[i])
                    return answer.status_code, answer.get_json()
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(save, range(2)))
        codes = sorted(code for code, _ in answers)
        assert codes in ([200, 409], [200, 503]), answers
        winner = next(i for i, (code, _) in enumerate(answers) if code == 200)
        db.session.expire_all()
        stored = db.session.get(TestResult, result.id)
        assert stored.version > version
        assert stored.inputs_json and f"12.{6 + winner}" in stored.inputs_json
