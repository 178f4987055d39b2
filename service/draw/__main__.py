"""``python -m service.draw verify FILE`` — recompute an exported draw record and compare.

Exit status: 0 the draw reproduces (``OK: …``), 1 it does not (``MISMATCH: <first difference>``),
2 the file cannot be read as a draw record. ``FILE`` may be ``-`` for standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from service.draw.algorithm import ALGORITHM_VERSION, RecordFormatError, verify

EXIT_OK, EXIT_MISMATCH, EXIT_MALFORMED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service.draw",
        description=f"Tools for the verifiable double-random draw ({ALGORITHM_VERSION}).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "verify",
        help="recompute an exported draw record from its pool and seed",
        description="Recompute an exported draw record from its pool and seed. Exit status: "
        "0 reproduced, 1 mismatch, 2 unreadable or malformed record.",
    )
    check.add_argument("file", help="the exported draw record (JSON), or - for standard input")
    return parser


def _verify(file: str) -> int:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        record = json.loads(data)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        print(f"MALFORMED: cannot read {file} as JSON: {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    try:
        report = verify(record)
    except RecordFormatError as exc:
        print(f"MALFORMED: {exc}", file=sys.stderr)
        return EXIT_MALFORMED
    if report.ok:
        print(
            f"OK: draw reproduced ({report.selections} selections, "
            f"pool {(report.pool_hash or '')[:12]}…)"
        )
        return EXIT_OK
    print(f"MISMATCH: {report.first_difference}")
    return EXIT_MISMATCH


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return _verify(args.file)  # "verify" is the only command


if __name__ == "__main__":
    sys.exit(main())
