"""CLI: ``instruments drivers|read|simulate`` (no app context needed)."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from lims.instruments.cli import instruments
from lims.instruments.simulators import make_simulator


def test_drivers_lists_all():
    out = CliRunner().invoke(instruments, ["drivers", "--json"])
    assert out.exit_code == 0
    names = [d["name"] for d in json.loads(out.output)]
    assert names == ["mt-sics", "sartorius-sbi", "and-standard", "pesticide-reader", "gold-reader"]


def test_read_json_from_simulator():
    sim = make_simulator("mt-sics", "unstable 2 then stable 12.345 g")
    url = sim.serve_pty()
    try:
        out = CliRunner().invoke(
            instruments, ["read", "--driver", "mt-sics", "--port", url, "--command", "SI", "--json"]
        )
    finally:
        sim.stop()
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["value"] == "12.345" and data["unit"] == "g" and data["stable"] is True
    assert data["raw"] == "S S     12.345 g\\r\\n" and data["driver"] == "mt-sics"


def test_read_error_exits_1_with_kind():
    sim = make_simulator("and-standard", "overload")
    url = sim.serve_pty()
    try:
        out = CliRunner().invoke(
            instruments, ["read", "--driver", "and-standard", "--port", url, "--json"]
        )
    finally:
        sim.stop()
    assert out.exit_code == 1
    data = json.loads(out.output)
    assert data["kind"] == "overload" and data["error"]


def test_simulate_prints_pty_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "lims.instruments.cli", "instruments", "simulate",
         "--driver", "mt-sics", "--pty", "--steps", "stable 55.50 g"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("/dev/pts/")
        out = CliRunner().invoke(
            instruments, ["read", "--driver", "mt-sics", "--port", url, "--json"]
        )
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["value"] == "55.50"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_simulate_needs_pty_or_tcp():
    out = CliRunner().invoke(instruments, ["simulate", "--driver", "mt-sics"])
    assert out.exit_code == 2
