"""Write N generated GovWorx upload records as JSON lines: `python -m bench.generate N FILE`.

Each record is the vendor's example with its own sysId (`imp-<n>`), one note and one responder (50
personnel and unit names, reused), the same shape the HTTP benchmark sends.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.harness.scenarios import import_record


def write_records(path: Path, count: int, chunk: int = 10_000) -> int:
    """Stream `count` records into `path`; the bytes written."""
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, count, chunk):
            out.write("".join(import_record(index) + "\n" for index in range(start, min(start + chunk, count))))
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("count", type=int)
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    size = write_records(args.file, args.count)
    print(f"wrote {args.count} records ({size / 1e6:.1f} MB) to {args.file}")


if __name__ == "__main__":
    main()
