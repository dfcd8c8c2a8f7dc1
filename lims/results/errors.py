"""Refusals of result operations, each with the HTTP status a page or the API answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lims.results.models import TestResult


class ResultError(ValueError):
    """A refused result operation; ``field`` names the input concerned (message in Chinese)."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ResultNotFound(ResultError):
    """Not this user's lab: answered as "not found", so other labs' work is not revealed."""

    status = 404


class ResultForbidden(ResultError):
    """The user's role (or their own part in the record) does not allow the operation."""

    status = 403


class StaleResult(ResultError):
    """The record changed since the user loaded it; ``current`` is what is stored now."""

    status = 409

    def __init__(self, message: str, current: TestResult) -> None:
        super().__init__(message)
        self.current = current


class PasswordRefused(ResultForbidden):
    """Wrong password on a signature: the failure counts toward lockout; the caller commits."""

    status = 403
