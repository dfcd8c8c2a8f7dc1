"""Benchmark: login time for a known user with a wrong password vs an unknown user.

An unknown user name costs the same Argon2 verification as a known one (lims.users.services
.authenticate), so that the answer time does not tell which user names exist.  Production
hash parameters (PASSWORD_HASH_FAST off), SQLite in a temporary folder.

Run: ``.venv/bin/python benchmarks/login_timing.py`` (about half a minute).
Target: median(unknown) / median(known) between 0.8 and 1.25.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lims import create_app  # noqa: E402
from lims.extensions import db  # noqa: E402

ROUNDS = 15


def main() -> None:
    base = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'lims.db'}",
                      "INSTANCE_PATH": base, "SECRET_KEY": "bench", "MAX_FAILED_LOGINS": 10**6,
                      "LOGIN_ADDRESS_LIMIT": 10**6})
    with app.app_context():
        from lims.orgs.services import load_network, org_by_code
        from lims.users.roles import Role
        from lims.users.services import AuthError, authenticate, create_user

        db.create_all()
        load_network()
        create_user("known", org=org_by_code("BZ-LAB"), roles=[Role.TECHNICIAN],
                    password="Bench-login-2026!")
        db.session.commit()

        def timed(name: str) -> float:
            start = time.perf_counter()
            try:
                authenticate(name, "Wrong-password-1", address="192.0.2.1")
            except AuthError:
                pass
            db.session.commit()
            return time.perf_counter() - start

        timed("known"), timed("nobody")  # warm up
        known = [timed("known") for _ in range(ROUNDS)]
        unknown = [timed(f"nobody{i}") for i in range(ROUNDS)]
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"known user, wrong password: median {k * 1000:.1f} ms over {ROUNDS}")
    print(f"unknown user:               median {u * 1000:.1f} ms over {ROUNDS}")
    print(f"ratio unknown/known: {u / k:.2f} (target 0.8–1.25)")


if __name__ == "__main__":
    main()
