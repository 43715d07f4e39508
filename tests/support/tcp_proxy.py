"""A small asyncio TCP proxy that can take a server "down" and bring it back, for fault tests.

It listens on 127.0.0.1 (a free port unless given) and forwards every connection to the target,
by default PostgreSQL on 127.0.0.1:5432. The port stays the same across the switches, so the
processes under test keep one DATABASE_URL and must recover on their own:

- `forward()`: accept and forward (the normal state);
- `refuse()`: stop listening, so new connections are refused, and cut the open ones;
- `drop()`: keep accepting, but reset each new connection at once, and cut the open ones
  (a server that is there but dies on every connection).

In an async test use `TcpProxy` (`async with TcpProxy() as proxy`); in a synchronous one
`TcpProxyThread`, which runs the same proxy on its own event loop in a daemon thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import threading
from collections.abc import Coroutine
from typing import Any

CHUNK = 64 * 1024


class Mode(enum.Enum):
    FORWARD = "forward"
    REFUSE = "refuse"
    DROP = "drop"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` while in FORWARD mode."""

    def __init__(self, target_port: int = 5432, target_host: str = "127.0.0.1", port: int = 0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = port or free_port()
        self.mode = Mode.REFUSE  # until start()
        self.accepted = 0  # connections accepted in any mode
        self.forwarded = 0  # connections that reached the target
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def __repr__(self) -> str:
        return f"TcpProxy(127.0.0.1:{self.port} -> {self.target_host}:{self.target_port}, {self.mode.value})"

    async def start(self) -> TcpProxy:
        await self.forward()
        return self

    async def stop(self) -> None:
        await self.refuse()

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def forward(self) -> None:
        self.mode = Mode.FORWARD
        await self._listen()

    async def refuse(self) -> None:
        self.mode = Mode.REFUSE
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._cut_open()

    async def drop(self) -> None:
        self.mode = Mode.DROP
        await self._listen()
        self._cut_open()

    async def _listen(self) -> None:
        if self._server is None:
            # reuse_address (the default on Unix) lets us listen on the same port again at once
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    def _cut_open(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()  # a reset, as when a server process dies
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode is not Mode.FORWARD:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.forwarded += 1
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side closes or is cut; then close the other direction too."""
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    if not writer.is_closing():
        with contextlib.suppress(OSError):
            writer.write_eof()


class TcpProxyThread:
    """`TcpProxy` on its own event loop in a daemon thread, for synchronous tests."""

    def __init__(self, target_port: int = 5432, target_host: str = "127.0.0.1", port: int = 0) -> None:
        self.proxy = TcpProxy(target_port, target_host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="tcp-proxy")

    def __enter__(self) -> TcpProxyThread:
        self._thread.start()
        self._run(self.proxy.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._run(self.proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def mode(self) -> Mode:
        return self.proxy.mode

    @property
    def accepted(self) -> int:
        return self.proxy.accepted

    @property
    def forwarded(self) -> int:
        return self.proxy.forwarded

    def forward(self) -> None:
        self._run(self.proxy.forward())

    def refuse(self) -> None:
        self._run(self.proxy.refuse())

    def drop(self) -> None:
        self._run(self.proxy.drop())

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)
