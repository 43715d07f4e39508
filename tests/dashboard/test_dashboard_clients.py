"""Clients: the report as a table, sorted, filtered and paged on the server over every client,
searched by name without the name ever going into a URL, and downloaded as `bone-coach report`'s
CSV (the same row builder)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy.engine import Engine

from bot.coach_desk.report import CSV_COLUMNS, build_report, csv_row, sort_report
from bot.db import clients
from bot.db.engine import unit_of_work
from bot.services import Services
from tests.dashboard.conftest import Browser, Clock, seed_clinic

ADA, BEA, CY, DEE = 5_200_000_001, 5_200_000_002, 5_200_000_003, 5_200_000_004
ROW = re.compile(r'data-testid="client-row" data-client-id="(\d+)">\s*<th scope="row"><a [^>]+>([^<]+)</a>')


@pytest.fixture
def clinic(services: Services, clock: Clock, db_engine: Engine) -> dict[str, int]:
    return seed_clinic(services, clock, db_engine, (ADA, BEA, CY, DEE))


def names(page: str) -> list[str]:
    return [name.split()[0] for _, name in ROW.findall(page)]


def test_the_table_shows_each_clients_numbers_tier_and_open_flags(browser: Browser, clinic: dict[str, int]) -> None:
    page = browser.get("/clients").text
    assert names(page) == ["Ada", "Bea", "Cy", "Dee"]
    ada = page[page.index(f'data-client-id="{clinic["Ada"]}"'):page.index(f'data-client-id="{clinic["Bea"]}"')]
    assert "100%" in ada and "Standard" in ada
    bea = page[page.index(f'data-client-id="{clinic["Bea"]}"'):page.index(f'data-client-id="{clinic["Cy"]}"')]
    assert "Stopped until cleared" in bea and 'class="badge red">1<' in bea
    dee = page[page.index(f'data-client-id="{clinic["Dee"]}"'):]
    assert "Spine-protect" in dee


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", ["Ada", "Bea", "Cy", "Dee"]),
        ("?sort=name&order=desc", ["Dee", "Cy", "Bea", "Ada"]),
        ("?sort=adherence_7", ["Bea", "Cy", "Dee", "Ada"]),
        ("?sort=adherence_7&order=desc", ["Ada", "Dee", "Bea", "Cy"]),
        ("?sort=pain&order=desc", ["Cy", "Ada", "Bea", "Dee"]),  # no pain given: last either way
        ("?sort=tier", ["Bea", "Dee", "Ada", "Cy"]),
        ("?sort=red_flags&order=desc", ["Bea", "Ada", "Cy", "Dee"]),
    ],
)
def test_sorting_is_done_on_the_server_over_every_client(
    browser: Browser, clinic: dict[str, int], query: str, order: list[str]
) -> None:
    assert names(browser.get(f"/clients{query}").text) == order


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?tier=stop", ["Bea"]),
        ("?tier=spine_protect", ["Dee"]),
        ("?flag=red_flag", ["Bea"]),
        ("?dropping=1", ["Cy"]),
        ("?tier=nonsense&sort=nonsense", ["Ada", "Bea", "Cy", "Dee"]),  # a hand-edited link: the plain table
    ],
)
def test_filters(browser: Browser, clinic: dict[str, int], query: str, shown: list[str]) -> None:
    assert names(browser.get(f"/clients{query}").text) == shown


def test_searching_by_name_keeps_the_name_out_of_every_url(browser: Browser, clinic: dict[str, int]) -> None:
    browser.get("/clients?sort=adherence_7")
    response = browser.post("/clients/search", {"q": "lund", "sort": "adherence_7"})
    assert response.status_code == 303 and "lund" not in response.headers["Location"].lower()
    page = browser.get(response.headers["Location"]).text
    assert names(page) == ["Cy"] and "Names containing “lund”" in page
    links = re.findall(r'href="([^"]+)"', page)
    assert links and not any("lund" in link.lower() for link in links)
    assert names(browser.get("/clients?sort=name").text) == ["Cy"]  # the search stays while sorting
    browser.post("/clients/search", {"clear": "1"})
    assert names(browser.get("/clients").text) == ["Ada", "Bea", "Cy", "Dee"]


def test_pages_of_the_table_are_cut_after_sorting_every_client(
    browser: Browser, db_engine: Engine, clock: Clock
) -> None:
    with unit_of_work(db_engine) as s:  # 250 clients who have only written to the bot
        for n in range(250):
            clients.get_or_create_client(s, 5_300_000_000 + n, f"Client {n:03d}", clock())
    first = browser.get("/clients?order=desc").text
    shown = ROW.findall(first)
    assert len(shown) == 100 and shown[0][1] == "Client 249" and shown[-1][1] == "Client 150"
    assert "Page 1 of 3" in first and "Showing 100 of 250 matching clients (250 in all)." in first
    last = browser.get("/clients?order=desc&page=3").text
    assert [name for _, name in ROW.findall(last)][-1] == "Client 000" and 'id="page-next"' not in last
    assert "Page 3 of 3" in browser.get("/clients?order=desc&page=99").text


def test_the_csv_is_bone_coach_reports(browser: Browser, clinic: dict[str, int], db_engine: Engine, clock: Clock
                                       ) -> None:
    for days in (7, 28):
        response = browser.get(f"/clients.csv?days={days}")
        assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert tuple(rows[0]) == CSV_COLUMNS
        expected = [csv_row(r, days) for r in sort_report(build_report(db_engine, clock()), "name", days)]
        assert rows[1:] == expected and len(expected) == 4
        assert {r[0]: r[CSV_COLUMNS.index("adherence_days")] for r in rows[1:]}["Ada Quill"] == str(days)
