"""A Redis lock store whose every change is one atomic Redis script, for several Rasa replicas.

Rasa 3.6's `RedisLockStore` reads a conversation's ticket lock, changes it in Python and writes
it back (RasaHQ/rasa#9213). Two replicas doing that at once hand out the same ticket number, lose
each other's tickets, or delete a lock another replica just queued on, so two turns of one
conversation can run together and both write the tracker. Here each change (issue a ticket, drop
expired ones, finish a ticket) is a single Lua script, which Redis runs without interleaving.

Rasa's ticket semantics are kept: tickets are served first in, first out per conversation, and a
ticket expires after its lifetime (`TICKET_LOCK_LIFETIME`, 60 s by default), so a replica that
died cannot block a conversation for longer than that. Expiry uses the Redis server's clock, the
one clock every replica shares. Select it in endpoints.yml:

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: 127.0.0.1          # Redis host
      port: 6379
      key_prefix: bonecoach   # optional, alphanumeric
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import AbstractAsyncContextManager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

# Not Rasa's "lock:" segment: the stock store keeps a JSON string under those keys, this one a hash.
KEY_SEGMENT = "ticketlock:"
# Rasa polls for its turn once a second; a waiting message should not sit out a whole second.
POLL_SECONDS = 0.05

# KEYS[1]: one conversation's hash. ARGV[1]: the operation; further ARGV depend on it.
# Hash fields: "next" = the next ticket number; "<number>" = that ticket's expiry, Redis clock in ms.
# The hash is deleted when its last live ticket goes, and otherwise expires with its last ticket.
_SCRIPT = """
local key, op = KEYS[1], ARGV[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function live(prune)
  local flat = redis.call('HGETALL', key)
  local tickets = {}
  for i = 1, #flat, 2 do
    local number = tonumber(flat[i])
    if number then
      local expires = tonumber(flat[i + 1])
      if expires > now then
        tickets[#tickets + 1] = {number, expires}
      elseif prune then
        redis.call('HDEL', key, flat[i])
      end
    end
  end
  table.sort(tickets, function(a, b) return a[1] < b[1] end)
  return tickets
end

local function settle(tickets)
  if #tickets == 0 then
    redis.call('DEL', key)
    return
  end
  local last = 0
  for _, ticket in ipairs(tickets) do last = math.max(last, ticket[2]) end
  redis.call('PEXPIREAT', key, last)
end

if op == 'issue' then
  local tickets = live(true)
  local number = redis.call('HINCRBY', key, 'next', 1) - 1
  local expires = now + tonumber(ARGV[2])
  redis.call('HSET', key, number, expires)
  tickets[#tickets + 1] = {number, expires}
  settle(tickets)
  return number
elseif op == 'read' then
  local out = {}
  for _, ticket in ipairs(live(false)) do
    out[#out + 1] = ticket[1]
    out[#out + 1] = ticket[2] - now
  end
  return out
elseif op == 'prune' then
  settle(live(true))
elseif op == 'finish' then
  redis.call('HDEL', key, ARGV[2])
  settle(live(true))
elseif op == 'replace' then
  local next_number = tonumber(redis.call('HGET', key, 'next') or 0)
  redis.call('DEL', key)
  local tickets = {}
  for i = 2, #ARGV, 2 do
    local number, expires = tonumber(ARGV[i]), now + tonumber(ARGV[i + 1])
    if expires > now then
      redis.call('HSET', key, number, expires)
      tickets[#tickets + 1] = {number, expires}
      next_number = math.max(next_number, number + 1)
    end
  end
  if #tickets > 0 then redis.call('HSET', key, 'next', next_number) end
  settle(tickets)
else
  return redis.error_reply('unknown lock operation ' .. tostring(op))
end
return 0
"""


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` with atomic ticket operations; same constructor arguments."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Rasa builds a lock store named by class path as `cls(endpoint_config=...)`."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.key_prefix = self.key_prefix.removesuffix(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX) + KEY_SEGMENT
        self._script = self.red.register_script(_SCRIPT)

    def _run(self, op: str, conversation_id: str, *args: float | int) -> Any:
        return self._script(keys=[self.key_prefix + conversation_id], args=[op, *args])

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._run("issue", conversation_id, round(lock_lifetime * 1000)))
        except Exception as exc:  # Rasa's callers expect LockError, as from the stock store
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The live tickets, their expiry moved onto this machine's clock for TicketLock."""
        flat = self._run("read", conversation_id)
        if not flat:
            return None
        now = time.time()
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return TicketLock(conversation_id, deque(Ticket(int(n), now + int(left) / 1000) for n, left in pairs))

    def save_lock(self, lock: TicketLock) -> None:
        now = time.time()
        args = [x for t in lock.tickets for x in (t.number, round((t.expires - now) * 1000))]
        self._run("replace", lock.conversation_id, *args)

    def update_lock(self, conversation_id: str) -> None:
        self._run("prune", conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._run("finish", conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finishing the last ticket deletes the lock in the same step, so a ticket another
        replica issued in between is never deleted with it."""
        self.finish_serving(conversation_id, ticket_number)

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)
