"""The pages as staff use them in a real browser: the clients table sorted by clicking its headings,
filtered with its form and downloaded as CSV; a client's page with both charts drawn; Today's
"Mark handled" and "Cleared to exercise"; and no page the browser complains about (a stylesheet
or image that fails to load, a style or script the Content-Security-Policy blocks)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from bot.coach_desk.report import CSV_COLUMNS
from bot.dashboard.content import texts
from bot.services import Services
from tests.dashboard.conftest import Clock, enrol, seed_clinic

ADA, BEA, CY, DEE = 5_700_000_001, 5_700_000_002, 5_700_000_003, 5_700_000_004
ROW_NAMES = '[data-testid="client-row"] th a'
# Draw an <img> on a canvas and count its pixels near `rgb`: did the SVG load and draw that colour?
COUNT_PIXELS = """([img, rgb]) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if ([0, 1, 2].every(c => Math.abs(data[i + c] - rgb[c]) < 24)) n++;
  }
  return n;
}"""
LADDER_BLUE, PAIN_RED = (0x2F, 0x6F, 0x8F), (0xC0, 0x50, 0x4D)  # charts/*.svg


@pytest.fixture
def clinic(services: Services, clock: Clock, engine: Engine) -> dict[str, int]:
    return seed_clinic(services, clock, engine, (ADA, BEA, CY, DEE))


def shown(page: Page) -> list[str]:
    return [name.split()[0] for name in page.locator(ROW_NAMES).all_inner_texts()]


def test_sorting_by_clicking_a_heading_and_clicking_it_again(signed_in: Page, clinic: dict[str, int]) -> None:
    page = signed_in
    page.click("#nav-clients")
    expect(page.locator("#clients-count")).to_contain_text("Showing 4 of 4 matching clients")
    assert shown(page) == ["Ada", "Bea", "Cy", "Dee"]
    page.click("#sort-adherence_7")
    expect(page.locator("#sort-adherence_7")).to_contain_text("▲")
    assert shown(page) == ["Bea", "Cy", "Dee", "Ada"]
    page.click("#sort-adherence_7")
    expect(page.locator("#sort-adherence_7")).to_contain_text("▼")
    assert shown(page) == ["Ada", "Dee", "Bea", "Cy"]
    assert page.locator("#sort-adherence_7").locator("xpath=..").get_attribute("aria-sort") == "descending"
    page.click("#sort-red_flags")
    page.click("#sort-red_flags")
    assert shown(page)[0] == "Bea"


def test_filtering_with_the_form(signed_in: Page, clinic: dict[str, int]) -> None:
    page = signed_in
    page.goto("/clients")
    page.select_option("#filter-tier", "stop")
    page.click("#filter-button")
    expect(page.locator(ROW_NAMES)).to_have_count(1)
    assert shown(page) == ["Bea"]
    expect(page.locator("#filter-clear")).to_be_visible()

    page.select_option("#filter-tier", "spine_protect")
    page.click("#filter-button")
    expect(page.locator(ROW_NAMES)).to_have_text(["Dee Stone"])

    page.click("#filter-clear")
    page.select_option("#filter-flag", "red_flag")
    page.click("#filter-button")
    expect(page.locator(ROW_NAMES)).to_have_text(["Bea Marsh"])

    page.click("#filter-clear")
    page.check("#filter-dropping")
    page.click("#filter-button")
    expect(page.locator(ROW_NAMES)).to_have_text(["Cy Lund"])
    expect(page.locator("#filter-dropping")).to_be_checked()  # the form shows what it filters by

    page.click("#filter-clear")
    expect(page.locator(ROW_NAMES)).to_have_count(4)


def test_searching_by_name(signed_in: Page, clinic: dict[str, int]) -> None:
    page = signed_in
    page.goto("/clients?sort=adherence_7")
    page.fill("#search-name", "lund")
    page.click("#search-button")
    expect(page.locator(ROW_NAMES)).to_have_text(["Cy Lund"])
    assert "lund" not in page.url.lower() and "sort=adherence_7" in page.url
    page.click("#search-clear")
    expect(page.locator(ROW_NAMES)).to_have_count(4)


@pytest.mark.parametrize("days", [7, 28])
def test_downloading_the_report_as_csv(signed_in: Page, clinic: dict[str, int], days: int, tmp_path: Path) -> None:
    page = signed_in
    page.goto("/clients")
    with page.expect_download() as started:
        page.click(f"#csv-{days}")
    download = started.value
    assert download.suggested_filename == "bone-coach-report.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row[0] for row in rows[1:]] == ["Ada Quill", "Bea Marsh", "Cy Lund", "Dee Stone"]
    ada = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert ada["chat_id"] == str(ADA) and ada["adherence_days"] == str(days) and ada["adherence_pct"] == "100"


def test_a_clients_page_shows_both_charts_drawn(signed_in: Page, services: Services) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    services.plans.todays_plan(ADA)
    services.checkins.log_checkin(ADA, "done", rpe=5, pain=3, note=None)
    page = signed_in
    page.goto("/clients")
    page.click(f'[data-client-id="{ada}"] th a')
    expect(page.locator("#client-name")).to_have_text("Ada Quill")
    for chart, colour in (("#ladder-chart", LADDER_BLUE), ("#pain-chart", PAIN_RED)):
        image = page.locator(chart)
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        box = image.bounding_box()
        assert box is not None and box["width"] == 640 and box["height"] > 50, (chart, box)
        drawn = page.evaluate(COUNT_PIXELS, [image.element_handle(), list(colour)])
        assert drawn >= 10, (chart, drawn)  # a line or a dot in the chart's colour (none: 0), not an empty frame
    expect(page.locator("#plan-kind")).to_be_visible()
    expect(page.locator('[data-testid="plan-reason"]').first).to_be_visible()


def test_today_mark_handled_then_cleared_to_exercise(signed_in: Page, services: Services) -> None:
    ada = enrol(services, ADA, "Ada Quill")
    bea = enrol(services, BEA, "Bea Marsh")
    services.safety.record_red_flag(ADA, "I fell and my back hurts badly")
    services.safety.report_pain(BEA, 8, "knee", "my knee is an 8 today")
    page = signed_in
    page.goto("/today")
    case = page.locator(f"#red-flag-{ada}")
    expect(case).to_contain_text("I fell and my back hurts badly")
    expect(case).to_contain_text(texts()["today"]["not_picked_up"])
    expect(page.locator("#alerts-pain_high")).to_contain_text("Bea Marsh")

    case.get_by_role("button", name=texts()["actions"]["handled"]).click()
    expect(page.locator('[data-testid="notice-handled"]')).to_be_visible()
    expect(case).to_contain_text(texts()["today"]["someone_on_it"])

    page.click(f"#cleared-{ada}")
    expect(page.locator('[data-testid="notice-cleared"]')).to_have_text(texts()["notices"]["cleared"])
    expect(page.locator('[data-testid="red-flags-none"]')).to_be_visible()
    assert services.plans.reminder_plan(ADA).kind != "stop"
    page.goto(f"/clients/{bea}")
    expect(page.locator('[data-testid="open-alert"]')).to_have_count(1)


def test_no_page_has_a_failed_load_or_a_blocked_style_or_script(signed_in: Page, clinic: dict[str, int]) -> None:
    page = signed_in
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    page.goto("/invites")
    page.click("#invite-create")
    expect(page.locator("#new-invite-qr svg")).to_be_visible()
    page.click('[data-testid="invite-print"]')
    expect(page.locator("#invite-qr svg")).to_be_visible()
    for path in ("/today", "/clients", "/clients?sort=pain&order=desc", f"/clients/{clinic['Bea']}",
                 f"/clients/{clinic['Ada']}", "/audit"):
        page.goto(path)
        page.wait_for_load_state("load")
        expect(page.locator("h1").first).to_be_visible()
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex", path
        # (dashboard.css was applied: a <header> is display: block without it)
    assert problems == []

