"""Template helpers: the navigation a user sees, and labels of enums in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.users.roles import ROLE_LABELS_ZH, Permission, Role


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object
    hint: object
    permission: Permission


# Packages append their entries in flow order (see lims.core.registry).
NAV: list[NavEntry] = [
    NavEntry("samples.index", _l("Samples"), _l("Receipt, routing, custody and the sample list"),
             Permission.VIEW),
    NavEntry("drugs.index", _l("Drugs"), _l("Drug samples and pharmacopoeia monographs"),
             Permission.VIEW),
    NavEntry("results.index", _l("Worksheets"), _l("Tests of my lab, result entry, capture"),
             Permission.ENTER_RESULT),
    NavEntry("results.review", _l("Review"), _l("Results waiting for review (审核)"),
             Permission.REVIEW_RESULT),
    NavEntry("results.approval", _l("Approval"), _l("Results waiting for approval (批准)"),
             Permission.APPROVE_REPORT),
    NavEntry("reports.index", _l("Reports"), _l("Test reports and their public verification"),
             Permission.VIEW),
    NavEntry("publication.index", _l("Public notices"),
             _l("Publish supervision results: 食品安全监督抽检信息公告"),
             Permission.APPROVE_REPORT),
    NavEntry("stations.index", _l("Rapid tests"),
             _l("Market rapid tests, confirmation by the labs, public notice"), Permission.VIEW),
    NavEntry("stats.index", _l("Statistics"),
             _l("Test-item coverage and the plan's targets, per county"), Permission.VIEW_STATS),
    NavEntry("plans.index", _l("Plans"), _l("The annual sampling plan, its months and tasks"),
             Permission.VIEW_STATS),
    NavEntry("plans.my_tasks", _l("Tasks"), _l("This month's sampling tasks of my lab"),
             Permission.REGISTER_SAMPLE),
    NavEntry("alerts.index", _l("Alerts"), _l("Risk early warning and outside notices"),
             Permission.VIEW_STATS),
    NavEntry("trace.index", _l("Businesses"),
             _l("Sampled businesses and producers, their history, traceability"),
             Permission.VIEW),
    NavEntry("foods.index", _l("Sampling rules"),
             _l("The 2026 national sampling rules: categories and test items"), Permission.VIEW),
    NavEntry("limits.index", _l("Limits"),
             _l("The limit library by standard, and a lookup of the limit for an item and a food"),
             Permission.VIEW),
    NavEntry("capabilities.index", _l("Capabilities"), _l("What each lab can test"),
             Permission.VIEW),
    NavEntry("imports.index", _l("Imports"),
             _l("Limits, capabilities and local-standard item lists, with progress"),
             Permission.MANAGE_LIMITS),
    NavEntry("instruments.index", _l("Instruments"),
             _l("Balances and rapid-test readers, calibration, bench capture"), Permission.VIEW),
    NavEntry("orgs.index", _l("Organisations"), _l("Labs and stations of the network"),
             Permission.VIEW),
]


def nav_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for entry in NAV:
        if current_user.can(entry.permission):
            try:
                url = url_for(entry.endpoint)
            except Exception:  # a package that is not registered in this app
                continue
            items.append({"url": url, "label": entry.label, "hint": entry.hint})
    return items


_ROLE_LABELS_EN = {
    Role.RECEIVER: "Sample receiver", Role.TECHNICIAN: "Technician", Role.REVIEWER: "Reviewer",
    Role.SIGNATORY: "Authorized signatory", Role.STATION_OPERATOR: "Station operator",
    Role.SUPERVISOR: "Prefecture supervisor", Role.ADMIN: "Administrator",
}

_TIER_LABELS = {
    "prefecture_lab": ("州级检验机构", "Prefecture lab"),
    "county_lab": ("县级检验机构", "County lab"),
    "station": ("快检室", "Rapid-test station"),
}


def _zh() -> bool:
    from flask_babel import get_locale

    return get_locale().language == "zh"


def role_label(role: Role | str) -> str:
    role = Role(role)
    return ROLE_LABELS_ZH[role] if _zh() else _ROLE_LABELS_EN[role]


def tier_label(tier: object) -> str:
    zh, en = _TIER_LABELS[str(getattr(tier, "value", tier))]
    return zh if _zh() else en


def has_endpoint(name: str) -> bool:
    from flask import current_app

    return name in current_app.view_functions


def template_globals() -> dict:
    return {"nav_items": nav_items, "role_label": role_label, "tier_label": tier_label,
            "has_endpoint": has_endpoint, "_": _}
