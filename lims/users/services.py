"""Account operations: creating users, logging in with lockout, API tokens, re-authentication."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from lims.core.db import utcnow
from lims.extensions import db
from lims.orgs.models import Organization
from lims.users.models import ApiToken, User, UserRole
from lims.users.passwords import check_password_policy, hash_password, verify_password
from lims.users.roles import Role

TOKEN_PREFIX = "lims_"


class AuthError(Exception):
    """A login or token failure; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def create_user(username: str, *, org: Organization, roles: list[Role], password: str,
                display_name: str | None = None, locale: str = "zh_CN") -> User:
    username = username.strip()
    if not username:
        raise ValueError("用户名不能为空")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ValueError(f"用户名已存在：{username}")
    check_password_policy(password)
    user = User(username=username, display_name=display_name or username, org=org,
                password_hash=hash_password(password), locale=locale)
    user.role_rows = [UserRole(role=r.value) for r in sorted(set(roles))]
    db.session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = hash_password(password)


def authenticate(username: str, password: str) -> User:
    """Check a login; count failures and lock the account after too many.

    The caller commits: the failure counter must persist even though login fails.
    """
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is None:
        raise AuthError("用户名或密码错误")
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise AuthError(f"账户因多次登录失败已锁定，请 {minutes} 分钟后再试或联系管理员")
    if not user.active:
        raise AuthError("账户已停用")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        limit = current_app.config["MAX_FAILED_LOGINS"]
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            user.failed_logins = 0
            raise AuthError("连续登录失败次数过多，账户已锁定")
        raise AuthError("用户名或密码错误")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def confirm_password(user: User, password: str) -> None:
    """Re-authentication for an e-signature (21 CFR Part 11 §11.200): raise on a wrong password."""
    if not verify_password(user.password_hash, password or ""):
        raise AuthError("密码错误，签名未生效")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: ApiToken


def issue_token(user: User, name: str = "api", valid_days: int | None = None) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, name=name, prefix=token[:12], token_hash=_digest(token),
                      expires_at=utcnow() + timedelta(days=valid_days) if valid_days else None)
    db.session.add(record)
    return IssuedToken(token, record)


def user_for_token(token: str) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    record = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = utcnow()
    if record is None or record.revoked_at or (record.expires_at and record.expires_at < now):
        return None
    if not record.user.active:
        return None
    return record.user
