"""What each page shows, read through bot/db (no query here) and the services' shared helpers.

The clients table joins two reads: the clinic's report (adherence, streak, pain, last session;
report_cache.py, up to a minute old) and, fresh on every page, the roster (names, the clinic's
flags, the answers the tiers follow) and the counts of open red flags and alerts, which staff
change from these pages. Tiers are the rules engine's own (`assign_tiers`), remembered per set
of answers so that 5,000 clients cost one look-up each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy.orm import Session

from bot.coach_desk.report import ClientReport
from bot.coaching import models as cm
from bot.coaching.library import default_library, default_rules
from bot.coaching.tiers import FALLS_FIRST, SPINE_PROTECT, STANDARD, STOP, assign_tiers
from bot.dashboard.content import Dropping
from bot.db import alerts, audit, clients, sessions, symptoms
from bot.db.clients import Assessment
from bot.db.models import AuditEntry, CheckIn, Client, CoachAlert, SymptomReport, parse_training_days
from bot.db.status import AlertKind, RedFlagState
from bot.services.context import local_today

TIERS = (STOP, SPINE_PROTECT, FALLS_FIRST, STANDARD)  # most cautious first
FLAG_FILTERS = ("red_flag", "alert")
TREND_KEYS = ("better", "same", "worse")


# --- the clients table ---------------------------------------------------------------------------
@dataclass(slots=True)
class ClientLine:
    """One row of the clients table (slots, and adherence worked out once: there are 5,000)."""

    client_id: int
    chat_id: int
    name: str
    report: ClientReport | None  # None for a client newer than the report
    tiers: tuple[str, ...]  # TIERS order; empty without a profile
    cleared_for_weights: bool
    red_flags: int  # not cleared yet
    open_alerts: int
    adherence_7: float | None = field(init=False)
    adherence_28: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.adherence_7 = self.report.adherence(7) if self.report is not None else None
        self.adherence_28 = self.report.adherence(28) if self.report is not None else None

    @property
    def drop(self) -> float:
        """How far the 7-day adherence is below the 28-day one (percentage points)."""
        week, month = self.adherence_7, self.adherence_28
        return month - week if week is not None and month is not None else 0.0

    def is_dropping(self, rule: Dropping) -> bool:
        """The last 7 days' adherence `rule.points` or more below the last 28 days', with at
        least `rule.min_planned_7` sessions planned in the 7 days (fewer says too little)."""
        return (self.report is not None and self.report.planned_7 >= rule.min_planned_7
                and self.adherence_7 is not None and self.adherence_28 is not None
                and self.adherence_28 - self.adherence_7 >= rule.points)


@cache
def _trend_rank() -> dict[str, int]:
    words = default_rules()["progress_trend"]["words"]
    return {words[key]: rank for rank, key in enumerate(TREND_KEYS)}


def _report_value(attribute: str) -> Callable[[ClientLine], Any]:
    return lambda line: getattr(line.report, attribute) if line.report is not None else None


SORTS: dict[str, Callable[[ClientLine], Any]] = {
    "name": lambda line: line.name.casefold(),
    "adherence_7": lambda line: line.adherence_7,
    "adherence_28": lambda line: line.adherence_28,
    "streak": _report_value("streak"),
    "last_session": _report_value("last_session"),
    "pain": _report_value("pain_average"),
    "trend": lambda line: _trend_rank().get(line.report.pain_trend) if line.report is not None else None,
    "tier": lambda line: TIERS.index(line.tiers[0]) if line.tiers else None,
    "red_flags": lambda line: line.red_flags,
    "alerts": lambda line: line.open_alerts,
}


@dataclass(frozen=True)
class ClientQuery:
    """The table's sort, filters and page: query parameters (never a client's data)."""

    sort: str = "name"
    descending: bool = False
    tier: str | None = None
    flag: str | None = None
    dropping: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ClientQuery:
        """Unknown values fall back to the defaults (a hand-edited link shows the plain table)."""
        page, sort = args.get("page", "1"), args.get("sort", "name")
        return cls(
            sort=sort if sort in SORTS else "name",
            descending=args.get("order") == "desc",
            tier=args.get("tier") if args.get("tier") in TIERS else None,
            flag=args.get("flag") if args.get("flag") in FLAG_FILTERS else None,
            dropping=args.get("dropping") == "1",
            page=int(page) if page.isdigit() and int(page) > 0 else 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """This query (with `changes`) as query parameters, defaults left out."""
        query = replace(self, **changes)
        found = {"sort": query.sort, "order": "desc" if query.descending else "asc", "tier": query.tier,
                 "flag": query.flag, "dropping": "1" if query.dropping else None, "page": str(query.page)}
        defaults = {"sort": "name", "order": "asc", "page": "1"}
        return {k: v for k, v in found.items() if v is not None and defaults.get(k) != v}

    def sorted_by(self, key: str) -> dict[str, Any]:
        """The link of a column heading: by that column, the other way round when it is already."""
        return self.args(sort=key, descending=self.sort == key and not self.descending, page=1)


@dataclass(frozen=True)
class ClientsPage:
    lines: list[ClientLine]
    total: int  # clients in the clinic
    matching: int  # after filters and search
    page: int
    pages: int
    query: ClientQuery
    search: str | None
    report_made_at: datetime


def client_lines(s: Session, report: Mapping[int, ClientReport]) -> list[ClientLine]:
    """Every client, in chat-id order: the report's numbers with today's flags and counts."""
    red_flags, open_alerts = symptoms.open_red_flag_counts(s), alerts.open_alert_counts(s)
    return [
        ClientLine(row.id, row.chat_id, row.display_name or "", report.get(row.chat_id),
                   tiers_of(row.assessment, row.id in red_flags), bool(row.assessment.cleared_for_weights),
                   red_flags.get(row.id, 0), open_alerts.get(row.id, 0))
        for row in clients.roster(s)
    ]


def clients_page(lines: Sequence[ClientLine], query: ClientQuery, search: str | None, per_page: int,
                 dropping: Dropping, report_made_at: datetime) -> ClientsPage:
    """Filter, search (a part of the name, any case), sort over every client, then one page."""
    needle = (search or "").casefold()
    found = [
        line for line in lines
        if (query.tier is None or query.tier in line.tiers)
        and (query.flag != "red_flag" or line.red_flags > 0)
        and (query.flag != "alert" or line.open_alerts > 0)
        and (not query.dropping or line.is_dropping(dropping))
        and needle in line.name.casefold()
    ]
    ordered = sort_lines(found, query.sort, query.descending)
    pages = max(1, -(-len(ordered) // per_page))
    page = min(query.page, pages)
    return ClientsPage(ordered[(page - 1) * per_page: page * per_page], len(lines), len(ordered), page, pages,
                       replace(query, page=page), search, report_made_at)


def sort_lines(lines: Sequence[ClientLine], key: str, descending: bool) -> list[ClientLine]:
    """By `key` either way, then by name; clients without the value (nothing planned, no pain
    given) always last."""
    value = SORTS[key]
    by_name = sorted(lines, key=lambda line: (line.name.casefold(), line.chat_id))
    known = [line for line in by_name if value(line) is not None]
    unknown = [line for line in by_name if value(line) is None]
    return sorted(known, key=value, reverse=descending) + unknown


@lru_cache(maxsize=16_384)
def tiers_of(row: Assessment, red_flag_open: bool) -> tuple[str, ...]:
    """The client's tiers as the rules engine decides them, remembered per assessment (many
    clients share one); none without a full profile."""
    if row.experience is None or row.balance_confidence is None or row.falls_last_year is None:
        return ()  # no profile (or one without its answers yet)
    profile = cm.Profile(
        experience=row.experience, vertebral_fracture=bool(row.vertebral_fracture),
        falls_last_year=row.falls_last_year, balance_confidence=row.balance_confidence,
        baseline_pain=row.baseline_pain or 0, sessions_per_week=row.sessions_per_week or 0,
        training_days=parse_training_days(row.training_days), equipment=frozenset(),  # tiers never read it
        high_risk=bool(row.high_risk), recent_fracture_uncleared=bool(row.recent_fracture_uncleared),
        cleared_for_weights=bool(row.cleared_for_weights), cleared_floor=bool(row.cleared_floor),
        vertebral_fracture_unsure=bool(row.vertebral_fracture_unsure),
        several_fractures=bool(row.several_fractures), height_loss_or_curve=bool(row.height_loss_or_curve),
    )
    flags = [cm.SymptomReport(day=date.min, kind="red_flag", score=None, body_part=None)] if red_flag_open else []
    decided = assign_tiers(profile, flags).tiers
    return tuple(tier for tier in TIERS if tier in decided)


# --- Today ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RedFlagCase:
    """A client with a red flag not cleared, or an open red-flag alert: stopped until cleared."""

    client: Client
    flags: list[SymptomReport] = field(default_factory=list)  # not cleared, oldest first
    alerts: list[CoachAlert] = field(default_factory=list)  # open red-flag alerts

    @property
    def handled(self) -> bool:
        """Someone at the clinic is on it: every flag handled, no red-flag alert left open."""
        return not self.alerts and all(f.state == RedFlagState.HANDLED for f in self.flags)


@dataclass(frozen=True)
class TodayPage:
    red_flags: list[RedFlagCase]
    groups: list[tuple[str, list[CoachAlert]]]  # (alert kind, open alerts oldest first), in today_order
    dropping: list[ClientLine]  # most dropped first


def today_page(s: Session, order: Sequence[str], lines: Sequence[ClientLine], dropping: Dropping) -> TodayPage:
    cases: dict[int, RedFlagCase] = {}
    for flag in symptoms.uncleared_red_flags(s):
        cases.setdefault(flag.client_id, RedFlagCase(flag.client)).flags.append(flag)
    by_kind: dict[str, list[CoachAlert]] = {}
    for alert in alerts.list_alerts(s, open_only=True):
        if alert.kind == AlertKind.RED_FLAG:
            cases.setdefault(alert.client_id, RedFlagCase(alert.client)).alerts.append(alert)
        else:
            by_kind.setdefault(alert.kind, []).append(alert)
    kinds = [k for k in order if k != AlertKind.RED_FLAG] + sorted(set(by_kind) - set(order))
    firsts = sorted(cases.values(), key=lambda c: min([f.at for f in c.flags] + [a.at for a in c.alerts]))
    dropped = sorted((line for line in lines if line.is_dropping(dropping)), key=lambda line: (-line.drop, line.name))
    return TodayPage(firsts, [(kind, by_kind.get(kind, [])) for kind in kinds], dropped)


# --- one client ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LadderLine:
    pattern: str
    label: str
    rung: int
    rung_name: str
    start_rung: int
    top: int  # the ladder's highest rung


@dataclass(frozen=True)
class ClientFacts:
    """What the client page reads from the session database, in one transaction."""

    client: Client  # its profile loaded
    red_flags: list[SymptomReport]
    alerts: list[CoachAlert]  # newest first
    checkins: list[CheckIn]  # newest first, exercise logs loaded
    ladders: list[LadderLine]
    audit: list[AuditEntry]


def client_facts(s: Session, client_id: int, now: datetime, checkins_shown: int, audit_shown: int
                 ) -> ClientFacts | None:
    client = clients.get_client_by_id(s, client_id)
    if client is None:
        return None
    _ = client.profile  # loaded while the session is open
    since = local_today(client, now) - timedelta(days=default_rules()["history"]["days"])
    checkins = sessions.recent_checkins(s, client, since)
    return ClientFacts(
        client=client,
        red_flags=symptoms.open_red_flags(s, client),
        alerts=alerts.list_alerts(s, client)[::-1],
        checkins=checkins[::-1][:checkins_shown],
        ladders=ladder_lines({p.pattern: (p.rung, p.start_rung) for p in client.ladder_positions}),
        audit=audit.recent_entries(s, client.id, audit_shown),
    )


def ladder_lines(positions: Mapping[str, tuple[int, int]]) -> list[LadderLine]:
    """The client's ladders (pattern -> (rung, start rung)) in the library's order, each rung
    named as the plan names it."""
    lines = []
    for pattern, ladder in default_library().ladders.items():
        if pattern in positions:
            rung, start = positions[pattern]
            name = ladder.rungs[min(rung, len(ladder.rungs) - 1)].name
            lines.append(LadderLine(pattern, ladder.label, rung, name, start, len(ladder.rungs) - 1))
    return lines


def plan_reasons(plan: cm.Plan) -> list[tuple[str, str]]:
    """Every reason behind the plan with the name of its source (as explain_plan words it)."""
    sources = default_rules().sources
    return [(reason.text, sources.get(reason.source, reason.source)) for reason in plan.reasons]
