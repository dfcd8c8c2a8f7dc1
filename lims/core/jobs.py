"""Background jobs: RQ on Redis when ``LIMS_REDIS_URL`` is set, inline otherwise.

``enqueue("lims.foods.services.import_edition", path)`` names the function by its dotted path,
so a job never pickles code or database objects: arguments must be plain values (ids, paths,
strings) and the caller commits before enqueueing, because the worker runs later in another
process and sees only committed rows.  Both modes refuse a session with unflushed changes, so
code that works inline also works on a worker.

Job status is readable from any web worker: RQ keeps it in Redis; inline runs are recorded in
the ``job_run`` table (a status kept in one process's memory would be invisible to the other
gunicorn workers that serve the progress page).
"""

from __future__ import annotations

import contextvars
import importlib
import json
import os
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.db import UTCDateTime, utcnow
from lims.extensions import db

INLINE_PREFIX = "inline-"
DEFAULT_QUEUE = "lims"


class JobError(Exception):
    """A job could not be enqueued or found; the message is shown to users."""


class JobRun(db.Model):
    """The record of a job that ran inline (no Redis): its outcome, for progress pages."""

    __tablename__ = "job_run"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    func_path: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(16))  # finished / failed
    progress: Mapped[str | None] = mapped_column(sa.Text)  # JSON {"done", "total", "note"}
    result: Mapped[str | None] = mapped_column(sa.Text)  # JSON of the return value
    error: Mapped[str | None] = mapped_column(sa.Text)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class JobStatus:
    id: str
    state: str  # queued, started, deferred, scheduled, finished, failed, stopped, canceled
    func_path: str
    progress: dict | None = None
    result: Any = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "failed", "stopped", "canceled")

    def as_json(self) -> dict:
        return {"id": self.id, "state": self.state, "func": self.func_path,
                "progress": self.progress, "result": self.result, "error": self.error,
                "done": self.done}


@dataclass(frozen=True)
class JobHandle:
    id: str
    inline: bool

    def status(self) -> JobStatus:
        return job_status(self.id)


def resolve(func_path: str) -> Callable:
    module_name, _, attr = func_path.rpartition(".")
    if not module_name.startswith("lims.") or not attr:
        # Only the project's own functions run as jobs: the path may come from a queue.
        raise JobError(f"作业函数必须是 lims 包内的函数：{func_path}")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise JobError(f"找不到作业函数：{func_path}") from exc
    if not callable(func):
        raise JobError(f"不是函数：{func_path}")
    return func


def redis_connection(url: str | None = None):
    from redis import Redis

    url = url or current_app.config.get("REDIS_URL")
    if not url:
        raise JobError("未配置 Redis（LIMS_REDIS_URL）")
    return Redis.from_url(url)


def queue(app: Flask | None = None):
    """The RQ queue of this installation (``LIMS_JOBS_QUEUE``, default ``lims``)."""
    from rq import Queue

    config = (app or current_app).config
    name = config.get("JOBS_QUEUE") or os.environ.get("LIMS_JOBS_QUEUE") or DEFAULT_QUEUE
    return Queue(name,
                 connection=redis_connection(config.get("REDIS_URL")),
                 is_async=not _sync(config))


def _sync(config) -> bool:
    # Under test, jobs go through Redis and RQ but run at once in the caller (RQ's
    # is_async=False), so the suite is deterministic with LIMS_REDIS_URL set as without.
    return bool(config.get("JOBS_SYNC", config.get("TESTING", False)))


def enqueue(func_path: str, *args: Any, **kwargs: Any) -> JobHandle:
    """Run ``func_path(*args, **kwargs)`` in the background (or now, without Redis)."""
    resolve(func_path)  # a typo fails here, in the request, not later on the worker
    # The job sees only committed rows (on a worker it may even start before the caller's
    # commit), so every mode refuses a session with unflushed changes.
    _require_clean_session()
    if current_app.config.get("REDIS_URL"):
        sync = _sync(current_app.config)
        job = queue().enqueue_call(run_job, args=(func_path, list(args), kwargs, sync),
                                   description=func_path, meta={"func_path": func_path},
                                   result_ttl=7 * 24 * 3600, failure_ttl=30 * 24 * 3600)
        return JobHandle(job.id, inline=False)
    return _run_inline(func_path, args, kwargs)


# --- progress ------------------------------------------------------------------------------

_inline_progress: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "lims_inline_progress", default=None)


def set_progress(done: int, total: int | None = None, note: str = "") -> None:
    """Called by a job function as it goes; a no-op outside a job."""
    value = {"done": done, "total": total, "note": note}
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta["progress"] = value
        job.save_meta()
        return
    holder = _inline_progress.get()
    if holder is not None:
        holder.clear()
        holder.update(value)


# --- running ---------------------------------------------------------------------------------

_pool_pid = os.getpid()


def run_job(func_path: str, args: list, kwargs: dict, in_caller: bool = False) -> Any:
    """What the RQ worker executes: the named function inside an application context.

    ``in_caller``: run synchronously inside the enqueueing request (RQ's is_async=False), whose
    session must survive the job."""
    if has_app_context():
        return _call_in_context(func_path, args, kwargs, in_caller)
    from lims import create_app

    with create_app().app_context():
        return _call_in_context(func_path, args, kwargs, in_caller)


def _call_in_context(func_path: str, args: list, kwargs: dict, in_caller: bool) -> Any:
    global _pool_pid
    if not in_caller and _pool_pid != os.getpid():
        # RQ forks a work horse per job: connections inherited from the parent must not be
        # shared with it (SQLAlchemy's advice for forked processes).
        db.engine.dispose(close=False)
        _pool_pid = os.getpid()
    from lims.audit.context import Actor, acting_as

    try:
        with acting_as(Actor(None, f"job:{func_path.rsplit('.', 1)[-1]}")):
            result = resolve(func_path)(*args, **kwargs)
        db.session.commit()  # as inline: a job that returns normally keeps its work
        return result
    except Exception:
        db.session.rollback()
        raise
    finally:
        if not in_caller:
            db.session.remove()


def _jsonable(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return json.dumps(repr(value), ensure_ascii=False)


def _require_clean_session() -> None:
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise JobError("请先提交数据库事务再启动作业（作业只能看到已提交的数据）")


def _run_inline(func_path: str, args: tuple, kwargs: dict) -> JobHandle:
    session = db.session
    job_id = INLINE_PREFIX + uuid.uuid4().hex
    enqueued = utcnow()
    progress: dict = {}
    token = _inline_progress.set(progress)
    from lims.audit.context import Actor, acting_as

    try:
        with acting_as(Actor(None, f"job:{func_path.rsplit('.', 1)[-1]}")):
            result = resolve(func_path)(*args, **kwargs)
        session.commit()
        state, error = "finished", None
    except Exception as exc:  # the job failed, as it would on a worker: record it, go on
        session.rollback()
        result, state = None, "failed"
        error = f"{type(exc).__name__}: {exc}\n" + traceback.format_exc(limit=5)
    finally:
        _inline_progress.reset(token)
    run = JobRun(id=job_id, func_path=func_path, state=state,
                 progress=json.dumps(progress, ensure_ascii=False) if progress else None,
                 result=_jsonable(result), error=error, enqueued_at=enqueued,
                 ended_at=utcnow())
    session.add(run)
    session.commit()
    return JobHandle(job_id, inline=True)


# --- status ----------------------------------------------------------------------------------

def job_status(job_id: str) -> JobStatus:
    """The state of a job, from whichever process asks."""
    if job_id.startswith(INLINE_PREFIX):
        run = db.session.get(JobRun, job_id)
        if run is None:
            raise JobError(f"未找到作业 {job_id}")
        return JobStatus(run.id, run.state, run.func_path,
                         json.loads(run.progress) if run.progress else None,
                         json.loads(run.result) if run.result else None,
                         run.error.splitlines()[0] if run.error else None)
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError as exc:
        raise JobError(f"未找到作业 {job_id}（可能已过期）") from exc
    state = job.get_status(refresh=True)
    state_text = getattr(state, "value", str(state))
    error = None
    if state_text == "failed":
        latest = job.latest_result()
        text = (latest.exc_string if latest is not None else None) or ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        error = lines[-1] if lines else "failed"
    result = job.return_value() if state_text == "finished" else None
    meta = job.get_meta(refresh=True)
    return JobStatus(job.id, state_text, meta.get("func_path", job.description or ""),
                     meta.get("progress"), result, error)


# --- the worker ------------------------------------------------------------------------------

@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit")
@click.option("--simple", is_flag=True,
              help="Run jobs in this process instead of a forked child per job")
@with_appcontext
def worker_command(burst: bool, simple: bool) -> None:
    """Run an RQ worker for the background jobs (needs LIMS_REDIS_URL)."""
    from rq import SimpleWorker, Worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("未配置 LIMS_REDIS_URL：没有 Redis 时作业在请求内直接运行，"
                                   "无需 worker / jobs run inline without Redis")
    q = queue()
    try:
        q.connection.ping()
    except Exception as exc:  # redis raises its own ConnectionError family
        raise click.ClickException(f"无法连接 Redis / cannot reach Redis: {exc}") from exc
    worker_class = SimpleWorker if simple else Worker
    click.echo(f"lims worker: queue {q.name} on {current_app.config['REDIS_URL']}")
    # The app context pushed by with_appcontext is inherited by the forked work horses.
    worker_class([q], connection=q.connection).work(burst=burst)


__all__ = ["JobError", "JobHandle", "JobRun", "JobStatus", "enqueue", "job_status", "queue",
           "run_job", "set_progress", "worker_command"]
