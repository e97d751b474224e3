"""The compliance report's charts, drawn with matplotlib from the answers' figures (`report.gather`); no figure is
computed here, only placed.

- `answer-times`: how many calls were answered in each second (the database's histogram of the call answer leg,
  1 s buckets up to 60 s and one bucket for the rest), with lines at 15 s and 20 s (NENA's targets) labelled
  with the share within each, as the tenant's standards judge it;
- `p90-by-hour`: p90 of call answer and of call processing by the call's local hour of day (00-23);
- `call-takers`: per call taker, p90 answer time and the share answered within 15 s, worst first (25 at most).

Each is drawn on a `Figure` of our own with the Agg canvas (no pyplot, no global state, so requests may draw at
once), as a 1000 x 600 PNG or on a page of the report's PDF (`draw`).
"""

from __future__ import annotations

import io
import math
from typing import Any

CHARTS = ("answer-times", "p90-by-hour", "call-takers")
WIDTH_PX = 1000
HEIGHT_PX = 600
_DPI = 100
OVERFLOW_SECONDS = 60  # answer times above this share one bar
TAKERS = 25  # call takers shown at most, worst first
LINES = (15, 20)  # NENA-STA-020.1: 90 % within 15 s, 95 % within 20 s
# Colours a reader (and the tests) can tell apart.
BARS = "#4c72b0"
OVERFLOW = "#8172b3"
LINE_COLOURS = {15: "#2ca02c", 20: "#d62728"}
ANSWER = "#4c72b0"
PROCESSING = "#dd8452"
_EMPTY = "#777777"


def _target_share(legs: list[dict[str, Any]], leg: str, seconds: int) -> tuple[float | None, float | None, str]:
    """(share within, share required, standard name) of the first of the tenant's standards with a target of
    `seconds` on `leg`, from an answer's legs; (None, None, "") when no standard has one."""
    for item in legs:
        if item["leg"] != leg:
            continue
        for standard in item["standards"]:
            for target in standard["targets"]:
                if target["within_seconds"] == seconds:
                    return target["percent_within"], target["percent_required"], standard["name"]
    return None, None, ""


def _leg(group: dict[str, Any], leg: str) -> dict[str, Any] | None:
    return next((item for item in group["legs"] if item["leg"] == leg), None)


def _empty(axes: Any, message: str) -> None:
    axes.text(0.5, 0.5, message, transform=axes.transAxes, ha="center", va="center", color=_EMPTY, fontsize=12)


def answer_times(figure: Any, data: dict[str, Any]) -> None:
    """The histogram of call answer times with the 15 s and 20 s lines."""
    axes = figure.add_subplot()
    buckets = data["histogram"]["buckets"]
    shown = [(k, n) for k, n in buckets if k <= OVERFLOW_SECONDS]
    over = sum(n for k, n in buckets if k > OVERFLOW_SECONDS)
    total = sum(n for _, n in buckets)
    # Bucket k holds the answers in (k - 1, k] s: its bar spans that second (bucket 0, exactly 0 s, a sliver).
    axes.bar(
        [max(k - 1, 0) for k, _ in shown],
        [n for _, n in shown],
        width=[1 if k else 0.2 for k, _ in shown],
        align="edge",
        color=BARS,
        edgecolor="white",
        linewidth=0.3,
    )
    axes.bar([OVERFLOW_SECONDS + 1], [over], width=2, align="edge", color=OVERFLOW, edgecolor="white", linewidth=0.3)
    axes.set_xlim(0, OVERFLOW_SECONDS + 3)
    ticks = list(range(0, OVERFLOW_SECONDS + 1, 5))
    axes.set_xticks([*ticks, OVERFLOW_SECONDS + 2], [*map(str, ticks), f">{OVERFLOW_SECONDS}"])
    axes.set_xlabel("seconds from call received to picked up")
    axes.set_ylabel("calls")
    legs = data["overall"]["groups"][0]["legs"] if data["overall"]["groups"] else []
    for seconds in LINES:
        share, required, name = _target_share(legs, "call_answer", seconds)
        if share is None:
            label = f"{seconds} s: no standard of the tenant judges it" if not name else f"{seconds} s: no data"
        else:
            label = f"{seconds} s: {share:.1f} % within ({name}: {required:g} % required)"
        axes.axvline(seconds, color=LINE_COLOURS[seconds], linewidth=2.5, label=label)
    axes.legend(loc="upper right", fontsize=9)
    if not total:
        _empty(axes, "no answered calls in the period")
    axes.set_title(f"Call answer times: {total:,} calls\n{data['caption']}", fontsize=11)
    figure.subplots_adjust(top=0.88)


def p90_by_hour(figure: Any, data: dict[str, Any]) -> None:
    """p90 of call answer (top) and call processing (bottom) by local hour, with the tenant's strictest targets."""
    hours = {int(g["group"]): g for g in data["by_hour"]["groups"] if g["group"] is not None}
    top = figure.add_subplot(2, 1, 1)
    bottom = figure.add_subplot(2, 1, 2, sharex=top)
    for axes, leg, colour, name in (
        (top, "call_answer", ANSWER, "call answer"),
        (bottom, "call_processing", PROCESSING, "call processing"),
    ):
        values = []
        for hour in range(24):
            item = _leg(hours[hour], leg) if hour in hours else None
            values.append(item["p90"] if item and item["p90"] is not None else math.nan)
        axes.bar(range(24), [0 if math.isnan(v) else v for v in values], color=colour, width=0.8)
        for hour, value in enumerate(values):
            if math.isnan(value):
                axes.text(hour, 0, "-", ha="center", va="bottom", color=_EMPTY, fontsize=8)
        axes.set_ylabel(f"p90 {name} (s)")
        targets = sorted({t for g in hours.values() for t in _targets(g, leg)})
        for seconds, (x, side) in zip(targets[:2], ((23.6, "right"), (-0.6, "left")), strict=False):
            axes.axhline(seconds, color=_EMPTY, linestyle="--", linewidth=1)
            axes.text(x, seconds, f"{seconds:g} s", va="bottom", ha=side, fontsize=8, color=_EMPTY)
        if all(math.isnan(v) for v in values):
            _empty(axes, f"no {name} legs in the period")
    bottom.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
    bottom.set_xlabel(f"local hour of the call ({data['timezone']})")
    top.set_title(f"p90 by hour of day\n{data['caption']}", fontsize=11)
    figure.subplots_adjust(top=0.88, hspace=0.3)


def _targets(group: dict[str, Any], leg: str) -> list[float]:
    item = _leg(group, leg)
    return [t["within_seconds"] for s in (item["standards"] if item else []) for t in s["targets"]]


def taker_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The call takers with answered calls, worst first: lowest share within 15 s, then highest p90 (capped)."""
    rows = []
    for group in data["by_taker"]["groups"]:
        item = _leg(group, "call_answer")
        if item is None or not item["count"]:
            continue
        share, _, _ = _target_share([item], "call_answer", 15)
        name = group["label"] or group["group"] or "(no call taker)"
        ident = f" ({group['group']})" if group["label"] and group["group"] and group["label"] != group["group"] else ""
        rows.append({"name": f"{name}{ident}", "count": item["count"], "p90": item["p90"], "within_15": share})
    rows.sort(key=lambda r: (r["within_15"] is None, r["within_15"] or 0, -(r["p90"] or 0), r["name"]))
    return rows[:TAKERS]


def call_takers(figure: Any, data: dict[str, Any]) -> None:
    """Per call taker: p90 answer time (left) and the share answered within 15 s (right), worst at the top."""
    rows = taker_rows(data)
    left = figure.add_subplot(1, 2, 1)
    right = figure.add_subplot(1, 2, 2, sharey=left)
    places = list(range(len(rows)))
    left.barh(places, [r["p90"] or 0 for r in rows], color=ANSWER)
    left.axvline(15, color=LINE_COLOURS[15], linewidth=2)
    left.set_xlabel("p90 call answer (s)")
    left.set_yticks(places, [f"{r['name']}, n={r['count']}" for r in rows], fontsize=8)
    left.invert_yaxis()
    right.barh(places, [r["within_15"] or 0 for r in rows], color=PROCESSING)
    right.axvline(90, color=LINE_COLOURS[15], linewidth=2)
    right.set_xlim(0, 100)
    right.set_xlabel("% answered within 15 s (90 % required)")
    right.tick_params(labelleft=False)
    if not rows:
        _empty(left, "no answered calls with a call taker")
    shown = f"the {len(rows)} worst" if len(rows) == TAKERS else f"{len(rows)}"
    figure.suptitle(f"Call takers ({shown}), worst first\n{data['caption']}", fontsize=11)
    figure.subplots_adjust(left=0.3, right=0.97, top=0.86)


DRAW = {"answer-times": answer_times, "p90-by-hour": p90_by_hour, "call-takers": call_takers}


def draw(figure: Any, name: str, data: dict[str, Any]) -> None:
    """Draw the chart `name` on `figure` (a PNG's or a PDF page's)."""
    DRAW[name](figure, data)


def png(name: str, data: dict[str, Any]) -> bytes:
    """The chart `name` as a 1000 x 600 PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    draw(figure, name, data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
