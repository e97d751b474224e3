"""SQL of the analytics answers over a period: the legs derived from stored times and their figures, in the
database (one statement per figure set; nothing loops over incidents in Python).

Every instant becomes integer epoch milliseconds (truncated, as `intervals` does), so a leg is an integer and
both databases agree to the millisecond. Fractiles are nearest-rank (`standards.nearest_rank`): on PostgreSQL
`percentile_disc(p) WITHIN GROUP (ORDER BY leg)`, which takes the value at rank ceil(p * n); on SQLite the same
rank picked out of `ROW_NUMBER()` / `COUNT(*)` windows with integer arithmetic, (p * n + 99) / 100.

Which incidents: the tenant's, not drills, whose call began in the period (the first stored of call received,
call picked up, created in the source, created here). First unit dispatched is the earliest of the incident's
own dispatch time and its assignments'; first arrival the earliest assignment arrival (each a MIN over the
incident's assignments, found by their index: a join with an aggregated CTE has no index on SQLite and goes
quadratic).
"""

# Statements are built from fixed identifiers and named placeholders only; every value is bound (Query.bind).
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal, get_args

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from incidenthub.analytics.intervals import ASSIGNMENT_LEGS, INCIDENT_LEGS
from incidenthub.analytics.period import Period
from incidenthub.analytics.standards import Standard
from incidenthub.models.base import UTCDateTime

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


def _ms(dialect: str, column: str) -> str:
    """The column as integer epoch milliseconds (truncated); NULL stays NULL."""
    if dialect == "postgresql":
        return f"CAST(floor(extract(epoch from {column}) * 1000) AS BIGINT)"
    # SQLAlchemy stores `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) on SQLite.
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000 + CAST(substr({column}, 21, 3) AS INTEGER))"
    )


@dataclass
class Query:
    """One statement being built: its text pieces and bound parameters."""

    dialect: str
    params: dict[str, Any]

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def bind_time(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = bindparam(name, value, type_=UTCDateTime())
        return f":{name}"


def _local_ms(query: Query, period: Period) -> str:
    """Local epoch ms of the moment the call began (`began`), adding the offset of the piece it falls in."""
    pieces = period.offsets()
    if len(pieces) == 1:
        return f"(began + {query.bind(pieces[0][1])})"
    cases = " ".join(
        f"WHEN began < {query.bind(start)} THEN began + {query.bind(offset)}"
        for (_, offset), (start, _) in pairwise(pieces)
    )
    return f"(CASE {cases} ELSE began + {query.bind(pieces[-1][1])} END)"


def _group_key(group_by: str | None) -> str:
    if group_by is None:
        return "'all'"
    if group_by in _COLUMN_GROUPS:
        return f"i.{group_by}"
    if group_by == "call_taker":
        return "p.personnel_id"
    return "NULL"  # hour and weekday: computed from `began` in `inc`; unit: the assignment's


def _applies(query: Query, standard: Standard) -> str:
    """SQL truth of: the standard judges this leg row (its leg, its incidents, the first arriving unit)."""
    terms = [f"leg = {query.bind(standard.leg)}"]
    for column, allowed in (
        ("category", standard.categories),
        ("agency_type", standard.agency_types),
        ("priority", standard.priorities),
    ):
        if allowed is not None:
            values = ", ".join(query.bind(a.casefold()) for a in allowed) or "NULL"
            terms.append(f"{column} IN ({values})")
    if standard.first_arriving_only:
        terms.append("first_arriving = 1")
    return " AND ".join(terms)


def legs_sql(
    query: Query, tenant_id: str, period: Period, group_by: str | None, legs: Sequence[str] | None = None
) -> str:
    """`WITH ... legs AS (...)`: one row per leg of every incident (and assignment) in the period, with its group
    `g`, its start and end (epoch ms), its value `v` (NULL when a time is missing) and what standards select on."""
    dialect = query.dialect
    began = "COALESCE(i.call_received_at, i.call_picked_up_at, i.source_created_at, i.created_at)"
    since = query.bind_time(period.since)
    until = query.bind_time(period.until)
    key = _group_key(group_by)
    taker = "LEFT JOIN personnel p ON p.id = i.call_taker_id" if group_by == "call_taker" else ""
    label = "COALESCE(p.display_name, p.personnel_id)" if group_by == "call_taker" else "NULL"
    tenant = query.bind(tenant_id)
    inc = f"""
inc0 AS (
  SELECT i.id AS incident_id, i.number AS number, {key} AS g0, {label} AS label,
         lower(i.category) AS category, lower(i.agency_type) AS agency_type, lower(i.priority) AS priority,
         {_ms(dialect, began)} AS began,
         {_ms(dialect, "i.call_received_at")} AS received, {_ms(dialect, "i.call_picked_up_at")} AS picked,
         {_ms(dialect, "i.call_hung_up_at")} AS hung, {_ms(dialect, "i.dispatch_queued_at")} AS queued,
         {_ms(dialect, "i.dispatched_at")} AS own_dispatched,
         {_ms(dialect, "(SELECT MIN(a.dispatched_at) FROM assignments a WHERE a.incident_id = i.id)")}
           AS units_dispatched,
         {_ms(dialect, "(SELECT MIN(a.arrived_at) FROM assignments a WHERE a.incident_id = i.id)")} AS first_arrived
  FROM incidents i {taker}
  WHERE i.tenant_id = {tenant} AND i.is_drill = {query.bind(False)}
    AND {began} >= {since} AND {began} < {until}
)"""
    expression = "g0"
    if group_by in ("hour", "weekday"):
        local = _local_ms(query, period)
        # Epoch day 0 (1970-01-01) was a Thursday: +3 makes Monday 0.
        expression = f"({local} / 3600000) % 24" if group_by == "hour" else f"({local} / 86400000 + 3) % 7"
    inc += f",\ninc AS (SELECT inc0.*, {expression} AS g FROM inc0)"
    unit_key = "u.call_sign" if group_by == "unit" else "inc.g"
    unit_label = "NULL" if group_by == "unit" else "inc.label"
    asg = f"""
asg AS MATERIALIZED (
  SELECT a.id AS assignment_id, a.incident_id, inc.number, {unit_key} AS g, {unit_label} AS label,
         u.call_sign AS call_sign, inc.category, inc.agency_type, inc.priority,
         {_ms(dialect, "a.dispatched_at")} AS dispatched, {_ms(dialect, "a.enroute_at")} AS enroute,
         {_ms(dialect, "a.arrived_at")} AS arrived, {_ms(dialect, "a.cleared_at")} AS cleared,
         ROW_NUMBER() OVER (PARTITION BY a.incident_id
                            ORDER BY CASE WHEN a.arrived_at IS NULL THEN 1 ELSE 0 END, a.arrived_at,
                                     a.created_at, a.id) AS arrival_rank
  FROM assignments a JOIN inc ON inc.incident_id = a.incident_id LEFT JOIN units u ON u.id = a.unit_id
  WHERE a.tenant_id = {tenant}
),
times AS MATERIALIZED (
  SELECT inc.*,
         CASE WHEN units_dispatched IS NULL THEN own_dispatched
              WHEN own_dispatched IS NULL OR units_dispatched < own_dispatched THEN units_dispatched
              ELSE own_dispatched END AS first_dispatched
  FROM inc
)"""
    wanted = list(legs) if legs is not None else [*INCIDENT_LEGS, *ASSIGNMENT_LEGS]
    parts = []
    for name in wanted:
        start, end = LEG_ENDS[name]
        if name in INCIDENT_LEGS and group_by != "unit":
            parts.append(
                f"SELECT incident_id, number, CAST(NULL AS VARCHAR(32)) AS assignment_id, "
                f"CAST(NULL AS VARCHAR(128)) AS call_sign, g, label, '{name}' AS leg, "
                f"{start} AS start_ms, {end} AS end_ms, category, agency_type, priority, 1 AS first_arriving "
                "FROM times"
            )
        elif name in ASSIGNMENT_LEGS:
            parts.append(
                f"SELECT incident_id, number, assignment_id, call_sign, g, label, '{name}' AS leg, "
                f"{start} AS start_ms, {end} AS end_ms, category, agency_type, priority, "
                "CASE WHEN arrival_rank = 1 AND arrived IS NOT NULL THEN 1 ELSE 0 END AS first_arriving FROM asg"
            )
    union = "\n  UNION ALL ".join(parts)
    return f"""WITH {inc.strip()},{asg.strip()},
legs0 AS (
  {union}
),
legs AS (SELECT legs0.*, end_ms - start_ms AS v FROM legs0)"""


# What the figures read of each leg row (the window sorts these only: fewer columns, a smaller sort).
_FIGURE_COLUMNS = "v, start_ms, end_ms, label, category, agency_type, priority, first_arriving"


def _fractile(query: Query, percentile: int) -> str:
    if query.dialect == "postgresql":
        return f"percentile_disc({percentile / 100}) WITHIN GROUP (ORDER BY v) FILTER (WHERE v >= 0)"
    return f"MIN(CASE WHEN v >= 0 AND rn = ({percentile} * n + 99) / 100 THEN v END)"


def figures_sql(query: Query, prelude: str, source: str, keys: str, chosen: Sequence[Standard]) -> str:
    """Per `keys` (columns of `legs`): counts, p50, p90, mean (ms) and, per standard target, the legs it judges and
    those within (`s{i}_n`, `s{i}_t{j}`)."""
    read = f"{keys}, {_FIGURE_COLUMNS}" + ("" if "leg" in keys.split(", ") else ", leg")
    if query.dialect == "postgresql":
        ranked = f"{prelude},\nranked AS (SELECT {read} FROM {source})"
    else:
        measured = "CASE WHEN v >= 0 THEN 1 ELSE 0 END"
        ranked = f"""{prelude},
ranked AS (
  SELECT {read}, ROW_NUMBER() OVER (PARTITION BY {keys}, {measured} ORDER BY v) AS rn,
         COUNT(*) OVER (PARTITION BY {keys}, {measured}) AS n
  FROM {source}
)"""
    columns = [
        "SUM(CASE WHEN v >= 0 THEN 1 ELSE 0 END) AS count",
        "SUM(CASE WHEN start_ms IS NULL OR end_ms IS NULL THEN 1 ELSE 0 END) AS missing",
        "SUM(CASE WHEN v < 0 THEN 1 ELSE 0 END) AS issues",
        f"{_fractile(query, 50)} AS p50",
        f"{_fractile(query, 90)} AS p90",
        "AVG(CASE WHEN v >= 0 THEN v END) AS mean",
        "MAX(label) AS label",
    ]
    for i, standard in enumerate(chosen):
        applies = _applies(query, standard)
        columns.append(f"SUM(CASE WHEN v >= 0 AND {applies} THEN 1 ELSE 0 END) AS s{i}_n")
        for j, target in enumerate(standard.targets):
            limit = query.bind(target.within_seconds * 1000)
            columns.append(f"SUM(CASE WHEN v >= 0 AND v <= {limit} AND {applies} THEN 1 ELSE 0 END) AS s{i}_t{j}")
    return f"{ranked}\nSELECT {keys}, {', '.join(columns)}\nFROM ranked GROUP BY {keys} ORDER BY {keys}"


class FiguresRepository:
    """The figures of a tenant's legs over a period, computed by the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _run(self, sql: str, query: Query) -> list[Any]:
        typed = [value for value in query.params.values() if isinstance(value, BindParameter)]
        plain = {k: v for k, v in query.params.items() if not isinstance(v, BindParameter)}
        statement = text(sql).bindparams(*typed) if typed else text(sql)
        return list(self.session.execute(statement, plain).all())

    def intervals(self, tenant_id: str, period: Period, group_by: str | None, chosen: Sequence[Standard]) -> list[Any]:
        """Per group and leg: count, missing, issues, p50, p90, mean (ms), label and each standard's counts."""
        query = Query(self.dialect, {})
        legs = legs_sql(query, tenant_id, period, group_by)
        return self._run(figures_sql(query, legs, "legs", "g, leg", chosen), query)

    def compliance(self, tenant_id: str, period: Period, group_by: str, standard: Standard) -> list[Any]:
        """The standard's figures over every leg it judges (scope `all`, g NULL) and per group (scope `group`)."""
        query = Query(self.dialect, {})
        legs = legs_sql(query, tenant_id, period, group_by, [standard.leg])
        applies = _applies(query, standard)
        scoped = (
            f"{legs},\njudged AS (SELECT * FROM legs WHERE {applies}),\n"
            "scoped AS (SELECT 'all' AS scope, incident_id, number, assignment_id, call_sign, "
            "CAST(NULL AS VARCHAR(200)) AS g, "
            "label, leg, start_ms, end_ms, category, agency_type, priority, first_arriving, v FROM judged "
            "UNION ALL SELECT 'group' AS scope, incident_id, number, assignment_id, call_sign, "
            "CAST(g AS VARCHAR(200)) AS g, label, leg, start_ms, end_ms, category, agency_type, priority, "
            "first_arriving, v FROM judged)"
        )
        return self._run(figures_sql(query, scoped, "scoped", "scope, g", [standard]), query)

    def missed(
        self, tenant_id: str, period: Period, standard: Standard, limit_ms: float, page: int, limit: int
    ) -> list[Any]:
        """The legs the standard judges that are longer than `limit_ms`, longest first, one page; each row carries
        the total (`total`)."""
        query = Query(self.dialect, {})
        legs = legs_sql(query, tenant_id, period, None, [standard.leg])
        applies = _applies(query, standard)
        sql = (
            f"{legs}\nSELECT incident_id, number, assignment_id, call_sign, leg, start_ms, end_ms, v, "
            "COUNT(*) OVER () AS total FROM legs "
            f"WHERE v >= 0 AND v > {query.bind(limit_ms)} AND {applies} "
            f"ORDER BY v DESC, incident_id, assignment_id LIMIT {query.bind(limit)} "
            f"OFFSET {query.bind((page - 1) * limit)}"
        )
        return self._run(sql, query)

    def histogram(self, tenant_id: str, period: Period, leg: str, bucket_ms: int) -> list[tuple[int, int]]:
        """How many measured legs fall in each bucket of `bucket_ms`, one GROUP BY in the database: bucket k holds
        the legs with (k - 1) * bucket_ms < v <= k * bucket_ms (bucket 0: exactly 0), so the legs within k buckets
        are the sum of buckets 0..k, as a standard counts them. Negative and missing legs are left out."""
        query = Query(self.dialect, {})
        legs = legs_sql(query, tenant_id, period, None, [leg])
        size = f"CAST({query.bind(int(bucket_ms))} AS BIGINT)"
        bucket = f"(v + {size} - 1) / {size}"
        sql = f"{legs}\nSELECT {bucket} AS bucket, COUNT(*) AS n FROM legs WHERE v >= 0 GROUP BY {bucket} ORDER BY 1"
        return [(int(row.bucket), int(row.n)) for row in self._run(sql, query)]
