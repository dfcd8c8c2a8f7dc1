"""Flask-Login wiring: session users and bearer tokens."""

from __future__ import annotations

from flask import Request, g, has_request_context, request, session
from flask_login import LoginManager

from lims.audit.context import Actor, set_actor
from lims.users.models import User
from lims.users.services import session_user, user_for_token


def is_api_request() -> bool:
    return has_request_context() and (request.blueprint == "api"
                                      or request.path.startswith("/api/"))


def init_login(manager: LoginManager) -> None:
    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        # /api/v1 takes bearer tokens only: a browser's cookie is no credential there.
        if is_api_request():
            return None
        user, timed_out = session_user(session.get("sid"), int(user_id))
        if timed_out:
            g.session_timed_out = True
        return user

    @manager.request_loader
    def load_from_token(request: Request) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        user = user_for_token(header[len("Bearer "):].strip())
        if user is not None:
            set_actor(Actor(user.id, f"{user.username} (token)"))
        return user
