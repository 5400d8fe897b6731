"""The signature over a workbook's hidden part, so that what import trusts cannot be forged.

Import trusts what the partner never sees: the **Export** sheet (the export
id, the store, the agency and review the workbook is for, who exported it
and when), the **As exported** sheet (every action row as it was exported,
with its id and version: the values import compares the partner's cells
with, to find edits and changes made on the plan since) and the **Lists**
sheet (what the drop-downs offer, and the recommendation id each entry
stands for). Export signs every cell of those three sheets with the store's
own key (``Store.sign``, HMAC-SHA256 under a per-store secret that agency
roles cannot read) and writes the signature into the Export sheet under the
key ``signature``. Import reads the same cells back, signs them again and
refuses the workbook if the two differ (:func:`check_signature`).

What is signed
    The *hidden part*: the three sheets in the order Lists, Export, As
    exported, each as its name and its rows, without the Export sheet's
    ``signature`` row. A row is its cells' values up to its last non-empty
    one; an empty row is left out. That is the JSON text of ``[FORMAT,
    [[sheet, rows], ...]]`` (ASCII, no spaces), text exactly as the cell
    holds it. What the store signs is :data:`LABEL` followed by that
    payload's SHA-256 in hex: a fixed size, so that a PostgreSQL store's
    signing function is sent 64 characters rather than a national plan's
    rows, and a label no other use of the store's key starts with.

Why a re-save still verifies
    Import builds the payload from the values python-calamine reads back,
    export from the values it writes, each first put in the form
    python-calamine reads it as (:func:`as_read`: an empty cell is ``""``, a
    number a float). Then :func:`hidden_part`, the same function on both
    sides, makes alike the ways a spreadsheet program may hand back one
    stored value: trailing empty cells and rows are dropped, and a date, a
    date-time at midnight and the date's serial number are all that number
    (a date *is* its serial number in the file; a format only shows it as a
    date). A workbook saved again by Excel, LibreOffice or openpyxl
    therefore signs the same; a changed value, a row added or removed, or a
    key renamed does not.

Where the signature is missing (a workbook exported before this release, or
its signature row deleted), import refuses it too: it cannot tell an old
export from a forged one, and a new export costs the partner nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from actiontrack.errors import WorkbookError
from actiontrack.excel import layout

__all__ = [
    "LABEL",
    "Sign",
    "as_read",
    "check_signature",
    "hidden_part",
]

#: Signs bytes with the store's key: ``Store.sign``.
Sign = Callable[[bytes], str]

#: What the store signs starts with this, then the hidden part's SHA-256 in hex.
LABEL = b"actiontrack partner workbook hidden part, sha256: "

#: Day 0 of a spreadsheet's serial numbers (as Excel counts from March 1900 on).
_DAY_ZERO = date(1899, 12, 30).toordinal()
_SECONDS_A_DAY = 86_400.0


def as_read(values: Iterable[object]) -> list[object]:
    """Values as export writes them, in the form python-calamine reads them back.

    An empty cell (``None``) reads as ``""`` and every number as a float;
    text, dates and the rest read as written.
    """
    return ["" if value is None else float(value) if type(value) is int else value
            for value in values]


def _serial(value: object) -> float:
    """A value JSON has no form for, as the number the file holds for it (for ``json``)."""
    if isinstance(value, datetime):
        midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
        return value.toordinal() - _DAY_ZERO + (value - midnight) / timedelta(days=1)
    if isinstance(value, date):
        return float(value.toordinal() - _DAY_ZERO)
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second
                + value.microsecond / 1e6) / _SECONDS_A_DAY
    if isinstance(value, timedelta):
        return value / timedelta(days=1)
    raise TypeError(f"a cell cannot hold {value!r}")


def _trimmed(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """The rows without their trailing empty cells, and without the empty rows."""
    for row in rows:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        if end:
            yield row if end == len(row) else row[:end]


def hidden_part(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]]) -> bytes:
    """What the store signs for these sheets: :data:`LABEL` and their payload's digest.

    ``sheets`` are (name, rows) in the order Lists, Export, As exported, as
    python-calamine reads them (:func:`as_read`), without the Export sheet's
    ``signature`` row. This is the one form both export and import sign.
    """
    payload = json.dumps([layout.FORMAT, [[name, list(_trimmed(rows))] for name, rows in sheets]],
                         separators=(",", ":"), default=_serial)
    return LABEL + hashlib.sha256(payload.encode("ascii")).hexdigest().encode("ascii")


def check_signature(sign: Sign, hidden: bytes, signature: str | None, path: Path) -> None:
    """Raise :class:`WorkbookError` unless ``signature`` is the store's for ``hidden``."""
    if signature is None:
        raise WorkbookError(
            f"{path.name} carries no signature: it was exported before actiontrack signed"
            " its workbooks, or its hidden part was changed; export a new one")
    expected = sign(hidden).encode("ascii")
    # compare_digest takes any bytes; the cell may hold any text at all.
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass")):
        raise WorkbookError(f"{path.name}: the hidden part of this workbook was changed;"
                            " export a new one")
