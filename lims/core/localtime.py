"""Local time: the one place where stored UTC moments become the lab's wall-clock time.

Storage is UTC (:class:`lims.core.db.UTCDateTime`); pages, reports, PDFs, sample-number
years, readings and exports show the configured zone: the setting ``BABEL_DEFAULT_TIMEZONE``
(environment ``LIMS_TIMEZONE``, default Asia/Shanghai). Templates format with the Jinja
filter ``localtime`` (registered on the Flask app and on the PDF environment); code uses
:func:`local_date`, :func:`local_today` and :func:`format_local`.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"
DEFAULT_FORMAT = "%Y-%m-%d %H:%M"


@functools.cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"时区设置无效：{name}（LIMS_TIMEZONE，例如 Asia/Shanghai）") from exc


def local_zone() -> ZoneInfo:
    """The configured zone (the app's setting; the default outside an app context)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return _zone(name or DEFAULT_ZONE)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware moment in the configured zone; naive values are taken as UTC (storage)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(local_zone())


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar day of ``moment`` (default: now) in the configured zone."""
    return to_local(moment or utcnow()).date()


def local_today() -> dt.date:
    return local_date(None)


def format_local(moment: dt.datetime | dt.date | None, fmt: str = DEFAULT_FORMAT,
                 empty: str = "—") -> str:
    """The filter ``localtime``: ``moment`` as local wall-clock text (dates pass through)."""
    if moment is None:
        return empty
    if isinstance(moment, dt.datetime):
        return to_local(moment).strftime(fmt)
    return moment.strftime(fmt.split(" ")[0] if "%H" in fmt else fmt)


def zone_label() -> str:
    """The zone's name and current UTC offset, e.g. "Asia/Shanghai (UTC+08:00)"."""
    offset = to_local(utcnow()).strftime("%z")
    return f"{local_zone().key} (UTC{offset[:3]}:{offset[3:]})"


def install(app) -> None:  # noqa: ANN001 - a Flask app
    """Register the filter on the app's Jinja environment."""
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.globals["local_zone_label"] = zone_label
