"""The one permission check: may this user do this action on a record of this lab?

Every page, API route, CLI command and service that acts on a lab's records asks
:func:`authorize` (or :func:`allowed`) with the user, the action (a :class:`Permission`) and the
organisation that owns the record (for a sample: the lab that holds it).

* The role table (``lims.users.roles``) says which actions a user may do at all.
* Reading (``VIEW``, ``VIEW_AUDIT``, ``VIEW_STATS``) follows the organisation scoping: the
  prefecture sees every lab, a county its own county, a station itself.
* Every other action (writing) is done only by a member of the owning organisation (an
  administrator too: a lab's records are changed and signed by its own people).
"""

from __future__ import annotations

from lims.orgs.models import Organization, OrgTier
from lims.users.models import User
from lims.users.roles import Permission
from lims.users.scoping import can_see_org

READ_ACTIONS = frozenset({Permission.VIEW, Permission.VIEW_AUDIT, Permission.VIEW_STATS})


class AccessDenied(PermissionError):
    """The user may not do this; ``message`` (Chinese) names what was refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _org(lab: Organization | int | None) -> Organization | None:
    if lab is None or isinstance(lab, Organization):
        return lab
    from lims.extensions import db

    return db.session.get(Organization, int(lab))


def allowed(user: User | None, action: Permission, lab: Organization | int | None) -> bool:
    """True when ``user`` may do ``action`` on a record owned by ``lab``.

    ``lab`` None means a record owned by no organisation: only read actions by someone who
    sees everything may touch it.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if not user.can(action):
        return False
    org = _org(lab)
    if org is None:
        return action in READ_ACTIONS and user.org.tier == OrgTier.PREFECTURE_LAB
    if action in READ_ACTIONS:
        return can_see_org(user, org)
    return org.id == user.org_id


def authorize(user: User | None, action: Permission, lab: Organization | int | None,
              what: str | None = None) -> None:
    """Raise :class:`AccessDenied` unless :func:`allowed`; ``what`` names the action shown."""
    if allowed(user, action, lab):
        return
    org = _org(lab)
    where = f"（{org.name}）" if org is not None else ""
    raise AccessDenied(f"无权对该机构的记录执行此操作{where}：{what or action.value}")
