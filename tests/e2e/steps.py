"""One function per step of the lab's work, driven through the browser like a person would.

Tests compose these; each step that changes something leaves a screenshot in
``docs/screenshots/<name>.png``.  Selectors use names, form actions and ``data-`` attributes,
not the (translated) button texts.

Steps still to add as their packages land (one function each, same style):
  capture_weight(page, number, instrument)      technician presses 采集读数 on a balance
  enter_results(page, number, values)           technician enters results, judgement shown
  review(page, number) / sign(page, number)     reviewer and signatory e-sign (password again)
  download_report(page, number) -> bytes        the signed report PDF (check with pypdf)
  open_verification(browser, url)               the QR target, in a context with no login
  upload_station_csv(page, path)                station operator uploads a rapid-test batch
  dashboard_figures(page) -> dict               the statistics page shows the new figures
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from lims.core.demo import DEMO_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as docs/screenshots/<name>.png (overwritten each run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def flash_errors(page) -> list[str]:
    return [t.strip() for t in page.locator(".flash-error").all_inner_texts()]


def sign_in(page, username: str, password: str = DEMO_PASSWORD, *, screenshot: str | None = None):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if screenshot:
        shot(page, screenshot)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not sign in: {flash_errors(page)}"
    return page


def register_sample(page, fields: dict[str, str], *, county: str = "博乐市") -> str:
    """Fill the receipt form, load the rules' test plan, register; return the sample number."""
    page.goto("/samples/new")
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.select_option("select[name=business_county]", label=county)
    page.check("input[name=condition_ok][value=yes]")
    page.click("button[name=action][value=preview]")
    page.wait_for_load_state()
    plan = page.locator("table.plan tbody tr")
    assert plan.count() > 0, "the sampling rules proposed no test plan"
    shot(page, "02-receipt-test-plan")
    page.click("button[name=action][value=register]")
    page.wait_for_url(re.compile(r"/samples/(?!new)[^/?]+$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    shot(page, "03-sample-registered")
    return number


def download_labels(page) -> bytes:
    """The label PDF behind 打印标签, fetched with the signed-in user's cookies."""
    href = page.locator("a[href$='/labels.pdf']").first.get_attribute("href")
    response = page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    return response.body()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def routing_proposal(page) -> dict[str, str]:
    """Test item → proposed lab name, as the routing table shows them."""
    rows = {}
    for row in page.locator("form[action$='/route'] tbody tr").all():
        item = row.locator("td").first.inner_text().strip()
        rows[item] = row.locator("select option:checked").inner_text().replace("✓", "").strip()
    return rows


def confirm_routing(page) -> list[str]:
    page.click("form[action$='/route'] button[type=submit]")
    page.wait_for_load_state()
    assert not flash_errors(page), flash_errors(page)
    shot(page, "04-routing-confirmed")
    return sub_samples(page)


def sub_samples(page) -> list[str]:
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    links = page.locator(f"a[href*='/samples/{number}-']").all()
    return sorted({link.get_attribute("href").rsplit("/", 1)[-1] for link in links})


def open_sample(page, number: str) -> None:
    page.goto(f"/samples/{number}")
    assert page.locator("h1").first.is_visible()


def _hand_over(page, action: str, condition: str, temperature: str | None,
               notes: str | None = None) -> None:
    form = page.locator(f"form[action$='/{action}']")
    assert form.count() == 1, f"no {action} form on {page.url}"
    form.locator("[name=condition]").fill(condition)
    if temperature is not None:
        form.locator("[name=temperature_c]").fill(temperature)
    if notes is not None:
        form.locator("[name=notes]").fill(notes)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert not flash_errors(page), flash_errors(page)


def dispatch(page, number: str, *, condition: str, temperature: str | None = None,
             screenshot: str | None = None) -> None:
    open_sample(page, number)
    _hand_over(page, "dispatch", condition, temperature, notes="冷藏箱运送")
    if screenshot:
        shot(page, screenshot)


def receive(page, number: str, *, condition: str, temperature: str | None = None,
            screenshot: str | None = None) -> None:
    open_sample(page, number)
    _hand_over(page, "receive", condition, temperature)
    if screenshot:
        shot(page, screenshot)


def status_of(page) -> str:
    return page.locator("h1 .status").first.get_attribute("class").split("status-")[-1]


def timeline(page, number: str) -> list[str]:
    open_sample(page, number)
    return [t.strip() for t in page.locator("ol.timeline li").all_inner_texts()]
