"""Locale choice: the user's own setting, else ?lang=, else Chinese."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    asked = request.args.get("lang") if request else None
    if asked in supported:
        session["lang"] = asked
        return asked
    if session.get("lang") in supported:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def template_globals() -> dict:
    from flask_babel import get_locale

    from lims.core import ui

    return {"get_locale": get_locale, **ui.template_globals()}
