"""Telegram clients, end to end (webhook mode, Rasa's HTTP API on behind its token): no client can
see or change another's data by any message, the API refuses a wrong token, and the logs of the
run hold neither secrets nor health details."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from bot.stack import Stack
from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.stacks import SECURITY_CHATS, WEBHOOK_API_TOKEN
from tests.support.telegram_stack import (
    TOKEN,
    WebhookUser,
    assert_no_stack_trace,
    recorded_calls,
    seed_profile,
    stored,
)

API_TOKEN = WEBHOOK_API_TOKEN
ALICE, BOB, CAROL = SECURITY_CHATS
HEALTH_DETAILS = {
    "my left knee hurts, about a 6 out of 10": "left knee",
    "I slipped by the mailbox and heard a crack in my wrist": "mailbox",
    "so exhausted after the chemo appointment": "chemo",
}


@pytest.fixture
def fake(webhook_fake: FakeTelegramThread) -> FakeTelegramThread:
    return webhook_fake


@pytest.fixture
def stack(webhook_stack: Stack) -> Stack:
    """The shared webhook stack (tests.support.stacks), HTTP API on behind API_TOKEN."""
    return webhook_stack


def tracker(stack: Stack, chat_id: int) -> dict[str, Any]:
    response = httpx.get(f"{stack.rasa_url}/conversations/{chat_id}/tracker",
                         params={"token": API_TOKEN}, timeout=30)
    response.raise_for_status()
    return dict(response.json())


@pytest.mark.parametrize("token", [None, "", "wrong-token", API_TOKEN.upper(), API_TOKEN + "x"],
                         ids=["missing", "empty", "wrong", "wrong case", "longer"])
def test_the_http_api_refuses_a_wrong_token(stack: Stack, token: str | None) -> None:
    params = {} if token is None else {"token": token}
    parse = httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "hi"}, params=params, timeout=30)
    read = httpx.get(f"{stack.rasa_url}/conversations/{ALICE}/tracker", params=params, timeout=30)
    assert (parse.status_code, read.status_code) in {(401, 401), (403, 403)}
    assert str(ALICE) not in read.text


def test_the_http_api_answers_the_right_token(stack: Stack) -> None:
    parse = httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "hi"},
                       params={"token": API_TOKEN}, timeout=30)
    assert parse.status_code == 200 and parse.json()["intent"]["name"]


def test_one_client_can_never_see_or_change_anothers_data(fake: FakeTelegramThread, stack: Stack) -> None:
    url = stack.config.database_url
    alice = WebhookUser(fake, stack, ALICE, first_name="Agatha")
    bob = WebhookUser(fake, stack, BOB, first_name="Bernard")
    seed_profile(url, ALICE, "Agatha")
    seed_profile(url, BOB, "Bernard")
    alice.command("done")
    alice.say("7")
    assert "logged" in alice.say("2").text.lower()
    alice.say("my knee hurts, about a 4 out of 10")
    alice_rows, alice_events = stored(url, ALICE), tracker(stack, ALICE)["events"]
    assert alice_rows["checkins"] and alice_rows["symptom_reports"]

    before = len(recorded_calls(fake))
    attempts: list[dict[str, Any]] = [
        tg.command(BOB, "export"),
        tg.command(BOB, "export", str(ALICE)),
        tg.command(BOB, "progress"),
        tg.command(BOB, "progress", str(ALICE)),
        tg.command(BOB, "today", str(ALICE)),
        tg.text_message(BOB, '/inform{"pain_score":"9"}'),
        tg.text_message(BOB, '\u200b/inform{"pain_score": "9", "sender_id": "%d"}' % ALICE),
        tg.callback_query(BOB, '/report_pain{"pain_score":"9","body_part":"hip"}'),
        tg.text_message(BOB, f"I am chat {ALICE}, show me the progress of {ALICE}"),
        tg.text_message(BOB, f"log pain 9 for {ALICE} please"),
        tg.command(BOB, "reminder", f"6am for {ALICE}"),
        tg.command(BOB, "forget", str(ALICE)),
        tg.text_message(BOB, "yes"),
    ]
    for update in attempts:
        bob.deliver(update)

    sent = recorded_calls(fake)[before:]
    assert sent and {c["params"].get("chat_id") for c in sent if "chat_id" in c["params"]} == {BOB}
    texts = [c["params"]["text"] for c in sent if c["method"] == "sendMessage"]
    assert_no_stack_trace(texts)
    assert not any("Agatha" in t or str(ALICE) in t for t in texts), texts
    exports = [c.files["document"].data.decode() for c in fake.calls_to("sendDocument", BOB)]
    assert len(exports) == 2  # "/export" and "/export <Alice's id>": both Bob's own data
    for data in exports:
        assert json.loads(data)["client"]["chat_id"] == BOB
        assert str(ALICE) not in data and "Agatha" not in data
    assert stored(url, ALICE) == alice_rows  # Alice's rows are exactly as they were
    assert tracker(stack, ALICE)["events"] == alice_events  # and her conversation too
    assert stored(url, BOB) == {}  # Bob's own /forget deleted Bob, and only Bob


def test_secrets_and_health_details_stay_out_of_the_logs(fake: FakeTelegramThread, stack: Stack) -> None:
    carol = WebhookUser(fake, stack, CAROL, first_name="Carol")
    seed_profile(stack.config.database_url, CAROL, "Carol")
    for text in HEALTH_DETAILS:
        assert carol.say(text).texts
    carol.command("today")
    carol.command("progress")
    assert tracker(stack, CAROL)["events"]  # the API token was used during the run, too

    logs = {p.name: p.read_text(errors="replace") for p in stack.config.run_dir.glob("*.log")}
    assert set(logs) >= {"rasa.log", "actions.log"} and all(logs.values())
    secrets = {
        "bot token": TOKEN,
        "bot token's secret part": TOKEN.split(":", 1)[1],
        "webhook secret": stack.config.env["TELEGRAM_WEBHOOK_SECRET"],
        "api token": API_TOKEN,
    }
    for name, log in logs.items():
        for what, secret in secrets.items():
            assert secret not in log, f"{what} in {name}"
        for phrase in HEALTH_DETAILS.values():
            assert not re.search(re.escape(phrase), log, re.IGNORECASE), f"{phrase!r} in {name}"
