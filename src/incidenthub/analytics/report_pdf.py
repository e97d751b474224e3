"""The compliance report as a PDF drawn with matplotlib (`PdfPages`): US Letter landscape pages, first the title
and the tables (as many pages as they need), then one page per chart. The figures are `report.gather`'s."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from incidenthub.analytics import charts, report

PAGE_INCHES = (11.0, 8.5)  # US Letter, landscape
_MARGIN = 0.5  # inches
_FONT = 8.0  # points
_LINE = _FONT * 1.35 / 72  # inches per text line
_GREEN = "#1a7f37"
_RED = "#c62828"


class _Pages:
    """Text pages written top to bottom; a new page when the next block does not fit."""

    def __init__(self, pdf: Any, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.figure: Any = None
        self.y = 0.0
        self.number = 0

    def _new(self) -> None:
        from matplotlib.figure import Figure

        self.flush()
        self.figure = Figure(figsize=PAGE_INCHES)
        self.number += 1
        self.y = PAGE_INCHES[1] - _MARGIN

    def flush(self) -> None:
        if self.figure is not None:
            self.figure.text(
                0.5,
                _MARGIN / 2 / PAGE_INCHES[1],
                f"{self.footer} - page {self.number}",
                ha="center",
                fontsize=7,
                color="#666666",
            )
            self.pdf.savefig(self.figure)
            self.figure = None

    def _room(self, height: float) -> None:
        if self.figure is None or self.y - height < _MARGIN:
            self._new()

    def text(self, value: str, size: float = _FONT, weight: str = "normal", colour: str = "#222222") -> None:
        height = size * 1.5 / 72
        self._room(height)
        self.figure.text(
            _MARGIN / PAGE_INCHES[0],
            (self.y - size / 72) / PAGE_INCHES[1],
            value,
            fontsize=size,
            fontweight=weight,
            color=colour,
        )
        self.y -= height

    def paragraph(self, value: str) -> None:
        """Text wrapped to the page's width, a line at a time (so it may go on over a new page)."""
        width = int((PAGE_INCHES[0] - 2 * _MARGIN) * 72 / (_FONT * 0.56))
        for line in textwrap.wrap(value, width, subsequent_indent="  "):
            self.text(line)

    def table(self, header: list[str], widths: list[float], rows: list[list[str]]) -> None:
        """Rows of cells wrapped to their column (inches); the header again on each new page."""
        chars = [max(int((w - 0.1) * 72 / (_FONT * 0.56)), 4) for w in widths]

        def lines_of(row: list[str]) -> list[list[str]]:
            return [textwrap.wrap(cell, width) or [""] for cell, width in zip(row, chars, strict=True)]

        def draw(row: list[str], bold: bool) -> None:
            wrapped = lines_of(row)
            height = max(len(cell) for cell in wrapped) * _LINE + 0.08
            x = _MARGIN
            for cell, width in zip(wrapped, widths, strict=True):
                colour = _GREEN if cell == ["PASS"] else _RED if cell == ["FAIL"] else "#222222"
                weight = "bold" if bold or colour != "#222222" else "normal"
                self.figure.text(
                    x / PAGE_INCHES[0],
                    (self.y - 0.04) / PAGE_INCHES[1],
                    "\n".join(cell),
                    fontsize=_FONT,
                    va="top",
                    fontweight=weight,
                    color=colour,
                    linespacing=1.2,
                )
                x += width
            self.y -= height
            line_y = (self.y + 0.02) / PAGE_INCHES[1]
            self.figure.add_artist(_rule(line_y, "#999999" if bold else "#dddddd"))

        for row in rows:
            needed = max(len(c) for c in lines_of(row)) * _LINE + 0.08
            fresh = self.figure is None or self.y - needed < _MARGIN
            self._room(needed + (0 if not fresh else _LINE * 2))
            if fresh or row is rows[0]:
                draw(header, bold=True)
            draw(row, bold=False)


def _rule(y: float, colour: str) -> Any:
    from matplotlib.lines import Line2D

    left, right = _MARGIN / PAGE_INCHES[0], 1 - _MARGIN / PAGE_INCHES[0]
    return Line2D([left, right], [y, y], color=colour, linewidth=0.5)


def pdf_bytes(data: dict[str, Any]) -> bytes:
    """The report: the tables on the first page(s), then one page per chart."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    title = f"Compliance report: {data['tenant']['name']}"
    with PdfPages(buffer, metadata={"Title": title, "Creator": "incidenthub"}) as pdf:
        pages = _Pages(pdf, f"{title}, {data['period_text']}")
        first, period, generated = report.title_lines(data)
        pages.text(first, size=16, weight="bold")
        pages.text(period, size=10)
        pages.text(generated, size=8, colour="#555555")
        pages.text("")
        pages.text("Standards", size=12, weight="bold")
        pages.table(
            ["Ed." if header == "Edition" else header for header in report.STANDARD_HEADERS],
            [2.1, 2.1, 0.45, 0.95, 1.2, 0.6, 0.6, 0.7, 0.7, 0.6],
            [[str(cell) for cell in row] for row in report.standard_cells(data, str)],
        )
        pages.text("")
        pages.text("Overall, a standard passes when every one of its targets passes:")
        for line in report.summary_lines(data):
            pages.paragraph(f"- {line}")
        pages.text("")
        pages.text("Intervals (seconds)", size=12, weight="bold")
        legs = report.leg_rows(data)
        if legs:
            pages.table(
                ["Leg", "Count", "p50", "p90", "Mean", "Missing", "Data-quality issues"],
                [3.6, 0.9, 0.9, 0.9, 0.9, 0.9, 1.4],
                [
                    [
                        r["label"],
                        *(report.number(r[k]) for k in ("count", "p50", "p90", "mean", "missing")),
                        report.number(r["data_quality_issues"]),
                    ]
                    for r in legs
                ],
            )
        else:
            pages.text("No incidents in the period.")
        pages.flush()
        for name in charts.CHARTS:
            figure = Figure(figsize=PAGE_INCHES)
            charts.draw(figure, name, data)
            pdf.savefig(figure)
    return buffer.getvalue()
