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
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from incidenthub.analytics import month_counts
from incidenthub.analytics.legs import Query, leg_rows
from incidenthub.analytics.period import Period
from incidenthub.analytics.standards import Standard


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


_ATTRIBUTES = "label, category, agency_type, priority, first_arriving"


def figures_sql(
    query: Query,
    selects: Sequence[str],
    keys: str,
    chosen: Sequence[Standard],
    judged: str = "",
    scoped: bool = False,
    counted: Sequence[str] = (),
) -> str:
    """Per `keys` (columns of the leg rows `selects` give): counts, p50, p90, mean (ms) and, per standard target,
    the legs it judges and those within (`s{i}_n`, `s{i}_t{j}`). `judged`: only the leg rows it is true of.
    `scoped`: keys `scope, g`, each row counted once over all (`scope` 'all', `g` NULL) and once in its group.

    Each leg's rows are aggregated as they are read, into `hist`: one row per group, value and what standards
    select on, with how many legs have them (`n`); CAD times are to the second, so that is a few hundred rows per
    group, not one per leg. Every figure is then summed from `hist`. Fractiles are nearest-rank: the p-th
    percentile is the smallest value whose running count `c` reaches p % of the group's `t` (c * 100 >= p * t),
    the same on both databases. `counted`: selects of histogram rows already counted (`n`: `month_counts`)."""
    grouped = f"g, leg, v, {_ATTRIBUTES}" if scoped else f"{keys}, v, {_ATTRIBUTES}"
    where = f" WHERE {judged}" if judged else ""
    parts = [f"SELECT {grouped}, COUNT(*) AS n FROM ({select}) b{where} GROUP BY {grouped}" for select in selects]
    parts += [f"SELECT {grouped}, n FROM ({select}) b{where}" for select in counted]  # one row per key already
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

    def _parts(
        self,
        query: Query,
        tenant_id: str,
        period: Period,
        group_by: str | None,
        chosen: Sequence[Standard],
        leg: str | None = None,
    ) -> tuple[list[str], list[str]]:
        """The leg rows to group and the counts to sum: the period's whole counted months from
        `response_time_counts`, the rest from the rows (`month_counts.plan`)."""
        plan = month_counts.plan(self.session, tenant_id, period, month_counts.kept_by(chosen))
        legs = None if leg is None else [leg]
        selects = [select for part in plan.rows for select in leg_rows(query, tenant_id, part, group_by, legs)]
        counted = [month_counts.count_selects(query, tenant_id, plan.months, group_by, leg)] if plan.months else []
        return selects, counted

    def intervals(self, tenant_id: str, period: Period, group_by: str | None, chosen: Sequence[Standard]) -> list[Any]:
        """Per group and leg: count, missing, issues, p50, p90, mean (ms), label and each standard's counts."""
        query = Query(self.dialect, {})
        selects, counted = self._parts(query, tenant_id, period, group_by, chosen)
        return self._run(figures_sql(query, selects, "g, leg", chosen, counted=counted), query)

    def compliance(self, tenant_id: str, period: Period, group_by: str, standard: Standard) -> list[Any]:
        """The standard's figures over every leg it judges (scope `all`, g NULL) and per group (scope `group`)."""
        query = Query(self.dialect, {})
        selects, counted = self._parts(query, tenant_id, period, group_by, [standard], standard.leg)
        applies = _applies(query, standard)
        sql = figures_sql(query, selects, "g, leg", [standard], judged=applies, scoped=True, counted=counted)
        return self._run(sql, query)

    def missed(
        self, tenant_id: str, period: Period, standard: Standard, limit_ms: float, page: int, limit: int
    ) -> list[Any]:
        """The legs the standard judges that are longer than `limit_ms`, longest first, one page. Each leg has an
        index on (tenant, its value) (`models/analytics.py`), so the database walks it from the longest down and
        stops at the page's end instead of reading the period's every leg."""
        query = Query(self.dialect, {})
        selects = leg_rows(query, tenant_id, period, None, [standard.leg], by_value=True)
        applies = _applies(query, standard)
        sql = (
            "SELECT incident_id, number, assignment_id, call_sign, leg, start_ms, end_ms, v "
            f"FROM ({selects[0]}) legs WHERE v > {query.bind(limit_ms)} AND {applies} "
            f"ORDER BY v DESC, incident_id, assignment_id LIMIT {query.bind(limit)} "
            f"OFFSET {query.bind((page - 1) * limit)}"
        )
        return self._run(sql, query)

    def histogram(self, tenant_id: str, period: Period, leg: str, bucket_ms: int) -> list[tuple[int, int]]:
        """How many measured legs fall in each bucket of `bucket_ms`, one GROUP BY in the database: bucket k holds
        the legs with (k - 1) * bucket_ms < v <= k * bucket_ms (bucket 0: exactly 0), so the legs within k buckets
        are the sum of buckets 0..k, as a standard counts them. Negative and missing legs are left out. The
        period's whole counted months are summed from the counts (`month_counts.plan`)."""
        query = Query(self.dialect, {})
        plan = month_counts.plan(self.session, tenant_id, period, frozenset())
        parts = [
            f"SELECT v, 1 AS n FROM ({select}) b"
            for part in plan.rows
            for select in leg_rows(query, tenant_id, part, None, [leg])
        ]
        if plan.months:
            parts.append(f"SELECT v, n FROM ({month_counts.count_selects(query, tenant_id, plan.months, None, leg)}) c")
        size = f"CAST({query.bind(int(bucket_ms))} AS BIGINT)"
        bucket = f"(v + {size} - 1) / {size}"
        union = "\n  UNION ALL ".join(parts)
        sql = f"SELECT {bucket} AS bucket, SUM(n) AS n FROM ({union}) h WHERE v >= 0 GROUP BY {bucket} ORDER BY 1"
        return [(int(row.bucket), int(row.n)) for row in self._run(sql, query)]
