"""The bench agent's local queue: readings wait here until the server has them.

A stdlib SQLite file in WAL mode. A reading is stored *before* its first send, so a crash
or a power cut loses nothing; it is marked ``sent`` only when the server answered 200/201,
``rejected`` when the server refused it for good (409/422), and stays ``pending`` (with
``attempts``, ``last_error`` and ``next_attempt_at``) otherwise.

Readings leave in the order they were taken. The backoff belongs to the queue, not to each
reading: while the reading that last failed waits for its next attempt, nothing is due, so
after an outage the server receives them oldest first.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    uid TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS readings_due ON readings (state, next_attempt_at);
"""

#: retry delays grow 2, 4, 8 ... seconds, capped here
MAX_BACKOFF_S = 300.0


@dataclass(frozen=True)
class QueuedReading:
    uid: str
    payload: dict
    state: str
    attempts: int
    last_error: str | None


class ReadingQueue:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one agent loop uses the queue, possibly from a thread other than its creator
        self._db = sqlite3.connect(
            self.path, isolation_level=None, timeout=10, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a reading survives a power cut
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReadingQueue:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, payload: dict, *, now: float | None = None) -> str:
        """Store a reading; its ``uid`` (added if missing) is the idempotency key."""
        payload = dict(payload)
        payload.setdefault("uid", str(uuid.uuid4()))
        now = time.time() if now is None else now
        self._db.execute(
            "INSERT INTO readings (uid, payload, created_at, next_attempt_at) VALUES (?,?,?,?)",
            (payload["uid"], json.dumps(payload, ensure_ascii=False), now, now),
        )
        return payload["uid"]

    def due(self, *, now: float | None = None, limit: int = 50) -> list[QueuedReading]:
        """The pending readings in the order they were taken, or none while the queue is
        waiting out the backoff of its last failed attempt."""
        now = time.time() if now is None else now
        (wait_until,) = self._db.execute(
            "SELECT MAX(next_attempt_at) FROM readings WHERE state = 'pending'"
        ).fetchone()
        if wait_until is None or wait_until > now:
            return []
        rows = self._db.execute(
            "SELECT uid, payload, state, attempts, last_error FROM readings "
            "WHERE state = 'pending' ORDER BY created_at, rowid LIMIT ?",
            (limit,),
        ).fetchall()
        return [QueuedReading(r[0], json.loads(r[1]), r[2], r[3], r[4]) for r in rows]

    def mark_sent(self, uid: str) -> None:
        self._db.execute(
            "UPDATE readings SET state='sent', attempts=attempts+1, last_error=NULL, done_at=? "
            "WHERE uid=?",
            (time.time(), uid),
        )

    def mark_rejected(self, uid: str, error: str) -> None:
        self._db.execute(
            "UPDATE readings SET state='rejected', attempts=attempts+1, last_error=?, done_at=? "
            "WHERE uid=?",
            (error, time.time(), uid),
        )

    def mark_failed(self, uid: str, error: str, *, now: float | None = None) -> float:
        """Count a failed attempt; returns when the next one is due."""
        now = time.time() if now is None else now
        (attempts,) = self._db.execute(
            "SELECT attempts FROM readings WHERE uid=?", (uid,)
        ).fetchone()
        delay = min(MAX_BACKOFF_S, 2.0 ** (attempts + 1))
        self._db.execute(
            "UPDATE readings SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE uid=?",
            (error, now + delay, uid),
        )
        return now + delay

    def retry_now(self) -> None:
        """Make every pending reading due (e.g. the server is known to be back)."""
        self._db.execute("UPDATE readings SET next_attempt_at=0 WHERE state='pending'")

    def get(self, uid: str) -> QueuedReading | None:
        r = self._db.execute(
            "SELECT uid, payload, state, attempts, last_error FROM readings WHERE uid=?", (uid,)
        ).fetchone()
        return QueuedReading(r[0], json.loads(r[1]), r[2], r[3], r[4]) if r else None

    def has_request(self, request_id: int) -> bool:
        """Whether a reading answering this capture request is already queued (any state)."""
        row = self._db.execute(
            "SELECT 1 FROM readings WHERE json_extract(payload, '$.request_id') = ? LIMIT 1",
            (request_id,),
        ).fetchone()
        return row is not None

    def counts(self) -> dict[str, int]:
        out = {"pending": 0, "sent": 0, "rejected": 0}
        for state, n in self._db.execute("SELECT state, COUNT(*) FROM readings GROUP BY state"):
            out[state] = n
        return out
