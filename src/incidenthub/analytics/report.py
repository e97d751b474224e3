"""The monthly compliance report a PSAP director hands in: per standard of the tenant its pass or fail, the
figures per leg and three charts, as Markdown, CSV, HTML or PDF (`report_pdf`).

`gather` asks the existing answers (`answers.intervals_answer`, `answers.compliance_answer`) and the database's
histogram of answer times; every figure shown comes from them. The renderers below take that dict and return
text; no figure is recomputed here.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.analytics import answers, charts
from incidenthub.analytics.figures_repository import FiguresRepository
from incidenthub.analytics.period import period_of
from incidenthub.analytics.repository import AnalyticsRepository
from incidenthub.analytics.service import tenant_standards
from incidenthub.clock import iso_utc
from incidenthub.errors import NotFound
from incidenthub.models import Tenant

BUCKET_MS = 1000  # the answer-time histogram's bucket: one second
_MISSED_PAGE = 1  # compliance is asked for its figures and the count of misses, not the missed legs themselves
NO_DATA = "no data"


def gather(
    session: Session,
    tenant_id: str,
    from_date: str | None,
    to_date: str | None,
    now: datetime,
    parts: Iterable[str] = ("standards", *charts.CHARTS),
) -> dict[str, Any]:
    """The answers the report (or one chart: `parts`) is made of, over the period in the tenant's time zone. A
    bad period is the answers' 400 naming `from_date` or `to_date`."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    wanted = set(parts)
    window = period_of(from_date, to_date, tenant.timezone, now)  # a bad period: 400 before any query
    period = window.as_dict()
    data: dict[str, Any] = {
        "tenant": {"name": tenant.name, "slug": tenant.slug},
        "period": period,
        "timezone": period["timezone"],
        "period_text": period_text(period),
        "generated_at": iso_utc(now),
    }
    data["caption"] = f"{tenant.name}, {data['period_text']}"
    if wanted & {"standards", "answer-times"}:  # the legs' table; the answer-time lines' shares
        data["overall"] = answers.intervals_answer(session, tenant_id, None, from_date, to_date, now)
    if "standards" in wanted:
        chosen = tenant_standards(AnalyticsRepository(session), tenant_id)
        data["standards"] = [
            answers.compliance_answer(session, tenant_id, s.id, None, (from_date, to_date), 1, _MISSED_PAGE, now)
            for s in chosen
        ]
    if "answer-times" in wanted:
        buckets = FiguresRepository(session).histogram(tenant_id, window, "call_answer", BUCKET_MS)
        data["histogram"] = {"leg": "call_answer", "bucket_seconds": BUCKET_MS / 1000, "buckets": buckets}
    if "p90-by-hour" in wanted:
        data["by_hour"] = answers.intervals_answer(session, tenant_id, "hour", from_date, to_date, now)
    if "call-takers" in wanted:
        data["by_taker"] = answers.intervals_answer(session, tenant_id, "call_taker", from_date, to_date, now)
    return data


def period_text(period: dict[str, str]) -> str:
    """`2026-02-01 to 2026-02-28 (America/Chicago)` for whole local days, else both ends (the end exclusive)."""
    start = datetime.fromisoformat(period["from"])
    end = datetime.fromisoformat(period["to"])
    zone = period["timezone"]
    if start.time() == end.time() == datetime.min.time():
        return f"{start.date()} to {(end - timedelta(days=1)).date()} ({zone})"
    return f"{period['from']} to {period['to']} (end exclusive, {zone})"


def verdict(passed: bool | None) -> str:
    return NO_DATA if passed is None else "PASS" if passed else "FAIL"


def number(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:g}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


STANDARD_HEADERS = [
    "Standard",
    "Source",
    "Edition",
    "Clause",
    "Leg",
    "Judged",
    "Target",
    "Within",
    "Required",
    "Result",
]


def standard_cells(data: dict[str, Any], result: Callable[[str], str]) -> list[list[Any]]:
    """The cells of the standards table, one row per target; `result` dresses PASS / FAIL / no data."""
    return [
        [
            r["standard"],
            r["source"],
            r["edition"],
            r["clause"] or "not given",
            r["leg"],
            r["judged"],
            f"{r['within_seconds']:g} s",
            number(r["percent_within"], " %"),
            f"{r['percent_required']:g} %",
            result(r["result"]),
        ]
        for r in target_rows(data)
    ]


def target_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target of every standard of the tenant (its figures as compliance answered them)."""
    rows = []
    for answer in data["standards"]:
        standard = answer["standard"]
        for target in answer["targets"]:
            rows.append(
                {
                    "standard_id": standard["id"],
                    "standard": standard["name"],
                    "source": standard["source"],
                    "edition": standard["edition"],
                    "clause": standard["clause"],
                    "leg": standard["leg"],
                    "judged": answer["judged"],
                    "within_seconds": target["within_seconds"],
                    "percent_required": target["percent_required"],
                    "within": target["within"],
                    "percent_within": target["percent_within"],
                    "result": verdict(target["passed"]),
                }
            )
    return rows


def leg_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per leg over every incident of the period (the intervals answer's group `all`)."""
    groups = data["overall"]["groups"]
    return [
        {key: item[key] for key in ("leg", "label", "count", "p50", "p90", "mean", "missing", "data_quality_issues")}
        for item in (groups[0]["legs"] if groups else [])
    ]


def worst_text(answer: dict[str, Any]) -> str:
    """The worst groups of a standard in words, e.g. `call_taker CT-4 (Ann Able) 72 % of 25`."""
    worst = answer["worst_groups"]
    parts = []
    for group in worst["groups"][:3]:
        label = f" ({group['label']})" if group.get("label") and group["label"] != group["group"] else ""
        parts.append(
            f"{group['group']}{label}: {number(group['targets'][0]['percent_within'], ' %')} of {group['judged']}"
        )
    return f"lowest by {worst['group_by']}: " + "; ".join(parts) if parts else ""


def summary_lines(data: dict[str, Any], bold: str = "") -> list[str]:
    """Per standard: its verdict, legs judged, legs over its strictest threshold and its worst groups."""
    lines = []
    for answer in data["standards"]:
        worst = worst_text(answer)
        missed = answer["missed"]
        lines.append(
            f"{answer['standard']['name']} ({answer['standard']['edition']}): {bold}{verdict(answer['passed'])}{bold}, "
            f"{answer['judged']} judged, {missed['total']} over {missed['within_seconds']:g} s"
            + (f"; {worst}" if worst else "")
        )
    return lines


# --- Markdown ---------------------------------------------------------------------------------------------------


def _md_cell(value: Any) -> str:
    return number(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def title_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"Compliance report: {data['tenant']['name']}",
        f"Period: {data['period_text']}.",
        f"Generated {data['generated_at']} by incidenthub from the stored call and unit times.",
    ]


def markdown(data: dict[str, Any], images: dict[str, str] | None) -> str:
    """The report in Markdown; `images` maps a chart to the file it was written to (None: charts left out)."""
    title, period, generated = title_lines(data)
    lines = [f"# {title}", "", period, "", generated, "", "## Standards", ""]
    lines += _md_table(STANDARD_HEADERS, standard_cells(data, lambda result: f"**{result}**"))
    lines += ["", "Overall, a standard passes when every one of its targets passes:", ""]
    lines += [f"- {line}" for line in summary_lines(data, bold="**")]
    lines += ["", "## Intervals (seconds)", ""]
    legs = leg_rows(data)
    if legs:
        lines += _md_table(
            ["Leg", "Count", "p50", "p90", "Mean", "Missing", "Data-quality issues"],
            [
                [r["label"], r["count"], r["p50"], r["p90"], r["mean"], r["missing"], r["data_quality_issues"]]
                for r in legs
            ],
        )
    else:
        lines.append("No incidents in the period.")
    lines += ["", "## Charts", ""]
    if images is None:
        lines.append("Charts are not written to standard output: give --output FILE to write them beside the report.")
    else:
        lines += [f"![{name}]({path})" for name, path in images.items()]
    return "\n".join(lines) + "\n"


# --- CSV --------------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "tenant",
    "period_from",
    "period_to",
    "timezone",
    "record",
    "standard_id",
    "standard",
    "source",
    "edition",
    "clause",
    "leg",
    "judged",
    "within_seconds",
    "percent_required",
    "within",
    "percent_within",
    "result",
    "count",
    "p50_seconds",
    "p90_seconds",
    "mean_seconds",
    "missing",
    "data_quality_issues",
)


def csv_text(data: dict[str, Any]) -> str:
    """One row per standard target (`record` = target) and one per leg (`record` = leg); empty cells are null."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    common = {
        "tenant": data["tenant"]["slug"],
        "period_from": data["period"]["from"],
        "period_to": data["period"]["to"],
        "timezone": data["timezone"],
    }
    for row in target_rows(data):
        writer.writerow({**common, "record": "target", **row})
    for row in leg_rows(data):
        figures = {f"{k}_seconds": row[k] for k in ("p50", "p90", "mean")}
        writer.writerow(
            {
                **common,
                "record": "leg",
                "leg": row["leg"],
                "count": row["count"],
                **figures,
                "missing": row["missing"],
                "data_quality_issues": row["data_quality_issues"],
            }
        )
    return buffer.getvalue()


# --- HTML -------------------------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;font-size:14px}th{background:#eee}"
    ".PASS{color:#1a7f37;font-weight:bold}.FAIL{color:#c62828;font-weight:bold}img{max-width:100%}"
)


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_html_cell(number(c)) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _marked(text: str) -> str:
    """The first verdict of an escaped summary line in its colour."""
    for word in ("PASS", "FAIL"):
        text = text.replace(f": {word},", f": <span class='{word}'>{word}</span>,", 1)
    return text


def _html_cell(text: str) -> str:
    marked = ' class="PASS"' if text == "PASS" else ' class="FAIL"' if text == "FAIL" else ""
    return f"<td{marked}>{html.escape(text)}</td>"


def html_text(data: dict[str, Any], png: Callable[[str, dict[str, Any]], bytes] = charts.png) -> str:
    """One self-contained page: the tables and the charts embedded as base64 PNG."""
    title, period, generated = (html.escape(t) for t in title_lines(data))
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>{_STYLE}</style>",
        f"</head><body><h1>{title}</h1><p>{period}</p><p>{generated}</p><h2>Standards</h2>",
    ]
    parts.append(_html_table(STANDARD_HEADERS, standard_cells(data, str)))
    items = "".join(f"<li>{_marked(html.escape(line))}</li>" for line in summary_lines(data))
    parts.append(f"<ul>{items}</ul><h2>Intervals (seconds)</h2>")
    legs = leg_rows(data)
    parts.append(
        _html_table(
            ["Leg", "Count", "p50", "p90", "Mean", "Missing", "Data-quality issues"],
            [
                [r["label"], r["count"], r["p50"], r["p90"], r["mean"], r["missing"], r["data_quality_issues"]]
                for r in legs
            ],
        )
        if legs
        else "<p>No incidents in the period.</p>"
    )
    parts.append("<h2>Charts</h2>")
    for name in charts.CHARTS:
        encoded = base64.b64encode(png(name, data)).decode("ascii")
        parts.append(f"<p><img alt='{name}' src='data:image/png;base64,{encoded}'></p>")
    parts.append("</body></html>\n")
    return "".join(parts)
