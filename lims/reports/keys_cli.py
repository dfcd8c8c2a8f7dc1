"""`lims keys …`: development signing keys (registered into the lims CLI by the lead)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from lims.reports.signing import (
    PASSPHRASE_ENV,
    PASSPHRASE_NAME,
    SigningSetupError,
    init_dev_pki,
    init_lab_key,
    load_signer,
    read_passphrase,
)


def configured_keys_dir() -> Path:
    """Where the app looks for its keys (lims.config): LIMS_SIGNING_DIR, else the instance
    folder's ``keys`` (LIMS_INSTANCE_PATH honoured)."""
    from lims.config import Config

    signing_dir = os.environ.get("LIMS_SIGNING_DIR")
    if signing_dir:
        return Path(signing_dir)
    instance = os.environ.get("LIMS_INSTANCE_PATH")
    return Path(instance) / "keys" if instance else Path(Config.INSTANCE_PATH) / "keys"


@click.group("keys", help="管理报告签名密钥（开发用 CA 与实验室签名证书）。")
def keys() -> None:
    pass


@keys.command("init", help="创建开发用 CA 和实验室签名证书（含不可否认性密钥用途）。")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="密钥输出目录（默认：LIMS_SIGNING_DIR，或 LIMS_INSTANCE_PATH/keys）",
)
@click.option(
    "--lab-name",
    default="LIMS Demo Food Testing Lab",
    show_default=True,
    help="写入证书的实验室名称",
)
@click.option("--force", is_flag=True, help="覆盖已有密钥（已签名报告将无法用新 CA 验证）")
@click.option("--lab", "lab_codes", multiple=True,
              help="为网络中的实验室（机构代码，可多次给出；all 表示全部实验室）签发各自的签名证书，"
                   "由已有 CA 签发；与 --force 一起即轮换该实验室的密钥")
@with_appcontext
def init_command(directory: Path | None, lab_name: str, force: bool,
                 lab_codes: tuple[str, ...]) -> None:
    directory = directory or configured_keys_dir()
    if lab_codes:
        _init_labs(directory, lab_codes, force)
        return
    try:
        paths = init_dev_pki(directory, lab_name=lab_name, overwrite=force)
        # Prove the PKCS#12 opens with the passphrase before telling the user it is ready.
        signer = load_signer(paths.lab_pkcs12, read_passphrase(directory))
    except SigningSetupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"CA 证书:        {paths.ca_cert}")
    click.echo(f"CA 私钥:        {paths.ca_key}")
    click.echo(f"签名证书:       {paths.lab_cert}")
    click.echo(f"签名 PKCS#12:   {paths.lab_pkcs12}")
    if paths.passphrase_file is not None:
        click.echo(f"口令文件:       {paths.passphrase_file}（权限 0600）")
    else:
        click.echo(f"口令:           来自环境变量 {PASSPHRASE_ENV}")
    click.echo(f"签名证书主题:   {signer.subject}")


def _init_labs(directory: Path, codes: tuple[str, ...], force: bool) -> None:
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.orgs.models import Organization

    labs = [o for o in db.session.scalars(sa.select(Organization).order_by(Organization.code))
            if o.is_lab]
    wanted = labs if "all" in codes else [o for o in labs if o.code in codes]
    unknown = sorted(set(codes) - {o.code for o in labs} - {"all"})
    if unknown:
        raise click.ClickException(f"未知的检验机构：{'、'.join(unknown)}")
    for lab in wanted:
        try:
            path = init_lab_key(directory, lab.code, lab.name, overwrite=force)
            signer = load_signer(path, (path.parent / PASSPHRASE_NAME).read_text().strip())
        except SigningSetupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{lab.code}: {path}  主题：{signer.subject}")
