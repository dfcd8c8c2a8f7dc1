"""Hashing of audit rows: each row's hash covers its content and the previous row's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

GENESIS = "0" * 64

HASHED_FIELDS = (
    "at", "actor_id", "actor", "action", "table_name", "record_id",
    "field", "old_value", "new_value", "reason", "prev_hash",
)


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        # Microseconds and UTC fixed: the same instant always hashes the same on every engine.
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def row_hash(row: Mapping[str, object]) -> str:
    """SHA-256 over the canonical JSON of the hashed fields of one audit row."""
    payload = {name: _canonical(row.get(name)) for name in HASHED_FIELDS}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
