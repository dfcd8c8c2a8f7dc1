"""lims: laboratory information management for a prefecture's food testing network."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

from lims.config import PROJECT_ROOT, build_config

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """The application factory (see Flask's tutorial): configure, bind extensions, register."""
    settings = build_config(config)
    app = Flask(
        __name__,
        instance_path=str(settings["INSTANCE_PATH"]),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    _init_extensions(app)
    from lims.core.security import install_url_converters

    install_url_converters(app)
    _register_blueprints(app)
    _register_cli(app)
    _install_session_policy(app)
    from lims.core.security import install_security

    install_security(app)
    return app


def _init_extensions(app: Flask) -> None:
    from lims.audit import listeners
    from lims.core import i18n
    from lims.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(PROJECT_ROOT / "lims" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "users.login"
    login_manager.login_message = None
    listeners.install()
    _import_models()

    from lims.users import auth

    auth.init_login(login_manager)
    app.jinja_env.globals.update(i18n.template_globals())
    from lims.core import localtime

    localtime.install(app)


def _import_models() -> None:
    """Every model module, imported so that metadata (and Alembic) sees all tables."""
    import importlib

    from lims.core.registry import MODEL_MODULES

    for name in MODEL_MODULES:
        importlib.import_module(name)


def _register_blueprints(app: Flask) -> None:
    import importlib

    from lims.core.api import api_bp
    from lims.core.registry import API_MODULES, BLUEPRINTS
    from lims.extensions import csrf

    for module_name, attr in BLUEPRINTS:
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))
    for module_name in API_MODULES:
        importlib.import_module(module_name)
    # API clients authenticate with a bearer token, not a browser session: CSRF does not apply.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)


def _register_cli(app: Flask) -> None:
    import importlib

    from lims.core.registry import CLI_COMMANDS

    for module_name, attr in CLI_COMMANDS:
        app.cli.add_command(getattr(importlib.import_module(module_name), attr))


def _install_session_policy(app: Flask) -> None:
    from lims.audit.context import SYSTEM, Actor, set_actor
    from lims.core.db import utcnow

    @app.before_request
    def fresh_request_globals():
        # A request normally gets a fresh app context and so a fresh ``g``; when an app
        # context outlives requests (tests, scripts) cached CSRF tokens, users and locales
        # of an earlier request must not leak into this one.
        from flask_babel import refresh

        for name in list(vars(g)):
            delattr(g, name)
        refresh()

    @app.before_request
    def idle_timeout():
        set_actor(SYSTEM)
        if request.endpoint == "static" or request.blueprint == "api":
            return None
        if not current_user.is_authenticated and g.get("session_timed_out"):
            session.clear()
            session["timed_out"] = True
            return redirect(url_for("users.login", next=request.full_path))
        if current_user.is_authenticated:
            last = session.get("last_seen")
            now = utcnow()
            if last and now - datetime.fromisoformat(last) > app.config["IDLE_TIMEOUT"]:
                logout_user()
                session.clear()
                session["timed_out"] = True
                return redirect(url_for("users.login", next=request.full_path))
            session["last_seen"] = now.isoformat()
            set_actor(Actor(current_user.id, current_user.username))
        return None

    @app.before_request
    def remember_request_start():
        g.request_started = datetime.now()

    app.permanent_session_lifetime = app.config.get("PERMANENT_SESSION_LIFETIME",
                                                    timedelta(hours=12))
