"""``lims instruments register|certify|list`` on the app's database."""

from __future__ import annotations

import json

from lims.instruments.models import CalibrationCertificate, Instrument


def test_register_certify_and_list(app, network, count):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["instruments", "register", "BZ-BAL-09", "--name", "天平",
                              "--kind", "balance", "--driver", "mt-sics", "--org", "BZ-LAB",
                              "--serial", "B123456789", "--bench", "2",
                              "--port-settings", '{"baudrate": 9600}'])
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["instruments", "certify", "BZ-BAL-09", "--number", "JZ-9",
                              "--issued-by", "州计量所", "--from", "2020-01-01",
                              "--until", "2020-12-31"])
    assert out.exit_code == 0 and "过期" in out.output
    rows = json.loads(runner.invoke(args=["instruments", "list", "--json"]).output)
    assert [(r["code"], r["status"]) for r in rows] == [("BZ-BAL-09", "expired")]


def test_bad_input_stores_nothing(app, network, count):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["instruments", "register", "BZ-BAL-09", "--name", "天平",
                              "--kind", "balance", "--driver", "mt-sics", "--org", "NOPE"])
    assert out.exit_code != 0 and "所属机构" in out.output
    out = runner.invoke(args=["instruments", "certify", "BZ-BAL-09", "--number", "JZ-9",
                              "--issued-by", "x", "--from", "2020-01-01",
                              "--until", "2020-12-31"])
    assert out.exit_code != 0 and "仪器不存在" in out.output
    assert count(Instrument) == 0 and count(CalibrationCertificate) == 0
