"""The leg rows of the analytics answers: one SELECT per leg over the rows kept for analytics
(`response_times`, `unit_response_times`), each row a leg of one incident or assignment with its group.
`figures_repository` sums them into figures; `month_counts` counts them per month."""

# Statements are built from fixed identifiers and named placeholders only; every value is bound (Query.bind).
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal, get_args

from incidenthub.analytics.intervals import ASSIGNMENT_LEGS, INCIDENT_LEGS
from incidenthub.analytics.period import Period

GroupBy = Literal[
    "agency",
    "agency_type",
    "call_taker",
    "call_position",
    "response_area",
    "unit",
    "priority",
    "incident_type",
    "source",
    "hour",
    "weekday",
]
GROUP_BY: tuple[str, ...] = get_args(GroupBy)
_COLUMN_GROUPS = {"agency", "agency_type", "call_position", "response_area", "priority", "incident_type", "source"}

# Each leg: where its start and end come from (columns of `times` for incident legs, of `asg` for unit legs).
LEG_ENDS: dict[str, tuple[str, str]] = {
    "call_answer": ("received", "picked"),
    "call_processing": ("picked", "first_dispatched"),
    "queue": ("queued", "first_dispatched"),
    "total": ("received", "first_arrived"),
    "call_duration": ("picked", "hung"),
    "turnout": ("dispatched", "enroute"),
    "travel": ("enroute", "arrived"),
    "response": ("dispatched", "arrived"),
    "on_scene": ("arrived", "cleared"),
}


@dataclass
class Query:
    """One statement being built: its text pieces and bound parameters."""

    dialect: str
    params: dict[str, Any]

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


# Where each end of a leg is kept (columns of `response_times` r and `unit_response_times` u).
LEG_COLUMNS = {
    "received": "received_ms",
    "picked": "picked_ms",
    "hung": "hung_ms",
    "queued": "queued_ms",
    "first_dispatched": "first_dispatched_ms",
    "first_arrived": "first_arrived_ms",
    "dispatched": "dispatched_ms",
    "enroute": "enroute_ms",
    "arrived": "arrived_ms",
    "cleared": "cleared_ms",
}


def _local_ms(query: Query, period: Period, began: str) -> str:
    """Local epoch ms of the moment the call began (the column `began`), adding the offset of the piece it is in."""
    pieces = period.offsets()
    if len(pieces) == 1:
        return f"({began} + {query.bind(pieces[0][1])})"
    cases = " ".join(
        f"WHEN {began} < {query.bind(start)} THEN {began} + {query.bind(offset)}"
        for (_, offset), (start, _) in pairwise(pieces)
    )
    return f"(CASE {cases} ELSE {began} + {query.bind(pieces[-1][1])} END)"


def _group_key(group_by: str | None, alias: str) -> str:
    if group_by is None:
        return "'all'"
    if group_by in _COLUMN_GROUPS:
        return f"{alias}.{group_by}"
    if group_by == "call_taker":
        return "p.personnel_id"
    return "NULL"  # hour and weekday: computed from `began`; unit: the assignment's


def leg_rows(
    query: Query,
    tenant_id: str,
    period: Period,
    group_by: str | None,
    legs: Sequence[str] | None = None,
    ids: bool = False,
    by_value: bool = False,
) -> list[str]:
    """One SELECT per leg: a row per leg of every incident (or assignment) in the period, with its group `g`, its
    start and end (epoch ms), its value `v` (NULL when a time is missing) and what standards select on. Each reads
    its table (`response_times`, `unit_response_times`: the rows kept for analytics) directly, so the database
    can aggregate each leg as it scans instead of first gathering every leg's rows. `ids`: call takers and units
    by their ids, no names read (what `month_counts` counts). `by_value`: the period's bounds are written so that
    the database does not choose the (tenant, began) index, and walks the leg's value index instead (the longest
    legs first: `FiguresRepository.missed`; SQLite would otherwise read the whole period and sort it)."""
    wanted = list(legs) if legs is not None else [*INCIDENT_LEGS, *ASSIGNMENT_LEGS]
    tenant = query.bind(tenant_id)
    since, until = query.bind(period.since_ms), query.bind(period.until_ms)

    def select(name: str, alias: str, unit: bool) -> str:
        start, end = LEG_ENDS[name]
        key = "un.call_sign" if unit and group_by == "unit" else _group_key(group_by, alias)
        if ids and group_by in ("call_taker", "unit"):
            key = f"{alias}.call_taker_id" if group_by == "call_taker" else f"{alias}.unit_id"
        local = _local_ms(query, period, f"{alias}.began_ms") if group_by in ("hour", "weekday") else ""
        if group_by == "hour":
            key = f"({local} / 3600000) % 24"
        elif group_by == "weekday":  # epoch day 0 (1970-01-01) was a Thursday: +3 makes Monday 0
            key = f"({local} / 86400000 + 3) % 7"
        named = group_by == "call_taker" and not ids
        joins = f"LEFT JOIN personnel p ON p.id = {alias}.call_taker_id" if named else ""
        joins += f" LEFT JOIN units un ON un.id = {alias}.unit_id" if unit and not ids else ""
        label = "COALESCE(p.display_name, p.personnel_id)" if named else "NULL"
        if unit:
            table, mine = "unit_response_times", "u.assignment_id, " + ("NULL" if ids else "un.call_sign")
            first = "CASE WHEN u.first_arriving THEN 1 ELSE 0 END"
        else:
            table, mine, first = "response_times", "CAST(NULL AS VARCHAR(32)), CAST(NULL AS VARCHAR(128))", "1"
        start_ms, end_ms = f"{alias}.{LEG_COLUMNS[start]}", f"{alias}.{LEG_COLUMNS[end]}"
        began = f"+{alias}.began_ms" if by_value else f"{alias}.began_ms"
        return f"""SELECT {alias}.incident_id, {alias}.number, {mine.split(", ")[0]} AS assignment_id,
       {mine.split(", ")[1]} AS call_sign, {key} AS g, {label} AS label, '{name}' AS leg,
       {start_ms} AS start_ms, {end_ms} AS end_ms, {end_ms} - {start_ms} AS v, lower({alias}.category) AS category,
       lower({alias}.agency_type) AS agency_type, lower({alias}.priority) AS priority, {first} AS first_arriving,
       {alias}.began_ms AS began
FROM {table} {alias} {joins}
WHERE {alias}.tenant_id = {tenant} AND {began} >= {since} AND {began} < {until}"""

    selects = []
    for name in wanted:
        if name in INCIDENT_LEGS and group_by != "unit":
            selects.append(select(name, "r", unit=False))
        elif name in ASSIGNMENT_LEGS:
            selects.append(select(name, "u", unit=True))
    return selects
