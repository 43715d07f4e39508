"""The /progress chart: sessions done per week as bars, average pain as a line.

Drawn with matplotlib's Agg canvas on a Figure of its own (no pyplot global state), so it is
safe in a server handling several clients at once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

from bot.coaching.models import History, SymptomReport
from bot.coaching.progress import pain_scores
from bot.content.loader import messages

DONE = ("done", "partial")
STRENGTH = ("strength", "minimum")


def weekly_sessions(history: History, today: date, weeks: int = 8) -> list[tuple[date, int, int]]:
    """(Monday, strength days, other days) for the last `weeks` calendar weeks, this week last.

    A day counts once, whatever its number of check-ins; a strength day is one whose session
    done was logged as strength (or the minimum), whatever that day's plan became afterwards.
    """
    monday = today - timedelta(days=today.weekday())
    rows = []
    for i in range(weeks):
        start = monday - timedelta(weeks=weeks - 1 - i)
        end = start + timedelta(days=6)
        done = [s for s in history.sessions if start <= s.day <= end and s.status in DONE]
        strength = {s.day for s in done if s.kind in STRENGTH}
        rows.append((start, len(strength), len({s.day for s in done} - strength)))
    return rows


def progress_chart_png(
    history: History, today: date, symptoms: Sequence[SymptomReport] = (), weeks: int = 8
) -> bytes:
    """A PNG of the last `weeks` calendar weeks (Monday to Sunday), this week last."""
    # Imported here: matplotlib takes seconds to load, and most processes never draw a chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = weekly_sessions(history, today, weeks)
    starts = [start for start, _, _ in bars]
    strength = [count for _, count, _ in bars]
    other = [count for _, _, count in bars]
    pain = []
    scores = pain_scores(history, symptoms)
    for start in starts:
        end = start + timedelta(days=6)
        week_pain = [score for day, score in scores if start <= day <= end]
        pain.append(sum(week_pain) / len(week_pain) if week_pain else float("nan"))

    texts = messages().chart
    figure = Figure(figsize=(6.4, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    x = list(range(weeks))
    ax.bar(x, strength, color="#2f6f8f", label=texts.strength)
    ax.bar(x, other, bottom=strength, color="#9cc5d9", label=texts.other)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{d.day} {d.strftime('%b')}" for d in starts], fontsize=8)
    ax.set_ylabel(texts.sessions)
    ax.set_ylim(0, max(7, max(s + o for s, o in zip(strength, other, strict=True)) + 1))
    ax.set_title(texts.title)
    pain_axis = ax.twinx()
    pain_axis.plot(x, pain, color="#c0504d", marker="o", label=texts.pain)
    pain_axis.set_ylim(0, 10)
    pain_axis.set_ylabel(texts.pain_axis)
    handles = ax.get_legend_handles_labels()[0] + pain_axis.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
