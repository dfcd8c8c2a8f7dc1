"""The limit library page (rows by status per standard) and the technicians' lookup page."""

from __future__ import annotations

from collections import Counter

from lims.limits.library import load_shipped_library
from lims.users.roles import Role


def test_library_page_counts_rows_by_status(make_user, login, client):
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("wang")
    html = client.get("/limits/").get_data(as_text=True)
    index = load_shipped_library()
    rows = index.rows_by_standard["GB 2762-2025"]
    counts = Counter(r.verified for r in rows)
    assert "GB 2762-2025" in html
    # the GB 2762-2025 line shows its verified / secondary / unverified counts and total
    line = html[html.index("<td>GB 2762-2025</td>"):]
    line = line[: line.index("</tr>")]
    cells = [c.split("<")[0] for c in line.split('class="num">')[1:]]
    shown = [c if c else "0" for c in cells]
    assert shown[0] == str(counts.get("yes", 0)) and shown[-1] == str(len(rows))


def test_lookup_page(make_user, login, client):
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("wang")
    html = client.get("/limits/lookup", query_string={
        "item": "铅(以Pb计)", "food": "菠菜", "date": "2026-10-01"}).get_data(as_text=True)
    assert "GB 2762-2025" in html and "0.3" in html
    missing = client.get("/limits/lookup", query_string={"item": "铅"})
    assert missing.status_code == 422
    bad_date = client.get("/limits/lookup", query_string={
        "item": "铅", "food": "菠菜", "date": "2026-13-01"})
    assert bad_date.status_code == 422
    assert client.get("/limits/").status_code == 200


def test_lookup_page_shows_each_member_of_a_group_item(make_user, login, client):
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("wang")
    html = client.get("/limits/lookup", query_string={
        "item": "合成着色剂(柠檬黄、日落黄)", "food": "果冻", "date": "2026-10-01"}).get_data(as_text=True)
    assert "<td>柠檬黄</td>" in html and "<td>日落黄</td>" in html


def test_lookup_page_on_a_category_asks_for_the_specific_food(make_user, login, client):
    make_user("wang", roles=(Role.TECHNICIAN,))
    login("wang")
    # 谷物加工品 has no 无机砷 limit of its own; 大米 0.2 and 糙米 0.35 (GB 2762-2025 表4)
    html = client.get("/limits/lookup", query_string={
        "item": "无机砷(以As计)", "food": "谷物加工品", "date": "2026-10-01"}).get_data(as_text=True)
    assert 'id="needs-specific-food"' in html and "请指明具体食品" in html
    assert "≤0.2mg/kg" in html and "≤0.35mg/kg" in html
    plain = client.get("/limits/lookup", query_string={
        "item": "铅(以Pb计)", "food": "菠菜", "date": "2026-10-01"}).get_data(as_text=True)
    assert 'id="needs-specific-food"' not in plain
