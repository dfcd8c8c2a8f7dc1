"""Whether a capability is fit for a test item: ONE rule for routing and for coverage.

A capability that matches an item (lims.capabilities.services.matches: item-specific, or the
analyte within a food scope containing the item's 细类, valid on the day) is *fit* when

* its method is one the rules allow for the item (or the method it declares itself
  equivalent to, ``equivalent_to``); an item whose table names no method accepts any; and
* its LOQ is low enough: LOQ ≤ the item's limit from the limit library (analyte in the
  细类, then its 品种/亚类/大类 names; of several rows the strictest).  Items without a
  numeric limit count the LOQ as sufficient; a numeric limit and no declared LOQ (or a unit
  that does not convert) do not.

Routing (lims.capabilities.routing) proposes only fit capabilities; statistics coverage
(lims.stats.coverage) counts only fit capabilities — both through ``fitness``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

OK = "ok"
METHOD_NOT_ALLOWED = "method_not_allowed"

_YEAR = re.compile(r"-(19|20)\d{2}$")


def normalise_method(text: str | None) -> str:
    """GB/T 5009.199-2003 and 'GB/T5009.199' are the same method for matching."""
    if not text:
        return ""
    token = text.replace("\u3000", " ").replace("／", "/").strip().upper()
    token = re.sub(r"\s+", "", token)
    return _YEAR.sub("", token)


def allowed_methods(method_standards: str | None) -> set[str]:
    """The methods an item's table allows ("|"-separated), normalised; empty: any."""
    return {normalise_method(m) for m in (method_standards or "").split("|") if m}


@dataclass(frozen=True)
class Limit:
    text: str | None
    value: Decimal | None  # the numeric bound, or None: LOQ counts as sufficient
    unit: str | None


def _compare(a: Decimal, a_unit: str, b: Decimal | None, b_unit: str | None) -> int:
    from lims.limits.units import UnitError, convert

    if b is None or b_unit is None:
        return -1
    try:
        a_in_b = convert(a, a_unit, b_unit)
    except (UnitError, ValueError):
        return 1
    return (a_in_b > b) - (a_in_b < b)


def item_limit(index, name: str, foods: list[str], on: dt.date) -> Limit:
    """The strictest numeric limit of the item in these foods (most specific first) on the
    day, from the limit library index (lims.limits.services.library_index)."""
    from lims.limits.library import LimitMatch

    found = index.lookup(name, foods, on)
    matches = [found] if isinstance(found, LimitMatch) else list(
        getattr(found, "candidates", ()) or ())
    best: Limit | None = None
    for match in matches:
        spec = match.row.spec
        if spec.kind not in ("max", "min", "range") or spec.bound is None or spec.unit is None:
            continue
        if best is None or _compare(spec.bound, str(spec.unit), best.value, best.unit) < 0:
            best = Limit(match.row.limit_text, spec.bound, str(spec.unit))
    if best is not None:
        return best
    text = matches[0].row.limit_text if matches else None
    return Limit(text, None, None)


def loq_status(loq: Decimal | None, unit: str | None, limit: Limit) -> str:
    from lims.limits.units import UnitError, convert

    if limit.value is None:
        return OK
    if loq is None:
        return "loq_not_declared"
    try:
        in_limit_unit = convert(loq, unit or "", limit.unit or "")
    except (UnitError, ValueError):
        return "unit_mismatch"
    return OK if in_limit_unit <= limit.value else "loq_above_limit"


def method_ok(method_standard: str | None, equivalent_to: str | None,
              allowed: set[str]) -> bool:
    return not allowed or normalise_method(method_standard) in allowed or (
        bool(equivalent_to) and normalise_method(equivalent_to) in allowed)


def fitness(capability, allowed: set[str], limit: Limit) -> str:
    """``ok``, or why the (matching) capability is not fit for the item: method_not_allowed,
    loq_above_limit, loq_not_declared, unit_mismatch.  ``capability`` has method_standard,
    equivalent_to, loq and unit (a LabCapability or a row of them)."""
    if not method_ok(capability.method_standard, capability.equivalent_to, allowed):
        return METHOD_NOT_ALLOWED
    return loq_status(capability.loq, capability.unit, limit)
