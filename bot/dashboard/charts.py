"""The client page's two charts, as numbers for an SVG template (charts/*.svg): each ladder's rung
over the engine's history window (one small step line per movement), and every pain score given
against the pain zones. Read from the same history as /progress (bot.services.history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.coaching import models as cm
from bot.coaching.library import default_library
from bot.coaching.progress import pain_scores

WIDTH = 640
LEFT = 130  # room for the movement's name
RIGHT = 12
ROW = 34  # height of one ladder's strip
TOP = 8
AXIS = 22  # date labels under the plot
PAIN_HEIGHT = 180


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Strip:
    label: str
    y: float  # the strip's top
    line: str  # SVG polyline points
    dots: tuple[tuple[float, float], ...]
    rung_now: int


@dataclass(frozen=True)
class LadderChart:
    width: int
    height: int
    left: int
    right: int
    row: int
    strips: tuple[Strip, ...]
    ticks: tuple[Tick, ...]
    axis_y: float


@dataclass(frozen=True)
class Band:
    y: float
    height: float
    zone: str  # green | amber | red


@dataclass(frozen=True)
class PainChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    plot_height: int
    bands: tuple[Band, ...]
    line: str
    dots: tuple[tuple[float, float, int], ...]  # x, y, score
    ticks: tuple[Tick, ...]
    levels: tuple[tuple[float, int], ...]  # y, score: the axis


class Days:
    """Days of the window across the plot's width."""

    def __init__(self, today: date, days: int) -> None:
        self.first = today - timedelta(days=days - 1)
        self.days = days

    def x(self, day: date) -> float:
        return LEFT + (day - self.first).days / max(1, self.days - 1) * (WIDTH - LEFT - RIGHT)

    def ticks(self) -> tuple[Tick, ...]:
        """Every Monday, labelled "2 Jun"."""
        monday = self.first + timedelta(days=-self.first.weekday() % 7)
        found = []
        while (monday - self.first).days < self.days:
            found.append(Tick(self.x(monday), f"{monday.day} {monday:%b}"))
            monday += timedelta(weeks=1)
        return tuple(found)


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def ladder_chart(history: cm.History, today: date, days: int) -> LadderChart:
    """Each ladder the client has a rung on, in the library's order: the rung of every session
    done with it, held until the next, and today's rung at the right edge."""
    window = Days(today, days)
    done: dict[str, dict[date, int]] = {}
    for session in history.sessions:
        if session.day >= window.first:
            for result in session.results:
                found = done.setdefault(result.pattern, {})
                found[session.day] = max(result.rung, found.get(session.day, result.rung))
    strips: list[Strip] = []
    for pattern, ladder in default_library().ladders.items():
        if pattern not in done and pattern not in history.rungs:
            continue
        y0 = TOP + len(strips) * ROW
        top = max(1, len(ladder.rungs) - 1)

        def y(rung: int, y0: float = y0, top: int = top) -> float:
            return y0 + ROW - 6 - min(rung, top) / top * (ROW - 12)

        series = sorted(done.get(pattern, {}).items())
        now = history.rungs.get(pattern, series[-1][1] if series else 0)
        steps: list[tuple[float, float]] = []
        for day, rung in series:
            if steps:
                steps.append((window.x(day), steps[-1][1]))
            steps.append((window.x(day), y(rung)))
        if steps:
            steps.append((window.x(today), steps[-1][1]))
        steps.append((window.x(today), y(now)))
        dots = tuple((window.x(day), y(rung)) for day, rung in series)
        strips.append(Strip(ladder.label, y0, _points(steps), dots, now))
    axis_y = TOP + len(strips) * ROW + 4
    return LadderChart(WIDTH, int(axis_y + AXIS), LEFT, RIGHT, ROW, tuple(strips), window.ticks(), axis_y)


def pain_chart(history: cm.History, reports: Sequence[cm.SymptomReport], today: date, days: int,
               zones: dict[str, int]) -> PainChart:
    """Every pain score of the window (check-ins and pain reports), the day's highest joined by
    a line, over the green, amber and red zones of rules.yml `pain_zones`."""
    window = Days(today, days)

    def y(score: float) -> float:
        return TOP + (10 - score) / 10 * PAIN_HEIGHT

    scores = sorted((day, score) for day, score in pain_scores(history, reports) if day >= window.first)
    highest: dict[date, int] = {}
    for day, score in scores:
        highest[day] = max(score, highest.get(day, score))
    bands = tuple(
        Band(y(high), y(low) - y(high), zone)
        for low, high, zone in ((0, zones["amber"], "green"), (zones["amber"], zones["red"], "amber"),
                                (zones["red"], 10, "red"))
    )
    return PainChart(
        WIDTH, TOP + PAIN_HEIGHT + AXIS, LEFT, RIGHT, TOP, PAIN_HEIGHT, bands,
        _points([(window.x(day), y(score)) for day, score in sorted(highest.items())]),
        tuple((window.x(day), y(score), score) for day, score in scores),
        window.ticks(),
        tuple((y(level), level) for level in (0, 5, 10)),
    )
