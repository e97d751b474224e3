"""Google's encoded polyline format (precision 5), decoded. Pure.

Each coordinate is the difference from the previous one, times 1e5, zig-zag encoded and cut into 5-bit
chunks, each chunk plus 63 as one printable character (0x20 set on every chunk but the last of a value).
"""

from __future__ import annotations

PRECISION = 5


class PolylineError(ValueError):
    """The text is not an encoded polyline; the message says where it fails."""


def decode(text: str, precision: int = PRECISION) -> list[tuple[float, float]]:
    """The (latitude, longitude) points of an encoded polyline, in order."""
    if not text:
        raise PolylineError("the polyline is empty")
    factor = 10**precision
    values: list[int] = []
    shift = result = 0
    for position, char in enumerate(text):
        chunk = ord(char) - 63
        if not 0 <= chunk < 64:
            raise PolylineError(f"character {char!r} at position {position} is not part of an encoded polyline")
        result |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
        elif shift > 60:
            raise PolylineError(f"the value ending at position {position} is too long")
    if shift:
        raise PolylineError("the polyline ends in the middle of a value")
    if len(values) % 2:
        raise PolylineError("the polyline has a latitude without its longitude")
    points: list[tuple[float, float]] = []
    lat = lon = 0
    for index in range(0, len(values), 2):
        lat += values[index]
        lon += values[index + 1]
        latitude, longitude = lat / factor, lon / factor
        if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
            raise PolylineError(f"point {index // 2 + 1} ({latitude}, {longitude}) is not on the globe")
        points.append((latitude, longitude))
    return points


def encode(points: list[tuple[float, float]], precision: int = PRECISION) -> str:
    """The encoded polyline of these points (the inverse of `decode`; used by tests and examples)."""
    factor = 10**precision
    out: list[str] = []
    prev_lat = prev_lon = 0
    for latitude, longitude in points:
        lat, lon = round(latitude * factor), round(longitude * factor)
        for delta in (lat - prev_lat, lon - prev_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lon = lat, lon
    return "".join(out)
