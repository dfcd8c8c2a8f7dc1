"""The gunicorn entry point trusts proxy headers only when told how many proxies there are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import wsgi
from flask import request

seen = {}


@wsgi.app.before_request
def look():
    seen.update(scheme=request.scheme, host=request.host, addr=request.remote_addr)
    return "ok"


wsgi.app.test_client().get("/", headers={"X-Forwarded-Proto": "https",
                                         "X-Forwarded-Host": "lims.example.cn",
                                         "X-Forwarded-For": "10.1.2.3"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
print(type(wsgi.app.wsgi_app).__name__, seen["scheme"], seen["host"], seen["addr"])
"""


def _probe(tmp_path, proxies: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMS_")}
    env.update(LIMS_INSTANCE_PATH=str(tmp_path), LIMS_PROXY_COUNT=proxies,
               LIMS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", LIMS_SECRET_KEY="k")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, text=True,
                          capture_output=True, check=True)
    return done.stdout.split()


def test_behind_one_proxy_the_forwarded_scheme_host_and_client_are_used(tmp_path):
    out = _probe(tmp_path, "1")
    assert out == ["ProxyFix", "https", "lims.example.cn", "10.1.2.3"]


def test_without_proxies_no_header_is_trusted(tmp_path):
    out = _probe(tmp_path, "0")
    assert out[0] != "ProxyFix"
    assert out[1:] == ["http", "localhost", "127.0.0.1"]
