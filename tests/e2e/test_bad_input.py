"""Bad input through the real stack: always a kind reply, never a crash or silence."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Chat, texts

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "emoji only": "🙂🙂👍",
    "5,000 characters": "my knees " * 555,
    "another language": "¿Dónde está la biblioteca? Je ne comprends pas.",
    "gibberish": "asdkjh qwpoeiu zxmcnb",
    "sql-looking": "'; DROP TABLE clients; --",
    "zero-width and control characters": "\u200b\u200b\x00\x07",
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_a_kind_reply(chat: Chat, text: str) -> None:
    reply = texts(chat(text))
    assert reply.strip(), "silence"
    assert "Traceback" not in reply and "Error" not in reply


def test_two_misses_offer_a_person(chat: Chat) -> None:
    texts(chat("asdkjh qwpoeiu"))
    second = chat("zzkq wvvx plorb")
    assert any(b["payload"] == "/request_human" for r in second for b in r.get("buttons") or [])
