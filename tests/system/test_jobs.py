"""Background jobs: the same call runs inline without Redis and on an RQ worker with it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from lims.core import jobs
from lims.core.jobs import JobError, enqueue, job_status
from lims.extensions import db
from lims.orgs.models import Organization

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def database_url(database_template, tmp_path):
    """An empty migrated database (not the reference world): the jobs here load the network."""
    import shutil

    from tests.conftest import _empty_postgres

    if database_template["engine"] == "sqlite":
        path = tmp_path / "lims.db"
        shutil.copyfile(database_template["template"], path)
        return f"sqlite:///{path}"
    _empty_postgres(database_template["url"])
    return database_template["url"]


# Jobs may only name functions of the lims package, so these tests enqueue real lims code.
def _count_orgs() -> int:
    return db.session.scalar(sa.select(sa.func.count(Organization.id)))


@pytest.fixture
def inline(app):
    app.config["REDIS_URL"] = None
    return app


@pytest.fixture
def redis_queue(app):
    """A private queue on the local Redis, emptied afterwards; skipped if Redis is down."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisDown:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    app.config["REDIS_URL"] = REDIS_URL
    app.config["JOBS_QUEUE"] = f"lims-test-{uuid.uuid4().hex[:8]}"
    app.config["JOBS_SYNC"] = False  # a real queue: jobs wait for the worker
    queue = jobs.queue(app)
    yield queue
    queue.delete(delete_jobs=True)


def _work(queue) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_inline_job_runs_now_and_its_status_is_in_the_database(inline):
    assert _count_orgs() == 0
    handle = enqueue("lims.orgs.services.load_network")
    assert handle.inline and handle.id.startswith("inline-")
    assert _count_orgs() > 0
    status = job_status(handle.id)
    assert status.state == "finished" and status.done and status.error is None
    # Readable from any process: it is a row, not a dict in this one.
    assert db.session.get(jobs.JobRun, handle.id).state == "finished"


def test_inline_failure_is_recorded_not_raised(inline, network):
    handle = enqueue("lims.orgs.services.org_by_code")  # missing argument
    status = job_status(handle.id)
    assert status.state == "failed" and "TypeError" in status.error


def test_inline_refuses_uncommitted_changes(inline, network):
    network["BZ-LAB"].name = "改名未提交"
    with pytest.raises(JobError, match="先提交"):
        enqueue("lims.orgs.services.load_network")
    db.session.rollback()


def test_only_lims_functions_and_known_names(inline):
    with pytest.raises(JobError, match="lims 包内"):
        enqueue("os.system", "true")
    with pytest.raises(JobError, match="找不到"):
        enqueue("lims.orgs.services.no_such_function")
    with pytest.raises(JobError, match="未找到作业"):
        job_status("inline-doesnotexist")


def test_rq_job_waits_for_a_worker_then_finishes(redis_queue, app):
    handle = enqueue("lims.orgs.services.load_network")
    assert not handle.inline
    assert job_status(handle.id).state == "queued"
    assert _count_orgs() == 0  # nothing ran in the request
    _work(redis_queue)
    status = job_status(handle.id)
    assert status.state == "finished", status
    assert status.func_path == "lims.orgs.services.load_network"
    assert _count_orgs() > 0


def test_rq_failure_and_progress(redis_queue, app, network):
    failing = enqueue("lims.orgs.services.org_by_code")
    progress = enqueue("lims.core.jobs_demo.count_to", 3)
    _work(redis_queue)
    status = job_status(failing.id)
    assert status.state == "failed" and "TypeError" in status.error
    done = job_status(progress.id)
    assert done.state == "finished" and done.result == 3
    assert done.progress == {"done": 3, "total": 3, "note": "3/3"}


def test_inline_progress(inline):
    handle = enqueue("lims.core.jobs_demo.count_to", 2)
    status = job_status(handle.id)
    assert status.result == 2 and status.progress == {"done": 2, "total": 2, "note": "2/2"}


def test_worker_command_needs_redis(inline):
    result = inline.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "LIMS_REDIS_URL" in result.output


def test_worker_command_runs_queued_jobs(redis_queue, app):
    handle = enqueue("lims.core.jobs_demo.count_to", 4)
    result = app.test_cli_runner().invoke(args=["worker", "--burst", "--simple"])
    assert result.exit_code == 0, result.output
    assert job_status(handle.id).result == 4


def test_under_test_rq_jobs_run_at_once_through_redis(redis_queue, app):
    """With LIMS_REDIS_URL set the suite runs jobs through RQ synchronously (deterministic);
    the caller's session stays usable afterwards."""
    app.config["JOBS_SYNC"] = True
    handle = enqueue("lims.orgs.services.load_network")
    assert not handle.inline
    status = job_status(handle.id)  # read back from Redis
    assert status.state == "finished"
    assert _count_orgs() > 0
    failing = enqueue("lims.orgs.services.org_by_code")
    assert job_status(failing.id).state == "failed"
    assert _count_orgs() > 0  # the session still works


def test_rq_mode_refuses_uncommitted_changes_too(redis_queue, app):
    enqueue("lims.orgs.services.load_network")
    _work(redis_queue)
    org = db.session.scalar(sa.select(Organization).limit(1))
    org.name = "改名未提交"
    with pytest.raises(JobError, match="先提交"):
        enqueue("lims.core.jobs_demo.count_to", 1)
    db.session.rollback()
    assert redis_queue.count == 0
