"""SQL of the analytics answers over a period: the legs and their figures, in the database (one statement per
figure set; nothing loops over incidents in Python).

The legs are read from the rows kept for analytics at every commit (`response_times`, `unit_response_times`:
`incidents/response_times.py`), whose times are integer epoch milliseconds (truncated, as `intervals` does), so
a leg is an integer and both databases agree to the millisecond. Each leg is counted into a histogram of its
values as it is read, and every figure is summed from the histograms (`figures_sql`). Fractiles are nearest-rank
(`standards.nearest_rank`): the smallest value whose running count reaches p % of the group's legs, the same SQL
on both databases.

Which incidents: the tenant's, not drills, whose call began in the period (the first stored of call received,
call picked up, created in the source, created here). First unit dispatched is the earliest of the incident's
own dispatch time and its assignments'; first arrival the earliest assignment arrival (both found when the rows
are kept).
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


def leg_rows(
    query: Query, tenant_id: str, period: Period, group_by: str | None, legs: Sequence[str] | None = None
) -> list[str]:
    """One SELECT per leg: a row per leg of every incident (or assignment) in the period, with its group `g`, its
    start and end (epoch ms), its value `v` (NULL when a time is missing) and what standards select on. Each reads
    its table (`response_times`, `unit_response_times`: the rows kept for analytics) directly, so the database
    can aggregate each leg as it scans instead of first gathering every leg's rows."""
    wanted = list(legs) if legs is not None else [*INCIDENT_LEGS, *ASSIGNMENT_LEGS]
    tenant = query.bind(tenant_id)
    since, until = query.bind(period.since_ms), query.bind(period.until_ms)

    def select(name: str, alias: str, unit: bool) -> str:
        start, end = LEG_ENDS[name]
        key = "un.call_sign" if unit and group_by == "unit" else _group_key(group_by, alias)
        local = _local_ms(query, period, f"{alias}.began_ms") if group_by in ("hour", "weekday") else ""
        if group_by == "hour":
            key = f"({local} / 3600000) % 24"
        elif group_by == "weekday":  # epoch day 0 (1970-01-01) was a Thursday: +3 makes Monday 0
            key = f"({local} / 86400000 + 3) % 7"
        joins = f"LEFT JOIN personnel p ON p.id = {alias}.call_taker_id" if group_by == "call_taker" else ""
        joins += f" LEFT JOIN units un ON un.id = {alias}.unit_id" if unit else ""
        label = "COALESCE(p.display_name, p.personnel_id)" if group_by == "call_taker" else "NULL"
        if unit:
            table, mine = "unit_response_times", "u.assignment_id, un.call_sign"
            first = "CASE WHEN u.first_arriving THEN 1 ELSE 0 END"
        else:
            table, mine, first = "response_times", "CAST(NULL AS VARCHAR(32)), CAST(NULL AS VARCHAR(128))", "1"
        start_ms, end_ms = f"{alias}.{LEG_COLUMNS[start]}", f"{alias}.{LEG_COLUMNS[end]}"
        return f"""SELECT {alias}.incident_id, {alias}.number, {mine.split(", ")[0]} AS assignment_id,
       {mine.split(", ")[1]} AS call_sign, {key} AS g, {label} AS label, '{name}' AS leg,
       {start_ms} AS start_ms, {end_ms} AS end_ms, {end_ms} - {start_ms} AS v, lower({alias}.category) AS category,
       lower({alias}.agency_type) AS agency_type, lower({alias}.priority) AS priority, {first} AS first_arriving,
       {alias}.began_ms AS began
FROM {table} {alias} {joins}
WHERE {alias}.tenant_id = {tenant} AND {alias}.began_ms >= {since} AND {alias}.began_ms < {until}"""

    selects = []
    for name in wanted:
        if name in INCIDENT_LEGS and group_by != "unit":
            selects.append(select(name, "r", unit=False))
        elif name in ASSIGNMENT_LEGS:
            selects.append(select(name, "u", unit=True))
    return selects


def legs_sql(
    query: Query, tenant_id: str, period: Period, group_by: str | None, legs: Sequence[str] | None = None
) -> str:
    """`WITH legs AS (...)`: the rows of `leg_rows`, every leg's together."""
    selects = leg_rows(query, tenant_id, period, group_by, legs)
    if not selects:  # unit legs grouped, asked of an incident leg: no rows
        selects = [
            "SELECT NULL AS incident_id, NULL AS number, NULL AS assignment_id, NULL AS call_sign, NULL AS g, "
            "NULL AS label, NULL AS leg, NULL AS start_ms, NULL AS end_ms, NULL AS v, NULL AS category, "
            "NULL AS agency_type, NULL AS priority, 0 AS first_arriving, NULL AS began WHERE 1 = 0"
        ]
    return "WITH legs AS (\n" + "\n UNION ALL ".join(selects) + "\n)"


_ATTRIBUTES = "label, category, agency_type, priority, first_arriving"


def figures_sql(
    query: Query, selects: Sequence[str], keys: str, chosen: Sequence[Standard], judged: str = "", scoped: bool = False
) -> str:
    """Per `keys` (columns of the leg rows `selects` give): counts, p50, p90, mean (ms) and, per standard target,
    the legs it judges and those within (`s{i}_n`, `s{i}_t{j}`). `judged`: only the leg rows it is true of.
    `scoped`: keys `scope, g`, each row counted once over all (`scope` 'all', `g` NULL) and once in its group.

    Each leg's rows are aggregated as they are read, into `hist`: one row per group, value and what standards
    select on, with how many legs have them (`n`); CAD times are to the second, so that is a few hundred rows per
    group, not one per leg. Every figure is then summed from `hist`. Fractiles are nearest-rank: the p-th
    percentile is the smallest value whose running count `c` reaches p % of the group's `t` (c * 100 >= p * t),
    the same on both databases."""
    grouped = f"g, leg, v, {_ATTRIBUTES}" if scoped else f"{keys}, v, {_ATTRIBUTES}"
    where = f" WHERE {judged}" if judged else ""
    parts = [f"SELECT {grouped}, COUNT(*) AS n FROM ({select}) b{where} GROUP BY {grouped}" for select in selects]
    if not parts:
        parts = [
            f"SELECT {grouped}, 0 AS n FROM (SELECT NULL AS g, NULL AS leg, NULL AS v, NULL AS label, "
            "NULL AS category, NULL AS agency_type, NULL AS priority, 0 AS first_arriving) b WHERE 1 = 0"
        ]
    union = "\n  UNION ALL ".join(parts)
    if scoped:
        hist = f"""WITH hist0 AS (
  {union}
),
hist AS (
  SELECT 'all' AS scope, CAST(NULL AS VARCHAR(200)) AS g, leg, v, {_ATTRIBUTES}, n FROM hist0
  UNION ALL SELECT 'group' AS scope, CAST(g AS VARCHAR(200)) AS g, leg, v, {_ATTRIBUTES}, n FROM hist0
)"""
        keys = "scope, g"
    else:
        hist = f"WITH hist AS (\n  {union}\n)"
    names = keys.split(", ")
    measured = "SUM(CASE WHEN v >= 0 THEN n END)"
    columns = [
        "SUM(CASE WHEN v >= 0 THEN n ELSE 0 END) AS count",
        "SUM(CASE WHEN v IS NULL THEN n ELSE 0 END) AS missing",
        "SUM(CASE WHEN v < 0 THEN n ELSE 0 END) AS issues",
        f"SUM(CASE WHEN v >= 0 THEN v * n END) * 1.0 / {measured} AS mean",
        "MAX(label) AS label",
    ]
    for i, standard in enumerate(chosen):
        applies = _applies(query, standard)
        columns.append(f"SUM(CASE WHEN v >= 0 AND {applies} THEN n ELSE 0 END) AS s{i}_n")
        for j, target in enumerate(standard.targets):
            limit = query.bind(target.within_seconds * 1000)
            columns.append(f"SUM(CASE WHEN v >= 0 AND v <= {limit} AND {applies} THEN n ELSE 0 END) AS s{i}_t{j}")
    same = "IS NOT DISTINCT FROM" if query.dialect == "postgresql" else "IS"
    joined = " AND ".join(f"fr.{name} {same} agg.{name}" for name in names)
    return f"""{hist},
agg AS (SELECT {keys}, {", ".join(columns)} FROM hist GROUP BY {keys}),
vals AS (SELECT {keys}, v, SUM(n) AS n FROM hist WHERE v >= 0 GROUP BY {keys}, v),
cum AS (
  SELECT {keys}, v, SUM(n) OVER (PARTITION BY {keys} ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c,
         SUM(n) OVER (PARTITION BY {keys}) AS t
  FROM vals
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
        statement = text(sql)
        if self.dialect == "postgresql":
            # Room to aggregate each leg in a hash table instead of sorting its rows (for this transaction only).
            self.session.execute(text("SET LOCAL work_mem = '64MB'"))
        return list(self.session.execute(statement, query.params).all())

    def intervals(self, tenant_id: str, period: Period, group_by: str | None, chosen: Sequence[Standard]) -> list[Any]:
        """Per group and leg: count, missing, issues, p50, p90, mean (ms), label and each standard's counts."""
        query = Query(self.dialect, {})
        selects = leg_rows(query, tenant_id, period, group_by)
        return self._run(figures_sql(query, selects, "g, leg", chosen), query)

    def compliance(self, tenant_id: str, period: Period, group_by: str, standard: Standard) -> list[Any]:
        """The standard's figures over every leg it judges (scope `all`, g NULL) and per group (scope `group`)."""
        query = Query(self.dialect, {})
        selects = leg_rows(query, tenant_id, period, group_by, [standard.leg])
        applies = _applies(query, standard)
        return self._run(figures_sql(query, selects, "g, leg", [standard], judged=applies, scoped=True), query)

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
