"""Bone Coach against Rasa's own starter bot ("moodbot"), in one run from the project's venv.

Run: `nice -n 5 .venv/bin/python -m bench.versus_moodbot [--model PATH] [--config-note TEXT]`.
Issue 17 asks whether our stack is heavier than Rasa itself needs to be. The fair baseline is the
bot `rasa init` makes, started the same way (`bot.stack.Stack`) on the same cores in the same run,
so a noisy day hits both sides. The two bots never serve at the same time: each is started and
measured alone, then both stay up, idle but for the one under load, and their spells of load take
turns, so a slow spell of the host (its CPU speed varies 2x) hits both. Bone Coach keeps its
action server, its SQLite session database and its SQL tracker store in the path: that work is
what the comparison is about. Writes its own section of BENCHMARKS.md; the servers' logs of every
start stay in var/versus_moodbot/.
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import write_section
from bench.run import CONVERSATION, ENV, RASA, cpu_probe_seconds, machine, parse, percentile, rss_mb
from bench.scale_out import ONBOARDING, new_sender
from bot.chat import send
from bot.db.engine import ensure_schema, make_engine
from bot.stack import MODEL, ROOT, Stack, StackConfig, _answers

MOODBOT_DIR = ROOT / "var" / "moodbot"
LOGS = ROOT / "var" / "versus_moodbot"
SECTION = "Versus Rasa's starter bot (issue 17)"
STARTS = 3
CONCURRENT = 20
LOAD_SECONDS = 48.0  # in LOAD_SPELLS spells, the two bots' spells taking turns
LOAD_SPELLS = 4
ONE_CONVERSATION_TURNS = 100
# Plain messages either bot might get; the same list for both, so only the models differ.
PARSE_TEXTS = ["hi", "I'm sad", "what should I do today", "thanks a lot", "goodbye", "are you a bot?",
               "I feel great", "my back hurts a bit", "no", "yes please"]
# moodbot's own stories and rules in turn (greet, sad path with yes and with no, happy path).
MOODBOT_TURNS = ["hi", "I'm sad", "yes", "hello", "great", "are you a bot?", "hey",
                 "I am feeling very bad", "no", "bye"]


@dataclass(frozen=True)
class Target:
    """An issue-17 goal: Bone Coach ÷ moodbot at most (or at least) `bound`; or, when `absolute`,
    Bone Coach's own value at most `bound` MB (memory has a budget, not a ratio)."""

    bound: float
    at_least: bool = False
    absolute: bool = False

    def label(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"{sign} {self.bound:g} MB" if self.absolute else f"{sign}{self.bound:.1f}×"

    def met(self, moodbot: float, bone: float) -> bool:
        value = bone if self.absolute else ratio(moodbot, bone)
        return value >= self.bound if self.at_least else value <= self.bound


@dataclass(frozen=True)
class Measure:
    name: str
    digits: int = 1
    target: Target | None = None


START = Measure(f"start → ready, median of {STARTS} (s)", target=Target(0.4))
PARSE = Measure("/model/parse p50 (ms)")
ONE_P50 = Measure("message → reply, 1 conversation, p50 (ms)", target=Target(1.0))
ONE_P95 = Measure("message → reply, 1 conversation, p95 (ms)")
MANY_P50 = Measure(f"message → reply, {CONCURRENT} conversations, p50 (ms)")
MANY_P95 = Measure(f"message → reply, {CONCURRENT} conversations, p95 (ms)", target=Target(1.0))
RATE = Measure(f"sustained, {CONCURRENT} conversations (msgs/s)", target=Target(1.5, at_least=True))
RSS = Measure("RSS after load, all the bot's processes (MB)", digits=0, target=Target(1200, absolute=True))
# RSS counts a page shared by several processes (TensorFlow's libraries, a forked worker's
# untouched pages) once in each; PSS divides it among them, so the sum is the memory in use.
PSS = Measure("PSS after load, all the bot's processes (MB)", digits=0)
# Both cores are shared by the servers and this client: CPU time per message says which process
# a throughput gain must come from (the busiest one bounds the rate).
CPU = Measure(f"CPU per message, {CONCURRENT} conversations, all the bot's processes (ms)")
MEASURES = (START, PARSE, ONE_P50, ONE_P95, MANY_P50, MANY_P95, RATE, CPU, RSS, PSS)


def ratio(moodbot: float, bone: float) -> float:
    return bone / moodbot if moodbot else float("inf")


def table_lines(moodbot: dict[str, float], bone: dict[str, float]) -> list[str]:
    """The comparison table; a measure either side lacks is left out."""
    lines = ["| measure | moodbot | Bone Coach | ratio (Bone Coach ÷ moodbot) | target | met? |",
             "|---|---|---|---|---|---|"]
    for m in MEASURES:
        if m.name not in moodbot or m.name not in bone:
            continue
        mood, ours = moodbot[m.name], bone[m.name]
        target = m.target.label() if m.target else "—"
        met = ("yes" if m.target.met(mood, ours) else "**no**") if m.target else "—"
        lines.append(f"| {m.name} | {mood:.{m.digits}f} | {ours:.{m.digits}f} | {ratio(mood, ours):.2f}× "
                     f"| {target} | {met} |")
    return lines


@dataclass(frozen=True)
class Bot:
    """What differs between the two bots: how one is made, what a client says, what comes first."""

    name: str
    make: Callable[[str], Stack]  # API token -> a stack not yet started
    turns: Sequence[str]
    prepare: Callable[[str, str], str] = lambda url, sender: ""  # (url, sender) -> problem or ""


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    problems: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


class Moodbot(Stack):
    """The starter bot run as Stack runs ours, minus the action server it has no use for."""

    def start_actions(self) -> None:
        """moodbot has only Rasa's default actions."""

    def start_rasa(self) -> None:
        args = [RASA, "run", "--model", str(self.config.model), "--port", str(self.config.rasa_port),
                "--interface", self.config.interface, "--credentials", str(MOODBOT_DIR / "credentials.yml"),
                "--endpoints", str(MOODBOT_DIR / "endpoints.yml")]
        if self.config.api_token:
            args += ["--enable-api", "--auth-token", self.config.api_token]
        self._spawn("rasa", args)

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while not _answers(f"{self.rasa_url}/"):
            if self.procs["rasa"].poll() is not None:
                raise RuntimeError(f"moodbot exited early; see {self.config.run_dir}/rasa.log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"moodbot not ready after {timeout:.0f} s")
            time.sleep(0.25)


def moodbot_model() -> Path:
    """var/moodbot/models/*.tar.gz: `rasa init` (which trains it) runs once, later runs reuse it."""
    models = sorted((MOODBOT_DIR / "models").glob("*.tar.gz"))
    if not models:
        MOODBOT_DIR.mkdir(parents=True, exist_ok=True)
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / "moodbot-init.log", "wb") as log:
            subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(MOODBOT_DIR)], cwd=MOODBOT_DIR,
                           env=ENV, stdout=log, stderr=subprocess.STDOUT, check=True)
        models = sorted((MOODBOT_DIR / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"`rasa init` made no model; see {LOGS}/moodbot-init.log")
    return models[-1]


def onboard(url: str, sender: str) -> str:
    """A Bone Coach client answers onboarding first (as bench.scale_out does), else the custom
    actions would only ask them to sign up."""
    replies: list[dict[str, object]] = []
    try:
        for text in ONBOARDING:
            replies = send(url, sender, text, {"first_name": "Bench"})
    except OSError as error:
        return f"onboarding failed: {error}"
    return "" if any("All set" in str(r.get("text", "")) for r in replies) else "onboarding did not finish"


def talk(url: str, bot: Bot, sender: str, deadline: float, limit: int | None) -> Load:
    """One sender cycles through `bot.turns` until `limit` turns are sent or `deadline` passes."""
    load = Load()
    for text in itertools.islice(itertools.cycle(bot.turns), limit):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        try:
            replies = send(url, sender, text, {"first_name": "Bench"})
        except OSError as error:  # counted, not fatal: one HTTP 500 must not lose the whole run
            load.problems[f"error: {error}"] += 1
            continue
        load.latencies.append(time.perf_counter() - started)
        if not replies:
            load.problems[f"no reply to {text!r}"] += 1
    return load


def conversations(url: str, bot: Bot, count: int, seconds: float = float("inf"), limit: int | None = None) -> Load:
    """`count` senders at once, each in its own thread: prepared first (not measured), then
    talking; msgs/s over the measured part only."""
    senders = [new_sender() for _ in range(count)]
    total = Load()
    with ThreadPoolExecutor(count) as pool:
        total.problems.update(p for p in pool.map(lambda s: bot.prepare(url, s), senders) if p)
        started = time.perf_counter()
        deadline = started + seconds
        loads = list(pool.map(lambda s: talk(url, bot, s, deadline, limit), senders))
        total.seconds = time.perf_counter() - started
    for load in loads:
        total.latencies += load.latencies
        total.problems.update(load.problems)
    return total


def timed_starts(make: Callable[[], Stack], runs: int = STARTS) -> tuple[list[float], Stack]:
    """Spawn-to-ready wall time of `runs` fresh starts; the last stack is left up to be measured."""
    times = []
    for run in range(runs):
        stack = make()
        started = time.perf_counter()
        try:
            stack.start()
        except BaseException:
            stack.stop()
            raise
        times.append(time.perf_counter() - started)
        if run < runs - 1:
            stack.stop()
    return times, stack


def parse_p50_ms(url: str, token: str, calls: int = 200, warmup: int = 10) -> float:
    texts = itertools.cycle(PARSE_TEXTS)
    for _ in range(warmup):
        parse(url, token, next(texts))
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        parse(url, token, next(texts))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def session_total(leader: int, measure: Callable[[int], float]) -> float:
    """`measure` summed over a server and anything it started (Stack gives each server its own
    session)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == leader:
                total += measure(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (/proc/PID/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Running:
    """A bot's stack left up after its timed starts, and what was measured of it so far."""

    bot: Bot
    stack: Stack
    token: str
    starts: list[float]
    loads: list[Load] = field(default_factory=list)
    cpu: Counter[str] = field(default_factory=Counter)  # process name -> CPU seconds under load
    client_cpu: float = 0.0


def start_bot(bot: Bot) -> Running:
    token = secrets.token_hex(16)
    times, stack = timed_starts(lambda: bot.make(token))
    progress(f"{bot.name}: ready after {', '.join(f'{t:.1f}' for t in times)} s")
    return Running(bot, stack, token, times)


def load_round(running: Running, seconds: float) -> None:
    """One spell of CONCURRENT new conversations, prepared first (not measured): a stock tracker's
    cost grows with its conversation, so every spell starts them anew, as one long spell would not."""
    url, bot = running.stack.rasa_url, running.bot
    with ThreadPoolExecutor(CONCURRENT) as pool:
        senders = [new_sender() for _ in range(CONCURRENT)]
        problems = Counter(p for p in pool.map(lambda s: bot.prepare(url, s), senders) if p)
        running.loads.append(Load(problems=problems))
        cpu_before = {name: session_total(proc.pid, cpu_seconds) for name, proc in running.stack.procs.items()}
        client_before = time.process_time()
        started = time.perf_counter()
        loads = list(pool.map(lambda s: talk(url, bot, s, started + seconds, None), senders))
        elapsed = time.perf_counter() - started
        running.client_cpu += time.process_time() - client_before
        for name, proc in running.stack.procs.items():
            running.cpu[name] += session_total(proc.pid, cpu_seconds) - cpu_before[name]
    spell = Load(seconds=elapsed)
    for load in loads:
        spell.latencies += load.latencies
        spell.problems.update(load.problems)
    running.loads.append(spell)
    progress(f"{bot.name}: {spell.rate:.1f} msgs/s over {elapsed:.0f} s")


def measure_alone(running: Running) -> dict[str, float]:
    """What is measured with one client at a time: the parse and one conversation."""
    parse_ms = parse_p50_ms(running.stack.rasa_url, running.token)
    one = conversations(running.stack.rasa_url, running.bot, 1, limit=ONE_CONVERSATION_TURNS)
    running.loads.append(Load(problems=one.problems))
    progress(f"{running.bot.name}: /model/parse p50 {parse_ms:.1f} ms, {len(one.latencies)} turns of 1 conversation")
    return {START.name: statistics.median(running.starts), PARSE.name: parse_ms,
            ONE_P50.name: statistics.median(one.latencies) * 1000, ONE_P95.name: percentile(one.latencies, 95) * 1000}


def finish(running: Running, values: dict[str, float]) -> list[str]:
    """The measures under load and memory, added to `values`; notes for the text under the table."""
    spells = [load for load in running.loads if load.seconds]
    latencies = [latency for load in spells for latency in load.latencies]
    values[MANY_P50.name] = statistics.median(latencies) * 1000
    values[MANY_P95.name] = percentile(latencies, 95) * 1000
    values[RATE.name] = statistics.median(load.rate for load in spells)
    values[CPU.name] = sum(running.cpu.values()) * 1000 / max(len(latencies), 1)
    values[RSS.name] = sum(session_total(proc.pid, rss_mb) for proc in running.stack.procs.values())
    values[PSS.name] = sum(session_total(proc.pid, pss_mb) for proc in running.stack.procs.values())
    problems = sum((load.problems for load in running.loads), Counter())
    per_message = ", ".join(f"{name} {seconds * 1000 / max(len(latencies), 1):.1f} ms"
                            for name, seconds in running.cpu.items())
    return [f"{running.bot.name}: starts {', '.join(f'{t:.1f}' for t in running.starts)} s; msgs/s in each "
            f"spell of {CONCURRENT} conversations {', '.join(f'{load.rate:.1f}' for load in spells)} "
            f"({len(latencies)} turns); "
            + (f"problems: {dict(problems)}" if problems else "every turn answered")
            + f"; CPU per message under load: {per_message}, this client "
            f"{running.client_cpu * 1000 / max(len(latencies), 1):.1f} ms"]


def progress(text: str) -> None:
    print(f"[versus_moodbot {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def command(argv: Sequence[str]) -> str:
    """The command as typed, `nice` included (the niceness is part of the conditions)."""
    niceness = os.nice(0)
    return (f"{f'nice -n {niceness} ' if niceness else ''}.venv/bin/python -m bench.versus_moodbot "
            f"{shlex.join(argv)}").rstrip()


def header(argv: Sequence[str], model: Path, note: str, mood_model: Path, probe: float, load: float) -> list[str]:
    """When, where and how: the numbers mean little without the machine and the conditions."""
    return [
        f"Written by `{command(argv)}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. {machine()}; "
        f"CPU probe (sum of 10^7 squares, median of 5) {probe:.2f} s; load average before the run {load:.1f}.", "",
        "One run, one bot after the other, REST channel, wall-clock latencies from a client on the same cores. "
        f"moodbot: `rasa init` ({shown(mood_model)}), Rasa's default actions, in-memory tracker store. "
        f"Bone Coach: {shown(model)}{f' ({note})' if note else ''}, action server, a fresh SQLite session "
        f"database and SQL tracker store, as bin/run; each sender is onboarded first ({len(ONBOARDING)} turns, "
        f"not measured), then sends bench.run's {len(CONVERSATION)}-message conversation over and over. "
        f"moodbot's senders go through its stories ({len(MOODBOT_TURNS)} messages). {ONE_CONVERSATION_TURNS} "
        f"turns in 1 conversation; {CONCURRENT} senders, each its own thread, for {LOAD_SECONDS:.0f} s in "
        f"{LOAD_SPELLS} spells, the two bots' spells taking turns with both servers up (msgs/s: median of the "
        "spells; latencies pooled). /model/parse: 200 calls after 10 warm-ups.", "",
    ]


def measure_both(moodbot: Bot, bone: Bot) -> tuple[dict[str, float], list[str], dict[str, float], list[str]]:
    """Starts and one-client measures one bot after the other; then both stay up and the spells
    of load take turns (in reverse order every other round), so a slow spell of this host's CPU
    falls on both bots rather than on one."""
    runnings: list[Running] = []
    try:
        values = []
        for bot in (moodbot, bone):
            runnings.append(start_bot(bot))
            values.append(measure_alone(runnings[-1]))
        for spell in range(LOAD_SPELLS):
            for running in runnings if spell % 2 == 0 else reversed(runnings):
                load_round(running, LOAD_SECONDS / LOAD_SPELLS)
        notes = [finish(running, value) for running, value in zip(runnings, values, strict=True)]
    finally:
        for running in runnings:
            running.stack.stop()
    return values[0], notes[0], values[1], notes[1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL, help="Bone Coach model (default: the bin/setup.sh one)")
    parser.add_argument("--config-note", default="", help="what differs in this model, e.g. its config")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    began, load, probe = time.perf_counter(), os.getloadavg()[0], cpu_probe_seconds()
    shutil.rmtree(LOGS, ignore_errors=True)
    looked = time.perf_counter()
    mood_model = moodbot_model()
    made = time.perf_counter() - looked
    progress(f"moodbot model {shown(mood_model)} after {made:.0f} s")
    moodbot = Bot("moodbot", lambda token: Moodbot(StackConfig(
        database_url="sqlite://", run_dir=LOGS / "moodbot", api_token=token, model=mood_model)), MOODBOT_TURNS)
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(database_url)
        ensure_schema(engine)  # as bin/run does, before the servers start
        engine.dispose()
        bone = Bot("Bone Coach", lambda token: Stack(StackConfig(
            database_url=database_url, run_dir=LOGS / "bone-coach", api_token=token, model=args.model.resolve())),
            CONVERSATION, onboard)
        mood_values, mood_notes, bone_values, bone_notes = measure_both(moodbot, bone)
    lines = [*header(argv, args.model, args.config_note, mood_model, probe, load),
             *table_lines(mood_values, bone_values), "", *[f"- {n}" for n in mood_notes + bone_notes],
             f"- the whole run took {(time.perf_counter() - began) / 60:.1f} min, {made:.0f} s of it finding or "
             "making moodbot's model (logs: var/versus_moodbot/)", ""]
    write_section(SECTION + (f": {args.config_note}" if args.config_note else ""), lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
