"""Sety's `IncidentAnalytics` (GET /v1/analytics/incidents): its fields are not published; this is our design
(README "Sety's SLA, ResponderAssignment and IncidentAnalytics")."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Period(BaseModel):
    from_date: str = Field(description="Incidents created at or after this instant (ISO 8601, UTC)")
    to_date: str = Field(description="... and at or before this one")


class LegFigures(BaseModel):
    """One SLA leg over the period's incidents that reached it (null figures when none did)."""

    count: int = Field(description="Incidents whose milestone is stored (and not before the start)")
    mean_seconds: float | None
    p90_seconds: float | None = Field(description="Nearest-rank 90th percentile: the value at rank ceil(0.9 n)")


class SlaBreaches(BaseModel):
    """Incidents of the period whose SLA leg is breached at `evaluated_at` (as their `sla` shows it then)."""

    assign: int
    arrive: int
    resolve: int
    incidents: int = Field(description="Incidents with at least one breached leg")


class IncidentAnalytics(BaseModel):
    """Counts, times and SLA breaches of the incidents created in a period."""

    period: Period
    evaluated_at: str = Field(description="The request time: open legs are measured to it")
    total: int
    by_status: dict[str, int] = Field(description="Every status, 0 when none")
    by_category: dict[str, int] = Field(description="Every category, 0 when none; `unknown` for none stored")
    by_severity: dict[str, int] = Field(description="Every severity, 0 when none; `unknown` for none stored")
    by_source: dict[str, int] = Field(description="Each door the incidents came through")
    time_to_assign: LegFigures = Field(description="Start -> first unit dispatched")
    time_to_arrive: LegFigures = Field(description="Start -> first unit arrived")
    time_to_resolve: LegFigures = Field(description="Start -> resolved_at")
    sla_breaches: SlaBreaches
