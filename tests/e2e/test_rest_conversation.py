"""A client's whole journey through the real stack, persisted in the session database."""

from __future__ import annotations

import re

from tests.e2e.conftest import Chat, texts

ONBOARDING_ANSWERS = [
    ("yes", r"(?i)strength|lifted|experience"),
    ("new", r"(?i)spine|vertebra|fracture"),
    ("no", r"(?i)12 weeks"),
    ("no", r"(?i)two or more"),
    ("no", r"(?i)height"),
    ("no", r"(?i)fall"),
    ("0", r"(?i)balance|steady"),
    ("okay", r"(?i)pain"),
    ("2", r"(?i)week"),
    ("2", r"(?i)day"),
    ("mon wed fri", r"(?i)time|when"),
    ("8am", r"(?i)equipment|chair|band"),
]


def onboard(chat: Chat) -> str:
    replies = texts(chat("/start"))
    assert re.search(r"(?i)agree|consent|store", replies), replies
    for answer, _ in ONBOARDING_ANSWERS:
        replies = texts(chat(answer))
    replies = texts(chat("a chair and a resistance band"))
    assert "All set" in replies, replies
    return replies


def test_onboarding_asks_every_question_in_turn(chat: Chat) -> None:
    texts(chat("/start"))
    for answer, next_question in ONBOARDING_ANSWERS:
        reply = texts(chat(answer))
        assert re.search(next_question, reply), (answer, reply)


def test_unclear_answer_gets_a_clear_reask(chat: Chat) -> None:
    texts(chat("/start"))
    for answer, _ in ONBOARDING_ANSWERS[:8]:  # up to balance; pain today is next
        texts(chat(answer))
    replies = chat("pain 15/10")
    assert re.search(r"0 to 10|0-10|0 and 10", texts(replies)), replies
    # The scale explained, then the question once: never the same question twice in a row.
    assert [r["text"].count("?") for r in replies] == [0, 1], replies


def test_an_off_scale_check_in_answer_is_explained_and_asked_once(chat: Chat) -> None:
    onboard(chat)
    texts(chat("/checkin_done"))
    replies = chat("15")
    assert re.search(r"1 to 10", replies[0]["text"]) and "?" not in replies[0]["text"], replies
    assert len(replies) == 2 and re.search(r"(?i)how hard", replies[1]["text"]), replies
    assert [b["title"] for b in replies[1]["buttons"]][:3] == ["1", "2", "3"]
    assert re.search(r"0 to 10", texts(chat("6")))  # the effort is taken; now the pain question


def test_plan_checkin_pain_and_progress_are_persisted(chat: Chat) -> None:
    onboard(chat)
    plan = chat("/ask_todays_workout")
    assert plan and re.search(r"(?i)day", texts(plan))
    checkin = texts(chat("/checkin_done"))
    assert re.search(r"(?i)effort|how hard", checkin), checkin
    texts(chat("effort 6"))
    logged = texts(chat("pain 1/10"))
    assert re.search(r"(?i)logged", logged), logged
    progress = texts(chat("/ask_progress"))
    assert "1" in progress and re.search(r"(?i)streak", progress), progress


def test_pain_report_adapts_todays_plan(chat: Chat) -> None:
    onboard(chat)
    reply = texts(chat("my knee hurts, about a 6 out of 10"))
    assert re.search(r"(?i)gentle|too much", reply), reply


def test_red_flag_blocks_workouts(chat: Chat) -> None:
    onboard(chat)
    red = texts(chat("I slipped on the ice and heard a crack in my hip, cant stand on it"))
    assert "911" in red and "(218) 555-0142" in red, red
    after = texts(chat("/ask_todays_workout"))
    assert re.search(r"(?i)no training|checked|clinic", after), after
    assert not re.search(r"(?i)sit-to-stand|push-up|squat", after), after


def test_forget_deletes_the_profile_and_the_conversation_log(chat: Chat, stack) -> None:
    import json
    import urllib.request

    onboard(chat)
    texts(chat("my knee hurts, about a 3 out of 10"))
    assert "delete" in texts(chat("/forget_me")).lower()
    assert re.search(r"(?i)deleted", texts(chat("yes")))
    url = f"{stack.rasa_url}/conversations/{chat.sender}/tracker?token={stack.config.api_token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        events = json.load(response)["events"]
    assert not any("knee" in str(e.get("text") or "") for e in events)
    assert "/start" in texts(chat("/ask_todays_workout"))  # no profile any more
