"""One function per step of the lab's work, driven through the browser like a person would.

Tests compose these; each step that changes something leaves a screenshot in
``docs/screenshots/<name>.png``.  Selectors use names, form actions and ``data-`` attributes,
not the (translated) button texts.

After the receipt and custody steps come the bench and the report:
  create_worksheet(page, number) -> str         technician puts a part's tests on a worksheet
  capture_weight(page, item, grams)             technician presses 采集 (the agent answers)
  enter_results(page, item, values)             technician types the other inputs, saves
  submit_results(page, items)                   technician signs 检验 (password again)
  sign_queue(page, path, number, meaning)       reviewer / signatory sign on their queue
  download_report(page, number) -> (no, bytes)  the signed report PDF from the sample page
  open_verification(browser, url, pdf) -> dict  the QR target, in a context with no login
  upload_station_csv(page, path)                station operator uploads a rapid-test batch
  publish_day(page, market) / public_results    公示 and the public page
  dashboard_figures(page) -> dict               the statistics page shows the new figures
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from lims.core.demo import DEMO_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as docs/screenshots/<name>.png (overwritten each run); the whole
    page, or only the window for long pages (the statistics dashboard)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def flash_errors(page) -> list[str]:
    return [t.strip() for t in page.locator(".flash-error").all_inner_texts()]


def sign_in(page, username: str, password: str = DEMO_PASSWORD, *, screenshot: str | None = None):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if screenshot:
        shot(page, screenshot)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/login" not in page.url, f"{username} could not sign in: {flash_errors(page)}"
    return page


def register_sample(page, fields: dict[str, str], *, county: str = "博乐市",
                    removed: dict[str, str] | None = None) -> str:
    """Fill the receipt form, load the rules' test plan, untick ``removed`` items (item name →
    reason), register; return the sample number."""
    page.goto("/samples/new")
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.select_option("select[name=business_county]", label=county)
    page.check("input[name=condition_ok][value=yes]")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    plan = page.locator("table.plan tbody tr")
    assert plan.count() > 0, "the sampling rules proposed no test plan"
    for item, reason in (removed or {}).items():
        row = plan.filter(has_text=item)
        assert row.count() == 1, f"{item} is not in the test plan"
        row.locator("input[type=checkbox]").check()
        row.locator("input[name^=reason_]").fill(reason)
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


def assign_labs(page, labs: dict[str, str]) -> None:
    """Override the proposed lab of some items (item name → lab name) before confirming."""
    for item, lab in labs.items():
        row = page.locator("form[action$='/route'] tbody tr").filter(has_text=item)
        assert row.count() == 1, f"{item} is not in the routing table"
        select = row.locator("select")
        value = next(o.get_attribute("value") for o in select.locator("option").all()
                     if o.inner_text().replace("✓", "").strip() == lab)
        select.select_option(value)


def confirm_routing(page) -> list[str]:
    with page.expect_navigation():
        page.click("form[action$='/route'] button[type=submit]")
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


def wait_for_status(page, number: str, status: str, *, seconds: float = 30) -> str:
    """Reload the sample page until it shows ``status`` (work done by a job worker lands a
    moment after the request that queued it); the status finally shown."""
    deadline = time.monotonic() + seconds
    while True:
        open_sample(page, number)
        shown = status_of(page)
        if shown == status or time.monotonic() > deadline:
            return shown
        page.wait_for_timeout(300)


def _hand_over(page, action: str, condition: str, temperature: str | None,
               notes: str | None = None) -> None:
    form = page.locator(f"form[action$='/{action}']")
    assert form.count() == 1, f"no {action} form on {page.url}"
    form.locator("[name=condition]").fill(condition)
    if temperature is not None:
        form.locator("[name=temperature_c]").fill(temperature)
    if notes is not None:
        form.locator("[name=notes]").fill(notes)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
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


def report_failure(page) -> str:
    """The reason shown on the sample page when its report could not be issued."""
    failure = page.locator(".report-failure")
    return failure.inner_text() if failure.count() else "(no report failure shown)"


def timeline(page, number: str) -> list[str]:
    open_sample(page, number)
    return [t.strip() for t in page.locator("ol.timeline li").all_inner_texts()]


# --- the bench: worksheet, captured weight, typed inputs, e-signatures ----------------------

def create_worksheet(page, number: str, title: str, *, screenshot: str | None = None) -> str:
    """Tick every open test of sample ``number`` on the results page, make a worksheet."""
    page.goto("/results/")
    boxes = page.locator(f"tbody tr:has(a[href$='/samples/{number}']) input[name=test]")
    if boxes.count() == 0:
        boxes = page.locator("tbody tr", has_text=number).locator("input[name=test]")
    assert boxes.count() > 0, f"no open test of {number} on {page.url}"
    for box in boxes.all():
        box.check()
    page.fill("input[name=title]", title)
    page.click("form[action$='/results/worksheets'] button[type=submit]")
    page.wait_for_url(re.compile(r"/results/worksheets/WS-"))
    assert not flash_errors(page), flash_errors(page)
    if screenshot:
        shot(page, screenshot)
    return page.url.rsplit("/", 1)[-1].split("#")[0]


def result_card(page, item: str):
    card = page.locator("section.card", has_text=item)
    assert card.count() == 1, f"{item}: {card.count()} cards on {page.url}"
    return card


def capture_weight(page, item: str, grams: str, field: str = "m") -> str:
    """Press 采集 beside the weight; the bench agent answers the capture request and the page
    fills the field with the balance's reading.  Returns the reading id kept with the value."""
    card = result_card(page, item)
    card.locator("button.capture").click()
    page.wait_for_function(
        "([id, grams]) => document.getElementById(id).value === grams",
        arg=[card.locator(f"input[name=in_{field}]").get_attribute("id"), grams],
        timeout=30_000)
    reading = card.locator(f"input[name=reading_{field}]").input_value()
    assert reading, "the captured weight lost its reading id"
    return reading


def type_inputs(page, item: str, values: dict[str, str]) -> None:
    card = result_card(page, item)
    for name, value in values.items():
        card.locator(f"input[name=in_{name}]").fill(value)


def preview_verdict(page, item: str) -> str:
    """The judgement the page shows beside the typed inputs (computed, nothing stored)."""
    card = result_card(page, item)
    # previews sent while the fields were typed (each field's change event) must be back
    # first; then forget them, so that the one waited for is of the inputs as they are now
    page.wait_for_function("() => window.__fetching === 0")
    card.locator(".preview").evaluate("e => { e.className = 'preview small'; }")
    card.locator("form.entry").dispatch_event("change")
    page.wait_for_function(
        "(id) => window.__fetching === 0 && "
        "/verdict-/.test(document.querySelector('#' + id + ' .preview').className)",
        arg=card.get_attribute("id"))
    return card.locator(".preview").get_attribute("class").rsplit("verdict-", 1)[-1]


def save_result(page, item: str) -> str:
    """Save the result; return the verdict stored and shown on the reloaded worksheet."""
    with page.expect_navigation():
        result_card(page, item).locator("form.entry button[type=submit]").click()
    assert not flash_errors(page), flash_errors(page)
    return result_card(page, item).locator("[data-verdict]").first.get_attribute("data-verdict")


def enter_results(page, item: str, values: dict[str, str]) -> tuple[str, str]:
    """Type the inputs, read the judgement shown, save: (previewed, stored) verdicts."""
    type_inputs(page, item, values)
    shown = preview_verdict(page, item)
    return shown, save_result(page, item)


def submit_results(page, items: list[str], password: str = DEMO_PASSWORD) -> None:
    """The technician signs 检验 (submitted) under each result, re-entering the password."""
    for item in items:
        form = result_card(page, item).locator("form[data-sign=submitted]")
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert not flash_errors(page), flash_errors(page)


def sign_queue(page, path: str, number: str, meaning: str, *, password: str = DEMO_PASSWORD,
               screenshot: str | None = None) -> int:
    """Sign every result of sample ``number`` waiting on the queue at ``path``; return how
    many were signed."""
    signed = 0
    while True:
        page.goto(path)
        if screenshot and signed == 0:
            shot(page, screenshot)
        forms = page.locator("tr", has_text=number).locator(f"form[data-sign={meaning}]")
        if forms.count() == 0:
            return signed
        form = forms.first
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert not flash_errors(page), flash_errors(page)
        signed += 1


# --- the report and its public verification ---------------------------------------------

def download_report(page, number: str, *, screenshot: str | None = None) -> tuple[str, bytes]:
    """From the sample page's report panel: the report number and its signed PDF."""
    open_sample(page, number)
    panel = page.locator("section.report-panel")
    assert panel.count() == 1, f"no report panel on {page.url}"
    failure = panel.locator(".report-failure")
    assert failure.count() == 0, failure.inner_text()
    if screenshot:
        shot(page, screenshot)
    report_no = panel.locator("tbody tr td a.mono").first.inner_text().strip()
    href = panel.locator("a[href$='.pdf']").first.get_attribute("href")
    response = page.request.get(href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    return report_no, response.body()


def verification_url(page, report_no: str) -> str:
    """The URL the report's QR code holds, as the report page shows it."""
    with page.expect_navigation():
        page.locator("section.report-panel a.mono", has_text=report_no).click()
    return page.locator("a[href*='/verify/']").first.get_attribute("href")


def open_verification(browser, url: str, pdf: bytes, tmp_dir: Path, *,
                      screenshot: str | None = None) -> dict[str, str]:
    """Open the QR target in a fresh context (no cookies: a member of the public), read what
    it shows, upload the PDF and read the check's answer."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url)
        assert "/login" not in page.url
        shown = {"number": page.locator("dl.verify dd.mono").first.inner_text().strip(),
                 "status": page.locator("#report-status").inner_text().strip(),
                 "status_class": page.locator("#report-status").get_attribute("class"),
                 "sha256": page.locator("#report-sha256").inner_text().strip()}
        path = tmp_dir / "downloaded-report.pdf"
        path.write_bytes(pdf)
        page.set_input_files("input[name=file]", str(path))
        with page.expect_navigation():
            page.click("form.card button[type=submit]")
        check = page.locator("#check-result")
        shown["check"] = check.inner_text().strip()
        shown["check_class"] = check.get_attribute("class")
        if screenshot:
            shot(page, screenshot)
        return shown
    finally:
        context.close()


# --- a rapid-test station ------------------------------------------------------------------

def upload_station_csv(page, path: Path, *, screenshot: str | None = None) -> str:
    """The station operator uploads a reader's CSV export; returns the success message."""
    page.goto("/stations/upload")
    page.set_input_files("input[name=file]", str(path))
    with page.expect_navigation():
        page.click("form.phone button[type=submit]")
    assert not flash_errors(page), flash_errors(page)
    assert "/stations/upload" not in page.url, page.locator("main").inner_text()[:500]
    if screenshot:
        shot(page, screenshot)
    return page.locator(".flash-success").first.inner_text().strip()


def publish_day(page, market: str) -> None:
    page.goto("/stations/")
    with page.expect_navigation():
        page.locator(f"form[action$='/stations/publish']:has(input[value='{market}']) "
                     "button[type=submit]").click()
    assert not flash_errors(page), flash_errors(page)


def public_results(page, market: str, *, screenshot: str | None = None) -> dict[str, str]:
    """The market's public page (公示) of today: uid → the row's text."""
    page.goto(f"/public/markets/{market}/")
    if screenshot:
        shot(page, screenshot)
    return {row.get_attribute("data-uid"): row.inner_text()
            for row in page.locator("tr[data-uid]").all()}


# --- statistics ---------------------------------------------------------------------------

def dashboard_figures(page, *, screenshot: str | None = None) -> dict:
    """The statistics dashboard: coverage figures and the plan's table (figure → county →
    value)."""
    page.goto("/stats/")
    assert not flash_errors(page), flash_errors(page)
    rate = page.locator("#coverage-rate")
    figures: dict = {"coverage": {k: rate.get_attribute(f"data-{k}")
                                  for k in ("rate", "covered", "items")}}
    table = page.locator("#table-targets table")
    counties = [th.inner_text().strip() for th in table.locator("thead th").all()][1:]
    targets = {}
    for row in table.locator("tbody tr").all():
        heading = row.locator("th").inner_text().strip()
        targets[heading] = dict(zip(counties, [td.inner_text().strip()
                                               for td in row.locator("td").all()], strict=True))
    figures["targets"] = targets
    if screenshot:
        shot(page, screenshot, full_page=False)  # the whole dashboard is some 10,000 px
    return figures
