"""Prints a whole client conversation through the real stack, with a kill -9 and restart of
every process in the middle (issue "The coach coaches": done means). Run:
`.venv/bin/python -m bench.transcript`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.chat import send
from bot.stack import Stack, StackConfig

BEFORE_RESTART = [
    "hi", "/start", "yes", "I'm new to this", "no", "no", "no", "no", "none",
    "a bit shaky", "3", "2",
    "tuesdays and fridays", "7:30am", "a chair and a band", "what do I do today?",
    "/checkin_done", "effort 6", "pain 2/10",
]
AFTER_RESTART = [
    "how am i doing", "my lower back hurts, about a 6", "/ask_todays_workout",
    "I slipped on the ice and heard a crack in my wrist", "what should I do today",
]


def show(stack: Stack, sender: str, text: str) -> None:
    print(f"Client: {text}")
    for reply in send(stack.rasa_url, sender, text, {"first_name": "Ruth"}):
        if reply.get("text"):
            print("Coach:  " + reply["text"].replace("\n", "\n        "))
        if reply.get("buttons"):
            print("        [" + "] [".join(b["title"] for b in reply["buttons"]) + "]")
        if reply.get("custom"):
            print(f"        (custom: {reply['custom']})")
    print()


def main() -> None:
    sender = "424242"
    with tempfile.TemporaryDirectory() as folder:
        config = StackConfig(database_url=f"sqlite:///{folder}/coach.db", run_dir=Path(folder))
        stack = Stack(config).start()
        try:
            for text in BEFORE_RESTART:
                show(stack, sender, text)
            print("---- kill -9 of the Rasa server and the action server, then a fresh start ----\n")
            stack.kill("rasa")
            stack.kill("actions")
            stack.start()
            for text in AFTER_RESTART:
                show(stack, sender, text)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
