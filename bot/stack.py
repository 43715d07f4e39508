"""Starts and stops the real stack (action server + Rasa server) as child processes.

Used by `bin/run`, the end-to-end tests and the benchmarks, so all three run the same thing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "bone-coach.tar.gz"
TELEGRAM_CHANNEL = "bot.telegram.TelegramInput"


def free_port() -> int:
    """A free loopback port (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tracker_store_url(database_url: str) -> str:
    """Rasa's tracker store URL: the session database itself, except for SQLite.

    With SQLite the trackers get their own file beside the session database, so the Rasa server
    and the action server never wait on each other's write lock.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return database_url
    db_path = Path(url.database or "bone_coach.db")
    return f"sqlite:///{db_path.with_name('rasa_tracker.db')}"


@dataclass
class StackConfig:
    """Everything that differs between the terminal chat, Telegram, tests and benchmarks."""

    database_url: str
    run_dir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    telegram: bool = False
    api_token: str | None = None  # enables Rasa's HTTP API (/model/parse…) behind this token
    endpoints_extra: Mapping[str, object] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    model: Path = MODEL
    interface: str = "127.0.0.1"
    # The module run as `python -m MODULE run …`: "rasa" is Rasa's own server, stock loader included
    # (the serving speed-ups' reference); benchmarks run variants of ours.
    rasa_module: str = "bot.rasa_main"


class Stack:
    """The action server and the Rasa server for one configuration."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        config.run_dir.mkdir(parents=True, exist_ok=True)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.config.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.config.action_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONHASHSEED="0",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            DATABASE_URL=self.config.database_url,
            ACTION_ENDPOINT_URL=f"{self.action_url}/webhook",
            TRACKER_STORE_URL=tracker_store_url(self.config.database_url),
            PYTHONPATH=str(ROOT),
            # The action server (rasa_sdk reads SANIC_HOST, default 0.0.0.0) runs any action for
            # any sender id it is given: only the Rasa server on this machine may reach it.
            SANIC_HOST="127.0.0.1",
        )
        env.update(self.config.env)
        return env

    def _write_runtime_files(self) -> tuple[Path, Path]:
        """Credentials and endpoints for this run (the Telegram channel only when asked for)."""
        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
        if not self.config.telegram:
            credentials.pop(TELEGRAM_CHANNEL, None)
        cred_path = self.config.run_dir / "credentials.yml"
        cred_path.write_text(yaml.safe_dump(credentials))
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
        endpoints.update(self.config.endpoints_extra)
        end_path = self.config.run_dir / "endpoints.yml"
        end_path.write_text(yaml.safe_dump(endpoints))
        return cred_path, end_path

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.config.run_dir / f"{name}.log", "ab")  # noqa: SIM115 (owned by the child)
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop them in order
        )

    def start_actions(self) -> None:
        self._spawn(
            "actions",
            [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.config.action_port)],
        )

    def start_rasa(self) -> None:
        cred_path, end_path = self._write_runtime_files()
        # Rasa's own `rasa run`, with bot.serving's speed-ups (a start without Rasa's training step,
        # about 35 s of every start; bot/serving/model_loader.py) unless another module is asked for.
        args = [
            str(VENV_BIN / "python"), "-m", self.config.rasa_module, "run", "--model", str(self.config.model),
            "--port", str(self.config.rasa_port), "--interface", self.config.interface,
            "--credentials", str(cred_path), "--endpoints", str(end_path),
        ]
        if self.config.api_token:
            args += ["--enable-api", "--auth-token", self.config.api_token]
        self._spawn("rasa", args)

    def start_scheduler(self) -> None:
        """The check-in reminder scheduler (`python -m bot.scheduler`; needs TELEGRAM_BOT_TOKEN)."""
        self._spawn("scheduler", [str(VENV_BIN / "python"), "-m", "bot.scheduler"])

    def start_coach_desk(self) -> None:
        """Coach alert delivery and the missed-sessions scan (`python -m bot.coach_desk`; needs
        TELEGRAM_BOT_TOKEN and COACH_CHAT_ID)."""
        self._spawn("coach_desk", [str(VENV_BIN / "python"), "-m", "bot.coach_desk"])

    def start_dashboard(self) -> None:
        """The staff dashboard (`python -m bot.dashboard`: DASHBOARD_HOST, DASHBOARD_PORT; docs/DASHBOARD.md)."""
        self._spawn("dashboard", [str(VENV_BIN / "python"), "-m", "bot.dashboard"])

    def start(self, timeout: float = 180.0) -> Stack:
        self.start_actions()
        self.start_rasa()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        for name, url in (("actions", f"{self.action_url}/health"), ("rasa", f"{self.rasa_url}/")):
            while not _answers(url):
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.config.run_dir}/{name}.log")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after {timeout:.0f} s")
                time.sleep(0.25)

    def kill(self, name: str) -> None:
        """kill -9 one process (fault tests)."""
        proc = self.procs.pop(name, None)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else ["dashboard", "coach_desk", "scheduler", "rasa", "actions"]
        for n in names:
            proc = self.procs.pop(n, None)
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
