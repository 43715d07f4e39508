"""Every promise the coach makes works (issue 11, item 7; docs/PROMISES.md lists them).

Each text the coach sends that invites an answer (a question, buttons, "say X", "send /cmd") is
tried here, the way a client would answer it:
- data-driven, without a server: every button payload that names an intent is handled by a rule
  in its context, every /command any client-facing text mentions exists, and the terminal chat
  picks the button a typed number or title means;
- against the trained model (/model/parse): every plain-text button payload of a form question is
  taken as that question's answer, and every "did you mean" question is the FAQ it names;
- end to end through the REST channel (one stack for the session, tests/e2e/conftest.py): each
  typed invitation gets the reply it promises.
A new button or command is covered by the data-driven tests without editing this file.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from bot.chat import TerminalChat, button_keys, command_payload
from bot.content.loader import messages
from bot.nlp import parsing
from bot.services.planning import SCREENING, plan_buttons, screening_question
from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.conftest import Chat, texts
from tests.e2e.test_rest_conversation import onboard

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "bot" / "content"

# Responses an action sends (not a rule step): the rule that handles their buttons follows the action.
SENT_BY = {"utter_greet_new_client": "action_greet", "utter_offer_human": "action_fallback"}
# Intents whose meaning depends on the question before them: a rule must follow that question.
CONTEXT_INTENTS = {"affirm", "deny", "inform"}

EFFORT_QUESTION = r"(?i)how hard did it feel"
PAIN_QUESTION = r"(?i)pain.*0 to 10"
PLAN = "(?m)^(" + "|".join(messages().plan.titles.values()) + ") — "  # a plan's first line


# --- what the coach says, read from its files --------------------------------------------------

def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def domain() -> dict[str, Any]:
    return dict(_yaml(ROOT / "domain.yml"))


def dialogue_steps() -> list[list[dict[str, Any]]]:
    """The steps of every rule and story."""
    rules = _yaml(ROOT / "data" / "rules.yml")["rules"]
    stories = _yaml(ROOT / "data" / "stories.yml")["stories"]
    return [list(block["steps"]) for block in [*rules, *stories]]


def domain_buttons() -> list[tuple[str, str, str]]:
    """(response, title, payload) for every button in the domain."""
    return [
        (name, b["title"], b["payload"])
        for name, variations in domain()["responses"].items()
        for variation in variations
        for b in variation.get("buttons") or []
    ]


def content_buttons() -> list[tuple[str, str, str]]:
    """(where, title, payload) for the buttons actions and the scheduler send."""
    clarify = _yaml(CONTENT / "clarify.yml")
    found = [("plan", title, payload) for title, payload in plan_buttons()]
    found += [("reminder", b["title"], b["payload"]) for b in _yaml(CONTENT / "reminders.yml")["buttons"]]
    found += [("did you mean", b["title"], b["payload"]) for b in clarify["intents"].values()]
    found += [("did you mean", clarify["something_else"]["title"], clarify["something_else"]["payload"])]
    unasked = SimpleNamespace(**{q: None for q in SCREENING})
    found += [("screening", t, p) for t, p in screening_question(unasked, first=True).buttons]
    found += [("command", f"/{c['command']}", c["payload"]) for c in _yaml(CONTENT / "channel_texts.yml")["commands"]]
    return found


def intent_of(payload: str) -> str | None:
    """The intent a "/intent{...}" payload names; None for plain text (it goes through NLU)."""
    match = re.fullmatch(r"/(\w+)(\{.*\})?", payload.strip())
    return match.group(1) if match else None


def _follows(steps: list[dict[str, Any]], action: str, intent: str) -> bool:
    return any(
        a.get("action") == action and b.get("intent") == intent for a, b in zip(steps, steps[1:], strict=False)
    )


def handled(intent: str, sender: str | None) -> bool:
    """A rule or story answers the intent after `sender` (context intents), or anywhere (others)."""
    for steps in dialogue_steps():
        if intent in CONTEXT_INTENTS:
            if sender and _follows(steps, sender, intent):
                return True
        elif steps[0].get("intent") == intent and steps[1].get("action") != "action_fallback":
            return True
    return False


def client_texts() -> list[str]:
    """Every text a client can be sent, from the domain and the content files."""
    found = [v.get("text") or "" for variations in domain()["responses"].values() for v in variations]

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):  # a button's payload is sent by the client, not shown
            for key, value in node.items():
                if key != "payload":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in ("messages.yml", "channel_texts.yml", "reminders.yml"):
        walk(_yaml(CONTENT / name))
    walk(_yaml(CONTENT / "coach_texts.yml")["client"])
    return found


# --- data-driven, no server --------------------------------------------------------------------

@pytest.mark.parametrize(("where", "title", "payload"), [*domain_buttons(), *content_buttons()])
def test_every_intent_button_is_answered_by_a_rule(where: str, title: str, payload: str) -> None:
    intent = intent_of(payload)
    if intent is None:  # plain text: tried against the model below
        assert payload.strip(), (where, title)
        return
    assert intent in {i if isinstance(i, str) else next(iter(i)) for i in domain()["intents"]}, payload
    sender = SENT_BY.get(where, where)
    assert handled(intent, sender), f"[{title}] ({payload}) after {where} has no rule"


def test_every_command_a_text_mentions_exists() -> None:
    mentioned = {m for text in client_texts() for m in re.findall(r"(?<![\w/:])/([a-z_]+)\b", text)}
    known = {c["command"] for c in _yaml(CONTENT / "channel_texts.yml")["commands"]}
    assert mentioned and mentioned <= known, mentioned - known


def test_help_lists_every_command_and_reminders_on_training_days() -> None:
    help_text = domain()["responses"]["utter_capabilities"][0]["text"]
    commands = {c["command"] for c in _yaml(CONTENT / "channel_texts.yml")["commands"]} - {"start", "help"}
    assert {m for m in re.findall(r"/([a-z_]+)", help_text)} >= commands, help_text
    assert "training days" in help_text and not re.search(r"(?i)\bdaily\b", help_text), help_text


@pytest.mark.parametrize(
    ("titles", "payloads", "typed", "picked"),
    [
        (["2", "3"], ["2", "3"], "2", "2"),  # the issue: [1] 2 [2] 3, typing 2 picks 2
        (["2", "3"], ["2", "3"], "1", "1"),  # not a position: the form explains 2 or 3
        ([str(n) for n in range(11)], [f"pain {n}/10" for n in range(11)], "1", "pain 1/10"),
        (["None", "One", "Two or more"], ["0", "1", "2"], "1", "1"),  # one fall, not "None"
        (["None", "One", "Two or more"], ["0", "1", "2"], "one", "1"),
        (["Yes", "No", "Not sure"], ["yes", "no", "not sure"], "2", "no"),
        (["Yes", "No", "Not sure"], ["yes", "no", "not sure"], "not sure", "not sure"),
        (["Done", "Too hard", "Pain today"], ["/checkin_done", "too hard", "/report_pain"], "3", "/report_pain"),
        (["Yes", "No"], ["yes", "no"], "/help", "/ask_capabilities"),
        (["Yes", "No"], ["yes", "no"], "I had a fall", "I had a fall"),
    ],
)
def test_the_terminal_chat_picks_the_button_a_typed_answer_means(
    titles: list[str], payloads: list[str], typed: str, picked: str
) -> None:
    terminal = TerminalChat("http://unused", Settings())
    terminal.buttons = [{"title": t, "payload": p} for t, p in zip(titles, payloads, strict=True)]
    assert terminal._resolve_button(typed) == picked


def test_the_terminal_chat_shows_the_key_it_reads() -> None:
    falls = [{"title": t, "payload": p} for t, p in (("None", "0"), ("One", "1"), ("Two or more", "2"))]
    assert button_keys(falls) == ["0", "1", "2"]
    assert button_keys([{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]) == ["1", "2"]
    assert command_payload("/reminder 7am") == '/set_reminder{"time": "7am"}'


def test_the_examples_in_the_training_days_questions_fit_the_sessions_chosen() -> None:
    for name in ("utter_ask_training_days", "utter_invalid_training_days"):
        for variation in domain()["responses"][name]:
            wanted = {c["value"] for c in variation.get("condition") or []}
            for example in re.findall(r'"([^"]+)"', variation["text"]):
                days = parsing.parse_weekdays(example)
                assert days, example
                if wanted:
                    assert len(days) in wanted, (name, wanted, example)


# --- against the trained model ------------------------------------------------------------------

def parse(stack: Stack, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{stack.rasa_url}/model/parse?token={stack.config.api_token}",
        data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.load(response))


def form_questions() -> list[tuple[str, str, str, list[str]]]:
    """(question, form, payload, intents the form does not take as an answer) for every button
    of every form question (utter_ask_<slot> or utter_ask_<form>_<slot>)."""
    d = domain()
    found = []
    for form, spec in d["forms"].items():
        for slot in spec["required_slots"]:
            name = next((n for n in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}") if n in d["responses"]), None)
            if name is None:
                continue
            mapping = next(
                m for m in d["slots"][slot]["mappings"]
                if m["type"] == "from_text" and m.get("conditions", [{}])[0].get("active_loop") == form
            )
            for variation in d["responses"][name]:
                for b in variation.get("buttons") or []:
                    if intent_of(b["payload"]) is None:
                        found.append((name, form, b["payload"], list(mapping.get("not_intent") or [])))
    return found


@pytest.mark.parametrize(("question", "form", "payload", "refused"), form_questions())
def test_every_form_button_is_taken_as_the_answer(
    stack: Stack, question: str, form: str, payload: str, refused: list[str]
) -> None:
    intent = parse(stack, payload)["intent"]["name"]
    assert intent not in refused, f"[{payload}] for {question} parses as {intent}"


@pytest.mark.parametrize("topic", sorted(_yaml(CONTENT / "clarify.yml")["faq"]))
def test_every_did_you_mean_question_is_the_faq_it_names(stack: Stack, topic: str) -> None:
    clarify = _yaml(CONTENT / "clarify.yml")
    result = parse(stack, clarify["faq"][topic]["payload"])
    selected = result["response_selector"]["faq"]["response"]
    assert result["intent"]["name"] == "faq", result["intent"]
    assert selected["intent_response_key"] == f"faq/{topic}", selected
    assert selected["confidence"] >= clarify["faq_min_confidence"], selected


# --- end to end: each typed invitation ------------------------------------------------------------

def _onboard_with(chat: Chat, answers: list[str]) -> list[str]:
    """/start, then each answer; the coach's reply to each."""
    assert re.search(r"(?i)store", texts(chat("/start")))
    return [texts(chat(answer)) for answer in answers]


def _form_buttons(name: str) -> list[str]:
    return [b["payload"] for v in domain()["responses"][name] for b in v.get("buttons") or []]


@pytest.mark.parametrize("row", [0, 1, 2])
def test_every_onboarding_button_and_example_is_accepted(chat: Chat, row: int) -> None:
    """Three onboardings: the n-th button of each question, and the coach's own typed examples."""
    pick = {name: _form_buttons(f"utter_ask_{name}") for name in (
        "experience", "vertebral_fracture", "recent_fracture", "several_fractures",
        "height_loss_or_curve", "falls_last_year", "balance_confidence", "sessions_per_week")}
    sessions = pick["sessions_per_week"][row % 2]
    days = {"2": ["Mon Thu", "Tuesday and Friday", "Mon Thu"], "3": ["Mon Wed Fri", "Tue Thu Sat", "Mon Wed Fri"]}
    times = ["8am", "6:30pm", "18:30"]
    kit = ["chair and band", "Chair only", "a sturdy chair, a resistance band, dumbbells, a step"]
    answers = [
        "yes", *(pick[n][row % len(pick[n])] for n in list(pick)[:-1]), "0", sessions,
        days[sessions][row], times[row], kit[row],
    ]
    replies = _onboard_with(chat, answers)
    assert "All set" in replies[-1], list(zip(answers, replies, strict=True))
    assert f"({sessions} a week)" in replies[-1], replies[-1]
    asked_days = replies[len(answers) - 4]  # the reply to the sessions a week
    assert f"Which {sessions} days" in asked_days, asked_days


def test_three_sessions_and_two_days_says_three_are_needed(chat: Chat) -> None:
    """The issue: 3 sessions a week, then the coach's own example "Mon Thu"."""
    replies = _onboard_with(chat, ["yes", "new", "no", "no", "no", "no", "0", "okay", "0", "3"])
    assert '"Mon Wed Fri"' in replies[-1] and "Mon Thu" not in replies[-1], replies[-1]
    too_few = texts(chat("Mon Thu"))
    assert re.search(r"3 sessions a week.*3 days", too_few) and "You named 2" in too_few, too_few
    assert re.search(r"(?i)what time", texts(chat("Mon Wed Fri")))


def test_no_consent_then_start_again(chat: Chat) -> None:
    declined = _onboard_with(chat, ["no"])[0]
    assert "/start" in declined, declined
    assert re.search(r"(?i)store", texts(chat("/start")))


def test_a_new_clients_hello_offers_onboarding_and_yes_starts_it(chat: Chat) -> None:
    hello = chat("hi")
    assert [b["payload"] for b in hello[-1]["buttons"]] == ["/start"], hello
    assert re.search(r"(?i)store your answers", texts(chat("yes")))


def test_no_to_the_hello_is_left_alone(chat: Chat) -> None:
    chat("hello")
    assert re.search(r"(?i)when you're ready|when you want to carry on", texts(chat("no thanks")))


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        # utter_default's examples
        ("What's my workout today?", PLAN),
        ("I did my session", EFFORT_QUESTION),
        ("Is it safe to lift weights?", r"(?i)osteoporosis|bones"),
        ("show my progress", r"(?i)progress|no sessions logged"),
        ("my knee hurts", PAIN_QUESTION),
        ("how often should I train?", r"(?i)2 or 3 strength sessions a week"),
        ("what should I do today?", PLAN),
        ("I skipped today", r"(?i)what got in the way"),
        ("talk to a coach", r"(?i)let the clinic team know"),
        # profile_saved, welcome_back, the clinic's "cleared" message
        ("what do I do today?", PLAN),
        ("I'm done", EFFORT_QUESTION),  # reminders: "Tell me when you're done"
        ("I did it", EFFORT_QUESTION),  # light reminders: "Tell me if you do it"
        ("I feel tired today", r"(?i)shorter session"),  # /help: "feel tired: just tell me"
    ],
)
def test_each_phrase_the_coach_suggests_gets_its_answer(chat: Chat, phrase: str, expected: str) -> None:
    onboard(chat)
    reply = texts(chat(phrase))
    assert re.search(expected, reply), (phrase, reply)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/today", PLAN), ("/done", EFFORT_QUESTION), ("/skip", r"(?i)what got in the way"),
        ("/progress", r"(?i)no sessions logged|progress"), ("/reminder", r"(?i)what time"),
        ("/reminder 7am", r"07:00"), ("/coach", r"(?i)let the clinic team know"),
        ("/help", r"(?i)here's what i can do"), ("/export", r"(?i)everything I've stored"),
        ("/forget", r"(?i)delete everything\?"), ("/start", r"(?i)welcome back"),
    ],
)
def test_each_command_does_what_help_says(chat: Chat, command: str, expected: str) -> None:
    onboard(chat)
    reply = chat(command_payload(command) or command)
    assert re.search(expected, texts(reply)), (command, reply)
    if command == "/export":
        assert any((r.get("custom") or {}).get("export") for r in reply), reply


def test_the_check_in_pain_question_says_what_it_rates(chat: Chat) -> None:
    """Issue 16: pain during or after today's session, 0 to 10."""
    onboard(chat)
    chat("/checkin_done")
    asked = texts(chat("effort 6"))
    assert re.search(r"(?i)during or after today's session", asked) and "0 to 10" in asked, asked
    assert re.search(r"(?i)logged", texts(chat("0")))


def test_the_plan_buttons_and_footer(chat: Chat) -> None:
    onboard(chat)
    plan = chat("/ask_todays_workout")
    assert re.search(r"(?i)tap Done", texts(plan))
    assert [b["title"] for b in plan[-1]["buttons"]] == [t for t, _ in plan_buttons()]
    assert re.search(PAIN_QUESTION, texts(chat("/report_pain")))
    assert re.search(r"(?i)thanks for telling me", texts(chat("pain 3/10")))
    assert re.search(EFFORT_QUESTION, texts(chat("it went well, I did the whole session")))


def test_the_too_hard_button_makes_the_plan_easier(chat: Chat) -> None:
    onboard(chat)
    chat("/ask_todays_workout")
    too_hard = texts(chat(dict(plan_buttons())["Too hard"]))
    assert re.search(r"(?i)shorter|easier|lighter", too_hard), too_hard


def test_ask_me_why_shows_every_reason(chat: Chat) -> None:
    """The plan's "Ask me "why" to see every reason"."""
    onboard(chat)
    texts(chat("/ask_todays_workout"))
    reply = texts(chat("why"))
    assert re.search(r"(?i)why today looks like this", reply), reply


def test_reminder_phrases_from_help_and_the_reminder_texts(chat: Chat) -> None:
    onboard(chat)
    assert re.search(r"(?i)what time", texts(chat("remind me every day")))
    assert re.search(r"(?i)other days.*hello", texts(chat("8am")))
    paused = texts(chat("pause reminders"))
    assert re.search(r"(?i)reminders are paused", paused) and "resume reminders" in paused, paused
    assert re.search(r"(?i)reminders are back on", texts(chat("resume reminders")))


def test_change_my_training_days(chat: Chat) -> None:
    onboard(chat)
    asked = texts(chat("change my training days"))
    assert re.search(r"(?i)which 2 days", asked), asked
    assert re.search(r"Mon, Thu|Monday.*Thursday|Mon.*Thu", texts(chat("Mon Thu")))


def test_fear_of_starting_yes_and_no_thanks(chat: Chat) -> None:
    assert re.search(r"(?i)very easy", texts(chat("I'm scared I'll break something if I exercise")))
    assert re.search(r"(?i)here's a very easy first session", texts(chat("yes please")))
    chat("I'm too nervous to start exercising")
    assert re.search(r"(?i)no pressure|no rush", texts(chat("no thanks")))


def test_fear_of_starting_typed_not_today(chat: Chat) -> None:
    chat("I'm too nervous to start exercising")
    assert re.search(r"(?i)no pressure|no rush", texts(chat("not today")))


def test_the_safety_question_typed_no_and_yes(chat: Chat) -> None:
    onboard(chat)
    asked = texts(chat("my knee hurts, 8 out of 10"))
    assert re.search(r"(?i)are you hurt right now", asked), asked
    assert re.search(r"(?i)usual ache", texts(chat("no")))
    asked = texts(chat("sudden pain in my shoulder when I reached up to the shelf"))
    assert re.search(r"(?i)are you hurt right now", asked), asked
    assert re.search(r"(?i)stop exercising", texts(chat("yes")))


def test_the_pain_question_after_no_takes_a_typed_number(chat: Chat) -> None:
    onboard(chat)
    chat("sudden pain in my shoulder when I reached up to the shelf")
    assert re.search(PAIN_QUESTION, texts(chat("no, it's my usual ache")))
    assert re.search(r"(?i)thanks for telling me\. 4/10", texts(chat("4")))


def test_forget_no_keeps_everything(chat: Chat) -> None:
    onboard(chat)
    assert "/export" in texts(chat("/forget_me"))
    assert re.search(r"(?i)nothing was deleted", texts(chat("no, keep it")))


def test_skip_reason_buttons(chat: Chat) -> None:
    onboard(chat)
    for payload in _form_buttons("utter_ask_skip_reason"):
        assert re.search(r"(?i)what got in the way", texts(chat("/checkin_skipped")))
        assert re.search(r"(?i)no guilt", texts(chat(payload))), payload


def test_two_misses_offer_a_coach_and_rephrase_is_welcome(chat: Chat) -> None:
    onboard(chat)
    chat("blorp zindle quax")
    offer = chat("quax zindle blorp")
    assert re.search(r"(?i)/coach", texts(offer)), offer
    assert [b["payload"] for b in offer[-1]["buttons"]] == ["/request_human", "/deny"]
    assert re.search(r"(?i)say it another way", texts(chat("/deny")))
