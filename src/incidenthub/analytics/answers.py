"""The analytics answers over a period: figures per group and leg (`intervals`), and how a standard fares
(`compliance`). The database computes the figures (figures_repository); this module names and judges them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.analytics import intervals
from incidenthub.analytics.figures_repository import FiguresRepository
from incidenthub.analytics.legs import GROUP_BY, LEG_ENDS
from incidenthub.analytics.period import bad, period_of
from incidenthub.analytics.repository import AnalyticsRepository
from incidenthub.analytics.service import tenant_standards
from incidenthub.analytics.standards import Standard, Target
from incidenthub.clock import iso_utc
from incidenthub.models import Tenant

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Whose fault a slow leg mostly is: the groups compliance ranks when no group_by is given.
WORST_BY = {
    "call_answer": "call_taker",
    "call_processing": "call_taker",
    "call_duration": "call_taker",
    "queue": "call_position",
    "total": "response_area",
    "turnout": "unit",
    "travel": "unit",
    "response": "unit",
    "on_scene": "unit",
}
WORST = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Where each end of a leg is stored, in words (a first-unit time is the earliest of several).
_FIELDS = {
    "received": "incident.call_received_at",
    "picked": "incident.call_picked_up_at",
    "hung": "incident.call_hung_up_at",
    "queued": "incident.dispatch_queued_at",
    "first_dispatched": "first of incident.dispatched_at and assignments[*].dispatched_at",
    "first_arrived": "first of assignments[*].arrived_at",
    "dispatched": "assignments[{id}].dispatched_at",
    "enroute": "assignments[{id}].enroute_at",
    "arrived": "assignments[{id}].arrived_at",
    "cleared": "assignments[{id}].cleared_at",
}


def _seconds(ms: Any) -> float | None:
    return None if ms is None else round(float(ms) / 1000, 3)


def _at(ms: Any) -> str | None:
    return None if ms is None else iso_utc(_EPOCH + timedelta(milliseconds=int(ms)))


def _group_name(group_by: str | None, value: Any) -> str | None:
    if value is None:
        return None
    if group_by == "hour":
        return f"{int(value):02d}"
    if group_by == "weekday":
        return WEEKDAYS[int(value)]
    return str(value)


def target_result(target: Target, judged: int, within: int) -> dict[str, Any]:
    """One target over `judged` legs of which `within` are within: the share, and whether it meets the percent
    (exactly, as standards.judge: 90.0 % passes 90 %)."""
    if not judged:
        share, passed = None, None
    else:
        exact = Fraction(within * 100, judged)
        share, passed = round(float(exact), 2), exact >= Fraction(str(target.percent))
    return {
        "within_seconds": target.within_seconds,
        "percent_required": target.percent,
        "judged": judged,
        "within": within,
        "percent_within": share,
        "passed": passed,
    }


def _standard(row: Any, index: int, standard: Standard) -> dict[str, Any]:
    judged = int(getattr(row, f"s{index}_n") or 0)
    targets = [
        target_result(t, judged, int(getattr(row, f"s{index}_t{j}") or 0)) for j, t in enumerate(standard.targets)
    ]
    verdicts = [t["passed"] for t in targets]
    return {
        "standard_id": standard.id,
        "name": standard.name,
        "source": standard.source,
        "edition": standard.edition,
        "clause": standard.clause,
        "judged": judged,
        "passed": None if None in verdicts else all(verdicts),
        "targets": targets,
    }


def _figures(row: Any) -> dict[str, Any]:
    return {
        "count": int(row.count or 0),
        "missing": int(row.missing or 0),
        "data_quality_issues": int(row.issues or 0),
        "p50": _seconds(row.p50),
        "p90": _seconds(row.p90),
        "mean": _seconds(row.mean),
    }


def _context(session: Session, tenant_id: str, from_date: str | None, to_date: str | None, now: datetime) -> Any:
    repository = AnalyticsRepository(session)
    timezone = session.get(Tenant, tenant_id)
    period = period_of(from_date, to_date, timezone.timezone if timezone else None, now)
    return repository, period


def intervals_answer(
    session: Session, tenant_id: str, group_by: str | None, from_date: str | None, to_date: str | None, now: datetime
) -> dict[str, Any]:
    """Per group and per leg: count, p50, p90, mean, % within each standard that judges the leg, missing legs and
    data-quality issues."""
    if group_by is not None and group_by not in GROUP_BY:
        raise bad("group_by", f"must be one of {', '.join(GROUP_BY)}")
    repository, period = _context(session, tenant_id, from_date, to_date, now)
    chosen = tenant_standards(repository, tenant_id)
    rows = FiguresRepository(session).intervals(tenant_id, period, group_by, chosen)
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row.g, {"group": _group_name(group_by, row.g) if group_by else "all", "label": row.label, "legs": {}}
        )
        group["label"] = group["label"] or row.label
        group["legs"][row.leg] = {
            "leg": row.leg,
            "label": intervals.LABELS[row.leg],
            **_figures(row),
            "standards": [_standard(row, i, s) for i, s in enumerate(chosen) if s.leg == row.leg],
        }
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] if item[0] is not None else 0))
    return {
        "period": period.as_dict(),
        "group_by": group_by,
        "groups": [
            {**group, "legs": [group["legs"][name] for name in LEG_ENDS if name in group["legs"]]}
            for _, group in ordered
        ],
    }


def _missed_row(row: Any, standard: Standard) -> dict[str, Any]:
    start, end = LEG_ENDS[row.leg]
    seconds = _seconds(row.v)
    return {
        "incident_id": row.incident_id,
        "number": row.number,
        "assignment_id": row.assignment_id,
        "call_sign": row.call_sign,
        "leg": row.leg,
        "seconds": seconds,
        "start": {"field": _FIELDS[start].format(id=row.assignment_id), "at": _at(row.start_ms)},
        "end": {"field": _FIELDS[end].format(id=row.assignment_id), "at": _at(row.end_ms)},
        "missed": [t.within_seconds for t in standard.targets if seconds is not None and seconds > t.within_seconds],
    }


def compliance_answer(
    session: Session,
    tenant_id: str,
    standard_id: str,
    group_by: str | None,
    period_args: tuple[str | None, str | None],
    page: int,
    limit: int,
    now: datetime,
) -> dict[str, Any]:
    """Pass/fail of one standard's targets over the period, its worst groups, and the legs that missed (a page)."""
    if group_by is not None and group_by not in GROUP_BY:
        raise bad("group_by", f"must be one of {', '.join(GROUP_BY)}")
    repository, period = _context(session, tenant_id, *period_args, now)
    chosen = {s.id: s for s in tenant_standards(repository, tenant_id)}
    standard = chosen.get(standard_id)
    if standard is None:
        raise bad("standard", f"unknown standard {standard_id!r}; the tenant's are {', '.join(chosen)}")
    if group_by == "unit" and standard.leg in intervals.INCIDENT_LEGS:
        raise bad("group_by", f"unit groups the unit legs only; {standard.id} judges the {standard.leg} leg")
    ranked_by = group_by or WORST_BY[standard.leg]
    figures = FiguresRepository(session)
    rows = figures.compliance(tenant_id, period, ranked_by, standard)
    overall = next((r for r in rows if r.scope == "all"), None)
    groups = [
        {"group": _group_name(ranked_by, r.g), "label": r.label, **_figures(r), **_judged(r, standard)}
        for r in rows
        if r.scope == "group"
    ]
    worst = sorted(
        (g for g in groups if g["judged"]),
        key=lambda g: (g["targets"][0]["percent_within"], -g["judged"], str(g["group"])),
    )[:WORST]
    strictest = min(t.within_seconds for t in standard.targets)
    missed = figures.missed(tenant_id, period, standard, strictest * 1000, page, limit)
    # The legs over the strictest target: those judged less those within it (the figures count both).
    j = next(j for j, t in enumerate(standard.targets) if t.within_seconds == strictest)
    total = int(overall.s0_n or 0) - int(getattr(overall, f"s0_t{j}") or 0) if overall else 0
    return {
        "period": period.as_dict(),
        "standard": _describe(standard),
        **(_figures(overall) if overall else _empty()),
        **(_judged(overall, standard) if overall else _judged(None, standard)),
        "worst_groups": {"group_by": ranked_by, "groups": worst},
        "missed": {
            "within_seconds": strictest,
            "data": [_missed_row(r, standard) for r in missed],
            "total": total,
            "page": page,
            "limit": limit,
        },
    }


def _empty() -> dict[str, Any]:
    return {"count": 0, "missing": 0, "data_quality_issues": 0, "p50": None, "p90": None, "mean": None}


def _judged(row: Any | None, standard: Standard) -> dict[str, Any]:
    if row is None:
        targets = [target_result(t, 0, 0) for t in standard.targets]
        return {"judged": 0, "passed": None, "targets": targets}
    result = _standard(row, 0, standard)
    return {"judged": result["judged"], "passed": result["passed"], "targets": result["targets"]}


def _describe(standard: Standard) -> dict[str, Any]:
    return {
        "id": standard.id,
        "name": standard.name,
        "source": standard.source,
        "edition": standard.edition,
        "clause": standard.clause,
        "checked": standard.checked,
        "leg": standard.leg,
        "targets": [t.model_dump() for t in standard.targets],
    }
