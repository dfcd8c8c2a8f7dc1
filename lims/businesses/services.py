"""Matching a name (and credit code) to a business record: link, create, or suggest a merge.

A record is linked when its 统一社会信用代码 matches, or when the normalised name matches in
the same county and no credit code contradicts it.  Anything less certain creates a new
record and a merge proposal for a reviewer: businesses are never merged silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from lims.businesses.credit_code import is_credit_code
from lims.businesses.models import Business, BusinessKind, BusinessMergeProposal, MergeState
from lims.extensions import db

_PUNCT = re.compile(r"[\s\-_.,，。、·•:：;；'\"“”‘’()（）\[\]【】<>《》/\\]+")
# Spellings of the same legal form, unified so that they do not hide a match.
_SYNONYMS = (("有限责任公司", "有限公司"), ("股份有限公司", "有限公司"))

KIND_ZH = {
    BusinessKind.PRODUCER: "生产企业", BusinessKind.SMALL_WORKSHOP: "食品小作坊",
    BusinessKind.WHOLESALE_STALL: "批发市场摊位", BusinessKind.MARKET_STALL: "农贸市场经营户",
    BusinessKind.SUPERMARKET: "超市", BusinessKind.RESTAURANT: "餐饮单位",
    BusinessKind.SCHOOL_CANTEEN: "学校食堂", BusinessKind.RURAL_BANQUET: "农村集体聚餐供应者",
    BusinessKind.OTHER: "其他",
}


def normalise_name(name: str) -> str:
    """Full-width to half-width, no spaces or punctuation, one spelling of the legal form."""
    text = unicodedata.normalize("NFKC", name or "").strip().lower()
    text = _PUNCT.sub("", text)
    for long, short in _SYNONYMS:
        text = text.replace(long, short)
    return text[:160]


def guess_kind(name: str, default: BusinessKind = BusinessKind.OTHER) -> BusinessKind:
    """The kind a name states plainly (学校食堂, 超市, …); else ``default``."""
    rules = ((("学校", "幼儿园", "托幼"), BusinessKind.SCHOOL_CANTEEN),
             (("集体聚餐", "宴席", "酒席"), BusinessKind.RURAL_BANQUET),
             (("超市",), BusinessKind.SUPERMARKET),
             (("批发",), BusinessKind.WHOLESALE_STALL),
             (("小作坊", "作坊"), BusinessKind.SMALL_WORKSHOP),
             (("餐厅", "饭店", "餐饮", "酒店", "食堂"), BusinessKind.RESTAURANT))
    for words, kind in rules:
        if any(w in (name or "") for w in words):
            return kind
    return default


@dataclass
class Match:
    business: Business
    created: bool
    proposals: list[BusinessMergeProposal] = field(default_factory=list)


def find_by_credit_code(code: str) -> Business | None:
    return db.session.scalar(sa.select(Business).where(Business.credit_code == code.upper()))


def _live(business: Business) -> Business:
    seen = 0
    while business.merged_into is not None and seen < 20:
        business, seen = business.merged_into, seen + 1
    return business


def match_business(name: str, *, licence: str | None = None, address: str | None = None,
                   region_id: int | None = None,
                   kind: BusinessKind | None = None) -> Match | None:
    """The business record for a name as written on a sample (None for an empty name)."""
    name = (name or "").strip()
    if not name:
        return None
    key = normalise_name(name)
    code = (licence or "").strip().upper()
    credit = code if is_credit_code(code) else None
    if credit:
        found = find_by_credit_code(credit)
        if found is not None:
            return Match(_live(found), created=False)
    same_name = list(db.session.scalars(sa.select(Business).where(
        Business.name_key == key, Business.merged_into_id.is_(None)).order_by(Business.id)))
    compatible = [c for c in same_name
                  if (region_id is None or c.region_id in (None, region_id))
                  and (credit is None or c.credit_code is None)]
    if compatible:
        chosen = compatible[0]
        if credit and chosen.credit_code is None:
            chosen.credit_code = credit  # the first time the code is known
        # records made by concurrent receipts of one new business: a reviewer merges them
        proposals = [_propose(dup, chosen, "名称规范化后相同（同时登记产生的重复记录）")
                     for dup in compatible[1:] if dup.credit_code is None
                     and not _proposed(dup, chosen)]
        return Match(chosen, created=False, proposals=proposals)
    business = Business(name=name[:160], name_key=key, credit_code=credit,
                        licence_number=(licence or "").strip()[:40] or None,
                        address=(address or "").strip()[:255] or None, region_id=region_id,
                        kind=kind or guess_kind(name))
    db.session.add(business)
    db.session.flush()
    proposals = [_propose(business, c, "名称规范化后相同，统一社会信用代码或县市不同")
                 for c in same_name]
    proposals += [_propose(business, c, "名称相互包含") for c in _similar(key, business.id)]
    return Match(business, created=True, proposals=proposals)


def _similar(key: str, exclude_id: int, limit: int = 5) -> list[Business]:
    """Records whose normalised name contains this one or is contained in it (≥ 4 chars)."""
    if len(key) < 4:
        return []
    rows = db.session.scalars(sa.select(Business).where(
        Business.id != exclude_id, Business.merged_into_id.is_(None), Business.name_key != key,
        sa.or_(Business.name_key.contains(key, autoescape=True),
               sa.literal(key).contains(Business.name_key))).limit(limit))
    return [b for b in rows if len(b.name_key) >= 4]


def _propose(source: Business, target: Business, reason: str) -> BusinessMergeProposal:
    proposal = BusinessMergeProposal(source_id=source.id, target_id=target.id, reason=reason,
                                     state=MergeState.PROPOSED)
    db.session.add(proposal)
    return proposal


def _proposed(source: Business, target: Business) -> bool:
    return db.session.scalar(sa.select(BusinessMergeProposal.id).where(
        BusinessMergeProposal.source_id == source.id,
        BusinessMergeProposal.target_id == target.id)) is not None


def open_proposals(limit: int = 100) -> list[BusinessMergeProposal]:
    return list(db.session.scalars(sa.select(BusinessMergeProposal).where(
        BusinessMergeProposal.state == MergeState.PROPOSED)
        .order_by(BusinessMergeProposal.id).limit(limit)))


def supplier_by_name(name: str) -> Business | None:
    """A live record whose normalised name is ``name``'s (for outside notices)."""
    key = normalise_name(name)
    if not key:
        return None
    return db.session.scalar(sa.select(Business).where(
        Business.name_key == key, Business.merged_into_id.is_(None)).order_by(Business.id)
        .limit(1))


def can_manage_network(user) -> bool:
    """Prefecture-level decisions (plans, merges, alerts): a prefecture user who administers
    the system or signs reports; supervisors and county users only read."""
    from lims.users.roles import Permission

    return bool(user.is_authenticated and user.org is not None and user.org.sees_everything
                and (user.can(Permission.MANAGE_LIMITS) or user.can(Permission.APPROVE_REPORT)))
