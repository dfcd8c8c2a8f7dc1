"""The sample lifecycle: one state machine, with the roles allowed for each transition.

Everything that changes a sample's status goes through :func:`check_transition`; an illegal
move is an error (never a silent no-op) and every accepted move is audited and put on the
sample's timeline by the caller (services.transition).

The workflow owns its states: most moves are made by the system as a consequence of what
was done (dispatch, receipt, results entered and signed, report issued).  Only the moves
marked ``manual`` (hold and resume, cancel, reject, retest) may be asked for by a person on the sample page or
through ``POST /api/v1/samples/<n>/transitions``, always with a reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lims.users.roles import Role


class SampleStatus(enum.StrEnum):
    REGISTERED = "registered"
    IN_TRANSIT = "in_transit"
    RECEIVED_AT_LAB = "received_at_lab"
    IN_TESTING = "in_testing"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REPORTED = "reported"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RETEST = "retest"
    SPLIT = "split"  # a parent whose tests now live on its sub-samples
    ON_HOLD = "on_hold"  # work stopped (e.g. a query to the client); resumes where it was


STATUS_ZH = {
    SampleStatus.REGISTERED: "已登记",
    SampleStatus.IN_TRANSIT: "流转中",
    SampleStatus.RECEIVED_AT_LAB: "实验室已接收",
    SampleStatus.IN_TESTING: "检验中",
    SampleStatus.UNDER_REVIEW: "审核中",
    SampleStatus.APPROVED: "已批准",
    SampleStatus.REPORTED: "已出报告",
    SampleStatus.REJECTED: "已拒收",
    SampleStatus.CANCELLED: "已取消",
    SampleStatus.RETEST: "复检",
    SampleStatus.SPLIT: "已分样",
    SampleStatus.ON_HOLD: "暂停",
}

S = SampleStatus
_RECEIVING = frozenset({Role.RECEIVER, Role.ADMIN})
_BENCH = frozenset({Role.TECHNICIAN, Role.RECEIVER, Role.ADMIN})
_REVIEW = frozenset({Role.REVIEWER, Role.ADMIN})
_SIGN = frozenset({Role.SIGNATORY, Role.ADMIN})
_MANAGE = frozenset({Role.RECEIVER, Role.SIGNATORY, Role.ADMIN})


@dataclass(frozen=True)
class Transition:
    source: SampleStatus
    target: SampleStatus
    roles: frozenset[Role]
    reason_required: bool = False
    manual: bool = False  # a person may ask for it directly (page, API); else system only


HOLDABLE = (S.RECEIVED_AT_LAB, S.IN_TESTING, S.UNDER_REVIEW)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.REGISTERED, S.IN_TRANSIT, _RECEIVING),
    Transition(S.REGISTERED, S.RECEIVED_AT_LAB, _RECEIVING),  # tested where it was received
    Transition(S.REGISTERED, S.SPLIT, _RECEIVING),
    Transition(S.IN_TRANSIT, S.RECEIVED_AT_LAB, _BENCH),
    Transition(S.RECEIVED_AT_LAB, S.IN_TESTING, _BENCH),
    Transition(S.IN_TESTING, S.UNDER_REVIEW, frozenset({Role.TECHNICIAN, Role.ADMIN})),
    # sent back by the reviewer or signatory, or recalled by the technician changing a
    # submitted result (the change's reason is required; lims.results)
    Transition(S.UNDER_REVIEW, S.IN_TESTING, _REVIEW | _SIGN | {Role.TECHNICIAN},
               reason_required=True),
    Transition(S.UNDER_REVIEW, S.APPROVED, _SIGN),
    Transition(S.APPROVED, S.REPORTED, _SIGN),
    Transition(S.UNDER_REVIEW, S.RETEST, _REVIEW | _SIGN, reason_required=True, manual=True),
    Transition(S.APPROVED, S.RETEST, _SIGN, reason_required=True, manual=True),
    Transition(S.RETEST, S.IN_TESTING, _BENCH),
    *(Transition(source, S.REJECTED, _RECEIVING | _BENCH, reason_required=True, manual=True)
      for source in (S.REGISTERED, S.IN_TRANSIT, S.RECEIVED_AT_LAB)),
    *(Transition(source, S.CANCELLED, _MANAGE, reason_required=True, manual=True)
      for source in (S.REGISTERED, S.IN_TRANSIT, S.RECEIVED_AT_LAB, S.IN_TESTING, S.SPLIT,
                     S.ON_HOLD)),
    # hold and resume: the sample goes back to the state it was held in (services.transition)
    *(Transition(source, S.ON_HOLD, _MANAGE | _REVIEW, reason_required=True, manual=True)
      for source in HOLDABLE),
    *(Transition(S.ON_HOLD, target, _MANAGE | _REVIEW, reason_required=True, manual=True)
      for target in HOLDABLE),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}


class TransitionError(ValueError):
    """A refused status change; the message (Chinese) names what is wrong."""


MANUAL_TARGETS = frozenset(t.target for t in TRANSITIONS if t.manual)


def allowed_targets(status: SampleStatus, roles: frozenset[Role], *,
                    manual_only: bool = False) -> list[SampleStatus]:
    return [t.target for t in TRANSITIONS if t.source == status and roles & t.roles
            and (t.manual or not manual_only)]


def check_transition(source: SampleStatus, target: SampleStatus, roles: frozenset[Role],
                     reason: str | None, *, manual: bool = False) -> Transition:
    """The move, checked; ``manual`` when a person asks for it directly (page, API)."""
    transition = _BY_PAIR.get((source, target))
    if manual and (target not in MANUAL_TARGETS
                   or (transition is not None and not transition.manual)):
        allowed = "、".join(STATUS_ZH[t] for t in sorted(MANUAL_TARGETS))
        raise TransitionError(f"“{STATUS_ZH[target]}”由系统按工作流程设置，不能手工指定"
                              f"（可手工操作：{allowed}）")
    if transition is None:
        raise TransitionError(f"状态不能从“{STATUS_ZH[source]}”变为“{STATUS_ZH[target]}”")
    if not roles & transition.roles:
        raise TransitionError(
            f"当前角色无权将样品从“{STATUS_ZH[source]}”变为“{STATUS_ZH[target]}”")
    if transition.reason_required and not (reason and reason.strip()):
        raise TransitionError(f"变为“{STATUS_ZH[target]}”必须填写原因")
    return transition
