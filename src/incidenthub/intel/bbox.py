"""Bounding boxes: parsed from `bbox=min_lon,min_lat,max_lon,max_lat` (GeoJSON order), or around a circle. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

import h3

from incidenthub.errors import AppError, FieldError

MAX_SIDE_DEG = 2.0
MAX_CELLS = 20_000
KM_PER_DEG_LAT = 111.32


def _refuse(param: str, message: str) -> AppError:
    return AppError(f"{param}: {message}", [FieldError(param, message)])


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str, param: str = "bbox") -> Box:
        """`min_lon,min_lat,max_lon,max_lat`, each side at most 2 degrees; 400 naming `param` otherwise."""
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise _refuse(param, "must be min_lon,min_lat,max_lon,max_lat: four numbers")
        box = cls(*values)
        if not (-180 <= box.min_lon <= 180 and -180 <= box.max_lon <= 180):
            raise _refuse(param, "longitudes must be within [-180, 180]")
        if not (-90 <= box.min_lat <= 90 and -90 <= box.max_lat <= 90):
            raise _refuse(param, "latitudes must be within [-90, 90]")
        if box.min_lon >= box.max_lon or box.min_lat >= box.max_lat:
            raise _refuse(param, "min_lon must be less than max_lon and min_lat less than max_lat")
        if box.max_lon - box.min_lon > MAX_SIDE_DEG or box.max_lat - box.min_lat > MAX_SIDE_DEG:
            raise _refuse(param, f"each side must be at most {MAX_SIDE_DEG:g} degrees")
        return box

    @classmethod
    def around(cls, lat: float, lon: float, radius_m: float) -> Box:
        """The box holding a circle (clamped at the poles and the antimeridian)."""
        d_lat = radius_m / 1000.0 / KM_PER_DEG_LAT
        d_lon = d_lat / max(0.01, math.cos(math.radians(lat)))
        return cls(max(-180.0, lon - d_lon), max(-90.0, lat - d_lat), min(180.0, lon + d_lon), min(90.0, lat + d_lat))

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2)

    @property
    def width_km(self) -> float:
        return (self.max_lon - self.min_lon) * KM_PER_DEG_LAT * math.cos(math.radians(self.centre[0]))

    @property
    def height_km(self) -> float:
        return (self.max_lat - self.min_lat) * KM_PER_DEG_LAT

    def grown(self, metres: float) -> Box:
        """This box with a margin of `metres` on every side."""
        d_lat = metres / 1000.0 / KM_PER_DEG_LAT
        d_lon = d_lat / max(0.01, math.cos(math.radians(max(abs(self.min_lat), abs(self.max_lat)))))
        return Box(self.min_lon - d_lon, self.min_lat - d_lat, self.max_lon + d_lon, self.max_lat + d_lat)

    def cells_within(self, limit: int, resolution: int = 9) -> list[str] | None:
        """The cells of `resolution` whose centres may lie in the box (a superset: the box grown by a cell's
        edge, so that no cell on its border is missed), or None when there could be more than `limit`."""
        area = h3.average_hexagon_area(resolution, unit="km^2")
        margin = h3.average_hexagon_edge_length(resolution, unit="m")
        grown = self.grown(margin)
        if grown.width_km * grown.height_km / area > limit:
            return None
        outline = [
            (grown.min_lat, grown.min_lon),
            (grown.min_lat, grown.max_lon),
            (grown.max_lat, grown.max_lon),
            (grown.max_lat, grown.min_lon),
        ]
        cells: list[str] = h3.h3shape_to_cells(h3.LatLngPoly(outline), resolution)
        return cells

    def holds(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    def check_cells(self, resolution: int, param: str = "bbox") -> None:
        """Refuse a box that could hold more than 20,000 cells of `resolution` (400 naming `param`)."""
        estimate = self.width_km * self.height_km / h3.average_hexagon_area(resolution, unit="km^2")
        if estimate > MAX_CELLS:
            raise _refuse(
                param, f"too large for resolution {resolution}: about {estimate:,.0f} cells (at most {MAX_CELLS:,})"
            )

    def as_list(self) -> list[float]:
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
