"""Prints a whole client conversation on Telegram as the Bot API server saw it (issue "The coach is
on Telegram": done means). The real stack serves our Telegram channel in polling mode against the
fake Bot API server; every line under a client's action is a request the coach made. Run:
`.venv/bin/python -m bench.telegram_transcript`.
"""

from __future__ import annotations

import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import fake_telegram as tg
from tests.support.fake_telegram import FakeTelegramThread
from tests.support.telegram_stack import (
    TOKEN,
    TelegramUser,
    Turn,
    answer,
    configure_polling_stack,
    keyboard_rows,
    onboarding_answers,
    recorded_calls,
)

CHAT_ID = 4_242_001
COACH_CHAT_ID = 4_242_999  # the clinic's coach chat
Step = tuple[str, Callable[[TelegramUser], Turn]]


def script() -> list[Step]:
    """What the client does: (how the transcript shows it, the action)."""
    steps: list[Step] = [("/start", lambda u: u.command("start"))]
    for how, value, _ in onboarding_answers():
        shown = f"[{value}]" if how == "press" else value
        steps.append((shown, lambda u, how=how, value=value: answer(u, how, value)))
    plan = OldKeyboard()
    steps.append(("what do I do today?", lambda u: plan.keep(u, u.say("what do I do today?"))))
    for title in ("Done", "6", "1"):  # the check-in: done, then effort 6, then pain 1
        steps.append((f"[{title}]", lambda u, title=title: u.press(title)))
    caption = "I fell down the stairs, this is my wrist, it looks bent"
    steps += [
        ("/progress", lambda u: u.command("progress")),
        ("[Too hard] under this morning's plan (an old message: a newer question came since)",
         lambda u: plan.press(u, "Too hard")),
        ("my lower back hurts, about a 6", lambda u: u.say("my lower back hurts, about a 6")),
        (f"(a photo with the caption) {caption}",
         lambda u: u.deliver(tg.photo(u.chat_id, caption=caption))),
        ("/today", lambda u: u.command("today")),
        ("(a sticker 👍)", lambda u: u.deliver(tg.sticker(u.chat_id))),
        (f"(the clinic, in the coach chat) /clear {CHAT_ID}", clinic_clears),
        ("/today", lambda u: u.command("today")),
    ]
    return steps


def clinic_clears(user: TelegramUser) -> Turn:
    """A coach clears the red flag in the coach chat; the client is told (what they see)."""
    before = len(recorded_calls(user.fake))
    coach = TelegramUser(user.fake, COACH_CHAT_ID, "Sue")
    turn = coach.say(f"/clear {user.chat_id}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            c["params"].get("chat_id") == user.chat_id for c in recorded_calls(user.fake)[before:]):
        time.sleep(0.2)
    calls = [c for c in recorded_calls(user.fake)[before:]
             if c["params"].get("chat_id") in (user.chat_id, COACH_CHAT_ID)]
    return Turn(turn.updates, calls)


class OldKeyboard:
    """A message with buttons, kept as the client's phone still shows it, to press later."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None

    def keep(self, user: TelegramUser, turn: Turn) -> Turn:
        def newest() -> dict[str, Any]:
            sent = user.fake.fake._messages
            keyed = [m for (chat, _), m in sent.items() if chat == user.chat_id
                     and (m.get("reply_markup") or {}).get("inline_keyboard")]
            return dict(keyed[-1])

        self.message = user.fake._call(newest)
        return turn

    def press(self, user: TelegramUser, title: str) -> Turn:
        assert self.message is not None
        rows = self.message["reply_markup"]["inline_keyboard"]
        [data] = [b["callback_data"] for row in rows for b in row if b["text"] == title]
        return user.deliver(tg.callback_query(user.chat_id, data, self.message))


def describe(call: dict[str, Any]) -> str:
    """One recorded request: method, chat, text, buttons (and the HTTP status when it failed)."""
    params, method = call["params"], call["method"]
    head = f"  {method} chat={params.get('chat_id', '-')}"
    if call["status"] != 200:
        head += f" -> HTTP {call['status']}"
    if method == "sendMessage":
        body = textwrap.indent(params["text"], "      ")
        rows = ["      " + " ".join(f"[{b['text']}]" for b in row) for row in keyboard_rows(call)]
        return "\n".join([head, body, *rows])
    if method == "sendChatAction":
        return f"{head} action={params.get('action')}"
    if method == "editMessageReplyMarkup":
        markup = params.get("reply_markup") or {}
        change = "keyboard removed" if not markup.get("inline_keyboard") else "keyboard changed"
        return f"{head} message_id={params.get('message_id')} ({change})"
    if method == "answerCallbackQuery":
        return f"  {method} callback_query_id={params.get('callback_query_id')}"
    if method in ("sendPhoto", "sendDocument"):
        files = ", ".join(f"{f['filename']} ({f['size']} bytes)" for f in call["files"].values())
        return f"{head} {files}"
    return head


def main() -> None:
    with FakeTelegramThread(token=TOKEN) as fake, tempfile.TemporaryDirectory() as folder:
        stack = configure_polling_stack(Path(folder), fake, [CHAT_ID], COACH_CHAT_ID=str(COACH_CHAT_ID))
        with stack:
            user = TelegramUser(fake, CHAT_ID)
            startup = [c["method"] for c in recorded_calls(fake) if c["method"] != "getUpdates"]
            print(f"Coach started (polling); it called: {', '.join(startup)}\n")
            for shown, act in script():
                print(f"Ruth: {shown}")
                for call in act(user).calls:
                    print(describe(call))
                print()


if __name__ == "__main__":
    main()
