"""Splitting replies to Telegram's message limit, and button callback data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messaging.formatting import (
    MAX_MESSAGE_LENGTH,
    callback_data,
    inline_keyboard,
    split_text,
    telegram_length,
)

words = st.text(alphabet=st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=12)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(words, separators), max_size=400), st.integers(20, 200))
def test_chunks_fit_keep_every_word_in_order_and_never_cut_a_word(
    pieces: list[tuple[str, str]], limit: int
) -> None:
    text = "".join(word + sep for word, sep in pieces)

    chunks = split_text(text, limit)

    assert all(0 < telegram_length(chunk) <= limit for chunk in chunks)
    assert [w for chunk in chunks for w in chunk.split()] == text.split()


def test_paragraph_boundaries_are_preferred_to_lines_and_words() -> None:
    first = "A" * 50 + "\n" + "b " * 20
    text = first + "\n\n" + "c " * 40

    assert split_text(text, 100) == [first.strip(), ("c " * 40).strip()]


def test_a_word_longer_than_a_message_is_cut_as_a_last_resort() -> None:
    assert split_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_length_is_counted_as_telegram_does_in_utf16_units() -> None:
    emoji = "💪" * 3000  # 6,000 UTF-16 units: two messages, although only 3,000 characters
    chunks = split_text(emoji)

    assert len(chunks) == 2
    assert all(telegram_length(c) <= MAX_MESSAGE_LENGTH for c in chunks)
    assert "".join(chunks) == emoji


def test_blank_text_sends_nothing() -> None:
    assert split_text("  \n\n ") == []


def test_callback_data_is_the_payload_when_it_fits_in_64_bytes() -> None:
    assert callback_data({"title": "4", "payload": '/inform{"pain_score": "4"}'}) == (
        '/inform{"pain_score": "4"}')


def test_a_payload_and_title_both_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callback_data({"title": "é" * 40, "payload": "/x" + "y" * 70})


def test_short_buttons_share_a_row_and_long_ones_get_their_own() -> None:
    buttons = [{"title": str(n), "payload": f"/n{n}"} for n in range(6)] + [
        {"title": "Chair, band and dumbbells", "payload": "/all"}]

    rows = inline_keyboard(buttons).inline_keyboard

    assert [[b.text for b in row] for row in rows] == [
        ["0", "1", "2", "3"], ["4", "5"], ["Chair, band and dumbbells"]]
