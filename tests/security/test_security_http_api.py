"""The default run exposes only what a client needs: Rasa's HTTP API is off, and both servers
listen on the loopback interface only (a reverse proxy in front publishes the webhook)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.chat import send
from bot.db.engine import ensure_schema, make_engine
from bot.stack import Stack, StackConfig

API_ROUTES = [
    ("POST", "/model/parse", {"text": "hello"}),
    ("GET", "/conversations/123/tracker", None),
    ("POST", "/conversations/123/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/conversations/123/trigger_intent", {"name": "forget_me"}),
    ("POST", "/conversations/123/execute", {"name": "action_forget"}),
    ("PUT", "/conversations/123/tracker/events", [{"event": "restart"}]),
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
]


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack as `bin/run` starts it without Telegram: no api_token, REST channel only (its
    own: the shared stacks have the HTTP API on)."""
    folder: Path = tmp_path_factory.mktemp("security-default")
    database_url = f"sqlite:///{folder / 'bone_coach.db'}"
    engine = make_engine(database_url)
    ensure_schema(engine)
    engine.dispose()
    with Stack(StackConfig(database_url=database_url, run_dir=folder)) as running:
        yield running


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=[f"{m} {p}" for m, p, _ in API_ROUTES])
def test_rasa_http_api_is_off_by_default(stack: Stack, method: str, path: str, body: object) -> None:
    response = httpx.request(method, f"{stack.rasa_url}{path}", json=body, timeout=30)
    assert response.status_code in (403, 404, 405), (response.status_code, response.text[:200])


def test_the_rest_channel_still_answers(stack: Stack) -> None:
    replies = send(stack.rasa_url, "4242", "hello", {"first_name": "Ruth"})
    assert any(r.get("text") for r in replies)


def _descendants(pid: int) -> set[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def _socket_inodes(pids: set[int]) -> set[int]:
    inodes = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else ():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process tree of `pid` listens on."""
    inodes = _socket_inodes(_descendants(pid))
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                host, port = local.split(":")
                found.add((str(_address(host)), int(port, 16)))
    return found


def non_loopback_addresses() -> set[str]:
    """This machine's own IPv4 addresses other than 127.x (from the kernel's routing table)."""
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    return {lines[i - 1].split()[-1] for i, line in enumerate(lines)
            if "/32 host LOCAL" in line and not lines[i - 1].split()[-1].startswith("127.")}


@pytest.mark.parametrize("name", ["rasa", "actions"])
def test_each_server_listens_on_loopback_only(stack: Stack, name: str) -> None:
    port = stack.config.rasa_port if name == "rasa" else stack.config.action_port
    sockets = listening(stack.procs[name].pid)
    assert (("127.0.0.1", port) in sockets), sockets
    assert all(ipaddress.ip_address(host).is_loopback for host, _ in sockets), sockets
    for address in non_loopback_addresses():  # and from outside, the port is closed
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.settimeout(3)
            s.connect((address, port))
