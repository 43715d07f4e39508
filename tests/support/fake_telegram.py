"""A fake Telegram Bot API server, so the real python-telegram-bot client can be tested offline.

It speaks the Bot API's wire format (`{"ok": true, "result": ...}`, Message objects, error bodies
with `error_code`, `description` and `parameters.retry_after`) for the methods Bone Coach uses,
records every call in order, queues incoming updates for `getUpdates` or POSTs them to a webhook
(re-delivering on non-2xx, as Telegram does), and can inject faults (429 storms, 500s, requests
that hang) and enforce Telegram's flood limits for benchmarks.

In an async test (same event loop):

    async with FakeTelegram() as fake:
        bot = telegram.Bot(fake.token, base_url=fake.base_url)
        fake.queue_update(text_message(42, "hello"))
        await fake.wait_for("sendMessage", chat_id=42)

In a synchronous test: `with FakeTelegramThread() as fake:` (same helpers, its own loop).
From another process: `python -m tests.support.fake_telegram --port 8081 --token 123:ABC` and the
control endpoints under `/_fake/` (POST updates, faults, reset; GET calls).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import ClientSession, ClientTimeout, web

DEFAULT_TOKEN = "123456789:TEST-fake-token-for-tests-only"
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
# Form fields that Telegram parses as JSON (numbers, booleans, objects); all others are strings.
JSON_FIELDS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "allowed_updates", "reply_markup",
    "show_alert", "cache_time", "max_connections", "drop_pending_updates",
    "disable_notification", "protect_content", "commands", "scope", "reply_parameters",
    "link_preview_options", "entities", "caption_entities",
})
_message_ids = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Update factories: the shapes Telegram sends (see core.telegram.org/bots/api#update).


def user(chat_id: int, first_name: str = "Ada") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def chat(chat_id: int, first_name: str = "Ada", chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": first_name}
    return {"id": chat_id, "type": chat_type, "title": "Walking group"}


def message(
    chat_id: int,
    first_name: str = "Ada",
    chat_type: str = "private",
    from_id: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    """A Message object; `content` holds text, photo, sticker, ... fields."""
    return {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, first_name, chat_type),
        "from": user(from_id if from_id is not None else abs(chat_id), first_name),
        **content,
    }


def text_message(
    chat_id: int, text: str, first_name: str = "Ada", chat_type: str = "private"
) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": message(chat_id, first_name, chat_type, **content)}


def command(chat_id: int, name: str, args: str = "", first_name: str = "Ada") -> dict[str, Any]:
    """`/name args` as a client sends it (with the bot_command entity)."""
    text = f"/{name} {args}".strip()
    return text_message(chat_id, text, first_name)


def group_message(chat_id: int, text: str, chat_type: str = "group") -> dict[str, Any]:
    if chat_id > 0:
        raise ValueError("group and channel chat ids are negative")
    return text_message(chat_id, text, chat_type=chat_type)


def channel_post(chat_id: int, text: str) -> dict[str, Any]:
    post = {"message_id": next(_message_ids), "date": int(time.time()),
            "chat": chat(chat_id, chat_type="channel"),
            "sender_chat": chat(chat_id, chat_type="channel"), "text": text}
    return {"channel_post": post}


def edited_message(chat_id: int, text: str, first_name: str = "Ada") -> dict[str, Any]:
    edited = message(chat_id, first_name, text=text)
    edited["edit_date"] = edited["date"] + 5
    return {"edited_message": edited}


def _file(kind: str, **extra: Any) -> dict[str, Any]:
    n = next(_message_ids)
    return {"file_id": f"{kind}-{n}", "file_unique_id": f"u{kind}{n}", "file_size": 1024, **extra}


def sticker(chat_id: int) -> dict[str, Any]:
    content = _file("sticker", width=512, height=512, is_animated=False, is_video=False,
                    type="regular", emoji="👍")
    return {"message": message(chat_id, sticker=content)}


def photo(chat_id: int, caption: str | None = None) -> dict[str, Any]:
    sizes = [_file("photo", width=90, height=67), _file("photo", width=1280, height=960)]
    extra = {"caption": caption} if caption else {}
    return {"message": message(chat_id, photo=sizes, **extra)}


def voice(chat_id: int) -> dict[str, Any]:
    return {"message": message(chat_id, voice=_file("voice", duration=3, mime_type="audio/ogg"))}


def document(chat_id: int) -> dict[str, Any]:
    content = _file("document", file_name="scan.pdf", mime_type="application/pdf")
    return {"message": message(chat_id, document=content)}


def location(chat_id: int) -> dict[str, Any]:
    return {"message": message(chat_id, location={"latitude": 46.7867, "longitude": -92.1005})}


def callback_query(
    chat_id: int,
    data: str,
    pressed: dict[str, Any] | None = None,
    first_name: str = "Ada",
) -> dict[str, Any]:
    """A button press; `pressed` is the bot's message that carried the keyboard."""
    pressed = pressed or message(chat_id, first_name, text="Pick one")
    return {
        "callback_query": {
            "id": str(next(_message_ids) * 7919),
            "from": user(chat_id, first_name),
            "message": pressed,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
    }


# ---------------------------------------------------------------------------------------------
# The server.


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request the client made, in arrival order."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float  # time.monotonic()
    status: int = 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    def public(self) -> dict[str, Any]:
        files = {k: {"filename": f.filename, "size": len(f.data)} for k, f in self.files.items()}
        return {"method": self.method, "params": self.params, "files": files,
                "at": self.at, "status": self.status}


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    hang: float | None = None


@dataclass
class RateLimits:
    per_chat_per_second: float = 1.0
    overall_per_second: float = 30.0


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(repr=False)
class FakeTelegram:
    """The fake Bot API; start it with `await start()` or `async with`."""

    token: str = DEFAULT_TOKEN
    port: int = 0
    bot_username: str = "BoneCoachTestBot"
    webhook_retry_delay: float = 0.2
    webhook_max_attempts: int = 5
    calls: list[Call] = field(default_factory=list)
    webhook: Webhook | None = None
    webhook_deliveries: list[tuple[int, int]] = field(default_factory=list)  # (update_id, status)
    commands: list[dict[str, str]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    rate_limits: RateLimits | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000_001)
        self._sent_ids = itertools.count(500_001)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._send_times: dict[Any, deque[float]] = defaultdict(deque)
        self._changed = asyncio.Event()  # replaced after every set(): "something happened"
        self._poller: object | None = None
        self._runner: web.AppRunner | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    def __repr__(self) -> str:
        return f"FakeTelegram({self.base_url}, {len(self.calls)} calls)"

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as `base_url` (it appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_post("/_fake/updates", self._control_updates)
        app.router.add_post("/_fake/faults", self._control_faults)
        app.router.add_post("/_fake/reset", self._control_reset)
        app.router.add_get("/_fake/calls", self._control_calls)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        self._stopped.set()
        self._notify()
        if self._delivery:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._runner:
            await self._runner.cleanup()
        await asyncio.sleep(0.01)  # let aiohttp's connection tasks see their handlers' end

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- test controls ---------------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an incoming update (an update_id is assigned unless present); returns it."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        for body in update.values():
            if isinstance(body, dict) and isinstance(body.get("chat"), dict):
                self._chats.setdefault(body["chat"]["id"], body["chat"])
        self._pending.append(update)
        self._notify()
        return update

    def fail_next(
        self, method: str, times: int = 1, *, status: int = 429, retry_after: int | None = 1,
        hang: float | None = None,
    ) -> None:
        """The next `times` calls of `method` fail: 429 with retry_after, another status, or hang
        for `hang` seconds (longer than the client's timeout) and then answer 500."""
        fault = Fault(status, retry_after if status == 429 else None, hang)
        self._faults[method].extend([fault] * times)

    def enforce_rate_limits(self, per_chat_per_second: float = 1.0,
                            overall_per_second: float = 30.0) -> None:
        """Answer 429 like Telegram when sends exceed these rates (off by default)."""
        self.rate_limits = RateLimits(per_chat_per_second, overall_per_second)

    def reset(self) -> None:
        self.calls.clear()
        self._pending.clear()
        self._faults.clear()
        self.webhook_deliveries.clear()
        self.rate_limits = None
        self.blocked.clear()

    def press_button(
        self, chat_id: int, title: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """Queue a press on a button of the latest keyboard sent to `chat_id`."""
        for (cid, _), sent in sorted(self._messages.items(), key=lambda kv: -kv[0][1]):
            rows = (sent.get("reply_markup") or {}).get("inline_keyboard")
            if cid != chat_id or not rows:
                continue
            for button in itertools.chain.from_iterable(rows):
                if (title is None or button["text"] == title) and (
                    data is None or button.get("callback_data") == data
                ):
                    return self.queue_update(
                        callback_query(chat_id, button["callback_data"], dict(sent)))
        raise LookupError(f"no button {title or data!r} in a keyboard sent to {chat_id}")

    # --- assertions helpers ----------------------------------------------------------------

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls
                if c.method == method and c.status == 200
                and (chat_id is None or c.chat_id == chat_id)]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts of the messages that reached `chat_id`, in order."""
        return [c.params["text"] for c in self.calls_to("sendMessage", chat_id)]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message the bot sent, as it is now (edits applied)."""
        return self._messages[(chat_id, message_id)]

    async def wait_for(
        self, method: str, count: int = 1, *, chat_id: int | None = None, timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until `count` successful calls of `method` (to `chat_id`) arrived."""
        try:
            await self.wait_until(lambda: len(self.calls_to(method, chat_id)) >= count, timeout)
        except asyncio.TimeoutError:
            seen = [(c.method, c.status) for c in self.calls]
            raise AssertionError(
                f"{count}x {method} to {chat_id} not seen in {timeout}s; calls: {seen}"
            ) from None
        return self.calls_to(method, chat_id)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate()` holds (re-checked after every call and update)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            await self._wait_change(deadline - time.monotonic())
            if time.monotonic() >= deadline and not predicate():
                raise asyncio.TimeoutError

    # --- the Bot API -----------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await _read_params(request)
        call = Call(method, params, files, time.monotonic(), status=0)  # 0: in progress
        self.calls.append(call)
        self._notify()  # waiters may wait for a request to arrive (a long poll held open)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            await self._inject_fault(method)
            self._enforce_rates(method, params)
            result = await handler(params, files)
        except ApiError as err:
            call.status = err.code
            self._notify()
            return web.json_response(err.body(), status=err.code)
        call.status = 200
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _inject_fault(self, method: str) -> None:
        if not self._faults[method]:
            return
        fault = self._faults[method].popleft()
        if fault.hang is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), fault.hang)
            raise ApiError(500, "Internal Server Error")
        if fault.status == 429:
            raise too_many_requests(fault.retry_after or 1)
        raise ApiError(fault.status, "Internal Server Error" if fault.status >= 500
                       else "Bad Request: injected fault")

    def _enforce_rates(self, method: str, params: dict[str, Any]) -> None:
        if self.rate_limits is None or method not in SEND_METHODS:
            return
        now = time.monotonic()
        limits = (("*", self.rate_limits.overall_per_second),
                  (params.get("chat_id"), self.rate_limits.per_chat_per_second))
        for key, rate in limits:
            window = self._send_times[key]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= rate:
                raise too_many_requests(1)
        for key, _ in limits:
            self._send_times[key].append(now)

    def _me(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Bone Coach",
                "username": self.bot_username}

    async def _api_getMe(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {**self._me(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_getUpdates(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:  # confirms every update before `offset`
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        me = object()
        self._poller = me  # a newer getUpdates terminates an older one, as on Telegram
        self._notify()
        while True:
            if self._poller is not me:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            if self._pending or self._stopped.is_set():
                return self._pending[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._wait_change(remaining)

    async def _api_setWebhook(self, params: dict[str, Any], files: Any) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._api_deleteWebhook(params, files)
        self.webhook = Webhook(url, params.get("secret_token"), params.get("allowed_updates"))
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.create_task(self._deliver_webhooks())
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {"url": self.webhook.url if self.webhook else "",
                "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    async def _api_setMyCommands(self, params: dict[str, Any], files: Any) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], files: Any) -> list[Any]:
        return self.commands

    async def _api_sendMessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._store_sent(params, text=text)

    async def _api_sendPhoto(self, params: dict[str, Any],
                             files: dict[str, UploadedFile]) -> dict[str, Any]:
        upload = files.get("photo")
        if upload is None and not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        size = len(upload.data) if upload else 0
        sizes = [_file("photo", width=320, height=240, file_size=size)]
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._store_sent(params, photo=sizes, **extra)

    async def _api_sendDocument(self, params: dict[str, Any],
                                files: dict[str, UploadedFile]) -> dict[str, Any]:
        upload = files.get("document")
        if upload is None and not params.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        doc = _file("document", file_name=upload.filename if upload else None,
                    mime_type=upload.content_type if upload else None,
                    file_size=len(upload.data) if upload else 0)
        return self._store_sent(params, document=doc)

    async def _api_sendChatAction(self, params: dict[str, Any], files: Any) -> bool:
        self._check_chat(params)
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        return True

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any],
                                          files: Any) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        stored = self._messages.get(key)  # type: ignore[arg-type]
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if markup == stored.get("reply_markup") or (not markup and "reply_markup" not in stored):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        stored.pop("reply_markup", None)
        if markup and markup.get("inline_keyboard"):
            stored["reply_markup"] = markup
        stored["edit_date"] = int(time.time())
        return stored

    def _check_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _store_sent(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = self._check_chat(params)
        markup = params.get("reply_markup")
        for button in itertools.chain.from_iterable((markup or {}).get("inline_keyboard", [])):
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        sent = {
            "message_id": next(self._sent_ids),
            "date": int(time.time()),
            "chat": self._chats.get(chat_id) or chat(chat_id),
            "from": self._me(),
            **content,
        }
        if markup:
            sent["reply_markup"] = markup
        self._messages[(chat_id, sent["message_id"])] = sent
        return dict(sent)

    # --- webhook delivery --------------------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        """POST queued updates to the webhook, oldest first; retry on non-2xx like Telegram."""
        attempts = 0
        async with ClientSession(timeout=ClientTimeout(total=30)) as session:
            while self.webhook is not None and not self._stopped.is_set():
                if not self._pending:
                    await self._wait_change(0.5)
                    continue
                update, hook = self._pending[0], self.webhook
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} \
                    if hook.secret_token else {}
                try:
                    async with session.post(hook.url, json=update, headers=headers) as resp:
                        status = resp.status
                except OSError:
                    status = 0
                self.webhook_deliveries.append((update["update_id"], status))
                attempts += 1
                if 200 <= status < 300 or attempts >= self.webhook_max_attempts:
                    self._pending.remove(update)
                    attempts = 0
                else:
                    await asyncio.sleep(self.webhook_retry_delay)
                self._notify()

    # --- control API for another process ---------------------------------------------------

    async def _control_updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        updates = body if isinstance(body, list) else [body]
        return web.json_response([self.queue_update(u) for u in updates])

    async def _control_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("rate_limits"):
            self.enforce_rate_limits(**body["rate_limits"])
        else:
            self.fail_next(body["method"], int(body.get("times", 1)),
                           status=int(body.get("status", 429)),
                           retry_after=body.get("retry_after", 1), hang=body.get("hang"))
        return web.json_response({"ok": True})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def _control_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = [c.public() for c in self.calls if method is None or c.method == method]
        return web.json_response(calls)

    # --- plumbing --------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        """Sleep until the next call, update or delivery, or `timeout` seconds."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), max(timeout, 0))


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Query string, JSON body, form or multipart: all the ways Bot API clients send."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json" and request.can_read_body:
        return {**raw, **(await request.json())}, files
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename is not None:  # type: ignore[union-attr]
                files[part.name or ""] = UploadedFile(
                    part.filename, part.headers.get("Content-Type", ""),  # type: ignore[union-attr]
                    bytes(await part.read()))  # type: ignore[union-attr]
            else:
                raw[part.name or ""] = await part.text()  # type: ignore[union-attr]
    elif request.can_read_body:
        raw.update(await request.post())
    params = {k: _decode(k, v) for k, v in raw.items()}
    for name, value in list(params.items()):  # "attach://name" points at a file part
        if isinstance(value, str) and value.startswith("attach://"):
            files[name] = files.pop(value.removeprefix("attach://"))
            del params[name]
    return params, files


class FakeTelegramThread:
    """The fake on its own event loop in a daemon thread, for synchronous tests (e.g. a Rasa
    server started as a child process while the test blocks). Every call runs on that loop."""

    def __init__(self, **options: Any) -> None:
        self.fake = FakeTelegram(**options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="fake-telegram")

    def __enter__(self) -> FakeTelegramThread:
        self._thread.start()
        self._await(self.fake.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._await(self.fake.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def base_url(self) -> str:
        return self.fake.base_url

    @property
    def token(self) -> str:
        return self.fake.token

    def _await(self, coro: Any, timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def run() -> Any:
            return fn(*args, **kwargs)

        return self._await(run())

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        return self._call(self.fake.queue_update, update)

    def fail_next(self, method: str, times: int = 1, **fault: Any) -> None:
        self._call(self.fake.fail_next, method, times, **fault)

    def press_button(self, chat_id: int, title: str | None = None,
                     data: str | None = None) -> dict[str, Any]:
        return self._call(self.fake.press_button, chat_id, title, data)

    def texts_to(self, chat_id: int) -> list[str]:
        return self._call(self.fake.texts_to, chat_id)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return self._call(self.fake.calls_to, method, chat_id)

    def wait_for(self, method: str, count: int = 1, *, chat_id: int | None = None,
                 timeout: float = 5.0) -> list[Call]:
        return self._await(self.fake.wait_for(method, count, chat_id=chat_id, timeout=timeout))


def _decode(name: str, value: Any) -> Any:
    if name not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id "@channelname"


def block_external_network(monkeypatch: Any, allowed: Iterable[str] = ()) -> None:
    """Make any request to a non-loopback host fail (api.telegram.org above all).

    Two layers, because the event loop may be uvloop (Rasa/Sanic install its policy), whose DNS
    lookups bypass the socket module: httpx's transports (python-telegram-bot's client) refuse
    non-loopback URLs, and `socket.getaddrinfo` refuses other names for everything else.
    """
    loopback = {"127.0.0.1", "::1", "localhost", *allowed}

    def check(host: Any) -> None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in loopback:
            raise OSError(f"test tried to reach {name}: only the fake Telegram server is allowed")

    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    real_async = httpx.AsyncHTTPTransport.handle_async_request
    real_sync = httpx.HTTPTransport.handle_request

    async def guarded_async(transport: Any, request: httpx.Request) -> httpx.Response:
        check(request.url.host)
        return await real_async(transport, request)

    def guarded_sync(transport: Any, request: httpx.Request) -> httpx.Response:
        check(request.url.host)
        return real_sync(transport, request)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", guarded_async)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded_sync)


async def _serve_forever(port: int, token: str, rate_limits: bool) -> None:
    fake = FakeTelegram(token=token, port=port)
    if rate_limits:
        fake.enforce_rate_limits()
    await fake.start()
    print(f"fake Telegram Bot API on {fake.base_url} (token {token.split(':')[0]}:…)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API for tests and benchmarks")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate-limits", action="store_true",
                        help="answer 429 above 1 msg/s per chat or 30 msg/s overall")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args.port, args.token, args.rate_limits))


if __name__ == "__main__":
    main()
