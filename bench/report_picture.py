"""Draw docs/report-page.png: the first page of the compliance report's PDF over a month of demo calls.

    .venv/bin/python -m bench.report_picture [--incidents 2000] [--page 1] [--out docs/report-page.png]

A fresh SQLite database, tenant `default` in America/New_York, `incidenthub demo-data --city nyc` (GovWorx calls
with call and unit times, through the normal write path) over the 90 days up to 2026-11-01, then
`incidenthub report --format pdf` for October 2026, each run as a user runs it; the page is rendered with
pypdfium2 (the tests' PDF renderer) at 2x.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

CLI = str(Path(sys.executable).with_name("incidenthub"))


def _run(env: dict[str, str], *args: str) -> None:
    subprocess.run([CLI, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--page", type=int, default=1, help="which page of the PDF (1: the tables)")
    parser.add_argument("--out", type=Path, default=Path("docs/report-page.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "INCIDENTHUB_DATABASE_URL": f"sqlite:///{Path(directory) / 'demo.db'}"}
        _run(env, "migrate")
        _run(env, "tenant", "create", "--name", "New York demo PSAP", "--slug", "default", "--timezone",
             "America/New_York")  # fmt: skip
        _run(env, "demo-data", "--tenant", "default", "--incidents", str(args.incidents), "--city", "nyc",
             "--days", "90", "--until", "2026-11-01T00:00:00Z")  # fmt: skip
        pdf = Path(directory) / "report.pdf"
        _run(env, "report", "--tenant", "default", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "pdf",
             "--output", str(pdf))  # fmt: skip
        document = pdfium.PdfDocument(str(pdf))
        image = document[args.page - 1].render(scale=2).to_pil()
        pages = len(document)
        document.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)
    print(f"{args.out}: page {args.page} of {pages}, {image.width} x {image.height} px, {args.incidents} incidents")


if __name__ == "__main__":
    main()
