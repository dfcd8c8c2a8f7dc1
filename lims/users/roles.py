"""The roles of the lab and what each may do (one table, read by views and services)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    RECEIVER = "receiver"              # 样品接收员
    TECHNICIAN = "technician"          # 检验员
    REVIEWER = "reviewer"              # 审核员
    SIGNATORY = "signatory"            # 授权签字人 (lab manager)
    STATION_OPERATOR = "station_operator"  # 快检室操作员
    SUPERVISOR = "supervisor"          # 州级监管 (read-only across the system)
    ADMIN = "admin"                    # 系统管理员


class Permission(enum.StrEnum):
    VIEW = "view"
    REGISTER_SAMPLE = "register_sample"
    DISPATCH_SAMPLE = "dispatch_sample"
    RECEIVE_SAMPLE = "receive_sample"
    ENTER_RESULT = "enter_result"
    REVIEW_RESULT = "review_result"
    APPROVE_REPORT = "approve_report"
    UPLOAD_STATION_RESULT = "upload_station_result"
    MANAGE_INSTRUMENTS = "manage_instruments"
    MANAGE_LIMITS = "manage_limits"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_STATS = "view_stats"
    CHANGE_STATUS = "change_status"  # a sample's status (which move: lims.samples.lifecycle)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RECEIVER: frozenset({Permission.VIEW, Permission.REGISTER_SAMPLE,
                              Permission.DISPATCH_SAMPLE, Permission.RECEIVE_SAMPLE,
                              Permission.CHANGE_STATUS}),
    Role.TECHNICIAN: frozenset({Permission.VIEW, Permission.ENTER_RESULT,
                                Permission.RECEIVE_SAMPLE, Permission.CHANGE_STATUS}),
    Role.REVIEWER: frozenset({Permission.VIEW, Permission.REVIEW_RESULT,
                              Permission.VIEW_AUDIT, Permission.CHANGE_STATUS}),
    Role.SIGNATORY: frozenset({Permission.VIEW, Permission.APPROVE_REPORT,
                               Permission.VIEW_AUDIT, Permission.VIEW_STATS,
                               Permission.MANAGE_INSTRUMENTS, Permission.CHANGE_STATUS}),
    Role.STATION_OPERATOR: frozenset({Permission.VIEW, Permission.UPLOAD_STATION_RESULT}),
    Role.SUPERVISOR: frozenset({Permission.VIEW, Permission.VIEW_AUDIT, Permission.VIEW_STATS}),
    Role.ADMIN: frozenset(set(Permission) - {Permission.UPLOAD_STATION_RESULT}),
}

ROLE_LABELS_ZH = {
    Role.RECEIVER: "样品接收员",
    Role.TECHNICIAN: "检验员",
    Role.REVIEWER: "审核员",
    Role.SIGNATORY: "授权签字人",
    Role.STATION_OPERATOR: "快检室操作员",
    Role.SUPERVISOR: "州级监管人员",
    Role.ADMIN: "系统管理员",
}


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower().replace("-", "_"))
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValueError(f"未知角色：{text}（可选：{valid}）") from None
