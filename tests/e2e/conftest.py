"""Browser end-to-end tests: the real app served on 127.0.0.1, driven by headless Chromium.

The server is a werkzeug WSGI server in a thread of this process, on a free port, against a
database of its own holding the reference world and the demo users (SQLite, or PostgreSQL on
the PostgreSQL leg).  Chromium is Debian's (``apt install chromium``, done by ``dev.sh``), never
a browser downloaded by ``playwright install``.  Each step saves a screenshot to
``docs/screenshots/<step>.png``, which the README and the guide link.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, _test_settings

CHROMIUM = os.environ.get("LIMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_database(seeded_template, tmp_path_factory) -> Iterator[str]:
    """A copy of the reference world for the whole browser session, plus the demo users."""
    base = tmp_path_factory.mktemp("e2e")
    if seeded_template["engine"] == "sqlite":
        path = base / "e2e.db"
        shutil.copyfile(seeded_template["template"], path)
        url = f"sqlite:///{path}"
        drop = None
    else:
        name = f"lims_e2e_{uuid.uuid4().hex[:10]}"
        admin = seeded_template["admin"]
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_template["name"]}"'))
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)

        def drop():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    from lims import create_app
    from lims.core.demo import build_demo_world
    from lims.extensions import db

    app = create_app(_test_settings(url, base))
    with app.app_context():
        build_demo_world()
        db.session.remove()
        db.engine.dispose()
    yield url
    if drop:
        drop()


@pytest.fixture(scope="session")
def live_server(e2e_database, tmp_path_factory) -> Iterator[str]:
    """The app on http://127.0.0.1:<free port>; yields its base URL."""
    from werkzeug.serving import make_server

    from lims import create_app
    from lims.extensions import db

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = _test_settings(e2e_database, tmp_path_factory.mktemp("e2e-instance"))
    # A browser on 127.0.0.1 must match the routes; QR codes point back at this server.
    settings.update(SERVER_NAME=None, PUBLIC_BASE_URL=base_url, TESTING=False)
    # the lab's signing certificate (a development CA), so that approval issues signed reports
    from lims.reports.signing import init_dev_pki, init_lab_key

    keys = init_dev_pki(Path(settings["INSTANCE_PATH"]) / "keys",
                        lab_name="博州食品药品检验检测中心 e2e")
    for code, name in (("BZ-LAB", "博州食品药品检验检测中心"), ("BL-LAB", "博乐市食品检验检测站")):
        init_lab_key(keys.ca_cert.parent, code, name)  # each lab signs with its own key
    settings["SIGNING_DIR"] = str(keys.lab_pkcs12.parent)
    worker = _job_worker(settings, e2e_database, base_url)
    app = create_app(settings)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
    if worker is not None:
        worker.terminate()
        worker.wait(timeout=10)
    with app.app_context():
        db.engine.dispose()


def _job_worker(settings: dict, database_url: str, base_url: str) -> subprocess.Popen | None:
    """With LIMS_REDIS_URL set, the served app queues its long work (report signing) on RQ as
    in production: a real ``lims worker`` process, on a queue of this run's own, runs it."""
    if not settings.get("REDIS_URL"):
        return None
    queue = f"lims-e2e-{uuid.uuid4().hex[:8]}"
    settings["JOBS_QUEUE"] = queue
    env = dict(os.environ, LIMS_DATABASE_URL=database_url, LIMS_REDIS_URL=settings["REDIS_URL"],
               LIMS_JOBS_QUEUE=queue, LIMS_SIGNING_DIR=settings["SIGNING_DIR"],
               LIMS_INSTANCE_PATH=str(settings["INSTANCE_PATH"]), LIMS_PUBLIC_BASE_URL=base_url)
    lims = Path(sys.executable).with_name("lims")
    return subprocess.Popen([str(lims), "worker", "--simple"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Chromium for the tests of this package, closed when they are done.

    Package scope, not session: a running Playwright keeps its asyncio event loop set on the
    main thread, and every later ``asyncio.run()`` of the session (pyHanko signing the
    reports in tests/reports_db) would fail with "cannot be called from a running event
    loop"."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: ./dev.sh setup installs Debian's chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


# Counts the page's fetch() calls under way, so that a step can wait for the previews the
# page sent while fields were being typed before it reads the one it asked for.
COUNT_FETCHES = """
(() => {
  const fetch = window.fetch;
  window.__fetching = 0;
  window.fetch = function (...args) {
    window.__fetching += 1;
    return fetch.apply(this, args).finally(() => { window.__fetching -= 1; });
  };
})();
"""


class Lab:
    """The people of the scenario, each in a browser context of their own (own cookies)."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self._contexts: list = []

    def person(self, username: str):
        from tests.e2e import steps

        context = self.browser.new_context(base_url=self.base_url, locale="zh-CN",
                                           viewport={"width": 1280, "height": 900},
                                           accept_downloads=True)
        context.set_default_timeout(15_000)
        context.add_init_script(COUNT_FETCHES)
        self._contexts.append(context)
        page = context.new_page()
        steps.sign_in(page, username)
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def lab(browser, live_server) -> Iterator[Lab]:
    people = Lab(browser, live_server)
    yield people
    people.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def run_in_e2e_app(database_url: str, instance: Path, work):
    """Run ``work()`` in an app context on the browser tests' database (set-up the pages
    cannot do, e.g. a bench token); returns what it returns."""
    from lims import create_app
    from lims.audit.context import Actor, acting_as
    from lims.extensions import db

    app = create_app(_test_settings(database_url, instance))
    with app.app_context(), acting_as(Actor(None, "e2e-setup")):
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def bench_agent(e2e_database, live_server, tmp_path):
    """``bench_agent(username, instrument, script)``: the bench agent of the lab's PC, running
    in a thread against the live server with a token of ``username``, attached to a simulated
    balance (lims.instruments.simulators) that answers with the weights of ``script``."""
    from lims.instruments.agent import Agent, ServerClient
    from lims.instruments.agent_queue import ReadingQueue
    from lims.instruments.registry import get_driver
    from lims.instruments.simulators import make_simulator
    from lims.instruments.transport import InstrumentSession, Port

    running = []

    def start(username: str, instrument: str, script: str, driver: str = "mt-sics"):
        def token():
            from lims.extensions import db
            from lims.users.models import User
            from lims.users.services import issue_token

            user = db.session.scalar(sa.select(User).where(User.username == username))
            issued = issue_token(user, name="bench-agent").token
            db.session.commit()
            return issued

        sim = make_simulator(driver, script)
        url = sim.serve_tcp()
        drv = get_driver(driver)
        session = InstrumentSession(drv, Port(url, drv.default_settings.with_(timeout=2.0)))
        client = ServerClient(live_server, run_in_e2e_app(e2e_database, tmp_path, token),
                              instrument, timeout=10)
        agent = Agent(session, client, ReadingQueue(tmp_path / f"queue-{instrument}.db"),
                      poll_interval=0.2)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), name="bench-agent",
                                  daemon=True)
        thread.start()
        running.append((stop, thread, agent, sim, session, client))
        return agent

    yield start
    for stop, thread, agent, sim, session, client in running:
        stop.set()
        thread.join(timeout=10)
        agent.queue.close()
        client.close()
        session.close()
        sim.stop()
