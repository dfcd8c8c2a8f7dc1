"""Login, logout and the user's own preferences."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lims.core.db import utcnow
from lims.extensions import db
from lims.users.forms import LoginForm, PreferencesForm
from lims.users.services import AuthError, authenticate, end_session, start_session

bp = Blueprint("users", __name__)


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if session.pop("timed_out", False):
        flash(_("You were signed out after a period of inactivity."), "warning")
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data,
                                address=request.remote_addr)
        except AuthError as exc:
            db.session.commit()  # keep the failure count
            flash(exc.message, "error")
            return render_template("users/login.html", form=form), 401
        sid = start_session(user)
        db.session.commit()
        session.clear()
        session["sid"] = sid
        login_user(user)
        session["last_seen"] = utcnow().isoformat()
        session["lang"] = user.locale
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("users/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("users.login"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm(locale=current_user.locale)
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        session["lang"] = form.locale.data
        db.session.commit()
        flash(_("Preferences saved."), "success")
        return redirect(url_for("users.preferences"))
    return render_template("users/preferences.html", form=form)
