"""What an organisation may see: the prefecture all, a county its own county, a station itself."""

from __future__ import annotations

from lims.orgs.models import Organization, OrgTier
from lims.users.models import User


def sees_all(user: User) -> bool:
    return user.org.tier == OrgTier.PREFECTURE_LAB


def visible_region_id(user: User) -> int | None:
    """The county a user is limited to, or None for the prefecture (sees all)."""
    return None if sees_all(user) else user.org.region_id


def can_see_org(user: User, org: Organization) -> bool:
    if sees_all(user):
        return True
    if user.org.tier == OrgTier.STATION:
        return org.id == user.org_id
    return org.region_id == user.org.region_id
