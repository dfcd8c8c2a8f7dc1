"""Whole-database backup and restore on PostgreSQL (pg_dump/pg_restore) and SQLite.

PostgreSQL backups are ``pg_dump`` custom-format archives, restored through ``pg_restore`` and
``psql`` in one transaction, so a failed restore leaves the target as it was.  SQLite backups use the sqlite3
online backup API (a consistent copy even while the app writes).  Either way the audit trail
is copied row for row, hashes included, so ``lims audit verify`` holds on the restored copy.

Errors are :class:`BackupError` with a Chinese message naming what is wrong.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message is shown to the operator."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    engine: str
    tables: int
    rows: int
    size: int


# --- helpers -------------------------------------------------------------------------------

def _engine_name(url: URL) -> str:
    name = url.get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"不支持的数据库类型：{name}（仅支持 PostgreSQL 和 SQLite）")
    return name


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复")
    return Path(url.database)


def _count(url: str) -> tuple[int, int]:
    """(tables, rows) of the application's tables; Alembic's version row is not data."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names() if n != "alembic_version"]
            rows = sum(conn.execute(sa.select(sa.func.count()).select_from(sa.table(n)))
                       .scalar_one() for n in names)
    except sa.exc.OperationalError as exc:
        raise BackupError(f"无法连接数据库：{exc.orig}") from exc
    finally:
        engine.dispose()
    return len(names), rows


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL client tools; the password goes in the
    environment, never on the command line (visible to every user in ``ps``)."""
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _major(text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    if not match:
        raise BackupError(f"无法识别版本号：{text!r}")
    return int(match.group(1))


def server_major(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    except sa.exc.OperationalError as exc:
        raise BackupError(f"无法连接数据库：{exc.orig}") from exc
    finally:
        engine.dispose()


def pg_tool(name: str, major: int) -> str:
    """The client tool of the server's major version: ``LIMS_PG_BIN``, then Debian's
    versioned directory, then PATH.  A pg_dump older than the server cannot dump it, and a
    newer one writes archives an older pg_restore cannot read, so the majors must match."""
    candidates = []
    if os.environ.get("LIMS_PG_BIN"):
        candidates.append(Path(os.environ["LIMS_PG_BIN"]) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin") / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    existing = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if not existing:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL {major} 客户端"
                          f"（Debian: apt install postgresql-client-{major}）或设置 LIMS_PG_BIN")
    for tool in existing:
        version = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                                 check=False).stdout
        if _major(version.split(")", 1)[-1]) == major:
            return str(tool)
    raise BackupError(f"{name} 的版本（{version.strip()}）与数据库服务器（PostgreSQL {major}）"
                      f"不一致：请安装 postgresql-client-{major} 或设置 LIMS_PG_BIN")


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what}失败：" + ("；".join(detail[-3:]) or f"退出码 {done.returncode}"))


# --- backup --------------------------------------------------------------------------------

def backup(url: str, path: str | os.PathLike) -> BackupSummary:
    """Write a consistent copy of the database at ``url`` to ``path`` (replaced atomically)."""
    parsed = make_url(url)
    engine = _engine_name(parsed)
    target = Path(path)
    if target.is_dir():
        raise BackupError(f"备份文件路径是一个目录：{target}")
    if not target.parent.exists():
        raise BackupError(f"备份目录不存在：{target.parent}")
    tables, rows = _count(url)
    partial = target.with_name(target.name + ".partial")
    try:
        if engine == "postgresql":
            tool = pg_tool("pg_dump", server_major(url))
            args, env = _libpq(parsed)
            _run([tool, "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(partial), *args], env, "pg_dump 备份")
        else:
            source_path = _sqlite_path(parsed)
            if not source_path.exists():
                raise BackupError(f"数据库文件不存在：{source_path}")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(target, engine, tables, rows, target.stat().st_size)


# --- restore -------------------------------------------------------------------------------

def _check_file(path: Path, engine: str) -> None:
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(PG_MAGIC):
        kind = "postgresql"
    elif head.startswith(SQLITE_MAGIC):
        kind = "sqlite"
    else:
        raise BackupError(f"不是 lims 备份文件（既不是 pg_dump 归档也不是 SQLite 数据库）：{path}")
    if kind != engine:
        names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
        raise BackupError(f"备份文件来自 {names[kind]}，目标数据库是 {names[engine]}："
                          "不能跨数据库类型恢复")


def restore(url: str, path: str | os.PathLike, *, force: bool = False) -> BackupSummary:
    """Replace the database at ``url`` with the backup at ``path``.

    A database that holds rows is refused unless ``force``: a restore discards them.
    """
    parsed = make_url(url)
    engine = _engine_name(parsed)
    source = Path(path)
    _check_file(source, engine)
    if engine == "sqlite":
        target = _sqlite_path(parsed)
        if not target.parent.exists():
            raise BackupError(f"目标目录不存在：{target.parent}")
    tables, rows = _count(url) if engine == "postgresql" or target.exists() else (0, 0)
    if rows and not force:
        raise BackupError(f"目标数据库不是空的（{tables} 张表，共 {rows} 行）："
                          "恢复会丢弃这些数据。确认无误后加 --force 覆盖")
    if engine == "postgresql":
        _restore_postgres(parsed, url, source)
    else:
        _restore_sqlite(source, target)
    tables, rows = _count(url)
    return BackupSummary(source, engine, tables, rows, source.stat().st_size)


def _restore_postgres(parsed: URL, url: str, source: Path) -> None:
    """Archive → SQL script first (a truncated or corrupt archive fails here, before the
    database is touched), then one psql transaction that empties the public schema and runs
    the script: any error rolls everything back and the old contents stay."""
    import tempfile

    major = server_major(url)
    pg_restore, psql = pg_tool("pg_restore", major), pg_tool("psql", major)
    with tempfile.TemporaryDirectory(prefix="lims-restore-") as work:
        script = Path(work) / "restore.sql"
        done = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
                               "--file", str(script), str(source)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"备份文件已损坏或不完整：{done.stderr.strip()}")
        args, env = _libpq(parsed)
        # Objects left from another version of the schema would clash with the archive's.
        _run([psql, "--no-psqlrc", "--quiet", "--single-transaction",
              "--set", "ON_ERROR_STOP=1", *args,
              "--command", "DROP SCHEMA IF EXISTS public CASCADE",
              "--command", "CREATE SCHEMA public",
              "--file", str(script)], env, "psql 恢复")


def _restore_sqlite(source: Path, target: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = backup_db.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"备份文件已损坏：{check}")
        dest = sqlite3.connect(target)
        try:
            backup_db.backup(dest)  # replaces every page of the target in one step
        finally:
            dest.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"恢复失败：{exc}") from exc
    finally:
        backup_db.close()
