"""Distances, bearings and H3 cells around a point. Pure."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import h3

EARTH_RADIUS_M = 6_371_008.8
BASE_RESOLUTION = 9


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, degrees clockwise from north (0..360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def circle_area_km2(radius_m: float) -> float:
    return math.pi * (radius_m / 1000.0) ** 2


def cells_within(lat: float, lon: float, radius_m: float, resolution: int = BASE_RESOLUTION) -> list[str]:
    """The cells of `resolution` whose centres lie within `radius_m` of the point, and the point's own cell."""
    own = h3.latlng_to_cell(lat, lon, resolution)
    spacing = h3.average_hexagon_edge_length(resolution, unit="m") * math.sqrt(3)  # between neighbouring centres
    k = max(1, math.ceil(radius_m / spacing) + 1)
    found = [own]
    for cell in h3.grid_disk(own, k):
        if cell != own:
            c_lat, c_lon = h3.cell_to_latlng(cell)
            if distance_m(lat, lon, c_lat, c_lon) <= radius_m:
                found.append(cell)
    return found


@functools.lru_cache(maxsize=65_536)
def ring(cell: str) -> tuple[tuple[float, float], ...]:
    """A cell's boundary as a closed GeoJSON ring ([lon, lat] pairs); a cell never moves, so each process
    works it out once (a whole-city heat map draws thousands)."""
    points = tuple((round(lon, 7), round(lat, 7)) for lat, lon in h3.cell_to_boundary(cell))
    return (*points, points[0])


def polygon(cells: Iterable[str]) -> dict[str, object]:
    """The outline of a group of cells as one GeoJSON Polygon or MultiPolygon."""
    shape = h3.cells_to_geo(list(cells))
    return {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])}


def _rounded(value: object) -> object:
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int | float) for v in value):
            return [round(float(v), 7) for v in value]
        return [_rounded(v) for v in value]
    return value


def centroid(points: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    """The weighted mean of (lat, lon, weight) points (plain mean when the weights are all zero)."""
    total = sum(w for _, _, w in points)
    if total <= 0:
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return (sum(p[0] * p[2] for p in points) / total, sum(p[1] * p[2] for p in points) / total)
