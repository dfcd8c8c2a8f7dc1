"""The state machine on its own: legal moves, roles, reasons."""

import pytest

from lims.samples.lifecycle import (
    TRANSITIONS,
    SampleStatus,
    TransitionError,
    allowed_targets,
    check_transition,
)
from lims.users.roles import Role

S = SampleStatus


def test_the_happy_path_is_a_chain_of_legal_moves():
    path = [S.REGISTERED, S.IN_TRANSIT, S.RECEIVED_AT_LAB, S.IN_TESTING, S.UNDER_REVIEW,
            S.APPROVED, S.REPORTED]
    roles = frozenset({Role.ADMIN})
    for source, target in zip(path, path[1:], strict=False):
        check_transition(source, target, roles, None)


def test_an_illegal_move_is_an_error_not_a_no_op():
    with pytest.raises(TransitionError, match="不能从“已登记”变为“已批准”"):
        check_transition(S.REGISTERED, S.APPROVED, frozenset({Role.ADMIN}), None)


def test_a_role_without_the_right_is_refused():
    with pytest.raises(TransitionError, match="无权"):
        check_transition(S.UNDER_REVIEW, S.APPROVED, frozenset({Role.TECHNICIAN}), None)


@pytest.mark.parametrize("target", [S.REJECTED, S.CANCELLED])
def test_rejection_and_cancellation_need_a_reason(target):
    roles = frozenset({Role.RECEIVER})
    with pytest.raises(TransitionError, match="必须填写原因"):
        check_transition(S.REGISTERED, target, roles, "  ")
    check_transition(S.REGISTERED, target, roles, "包装破损，样品泄漏")


def test_allowed_targets_depend_on_role():
    assert S.APPROVED in allowed_targets(S.UNDER_REVIEW, frozenset({Role.SIGNATORY}))
    assert S.APPROVED not in allowed_targets(S.UNDER_REVIEW, frozenset({Role.REVIEWER}))


def test_every_transition_names_at_least_one_role():
    assert all(t.roles for t in TRANSITIONS)
    assert len({(t.source, t.target) for t in TRANSITIONS}) == len(TRANSITIONS)
