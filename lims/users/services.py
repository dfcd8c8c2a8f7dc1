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
from lims.users.models import ApiToken, LoginThrottle, User, UserRole, UserSession
from lims.users.passwords import check_password_policy, dummy_verify, hash_password, verify_password
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


def _locked_message(user_locked_until, now) -> str:
    minutes = int((user_locked_until - now).total_seconds() // 60) + 1
    return f"账户因多次登录失败已锁定，请 {minutes} 分钟后再试或联系管理员"


def record_failure(user_id: int) -> bool:
    """Count one wrong password in the database, atomically; lock the account when the count
    reaches the limit.  True when the account is now locked.

    ``failed_logins = failed_logins + 1 … RETURNING`` is one statement: however many wrong
    passwords arrive at once, in however many workers, each is counted.
    """
    now = utcnow()
    table = User.__table__
    count = db.session.execute(
        sa.update(table).where(table.c.id == user_id)
        .values(failed_logins=table.c.failed_logins + 1).returning(table.c.failed_logins)
    ).scalar_one()
    if count < current_app.config["MAX_FAILED_LOGINS"]:
        return False
    until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    db.session.execute(sa.update(table).where(table.c.id == user_id)
                       .values(locked_until=until, failed_logins=0))
    from lims.audit.listeners import record_change

    record_change(db.session, User.__tablename__, user_id, "locked_until", None, until)
    return True


def _client_window() -> timedelta:
    return timedelta(minutes=current_app.config.get("LOGIN_ADDRESS_WINDOW_MINUTES", 15))


def address_blocked(address: str | None) -> bool:
    """True when this client address has had too many failed logins in the window."""
    if not address:
        return False
    row = db.session.get(LoginThrottle, address[:64], populate_existing=True)
    limit = current_app.config.get("LOGIN_ADDRESS_LIMIT", 50)
    return bool(row and row.window_start > utcnow() - _client_window() and row.failures >= limit)


def record_address_failure(address: str | None) -> int:
    """One more failed login from ``address`` (one atomic upsert); the count in the window."""
    if not address:
        return 0
    now = utcnow()
    cutoff = now - _client_window()
    table = LoginThrottle.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(address=address[:64], window_start=now, failures=1)
    fresh = table.c.window_start > cutoff
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.address], set_={
        "failures": sa.case((fresh, table.c.failures + 1), else_=1),
        "window_start": sa.case((fresh, table.c.window_start), else_=now),
    }).returning(table.c.failures)
    return db.session.execute(stmt).scalar_one()


def authenticate(username: str, password: str, address: str | None = None) -> User:
    """Check a login; count failures and lock the account after too many.

    The caller commits: the failure counter must persist even though login fails.  An
    unknown user costs the same password hashing as a known one, so that the time taken
    does not tell which user names exist.
    """
    if address_blocked(address):
        raise AuthError("该地址登录失败次数过多，请稍后再试")
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is None:
        dummy_verify(password)
        record_address_failure(address)
        raise AuthError("用户名或密码错误")
    if user.locked_until and user.locked_until > now:
        dummy_verify(password)
        raise AuthError(_locked_message(user.locked_until, now))
    if not user.active:
        dummy_verify(password)
        raise AuthError("账户已停用")
    if not verify_password(user.password_hash, password):
        record_address_failure(address)
        locked = record_failure(user.id)
        db.session.expire(user)
        raise AuthError("连续登录失败次数过多，账户已锁定" if locked else "用户名或密码错误")
    # Reset only if no concurrent failure locked the account meanwhile (one statement).
    table = User.__table__
    ok = db.session.execute(
        sa.update(table).where(table.c.id == user.id, sa.or_(
            table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .returning(table.c.id)).scalar()
    db.session.expire(user)
    if ok is None:
        raise AuthError(_locked_message(user.locked_until, now))
    return user


def start_session(user: User) -> str:
    """A new server-side session for ``user``; its id goes into the signed cookie."""
    now = utcnow()
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now))
    return sid


def end_session(sid: str | None) -> None:
    if sid:
        db.session.execute(sa.update(UserSession.__table__)
                           .where(UserSession.__table__.c.id == sid)
                           .values(revoked_at=utcnow()))


def session_user(sid: str | None, user_id: int) -> tuple[User | None, bool]:
    """The user of a live server-side session and whether it has just timed out.

    A revoked, unknown or idle session gives no user; a live one is marked as seen now.
    """
    if not sid:
        return None, False
    row = db.session.get(UserSession, sid, populate_existing=True)
    if row is None or row.revoked_at is not None or row.user_id != user_id:
        return None, False
    now = utcnow()
    if now - row.last_seen_at > current_app.config["IDLE_TIMEOUT"]:
        row.revoked_at = now
        db.session.commit()
        return None, True
    if (now - row.last_seen_at).total_seconds() > 15:
        row.last_seen_at = now
        db.session.commit()
    user = db.session.get(User, user_id)
    return (user if user is not None and user.active else None), False


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


DEFAULT_TOKEN_DAYS = 365
MAX_TOKEN_DAYS = 3 * 365


def issue_token(user: User, name: str = "api", valid_days: int | None = None) -> IssuedToken:
    """A new token; every token expires (after ``valid_days``, by default a year)."""
    days = DEFAULT_TOKEN_DAYS if valid_days is None else valid_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"令牌有效期应为 1 到 {MAX_TOKEN_DAYS} 天（令牌必须会过期）")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, name=name, prefix=token[:12], token_hash=_digest(token),
                      expires_at=utcnow() + timedelta(days=days))
    db.session.add(record)
    return IssuedToken(token, record)


def user_for_token(token: str) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    record = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = utcnow()
    if record is None or record.revoked_at or (record.expires_at and record.expires_at < now):
        return None
    user = record.user
    if not user.active or (user.locked_until and user.locked_until > now):
        return None
    return record.user
