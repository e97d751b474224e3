"""The heat map drawn as a PNG: hexagons coloured by weight, a colour bar, a scale bar in km, lon/lat axes.

matplotlib with its Agg canvas on a `Figure` of our own (no pyplot, no global state, so threads may draw at
once); no map tiles (the machine is offline): the picture is the cells on plain axes, to scale.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta
from typing import Any

WIDTH_PX = 1000
HEIGHT_PX = 800
_DPI = 100
_NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)


def _scale_km(width_km: float) -> float:
    """A round length near a fifth of the map's width."""
    target = width_km / 5
    return max([k for k in _NICE_KM if k <= target] or [_NICE_KM[0]])


def _last_day(end: str) -> str:
    """The day of the last instant before an exclusive end."""
    moment = datetime.fromisoformat(end.replace("Z", "+00:00")) - timedelta(milliseconds=1)
    return moment.date().isoformat()


def heatmap_png(answer: dict[str, Any]) -> bytes:
    """The PNG (1000 x 800 pixels) of a heat map answer (`heatmap.heatmap`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    min_lon, min_lat, max_lon, max_lat = answer["bbox"]
    mid_lat = (min_lat + max_lat) / 2
    figure = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor("#f4f4f0")
    features = answer["features"]
    weights = [f["properties"]["weight"] for f in features]
    norm = Normalize(vmin=0.0, vmax=max(weights) if weights and max(weights) > 0 else 1.0)
    shapes = PolyCollection(
        [f["geometry"]["coordinates"][0] for f in features],
        array=weights,
        cmap="YlOrRd",
        norm=norm,
        edgecolors="#55555555",
        linewidths=0.4,
    )
    axes.add_collection(shapes)
    bar = figure.colorbar(shapes, ax=axes, shrink=0.8)
    bar.set_label(f"weighted incidents, decayed to now (half-life {answer['half_life_days']:g} days)")
    axes.set_xlim(min_lon, max_lon)
    axes.set_ylim(min_lat, max_lat)
    axes.set_aspect(1 / math.cos(math.radians(mid_lat)))
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    if not features:
        axes.text(0.5, 0.5, "no incidents", transform=axes.transAxes, ha="center", va="center", color="#777777")
    # Scale bar, bottom left, on a white box.
    width_km = (max_lon - min_lon) * 111.32 * math.cos(math.radians(mid_lat))
    km = _scale_km(width_km)
    length_deg = km / (111.32 * math.cos(math.radians(mid_lat)))
    x0 = min_lon + (max_lon - min_lon) * 0.05
    y0 = min_lat + (max_lat - min_lat) * 0.05
    pad_x, pad_y = (max_lon - min_lon) * 0.015, (max_lat - min_lat) * 0.02
    axes.add_patch(
        Rectangle(
            (x0 - pad_x, y0 - pad_y), length_deg + 2 * pad_x, (max_lat - min_lat) * 0.07, color="white", alpha=0.8
        )
    )
    axes.plot([x0, x0 + length_deg], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    axes.text(x0 + length_deg / 2, y0 + pad_y * 0.6, f"{km:g} km", ha="center", va="bottom", fontsize=9)
    period = answer["period"]
    when = "all incidents known" if period["from"] is None else f"{period['from'][:10]} to {_last_day(period['to'])}"
    category = f", {answer['category']}" if answer.get("category") else ""
    totals = answer["totals"]
    axes.set_title(
        f"Incident heat map: {when}{category}\n"
        f"{totals['incidents']} incidents in {totals['cells']} H3 cells (resolution {answer['resolution']}), "
        f"generated {answer['generated_at'][:16].replace('T', ' ')} UTC",
        fontsize=11,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
