"""On the demo world (the shipped 2026 rules, limits and demo capabilities) the coverage on
the dashboard is the figure ``lims stats coverage --json`` prints."""

from __future__ import annotations

import json
import re

import pytest

from lims.users.roles import Role


@pytest.fixture
def database_url(seeded_url):
    return seeded_url


def test_dashboard_coverage_equals_the_cli(app, make_user, login, client):
    result = app.test_cli_runner().invoke(args=["stats", "coverage", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["items"] > 1800  # every (细类, 检验项目) of the 2026 rules
    assert 0 < printed["covered"] < printed["covered_by_method"] <= printed["items"]
    make_user("zhou", roles=(Role.SUPERVISOR,))
    login("zhou")
    html = client.get("/stats/").get_data(as_text=True)
    shown = re.search(r'id="coverage-rate" data-rate="([^"]+)" data-covered="(\d+)" '
                      r'data-items="(\d+)"', html)
    assert shown
    assert (float(shown.group(1)), int(shown.group(2)), int(shown.group(3))) == (
        printed["rate"], printed["covered"], printed["items"])
    assert f"{printed['rate'] * 100:.1f}%" in html
    # the prefecture declared everything outside 大类 27–30: those are the zero rows
    categories = {r["key"]: r for r in printed["by_category"]}
    assert categories["27"]["covered"] == 0 and categories["30"]["covered"] == 0
