"""A turn Rasa finished before the process died: its replies, read back from the tracker.

When a process is killed after Rasa saved the turn but before the replies were recorded, running
the message through Rasa again would handle it twice (a check-in logged twice, a form moved on
twice). The user message carries the id the channel gave it; the bot messages after it are the
replies Rasa decided then.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.events import BotUttered, UserUttered

from bot.db.turns import Reply
from bot.telegram.output import RecordingOutput


async def replies_in_tracker(
    tracker_store: TrackerStore, sender_id: str, message_id: str
) -> list[Reply] | None:
    """The bot messages that answered `message_id`, or None if Rasa never saved that message."""
    tracker = await tracker_store.retrieve(sender_id)
    if tracker is None:
        return None
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event.message())
    if replies is None:
        return None
    recorder = RecordingOutput()  # the same cleaning as a live turn's replies
    for reply in replies:
        await recorder.send_response(sender_id, reply)
    return recorder.replies
