"""Two Rasa replicas, one action server, one PostgreSQL database, the atomic Redis lock store.

Conversations hop between the replicas on every message, many at once: every user message must
be stored exactly once, in the order sent, each answered by the bot, and every check-in must land
in the session database once. Messages of one conversation sent to both replicas at the same
moment must be taken one after the other, under a lock in our Redis.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.scale_out import CHECKIN_CONVERSATION, ONBOARDING, converse, new_sender
from bot.chat import send
from bot.db import clients, sessions
from bot.db.engine import unit_of_work
from bot.stack import Stack

CONVERSATIONS = 12  # plus the one that strictly alternates
BURST_ROUNDS = 4


def turns_in_tracker(engine: Engine, sender: str) -> list[tuple[str, str | None]]:
    """(type, text) of the user and bot events Rasa stored for the conversation, in order."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :sender "
                 "AND type_name IN ('user', 'bot') ORDER BY id"),
            {"sender": sender},
        ).all()
    return [(type_name, json.loads(data).get("text")) for type_name, data in rows]


def assert_each_message_answered_once(turns: list[tuple[str, str | None]]) -> list[str | None]:
    """Every user event is followed by a bot event before the next user event; the user texts."""
    kinds = [kind for kind, _ in turns]
    for i, kind in enumerate(kinds):
        if kind == "user":
            assert i + 1 < len(kinds) and kinds[i + 1] == "bot", f"user message {turns[i][1]!r} not answered first"
    return [message for kind, message in turns if kind == "user"]


def locks_left(redis_client: redis.Redis, key_prefix: str) -> list[bytes]:
    return list(redis_client.scan_iter(match=f"{key_prefix}:ticketlock:*"))


def test_conversations_spread_over_two_replicas_lose_and_duplicate_nothing(
    replica_stacks: list[Stack], scale_engine: Engine, redis_client: redis.Redis, key_prefix: str,
) -> None:
    urls = [stack.rasa_url for stack in replica_stacks]
    senders = [new_sender() for _ in range(CONVERSATIONS + 1)]
    # senders[0] alternates strictly from replica 0; the others start on either replica.
    with ThreadPoolExecutor(len(senders)) as pool:
        results = list(pool.map(lambda i: converse(urls, senders[i], CHECKIN_CONVERSATION, first=i % 2),
                                range(len(senders))))

    since = date.today() - timedelta(days=2)
    for sender, turns in zip(senders, results, strict=True):
        replies = [reply for _, reply in turns]
        assert all(replies), f"{sender}: a message got no reply: {replies}"
        assert "All set" in replies[len(ONBOARDING) - 1], replies
        assert re.search(r"(?i)logged", replies[-1]), replies[-1]
        assert assert_each_message_answered_once(turns_in_tracker(scale_engine, sender)) == CHECKIN_CONVERSATION
        with unit_of_work(scale_engine) as s:
            client = clients.get_client(s, int(sender))
            assert client is not None, sender
            checkins = sessions.recent_checkins(s, client, since)
            assert [(c.status, c.rpe, c.pain) for c in checkins] == [("done", 6, 1)], sender
    assert locks_left(redis_client, key_prefix) == []


def test_one_conversation_hitting_both_replicas_at_once_is_taken_in_turn(
    replica_stacks: list[Stack], scale_engine: Engine, redis_client: redis.Redis, key_prefix: str,
) -> None:
    urls = [stack.rasa_url for stack in replica_stacks]
    sender = new_sender()
    pair = ("hello", "thank you")
    seen_lock_types: set[bytes] = set()
    done = threading.Event()

    def watch_locks() -> None:  # the replicas must queue in our Redis, as hashes (not Rasa's JSON)
        while not done.is_set():
            # a key released between the listing and TYPE reads as b"none": it was there, it is gone
            seen_lock_types.update(redis_client.type(key) for key in locks_left(redis_client, key_prefix))
            seen_lock_types.discard(b"none")
            time.sleep(0.005)

    def say(url: str, message: str, barrier: threading.Barrier) -> list[dict[str, object]]:
        barrier.wait()
        return send(url, sender, message, {"first_name": "Ruth"})

    watcher = threading.Thread(target=watch_locks)
    watcher.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            for _ in range(BURST_ROUNDS):
                barrier = threading.Barrier(2)
                futures = [pool.submit(say, url, message, barrier) for url, message in zip(urls, pair, strict=True)]
                assert all(future.result() for future in futures)
    finally:
        done.set()
        watcher.join()

    messages = assert_each_message_answered_once(turns_in_tracker(scale_engine, sender))
    assert Counter(messages) == Counter(pair * BURST_ROUNDS)
    assert seen_lock_types == {b"hash"}
    assert locks_left(redis_client, key_prefix) == []
