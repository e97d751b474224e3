"""A tenant's DevRev settings (severity labels, stage diagram, other enums) with their defaults. Pure."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from incidenthub.adapters.devrev import ids
from incidenthub.adapters.devrev.errors import value_not_permitted
from incidenthub.adapters.devrev.wire import INT64_MAX

SETTINGS_KEY = "devrev"


class EnumValue(BaseModel):
    id: int = Field(ge=0, le=INT64_MAX)
    # An incident keeps its severity label in a 32-character column.
    label: str = Field(min_length=1, max_length=32)
    ordinal: int | None = None

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "ordinal": self.id if self.ordinal is None else self.ordinal}


class StateDef(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    is_final: bool = False


class StageDef(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    state: str
    is_start: bool = False
    transitions: list[str] = Field(default_factory=list, description="stages this one may move to")


def _severities() -> list[EnumValue]:
    return [EnumValue(id=n, label=f"Sev{n}", ordinal=n) for n in range(4)]


def _states() -> list[StateDef]:
    return [StateDef(name="open"), StateDef(name="in_progress"), StateDef(name="closed", is_final=True)]


def _stages() -> list[StageDef]:
    return [
        StageDef(name="acknowledged", state="open", is_start=True, transitions=["identified", "mitigated", "resolved"]),
        StageDef(name="identified", state="in_progress", transitions=["mitigated", "resolved"]),
        StageDef(name="mitigated", state="in_progress", transitions=["identified", "resolved"]),
        StageDef(name="resolved", state="closed", transitions=["closed", "acknowledged"]),
        StageDef(name="closed", state="closed", transitions=[]),
    ]


class DevRevSettings(BaseModel):
    """`tenant.settings["devrev"]`; each member falls back to its default when absent."""

    severities: list[EnumValue] = Field(default_factory=_severities, min_length=1)
    states: list[StateDef] = Field(default_factory=_states, min_length=1)
    stages: list[StageDef] = Field(default_factory=_stages, min_length=1)
    # Open enums: when left empty any non-negative integer is accepted and labelled with itself.
    reported_by: list[EnumValue] = Field(default_factory=list)
    sources: list[EnumValue] = Field(default_factory=list)
    impact_counts: list[EnumValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DevRevSettings:
        states = {state.name for state in self.states}
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        for stage in self.stages:
            if stage.state not in states:
                raise ValueError(f"stage {stage.name!r} names unknown state {stage.state!r}")
            unknown = set(stage.transitions) - set(names)
            if unknown:
                raise ValueError(f"stage {stage.name!r} moves to unknown stage(s) {sorted(unknown)}")
        if not any(stage.is_start for stage in self.stages):
            raise ValueError("at least one stage must be a start stage (is_start)")
        for enum in (self.severities, self.reported_by, self.sources, self.impact_counts):
            if len({value.id for value in enum}) != len(enum):
                raise ValueError("enum ids must be unique")
        return self

    # --- lookups ---------------------------------------------------------------------------------

    def severity(self, value: int | str) -> EnumValue:
        """The severity named by its id, a digit string, or its label (any case: `sev1`)."""
        for severity in self.severities:
            if value == severity.id or (
                isinstance(value, str) and value.strip().lower() in {severity.label.lower(), str(severity.id)}
            ):
                return severity
        raise value_not_permitted(
            "severity",
            f"severity {value!r} is not one of this organisation's severities",
            [str(s.id) for s in self.severities] + [s.label for s in self.severities],
        )

    def severity_by_label(self, label: str | None) -> EnumValue | None:
        return next((s for s in self.severities if s.label == label), None)

    def open_enum(self, field: str, value: int) -> EnumValue:
        """reported_by / source / impact.count: checked against the tenant's list when it has one."""
        values = {"reported_by": self.reported_by, "source": self.sources, "impact.count": self.impact_counts}[field]
        if not values:
            return EnumValue(id=value, label=str(value), ordinal=value)
        for item in values:
            if item.id == value:
                return item
        raise value_not_permitted(
            field, f"{field} {value} is not permitted", [str(item.id) for item in values] + [v.label for v in values]
        )

    def stage(self, value: str) -> StageDef:
        """The stage named by its DON or its name (any case)."""
        name = ids.last_segment(value.strip()).lower()
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise value_not_permitted(
            "stage.stage", f"stage {value!r} is not in this organisation's stage diagram", self.stage_names()
        )

    def stage_names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def state_of(self, stage: StageDef) -> StateDef:
        return next(state for state in self.states if state.name == stage.state)

    def is_final(self, stage_name: str | None) -> bool:
        stage = next((s for s in self.stages if s.name == stage_name), None)
        return stage is not None and self.state_of(stage).is_final

    def start_stage(self) -> StageDef:
        return next(stage for stage in self.stages if stage.is_start)

    def check_start(self, stage: StageDef, allow_non_start: bool) -> None:
        if stage.is_start or allow_non_start:
            return
        starts = [s.name for s in self.stages if s.is_start]
        raise value_not_permitted(
            "stage.stage",
            f"an incident cannot start in stage {stage.name!r}; send stage_validation_options "
            '["allow_non_start"] to allow it',
            starts,
            reason="not a start stage",
        )

    def check_transition(self, current: str | None, target: StageDef, allow_invalid: bool) -> None:
        if current is None or current == target.name or allow_invalid:
            return
        source = next((s for s in self.stages if s.name == current), None)
        if source is None or target.name in source.transitions:
            return
        raise value_not_permitted(
            "stage.stage",
            f"cannot move from stage {current!r} to {target.name!r}; send stage_validation_options "
            '["allow_invalid_transition"] to force it',
            list(source.transitions),
            reason="invalid stage transition",
        )


def load(raw: dict[str, Any] | None) -> DevRevSettings:
    """The effective settings of a tenant; broken stored settings fall back to the defaults."""
    stored = (raw or {}).get(SETTINGS_KEY)
    if not isinstance(stored, dict):
        return DevRevSettings()
    try:
        return DevRevSettings.model_validate(stored)
    except ValidationError:
        return DevRevSettings()
