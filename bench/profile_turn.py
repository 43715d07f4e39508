"""Issue 17, "profile first": where one turn's time goes. Run: `nice -n 5 .venv/bin/python -m bench.profile_turn`.

The real stack (bot.stack.Stack: REST channel, action server, a fresh SQLite session database and
SQL tracker store), each server started through bench.profiled. Two senders are onboarded, then
each sends bench.run's conversation ten times (100 turns): the first with wall-clock timers only
(the table's numbers), the second with cProfile armed too (what inside costs, and how much cProfile
inflates each step). Writes its section of BENCHMARKS.md; logs, timers and pstats files stay in
var/profile_turn/ (`.venv/bin/python -m pstats var/profile_turn/actions.1.prof`).
"""

from __future__ import annotations

import bisect
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.report import write_section
from bench.run import CONVERSATION, cpu_probe_seconds, machine, percentile
from bench.scale_out import ONBOARDING, new_sender
from bench.versus_moodbot import onboard
from bot.chat import send
from bot.db.engine import ensure_schema, make_engine
from bot.stack import ROOT, Stack, StackConfig

SECTION = "Where a turn's time goes (issue 17)"
OUT = ROOT / "var" / "profile_turn"
ROUNDS = 10
CLIENT, GRAPH = "client", "rasa.engine.graph:GraphNode.__call__"
PROC = "rasa.core.processor:MessageProcessor."
RETRIEVE, REQUEST = "bot.tracker_store:ForgetfulSQLTrackerStore.retrieve", "rasa.utils.endpoints:EndpointConfig.request"
TRACKER = "rasa.shared.core.trackers:DialogueStateTracker."
REMOTE = "rasa.core.actions.action:RemoteAction."
# Engine first: bot.services.planning imports plan_today by name, so it must get the timed one;
# actions.common.call before the actions import it by name (every service call goes through it).
SPECS = {"rasa": ("rasa.core.agent:Agent.handle_message", PROC + "handle_message", PROC + "parse_message",
                  PROC + "_predict_next_with_tracker", GRAPH, RETRIEVE, TRACKER + "from_dict", TRACKER + "past_states",
                  "bot.tracker_store:ForgetfulSQLTrackerStore.save", REMOTE + "run",
                  REMOTE + "_validate_action_result", REQUEST),
         "actions": ("rasa_sdk.executor:ActionExecutor.run", "sanic.request:Request.load_json",
                     "bot.coaching.engine:*", "actions.common:call",
                     "sqlalchemy.engine.base:Connection._execute_context")}
Record = Sequence[Any]  # group, label, start, seconds, tracker events, request bytes (bench.profiled)
Window = tuple[float, float]


@dataclass(frozen=True)
class Row:
    """A step: calls of timer `group` whose label matches `label`; or, with `of`, what is left of
    the first row named there after the others (that step's own overhead)."""

    key: str
    name: str
    group: str = ""
    label: str = ""
    of: tuple[str, ...] = ()


ROWS = (
    Row("client", "client: message → reply over REST", CLIENT),
    Row("channel", "REST channel, HTTP, Sanic (client − Agent)", of=("client", "agent")),
    Row("agent", "Rasa Agent.handle_message", SPECS["rasa"][0]),
    Row("lock", "· lock store, agent (Agent − processor)", of=("agent", "processor")),
    Row("processor", "Rasa MessageProcessor.handle_message", PROC + "handle_message"),
    Row("nlu", "· NLU, all (parse_message)", PROC + "parse_message"),
    Row("spacy", "· · spaCy (SpacyNLP + SpacyTokenizer)", GRAPH, r"Spacy(NLP|Tokenizer)"),
    Row("spelling", "· · spelling corrector", GRAPH, "SpellingCorrector"),
    Row("featurizers", "· · featurizers (lexical + 2 count vectors)", GRAPH, "Featurizer"),
    Row("diet", "· · DIETClassifier", GRAPH, "DIETClassifier"),
    Row("selector", "· · ResponseSelector", GRAPH, "ResponseSelector"),
    Row("entities", "· · entities (spaCy ruler, synonyms, entity → intent)", GRAPH, "Extractor|Synonym|EntityIntent"),
    Row("guard", "· · red-flag guard", GRAPH, "RedFlagGuard"),
    Row("nlu_rest", "· · rest of NLU (graph, fallback, converter)", of=(
        "nlu", "spacy", "spelling", "featurizers", "diet", "selector", "entities", "guard")),
    Row("predict", "· policy predictions, all (one per action)", PROC + "_predict_next_with_tracker"),
    Row("memo", "· · MemoizationPolicy", GRAPH, "MemoizationPolicy"),
    Row("rule", "· · RulePolicy", GRAPH, "RulePolicy"),
    Row("ted", "· · TEDPolicy", GRAPH, "TEDPolicy"),
    Row("predict_rest", "· · rest of prediction (graph, ensemble)", of=("predict", "memo", "rule", "ted")),
    Row("states", "· · in the three policies: tracker → states (past_states)", TRACKER + "past_states"),
    Row("retrieve", "· tracker store retrieve (kept tracker, else SQLite)", RETRIEVE),
    Row("from_dict", "· · tracker rebuilt from its events (from_dict)", TRACKER + "from_dict"),
    Row("save", "· tracker store save (SQLite)", "bot.tracker_store:ForgetfulSQLTrackerStore.save"),
    Row("remote", "· custom action, round trip (RemoteAction.run)", REMOTE + "run"),
    Row("schema", "· · response checked with jsonschema (Rasa)", REMOTE + "_validate_action_result"),
    Row("http", "· · HTTP + JSON both ways (round trip − executor − schema)", of=("remote", "executor", "schema")),
    Row("load_json", "· · · request JSON parsed by the action server", SPECS["actions"][1]),
    Row("executor", "· · action server ActionExecutor.run", SPECS["actions"][0]),
    Row("coach", "· · · service calls (bot.services, worker thread)", "actions.common:call"),
    Row("sql", "· · · · SQL statements (SQLAlchemy execute)", SPECS["actions"][4]),
    Row("engine", "· · · · rules engine (bot.coaching.engine)", "bot.coaching.engine:*"),
    Row("rasa_rest", "· rest of Rasa (events, responses, loop)", of=(
        "processor", "nlu", "predict", "retrieve", "save", "remote")),
)
# (what, file name ends with, function): work that should happen once per process, not per turn.
SUSPECTS = (
    ("YAML parsed (yaml.load)", "yaml/__init__.py", "load"),
    ("content file read (loader.read_yaml)", "bot/content/loader.py", "read_yaml"),
    ("SQLAlchemy engine made (create_engine)", "sqlalchemy/engine/create.py", "create_engine"),
    ("services built (build_services)", "bot/services/__init__.py", "build_services"),
    ("SQLite connection opened", "~", "<built-in method _sqlite3.connect>"),
    ("our PRAGMAs on connect (bot/db/engine.py:_on_connect)", "bot/db/engine.py", "_on_connect"),
    ("SQLite connection closed", "~", "<method 'close' of 'sqlite3.Connection' objects>"),
    ("SQLite commit (fsync)", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("jsonschema.validate (checks the schema too)", "jsonschema/validators.py", "validate"),
    ("tracker → states (past_states)", "rasa/shared/core/trackers.py", "past_states"),
    ("events deserialised (deserialise_events)", "rasa/shared/core/events.py", "deserialise_events"),
)


class ProfiledStack(Stack):
    """The real stack; each server is started through bench.profiled with its own timers."""

    def _spawn(self, name: str, args: list[str]) -> None:
        python, _, module, *rest = args
        super()._spawn(name, [python, "-m", "bench.profiled", str(OUT / name), ",".join(SPECS[name]), module, *rest])


def turn_of(windows: Sequence[Window], start: float) -> int | None:
    """The client turn during which a call started (servers and client read one monotonic clock)."""
    turn = bisect.bisect_right([w[0] for w in windows], start) - 1
    return turn if turn >= 0 and start <= windows[turn][1] else None


def turn_sums(records: Sequence[Record], windows: Sequence[Window],
              rows: Sequence[Row] = ROWS) -> tuple[dict[str, list[float]], dict[str, list[int]]]:
    """Seconds and calls of each row per client turn."""
    sums = {row.key: [0.0] * len(windows) for row in rows}
    counts = {row.key: [0] * len(windows) for row in rows}
    for group, label, start, seconds, *_ in records:
        turn = turn_of(windows, start)
        for row in rows:
            if turn is not None and row.group == group and re.search(row.label, label):
                sums[row.key][turn] += seconds
                counts[row.key][turn] += 1
    for row in rows:
        if row.group == CLIENT:
            sums[row.key], counts[row.key] = [end - start for start, end in windows], [1] * len(windows)
        elif row.of:
            first, *rest = row.of
            sums[row.key] = [sums[first][t] - sum(sums[r][t] for r in rest) for t in range(len(windows))]
            counts[row.key] = counts[first]
    return sums, counts


def turn_field(records: Sequence[Record], windows: Sequence[Window], group: str, field: int) -> list[float]:
    """The largest value of a record field (tracker events, request bytes) per turn, 0 if none."""
    out = [0.0] * len(windows)
    for record in records:
        turn = turn_of(windows, record[2])
        if record[0] == group and turn is not None and record[field] is not None:
            out[turn] = max(out[turn], float(record[field]))
    return out


def summary(values: Sequence[float], counts: Sequence[int], whole: Sequence[float]) -> tuple[float, ...]:
    """Turns with the step; p50 and p95 ms over those turns; mean ms over all turns; share of the
    client's wall time; calls per turn."""
    present = [v for v, c in zip(values, counts, strict=True) if c] or [0.0]
    return (sum(1 for c in counts if c), statistics.median(present) * 1000, percentile(present, 95) * 1000,
            statistics.fmean(values) * 1000, sum(values) / sum(whole), sum(counts) / len(counts))


def growth(values: Sequence[float], events: Sequence[float], first: slice, last: slice) -> tuple[float, float, float]:
    """Mean of the first and of the last round (turns where the step ran), and the change per 100
    more tracker events between them: how a step's cost follows the conversation's length."""
    def mean(part: Sequence[float]) -> float:
        return statistics.fmean([v for v in part if v] or [0.0])
    grown = mean(events[last]) - mean(events[first])
    return mean(values[first]), mean(values[last]), (mean(values[last]) - mean(values[first])) / grown * 100


def function_costs(stats: dict[Any, Any], turns: int, wanted: Sequence[tuple[str, str, str]]
                   ) -> list[tuple[str, float, float]]:
    """(what, calls per turn, cumulative ms per turn) of pstats entries (file, line, function)."""
    out = []
    for what, ending, function in wanted:
        hits = [(nc, ct) for (file, _, name), (_, nc, _, ct, _) in stats.items()
                if name == function and file.endswith(ending)]
        out.append((what, sum(nc for nc, _ in hits) / turns, sum(ct for _, ct in hits) * 1000 / turns))
    return out


def our_hot_spots(stats: dict[Any, Any], turns: int, top: int = 10) -> list[tuple[str, float, float]]:
    """Our own functions (bot/, actions/) by cumulative ms per turn."""
    ours = [(f"{file.removeprefix(str(ROOT) + '/')}:{name}", nc / turns, ct * 1000 / turns)
            for (file, _, name), (_, nc, _, ct, _) in stats.items()
            if file.startswith((str(ROOT / "bot"), str(ROOT / "actions")))]
    return sorted(ours, key=lambda item: -item[2])[:top]


def converse(url: str, sender: str) -> list[Window]:
    """ROUNDS × bench.run's conversation from one onboarded sender; each turn's start and end."""
    windows = []
    for text in CONVERSATION * ROUNDS:
        start = time.perf_counter()
        assert send(url, sender, text, {"first_name": "Bench"}), f"no reply to {text!r}"
        windows.append((start, time.perf_counter()))
    return windows


def arm(stack: Stack, timeout: float = 30.0) -> None:
    """SIGUSR1 to both servers (bench.profiled turns cProfile on), then wait until both say so."""
    deadline = time.monotonic() + timeout
    for name, proc in stack.procs.items():
        os.kill(proc.pid, signal.SIGUSR1)
        while not (OUT / f"{name}.armed").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not arm cProfile; see {OUT}/{name}.log")
            time.sleep(0.05)


def run_stack() -> tuple[list[Window], list[Window]]:
    """Onboard two senders; 100 timed turns; cProfile armed; 100 profiled turns. The servers are
    stopped (SIGTERM) on the way out, which is when they write their timers and profiles."""
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(database_url)
        ensure_schema(engine)  # as bin/run does, before the servers start
        engine.dispose()
        stack = ProfiledStack(StackConfig(database_url=database_url, run_dir=OUT))
        try:
            stack.start()
            senders = new_sender(), new_sender()
            problems = [p for p in (onboard(stack.rasa_url, s) for s in senders) if p]
            assert not problems, problems
            timed = converse(stack.rasa_url, senders[0])
            arm(stack)
            return timed, converse(stack.rasa_url, senders[1])
        finally:
            stack.stop()


def read_profile(name: str) -> dict[Any, Any]:
    """One server's pstats data, every profiled thread merged (the worker threads run our services)."""
    files = sorted(OUT.glob(f"{name}.*.prof"))
    if not files:
        raise RuntimeError(f"{name} wrote no profile; see {OUT}/{name}.log")
    return dict(pstats.Stats(*map(str, files)).stats)


def schema_check_ms(calls: int = 20) -> tuple[float, float]:
    """ms per call of Rasa's check of an action response (jsonschema.validate, which checks the
    schema itself each time) and of the same check by a validator built once. Imported here:
    rasa.core loads TensorFlow, which the rest of this client does not need."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    response = {"events": [{"event": "slot", "name": "effort", "value": 6}], "responses": [{"text": "Well done."}]}
    validator = jsonschema.validators.validator_for(spec)(spec)

    def per_call(check: Callable[[], None]) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            check()
        return (time.perf_counter() - start) / calls * 1000
    return per_call(lambda: jsonschema.validate(response, spec)), per_call(lambda: validator.validate(response))


GROWTH = (("client: message → reply (ms)", "client"), ("tracker store retrieve (ms)", "retrieve"),
          ("· tracker rebuilt from its events (ms)", "from_dict"), ("policy predictions (ms)", "predict"),
          ("· tracker → states (ms)", "states"), ("tracker store save (ms)", "save"),
          ("custom action round trip (ms)", "remote"))


def breakdown_lines(s: dict[str, tuple[float, ...]], profiled: dict[str, list[float]]) -> list[str]:
    """The main table; the last column is the second sender's ms/turn, to show cProfile's inflation."""
    lines = ["| step | turns with it | p50 ms | p95 ms | ms/turn | share of the turn | calls/turn "
             "| ms/turn under cProfile |", "|---|---|---|---|---|---|---|---|"]
    for row in ROWS:
        n, p50, p95, mean, share, calls = s[row.key]
        lines.append(f"| {row.name} | {n:.0f} | {p50:.1f} | {p95:.1f} | {mean:.1f} | {share:.1%} | {calls:.2f} "
                     f"| {statistics.fmean(profiled[row.key]) * 1000:.1f} |")
    return lines


def growth_rows(records: Sequence[Record], windows: Sequence[Window], sums: dict[str, list[float]]
                ) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """Each growth measure: its label and (turns 1–10, turns 91–100, slope per 100 events)."""
    events = turn_field(records, windows, RETRIEVE, 4)
    first, last = slice(0, len(CONVERSATION)), slice(-len(CONVERSATION), None)
    size = [b / 1000 for b in turn_field(records, windows, REQUEST, 5)]
    measures = {"events": ("events in the tracker loaded", events), "size": ("request to the action server (KB)", size),
                **{key: (label, [v * 1000 for v in sums[key]]) for label, key in GROWTH}}
    return {key: (label, growth(values, events, first, last)) for key, (label, values) in measures.items()}


def cost_lines(costs: dict[str, list[tuple[str, float, float]]], stats: dict[str, dict[Any, Any]], turns: int
               ) -> list[str]:
    """The once-per-process suspects per turn in each server, then our own functions' hot spots."""
    lines = ["| work (second sender, cProfile) | Rasa server calls/turn | ms/turn | action server calls/turn "
             "| ms/turn |", "|---|---|---|---|---|"]
    for (what, rasa_calls, rasa_ms), (_, action_calls, action_ms) in zip(costs["rasa"], costs["actions"], strict=True):
        lines.append(f"| {what} | {rasa_calls:.2f} | {rasa_ms:.2f} | {action_calls:.2f} | {action_ms:.2f} |")
    for name, top in (("actions", 10), ("rasa", 5)):
        lines += ["", f"| our functions in the {name} server (cProfile) | calls/turn | cumulative ms/turn |",
                  "|---|---|---|", *[f"| `{where}` | {calls:.2f} | {ms:.2f} |"
                                     for where, calls, ms in our_hot_spots(stats[name], turns, top)]]
    return lines


def reading(s: dict[str, tuple[float, ...]], g: dict[str, tuple[str, tuple[float, float, float]]],
            costs: dict[str, list[tuple[str, float, float]]], schema: tuple[float, float]) -> list[str]:
    """The section's conclusions, every number from this run. s: summary() per row (3 = ms/turn,
    4 = share); g: growth_rows(); costs: function_costs() of SUSPECTS per server."""
    def ms(key: str) -> str:
        return f"{s[key][3]:.0f} ms ({s[key][4]:.0%})"
    def both(what: str) -> str:  # calls per turn in the two servers together
        return f"{sum(calls for found, calls, _ in costs['rasa'] + costs['actions'] if found == what):.2f}"
    rasa, actions = ({what: (calls, cost) for what, calls, cost in costs[name]} for name in ("rasa", "actions"))
    sqlite = sum(actions[what][1] for what, *_ in SUSPECTS[4:8])
    (e1, e2, _), (c1, c2, _), (r1, r2, slope) = g["events"][1], g["client"][1], g["retrieve"][1]
    (p1, p2, _), (k1, k2, _) = g["predict"][1], g["size"][1]
    return [
        f"Where the time goes: of a {s['client'][1]:.0f} ms median turn ({s['client'][3]:.0f} ms mean), the custom "
        f"action's round trip takes {ms('remote')} per turn, policy predictions {ms('predict')} for "
        f"{s['predict'][5]:.1f} predictions a turn (TED {ms('ted')}, Rule {ms('rule')}, Memoization {ms('memo')}), "
        f"the tracker store {ms('retrieve')} to retrieve and {ms('save')} to save, and NLU only {ms('nlu')}, DIET "
        f"{s['diet'][3]:.1f} ms of it.",
        f"The largest single cut is in Rasa, not in our action server (ActionExecutor.run, our DB work and "
        f"rules engine included: {ms('executor')}): every action response is checked with `jsonschema.validate`, "
        f"which checks Rasa's response schema itself each time, {s['schema'][1]:.0f} ms per call here, "
        f"{ms('schema')} per turn; a validator built once does the same check in {schema[1]:.2f} ms "
        f"({schema[0]:.0f} ms with `validate`, measured in this client).",
        f"Cost grows with the session: from turns 1–10 to 91–100 of one sender the tracker loaded grows from "
        f"{e1:.0f} to {e2:.0f} events and the turn from {c1:.0f} to {c2:.0f} ms: retrieve {r1:.0f} → {r2:.0f} ms "
        f"({slope:.1f} ms per 100 events, mostly rebuilding the tracker from its events), predictions "
        f"{p1:.0f} → {p2:.0f} ms (each policy turns the whole tracker into states, and max_history only trims "
        f"them afterwards, so a smaller max_history saves little), and the request to the action server "
        f"{k1:.0f} → {k2:.0f} KB (the whole tracker and domain on every call); a shorter session "
        f"(session_expiration_time is 720 min) would cut all three.",
        f"SQLite matters less: tracker-store save is {s['save'][1]:.1f} ms p50 / {s['save'][2]:.1f} ms p95 (its "
        f"commit, on SQLite's defaults, {rasa['SQLite commit (fsync)'][1]:.1f} ms/turn under cProfile), and our "
        f"action server opens, PRAGMAs and closes a SQLite "
        f"connection per transaction (SQLAlchemy 1.4 gives SQLite files a NullPool): "
        f"{actions['SQLite connection opened'][0]:.1f} connections and {sqlite:.1f} ms per turn under cProfile, "
        f"commit fsyncs included.",
        f"Not worth cutting now: NLU, and our own work ({ms('coach')} in service calls: SQL {s['sql'][3]:.1f} ms, "
        f"rules engine {s['engine'][3]:.1f} ms); no repeated set-up per turn was found: "
        f"{both('YAML parsed (yaml.load)')} YAML parses, {both('SQLAlchemy engine made (create_engine)')} engines "
        f"and {both('services built (build_services)')} services built per turn in the two servers.",
    ]


def header(probe: float, load: float, minutes: float) -> list[str]:
    """When, where and how: the numbers mean little without the machine and the method."""
    niceness = os.nice(0)
    return [
        f"Written by `{f'nice -n {niceness} ' if niceness else ''}.venv/bin/python -m bench.profile_turn` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the run took {minutes:.1f} min. {machine()}; CPU probe "
        f"(sum of 10^7 squares, median of 5) {probe:.2f} s; load average before the run {load:.1f}.", "",
        "The real stack as bin/run starts it (REST channel, Rasa server with the serving loader, action server, "
        "a fresh SQLite session database, SQL tracker store on SQLite), each server run by bench.profiled: "
        "wall-clock timers around the steps below, each call matched to the client's turn by its start time. "
        f"Two senders are onboarded ({len(ONBOARDING)} turns each, not measured), then each sends bench.run's "
        f"{len(CONVERSATION)}-message conversation {ROUNDS} times. The first sender's {ROUNDS * len(CONVERSATION)} "
        "turns give the table (timers only, microseconds a call: the client row is the unprofiled wall time); the "
        "second's run with cProfile on too (last column: it inflates Python-heavy steps most, TensorFlow and "
        "SQLite's C code least). p50/p95 are over the turns in which a step ran, ms/turn and share over all "
        "turns; `·` marks a part of the row above it, a `rest` row what is left of its parent. Profiles and "
        "logs: var/profile_turn/.", "",
    ]


def main() -> None:
    began, load, probe = time.perf_counter(), os.getloadavg()[0], cpu_probe_seconds()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    timed, profiled = run_stack()
    records = [r for name in SPECS for r in json.loads((OUT / f"{name}.timers.json").read_text())]
    stats = {name: read_profile(name) for name in SPECS}
    sums, counts = turn_sums(records, timed)
    profiled_sums, _ = turn_sums(records, profiled)
    costs = {name: function_costs(stats[name], len(profiled), SUSPECTS) for name in SPECS}
    g = growth_rows(records, timed, sums)
    s = {row.key: summary(sums[row.key], counts[row.key], sums["client"]) for row in ROWS}
    conclusions = reading(s, g, costs, schema_check_ms())
    lines = [*header(probe, load, (time.perf_counter() - began) / 60), *breakdown_lines(s, profiled_sums),
             "", "How it grows with the conversation (first sender, timers):", "",
             "| measure | turns 1–10 | turns 91–100 | per 100 more events |", "|---|---|---|---|",
             *[f"| {label} | {a:.1f} | {b:.1f} | {'—' if key == 'events' else f'{slope:+.1f}'} |"
               for key, (label, (a, b, slope)) in g.items()],
             "", "Repeated work per turn (second sender, cProfile; C functions in `~`):", "",
             *cost_lines(costs, stats, len(profiled)), "", "**Reading.** " + " ".join(conclusions), ""]
    write_section(SECTION, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
