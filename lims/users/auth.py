"""Flask-Login wiring: session users and bearer tokens."""

from __future__ import annotations

from flask import Request
from flask_login import LoginManager

from lims.audit.context import Actor, set_actor
from lims.extensions import db
from lims.users.models import User
from lims.users.services import user_for_token


def init_login(manager: LoginManager) -> None:
    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user and user.active else None

    @manager.request_loader
    def load_from_token(request: Request) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        user = user_for_token(header[len("Bearer "):].strip())
        if user is not None:
            set_actor(Actor(user.id, f"{user.username} (token)"))
        return user
