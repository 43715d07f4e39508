"""A plan as plain text for a phone: title, numbered exercises, minutes, then the reasons.

The one place that turns a Plan into words (its texts: messages.yml `plan`). Plain text (no
Markdown), kept under `plan.limit` characters: reasons that don't fit are left for the "why"
answer (engine.explain_plan).
"""

from __future__ import annotations

from bot.coaching.models import Plan, PlannedExercise
from bot.content.loader import messages


def dose_text(e: PlannedExercise) -> str:
    """'2×10', '3×30 s each side', '2×20 m', '30 min'."""
    if e.seconds is not None and e.seconds >= 120:
        text = f"{e.seconds // 60} min"
        return text if e.sets == 1 else f"{e.sets}×{text}"
    if e.reps is not None:
        text = f"{e.sets}×{e.reps}"
    elif e.seconds is not None:
        text = f"{e.sets}×{e.seconds} s"
    else:
        text = f"{e.sets}×{e.metres} m"
    return f"{text} each side" if e.per_side else text


def exercise_line(number: int, e: PlannedExercise, cue: bool = True) -> str:
    parts = [dose_text(e)]
    if e.load and e.load != "none":
        parts.append(e.load)
    if cue:
        parts.append(e.cue)
    return f"{number}. {e.name} — " + " · ".join(parts)


def format_plan(plan: Plan) -> str:
    texts = messages().plan
    title = f"{texts.titles[plan.kind]} — {plan.day.strftime('%A')} {plan.day.day} " + (
        plan.day.strftime("%B")
    )
    reasons = [f"- {r.text}" for r in plan.reasons]
    for cues in (True, False):
        body = [exercise_line(i, e, cues) for i, e in enumerate(plan.exercises, 1)]
        if plan.minutes:
            warmup = texts.warmup if plan.kind == "strength" else ""
            body.append(texts.minutes.format(minutes=plan.minutes, warmup=warmup))
        head = "\n".join([title, *body])
        for shown in range(len(reasons), 0, -1):
            why = reasons[:shown] + ([texts.more] if shown < len(reasons) else [])
            text = "\n\n".join([head, "\n".join([texts.why, *why])])
            if len(text) <= texts.limit:
                return text
    return head[: texts.limit]
