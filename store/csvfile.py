"""CSV files merchants open in Excel or WPS: UTF-8 with a BOM out, UTF-8 or GB18030 in.

Cells that a spreadsheet would run as a formula (=, +, -, @) are written with a leading
apostrophe, and the apostrophe is taken off again when such a file comes back. Numbers
(int, Decimal) are written as they are: a negative amount is a number, not a formula, and
an apostrophe would turn it into text that a column's SUM leaves out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: object) -> str:
    if isinstance(cell, int | Decimal) and not isinstance(cell, bool):
        return str(cell)  # -6.40 is a number to add up, never a formula
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(c) for c in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def decode(data: bytes) -> str:
    """Excel in a Chinese locale saves CSV as GB18030 (GBK); everything else as UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header (stripped, case-folded) and the rows; blank lines are skipped."""
    rows = [r for r in csv.reader(io.StringIO(decode(data))) if any(c.strip() for c in r)]
    if not rows:
        return [], []
    header = [h.strip().casefold() for h in rows[0]]
    return header, [[unescape(c.strip()) for c in r] for r in rows[1:]]
