"""AtomicRedisLockStore against the real Redis: tickets under contention, FIFO, lifetime."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore
from tests.support.waiting import wait_until

THREADS = 32


def conversation() -> str:
    return f"conv{secrets.token_hex(6)}"


def issue_all_at_once(stores: list[Any], conversation_id: str) -> list[int]:
    """Each store issues one ticket for the conversation, all released by one barrier."""
    barrier = threading.Barrier(len(stores))
    tickets: list[int] = []

    def issue(store: Any) -> None:
        barrier.wait()
        tickets.append(store.issue_ticket(conversation_id))

    threads = [threading.Thread(target=issue, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tickets


def test_concurrent_tickets_are_distinct_and_queued_in_order(make_store: Callable[[], AtomicRedisLockStore]) -> None:
    conv = conversation()
    stores = [make_store() for _ in range(THREADS)]
    tickets = issue_all_at_once(stores, conv)
    assert sorted(tickets) == list(range(THREADS))
    lock = stores[0].get_lock(conv)
    assert lock is not None
    assert [t.number for t in lock.tickets] == list(range(THREADS))
    assert lock.now_serving == 0
    for number in tickets:
        stores[0].cleanup(conv, number)
    assert stores[0].get_lock(conv) is None


def test_stock_redis_lock_store_loses_tickets_under_the_same_load(
    redis_server: dict[str, Any], key_prefix: str, redis_client: redis.Redis,
) -> None:
    """Why the class exists (RasaHQ/rasa#9213): read-modify-write hands out duplicates."""
    broken_rounds = 0
    for _ in range(5):
        conv = conversation()
        stores = [RedisLockStore(host=redis_server["host"], port=redis_server["port"], db=redis_server["db"],
                                 key_prefix=key_prefix) for _ in range(THREADS)]
        tickets = issue_all_at_once(stores, conv)
        lock = stores[0].get_lock(conv)
        queued = [t.number for t in lock.tickets] if lock else []
        broken_rounds += len(set(tickets)) < THREADS or len(queued) < THREADS
        stores[0].delete_lock(conv)
    assert broken_rounds > 0


def test_turns_of_one_conversation_never_overlap(
    make_store: Callable[[], AtomicRedisLockStore], redis_client: redis.Redis, key_prefix: str,
) -> None:
    """Workers in separate threads (separate connections) each run a turn under `lock()`."""
    conv = conversation()
    workers = 12
    barrier = threading.Barrier(workers)
    turns: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    async def turn(store: AtomicRedisLockStore) -> None:
        async with store.lock(conv):
            entered = time.monotonic()
            await asyncio.sleep(0.02)
            turns.append((entered, time.monotonic()))

    def worker() -> None:
        store = make_store()
        barrier.wait()
        try:
            asyncio.run(turn(store))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(turns) == workers
    ordered = sorted(turns)
    assert all(previous[1] <= following[0] for previous, following in zip(ordered, ordered[1:], strict=False))
    assert redis_client.exists(f"{key_prefix}:ticketlock:{conv}") == 0  # the last turn removed the lock


def test_tickets_are_served_first_in_first_out(make_store: Callable[[], AtomicRedisLockStore]) -> None:
    conv = conversation()
    store = make_store()
    tickets = [store.issue_ticket(conv) for _ in range(5)]
    served: list[int] = []

    def wait_for_turn(ticket: int) -> None:
        async def acquire() -> None:
            await make_store()._acquire_lock(conv, ticket, 0.01)
            served.append(ticket)
            await asyncio.sleep(0.02)
            store.cleanup(conv, ticket)

        asyncio.run(acquire())

    threads = [threading.Thread(target=wait_for_turn, args=(t,)) for t in reversed(tickets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert served == tickets


def test_an_expired_ticket_stops_blocking_and_an_abandoned_lock_vanishes(
    make_store: Callable[[], AtomicRedisLockStore], redis_client: redis.Redis, key_prefix: str,
) -> None:
    conv = conversation()
    store = make_store()
    crashed = store.issue_ticket(conv, lock_lifetime=0.3)  # its replica never finishes it
    # Long enough to outlive the crashed one by far, even on a loaded machine (polled, not slept).
    waiting = store.issue_ticket(conv, lock_lifetime=3.0)
    assert store.get_lock(conv).is_locked(waiting)

    def crashed_ticket_gone() -> bool:
        store.update_lock(conv)
        lock = store.get_lock(conv)
        return lock is None or crashed not in [t.number for t in lock.tickets]

    wait_until(crashed_ticket_gone, timeout=2.5, what="the crashed ticket expired", interval=0.02)
    lock = store.get_lock(conv)
    assert [t.number for t in lock.tickets] == [waiting] and not lock.is_locked(waiting)
    assert crashed != waiting
    # the waiting one is abandoned too: Redis expires the whole lock
    wait_until(lambda: redis_client.exists(f"{key_prefix}:ticketlock:{conv}") == 0, timeout=30,
               what="the abandoned lock expired")
    assert store.get_lock(conv) is None


def test_rasa_builds_it_from_an_endpoint_config(redis_server: dict[str, Any], key_prefix: str) -> None:
    config = EndpointConfig(url=redis_server["host"], type="bot.lock_store.AtomicRedisLockStore",
                            port=str(redis_server["port"]), db=str(redis_server["db"]), key_prefix=key_prefix)
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == f"{key_prefix}:ticketlock:"
    conv = conversation()
    ticket = store.issue_ticket(conv)
    assert store.is_someone_waiting(conv)
    store.cleanup(conv, ticket)
    assert not store.is_someone_waiting(conv)


def test_a_saved_lock_keeps_its_tickets_and_numbering(make_store: Callable[[], AtomicRedisLockStore]) -> None:
    conv = conversation()
    store = make_store()
    first, second = store.issue_ticket(conv), store.issue_ticket(conv)
    lock = store.get_lock(conv)
    lock.remove_ticket_for(first)
    store.save_lock(lock)
    assert [t.number for t in store.get_lock(conv).tickets] == [second]
    third = store.issue_ticket(conv)
    assert third == second + 1
    for number in (second, third):
        store.cleanup(conv, number)
    assert store.get_lock(conv) is None
