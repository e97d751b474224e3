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

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from incidenthub.analytics.intervals import ASSIGNMENT_LEGS, INCIDENT_LEGS
from incidenthub.analytics.period import Period
from incidenthub.analytics.standards import Standard

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


def _group_key(group_by: str | None, alias: str) -> str:
    if group_by is None:
        return "'all'"
    if group_by in _COLUMN_GROUPS:
        return f"{alias}.{group_by}"
    if group_by == "call_taker":
        return "p.personnel_id"
    return "NULL"  # hour and weekday: computed from `began`; unit: the assignment's


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
    `g`, its start and end (epoch ms), its value `v` (NULL when a time is missing) and what standards select on.
    Read from the rows kept for analytics (`response_times`, `unit_response_times`), not from the incidents."""
    wanted = list(legs) if legs is not None else [*INCIDENT_LEGS, *ASSIGNMENT_LEGS]
    tenant = query.bind(tenant_id)
    since, until = query.bind(period.since_ms), query.bind(period.until_ms)
    expression = "g0"
    if group_by in ("hour", "weekday"):
        local = _local_ms(query, period)
        # Epoch day 0 (1970-01-01) was a Thursday: +3 makes Monday 0.
        expression = f"({local} / 3600000) % 24" if group_by == "hour" else f"({local} / 86400000 + 3) % 7"

    def rows(table: str, alias: str, columns: str, unit: bool) -> str:
        key = "un.call_sign" if unit and group_by == "unit" else _group_key(group_by, alias)
        joins = f"LEFT JOIN personnel p ON p.id = {alias}.call_taker_id" if group_by == "call_taker" else ""
        joins += f" LEFT JOIN units un ON un.id = {alias}.unit_id" if unit else ""
        label = "COALESCE(p.display_name, p.personnel_id)" if group_by == "call_taker" else "NULL"
        return f"""(
  SELECT {expression} AS g, g1.* FROM (
    SELECT {alias}.incident_id, {alias}.number, {key} AS g0, {label} AS label, lower({alias}.category) AS category,
           lower({alias}.agency_type) AS agency_type, lower({alias}.priority) AS priority,
           {alias}.began_ms AS began, {columns}
    FROM {table} {alias} {joins}
    WHERE {alias}.tenant_id = {tenant} AND {alias}.began_ms >= {since} AND {alias}.began_ms < {until}
  ) g1
)"""

    ctes = []
    if any(name in INCIDENT_LEGS for name in wanted) and group_by != "unit":
        columns = (
            "r.received_ms AS received, r.picked_ms AS picked, r.hung_ms AS hung, r.queued_ms AS queued, "
            "r.first_dispatched_ms AS first_dispatched, r.first_arrived_ms AS first_arrived"
        )
        ctes.append(f"times AS {rows('response_times', 'r', columns, unit=False)}")
    if any(name in ASSIGNMENT_LEGS for name in wanted):
        columns = (
            "u.assignment_id, un.call_sign, u.dispatched_ms AS dispatched, u.enroute_ms AS enroute, "
            "u.arrived_ms AS arrived, u.cleared_ms AS cleared, u.first_arriving"
        )
        ctes.append(f"asg AS {rows('unit_response_times', 'u', columns, unit=True)}")
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
                "CASE WHEN first_arriving THEN 1 ELSE 0 END AS first_arriving FROM asg"
            )
    if not parts:  # unit legs only, asked of incident legs: no rows
        parts.append(
            "SELECT NULL AS incident_id, NULL AS number, NULL AS assignment_id, NULL AS call_sign, NULL AS g, "
            "NULL AS label, NULL AS leg, NULL AS start_ms, NULL AS end_ms, NULL AS category, NULL AS agency_type, "
            "NULL AS priority, 0 AS first_arriving WHERE 1 = 0"
        )
    union = "\n  UNION ALL ".join(parts)
    prefix = f"WITH {', '.join(ctes)}," if ctes else "WITH"
    return f"""{prefix}
legs0 AS (
  {union}
),
legs AS (SELECT legs0.*, end_ms - start_ms AS v FROM legs0)"""


def figures_sql(query: Query, prelude: str, source: str, keys: str, chosen: Sequence[Standard]) -> str:
    """Per `keys` (columns of `source`): counts, p50, p90, mean (ms) and, per standard target, the legs it judges
    and those within (`s{i}_n`, `s{i}_t{j}`).

    Fractiles come from each group's histogram of leg values (`hist`: one row per distinct value, and CAD times
    are to the second, so a few hundred rows per group): the nearest-rank p-th percentile is the smallest value
    whose running count `c` reaches p % of the group's `t` (c * 100 >= p * t), the same on both databases."""
    names = keys.split(", ")
    columns = [
        "SUM(CASE WHEN v >= 0 THEN 1 ELSE 0 END) AS count",
        "SUM(CASE WHEN start_ms IS NULL OR end_ms IS NULL THEN 1 ELSE 0 END) AS missing",
        "SUM(CASE WHEN v < 0 THEN 1 ELSE 0 END) AS issues",
        "AVG(CASE WHEN v >= 0 THEN v END) AS mean",
        "MAX(label) AS label",
    ]
    for i, standard in enumerate(chosen):
        applies = _applies(query, standard)
        columns.append(f"SUM(CASE WHEN v >= 0 AND {applies} THEN 1 ELSE 0 END) AS s{i}_n")
        for j, target in enumerate(standard.targets):
            limit = query.bind(target.within_seconds * 1000)
            columns.append(f"SUM(CASE WHEN v >= 0 AND v <= {limit} AND {applies} THEN 1 ELSE 0 END) AS s{i}_t{j}")
    same = "IS NOT DISTINCT FROM" if query.dialect == "postgresql" else "IS"
    joined = " AND ".join(f"fr.{name} {same} agg.{name}" for name in names)
    return f"""{prelude},
agg AS (SELECT {keys}, {", ".join(columns)} FROM {source} GROUP BY {keys}),
hist AS (SELECT {keys}, v, COUNT(*) AS n FROM {source} WHERE v >= 0 GROUP BY {keys}, v),
cum AS (
  SELECT {keys}, v, SUM(n) OVER (PARTITION BY {keys} ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c,
         SUM(n) OVER (PARTITION BY {keys}) AS t
  FROM hist
),
fr AS (
  SELECT {keys}, MIN(CASE WHEN c * 100 >= 50 * t THEN v END) AS p50, MIN(CASE WHEN c * 100 >= 90 * t THEN v END) AS p90
  FROM cum GROUP BY {keys}
)
SELECT agg.*, fr.p50, fr.p90 FROM agg LEFT JOIN fr ON {joined}
ORDER BY {", ".join(f"agg.{name}" for name in names)}"""


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
