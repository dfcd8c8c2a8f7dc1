"""Who is acting and why, for the audit rows written in the current unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


SYSTEM = Actor(None, "system")

_actor: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)
_reason: ContextVar[str | None] = ContextVar("audit_reason", default=None)


def current_actor() -> Actor:
    return _actor.get()


def current_reason() -> str | None:
    return _reason.get()


def set_actor(actor: Actor) -> None:
    _actor.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def change_reason(reason: str | None) -> Iterator[None]:
    """Attach the user's reason for a change to the audit rows written inside the block."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)
