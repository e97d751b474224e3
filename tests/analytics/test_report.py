"""`incidenthub report`: the compliance report of a month from GovWorx uploads with hand-known answer times, as
Markdown, CSV, HTML and PDF (the PDF rendered to images with pypdfium2 and looked at), PASS and FAIL exactly at
NENA's boundaries, and never another tenant's calls."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from typer.testing import CliRunner

from incidenthub.analytics import charts, report_pdf
from incidenthub.cli import app
from incidenthub.config import get_settings
from tests.analytics.figures import DAY, call, upload_all
from tests.analytics.test_charts import pixels_near
from tests.govworx.helpers import GovWorx

runner = CliRunner()
NENA = "nena-sta-020.1-2020-call-answering"
FEBRUARY = ["--from", "2026-02-01", "--to", "2026-02-28"]
MARCH = ["--from", "2026-03-01", "--to", "2026-03-31"]


@pytest.fixture
def months(gw: GovWorx, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GovWorx]:
    """Metro (America/Chicago): February passes NENA at its boundary (9 of 10 within 15 s is exactly 90 %, all
    within 20 s), March fails it (8 of 10 within 15 s; 20.001 s is over 20 s: 90 % of 95 %). Another tenant's
    slow calls in February."""
    february = [call(f"F{i}", DAY + timedelta(minutes=i), s) for i, s in enumerate([15] * 9 + [20])]
    march_day = DAY + timedelta(days=28)  # 2026-03-10
    march = [call(f"M{i}", march_day + timedelta(minutes=i), s) for i, s in enumerate([15] * 8 + [16, 20.001])]
    upload_all(gw, february + march)
    upload_all(gw, [call(f"O{i}", DAY + timedelta(minutes=i), 100) for i in range(4)], headers=gw.other)
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield gw
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _row(markdown: str, standard: str, target: str) -> list[str]:
    (line,) = [line for line in markdown.splitlines() if line.startswith(f"| {standard} |") and f"| {target} |" in line]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_markdown_shows_each_target_pass_and_fail_at_the_boundary_and_the_legs(months: GovWorx) -> None:
    february = run("--tenant", "metro", *FEBRUARY, "--format", "md")
    assert february.startswith("# Compliance report: Metro\n")
    assert "Period: 2026-02-01 to 2026-02-28 (America/Chicago).\n" in february
    nena = "NENA 9-1-1 call answering"
    # Standard, source, edition, clause, leg, judged, target, within, required, result.
    assert _row(february, nena, "15 s")[2:] == [
        "2020",
        "not given",
        "call_answer",
        "10",
        "15 s",
        "90 %",
        "90 %",
        "**PASS**",
    ]
    assert _row(february, nena, "20 s")[5:] == ["10", "20 s", "100 %", "95 %", "**PASS**"]
    assert _row(february, "NFPA 1225 call answering", "10 s")[5:] == ["10", "10 s", "0 %", "90 %", "**FAIL**"]
    # No unit was dispatched: nothing judges call processing.
    assert _row(february, "NFPA 1221 emergency alarm processing", "64 s")[5:] == [
        "0",
        "64 s",
        "-",
        "90 %",
        "**no data**",
    ]
    assert f"- {nena} (2020): **PASS**, 10 judged, 1 over 15 s" in february
    # Call answer over the 10 calls: nearest-rank p50 and p90 15 s, mean 15.5 s; call duration a minute each.
    assert "| Call answer: call received -> picked up | 10 | 15 | 15 | 15.5 | 0 | 0 |" in february
    assert "| Call duration: picked up -> hung up | 10 | 60 | 60 | 60 | 0 | 0 |" in february
    assert "100" not in _legs_table(february)  # the other tenant's 100 s answers are not there
    assert "give --output FILE" in february  # no chart on standard output
    march = run("--tenant", "metro", *MARCH, "--format", "md")
    assert _row(march, nena, "15 s")[5:] == ["10", "15 s", "80 %", "90 %", "**FAIL**"]
    assert _row(march, nena, "20 s")[5:] == ["10", "20 s", "90 %", "95 %", "**FAIL**"]
    assert f"- {nena} (2020): **FAIL**, 10 judged, 2 over 15 s" in march


def _legs_table(markdown: str) -> str:
    return markdown.split("## Intervals", 1)[1].split("## Charts", 1)[0]


def test_markdown_to_a_file_writes_the_charts_beside_it(months: GovWorx, tmp_path: Path) -> None:
    target = tmp_path / "feb.md"
    run("--tenant", "metro", *FEBRUARY, "--format", "md", "--output", str(target))
    text = target.read_text()
    for name in charts.CHARTS:
        assert f"![{name}](feb-{name}.png)" in text
        image = Image.open(tmp_path / f"feb-{name}.png")
        assert image.size == (charts.WIDTH_PX, charts.HEIGHT_PX)


def test_csv_has_one_row_per_target_and_per_leg(months: GovWorx) -> None:
    rows = list(csv.DictReader(io.StringIO(run("--tenant", "metro", *MARCH, "--format", "csv"))))
    targets = [r for r in rows if r["record"] == "target"]
    assert len(targets) == 10  # the eight default standards have ten targets
    nena = [r for r in targets if r["standard_id"] == NENA]
    assert [(r["within_seconds"], r["judged"], r["within"], r["percent_within"], r["result"]) for r in nena] == [
        ("15.0", "10", "8", "80.0", "FAIL"),
        ("20.0", "10", "9", "90.0", "FAIL"),
    ]
    assert {(r["tenant"], r["timezone"], r["period_from"]) for r in rows} == {
        ("metro", "America/Chicago", "2026-03-01T00:00:00.000-06:00")
    }
    (answer,) = [r for r in rows if r["record"] == "leg" and r["leg"] == "call_answer"]
    assert (answer["count"], answer["p50_seconds"], answer["p90_seconds"], answer["missing"]) == (
        "10",
        "15.0",
        "16.0",
        "0",
    )


def test_html_is_one_file_with_the_tables_and_the_charts_embedded(months: GovWorx) -> None:
    page = run("--tenant", "metro", *FEBRUARY, "--format", "html")
    assert "<h1>Compliance report: Metro</h1>" in page
    assert '<td class="PASS">PASS</td>' in page and '<td class="FAIL">FAIL</td>' in page
    assert "<td>15.5</td>" in page  # the mean answer time
    images = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(images) == len(charts.CHARTS)
    for encoded in images:
        assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert "http" not in page.replace("https://", "").split("<body>", 1)[1]  # nothing fetched from elsewhere


def _pages(path: Path) -> list[Image.Image]:
    document = pdfium.PdfDocument(str(path))
    sizes = {tuple(round(v) for v in document[i].get_size()) for i in range(len(document))}
    assert sizes == {(792, 612)}  # US Letter, landscape, in points
    return [document[i].render(scale=1).to_pil() for i in range(len(document))]


def test_the_pdf_has_a_table_page_and_one_page_per_chart(months: GovWorx, tmp_path: Path) -> None:
    target = tmp_path / "march.pdf"
    run("--tenant", "metro", *MARCH, "--format", "pdf", "--output", str(target))
    assert target.read_bytes().startswith(b"%PDF-")
    pages = _pages(target)
    text_pages = len(pages) - len(charts.CHARTS)
    assert text_pages in (1, 2)  # the tables, then one page per chart
    first = pages[0]
    assert first.size == (792, 612)
    dark = sum(n for n, (r, g, b) in first.convert("RGB").getcolors(792 * 612) or [] if r + g + b < 300)
    assert dark > 5000  # text, not a blank page
    # March fails NENA and passes no standard: red results, no green ones.
    assert pixels_near(first, report_pdf._RED, 30) > 50
    assert pixels_near(first, report_pdf._GREEN, 30) == 0
    histogram = pages[text_pages + charts.CHARTS.index("answer-times")]
    assert pixels_near(histogram, charts.BARS) > 1000
    assert (
        pixels_near(histogram, charts.LINE_COLOURS[15]) > 200 and pixels_near(histogram, charts.LINE_COLOURS[20]) > 200
    )
    hours = pages[text_pages + charts.CHARTS.index("p90-by-hour")]
    assert pixels_near(hours, charts.ANSWER) > 300  # March's calls, in one local hour


def test_the_february_pdf_shows_pass_in_green(months: GovWorx, tmp_path: Path) -> None:
    target = tmp_path / "feb.pdf"
    run("--tenant", "metro", *FEBRUARY, "--format", "pdf", "--output", str(target))
    assert pixels_near(_pages(target)[0], report_pdf._GREEN, 30) > 50


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--tenant", "metro", "--from", "2026-02-30", "--to", "2026-03-31"], 2, "--from '2026-02-30'"),
        (["--tenant", "metro", "--from", "2026-03-01", "--to", "2026-02-01"], 2, "--from '2026-03-01': must be before"),
        (["--tenant", "nowhere", *FEBRUARY], 1, "no tenant with slug 'nowhere'"),
        (["--tenant", "metro", *FEBRUARY, "--format", "pdf"], 2, "--format pdf needs --output FILE"),
    ],
)
def test_bad_arguments_are_refused_naming_them(months: GovWorx, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split()), result.output
