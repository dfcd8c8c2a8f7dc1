"""Where the report package finds its keys, its public URL and the lab's time zone.

Settings (Flask config, or the ``LIMS_…`` environment variable of the same name):
``SIGNING_DIR`` (default ``instance/keys``, as written by ``lims keys init``),
``SIGNING_PKCS12``, ``SIGNING_PASSPHRASE_FILE`` (or ``LIMS_SIGNING_PASSPHRASE``),
``SIGNING_CA_CERT`` for a production key elsewhere, ``PUBLIC_URL`` for the QR code's host.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request

from lims.core import localtime
from lims.reports.signing import (
    CA_CERT_NAME,
    LAB_P12_NAME,
    PASSPHRASE_ENV,
    PASSPHRASE_NAME,
    LabSigner,
    SigningSetupError,
    lab_key_dir,
    load_signer,
)


def _setting(name: str) -> str | None:
    return current_app.config.get(name) or os.environ.get(f"LIMS_{name}") or None


def _keys_dir() -> Path:
    return Path(_setting("SIGNING_DIR") or Path(current_app.instance_path) / "keys")


def signing_paths() -> tuple[Path, Path, Path]:
    """(PKCS#12, passphrase file, CA certificate): settings ``SIGNING_PKCS12``,
    ``SIGNING_PASSPHRASE_FILE``, ``SIGNING_CA_CERT`` (config or ``LIMS_…`` environment),
    defaulting to the files ``lims keys init`` writes into ``SIGNING_DIR``."""
    keys = _keys_dir()
    return (Path(_setting("SIGNING_PKCS12") or keys / LAB_P12_NAME),
            Path(_setting("SIGNING_PASSPHRASE_FILE") or keys / PASSPHRASE_NAME),
            Path(_setting("SIGNING_CA_CERT") or keys / CA_CERT_NAME))


_signers: dict[tuple[str, float], LabSigner] = {}


def _fallback_allowed() -> bool:
    value = current_app.config.get("SIGNING_FALLBACK")
    if value is None:
        value = os.environ.get("LIMS_SIGNING_FALLBACK", "")
    return str(value).lower() in ("1", "true", "yes")


def lab_signer(lab_code: str | None = None) -> LabSigner:
    """The signing key of the lab ``lab_code`` (``<SIGNING_DIR>/<code>/lab-signing.p12``,
    written by ``lims keys init --lab CODE``), loaded once per process (loading costs a key
    derivation). Without a lab key the installation key signs only when ``SIGNING_FALLBACK``
    (``LIMS_SIGNING_FALLBACK=1``) is set; otherwise the report is refused with the reason."""
    if lab_code is not None:
        own = lab_key_dir(_keys_dir(), lab_code)
        if (own / LAB_P12_NAME).is_file():
            return _load_cached(own / LAB_P12_NAME, own / PASSPHRASE_NAME, per_lab=True)
        if not _fallback_allowed():
            raise SigningSetupError(
                f"实验室 {lab_code} 没有自己的签名证书（{own / LAB_P12_NAME}）；请运行 "
                f"lims keys init --lab {lab_code}，或设置 LIMS_SIGNING_FALLBACK=1 使用安装密钥")
    p12, passphrase_file, _ca = signing_paths()
    return _load_cached(p12, passphrase_file, per_lab=False)


def _load_cached(p12: Path, passphrase_file: Path, *, per_lab: bool) -> LabSigner:
    try:
        key = (str(p12), p12.stat().st_mtime)
    except FileNotFoundError as exc:
        raise SigningSetupError(
            f"签名证书文件不存在：{p12}（开发环境请运行 lims keys init）") from exc
    if key not in _signers:
        passphrase = None if per_lab else (os.environ.get(PASSPHRASE_ENV)
                                           or current_app.config.get("SIGNING_PASSPHRASE"))
        if not passphrase:
            try:
                passphrase = passphrase_file.read_text().strip()
            except FileNotFoundError as exc:
                raise SigningSetupError(
                    f"未设置 {PASSPHRASE_ENV}，也未找到口令文件 {passphrase_file}") from exc
        if len(_signers) > 64:
            _signers.clear()
        _signers[key] = load_signer(p12, passphrase)
    return _signers[key]


def trust_roots() -> list[Path]:
    ca = signing_paths()[2]
    if not ca.is_file():
        raise SigningSetupError(f"未找到实验室 CA 证书：{ca}")
    return [ca]


def local_zone() -> ZoneInfo:
    return localtime.local_zone()


def local_date(moment: dt.datetime) -> dt.date:
    return localtime.local_date(moment)


# Set by a background job to the host of the request that enqueued it (a worker has none).
requested_base_url: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lims_requested_base_url", default=None)


def public_base_url() -> str:
    """Base of the QR code's URL: an explicit public URL, else the request's host."""
    explicit = (os.environ.get("LIMS_PUBLIC_URL") or current_app.config.get("PUBLIC_URL")
                or os.environ.get("LIMS_PUBLIC_BASE_URL"))
    if explicit:
        return explicit.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    if requested_base_url.get():
        return str(requested_base_url.get()).rstrip("/")
    return str(current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def verify_url(token: str) -> str:
    return f"{public_base_url()}/verify/{token}"
