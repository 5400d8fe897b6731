"""Scan a sheet's XML, a chunk at a time, for its rows, extent, formula and error cells.

:func:`~actiontrack.excel.safety.check_workbook_file` unpacks each sheet of a
workbook a chunk at a time and feeds the chunks to a :class:`SheetScanner`,
which finds, in one pass over the sheet's bytes:

- how many rows (row elements) the sheet has;
- its extent: the largest row number and the largest column number its rows
  and cells reach, as python-calamine places them (a row or cell written
  without a reference follows the one before it);
- the cells that hold a formula, by their references;
- the cells that show an Excel error (type ``t="e"``, a value starting with
  "#"), with the error's text.

It uses byte searches with regular expressions rather than an XML parser,
and they work across chunk boundaries: a tag cut by the end of a chunk is
held back for the next one, and the end of what was already searched is kept
so that a formula's or an error's cell can be found behind it. Only what is
unusual is read closely, so a national export (a 113 MB sheet, 250 MB in
all) is checked in about a second.

Known limits:

- The sheet must be stored as UTF-8 (or plain ASCII) text; the safety check
  refuses any other encoding before a sheet is scanned, as byte searches
  could miss markup in it.
- One way of writing a cell is not looked for: a second ``r`` attribute
  later in a usual cell's tag, ``<c r="B1" s="1" r="XFD9">``, which
  python-calamine takes over the first. No program writes that, and checking
  the whole of every cell's tag for it would slow the check by a quarter or
  more (the regular expression engine pays for every byte).
- A namespace prefix longer than 63 characters is not recognised as one, so
  row, cell and formula tags that carry it are not found.
- An error's text is kept to its first 32 bytes (``"#GETTING_DATA"``, the
  longest Excel writes, has 13).
"""

from __future__ import annotations

import functools
import re

__all__ = ["SheetScanner", "cell_reference"]

# Element names are matched as bytes. A name may carry a namespace prefix
# ("<x:row"): the cheap literal searches find ":row" and then check that the
# prefix before it really is "<prefix", not text.
_PREFIX = re.compile(rb"[^\s<>:/=\"'!?]+")
_OPTIONAL_PREFIX = rb"(?:[^\s<>:/=\"'!?]+:)?"
#: What follows a tag's name up to its ">": attributes, their quoted values kept whole.
_TAG_REST = rb"(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+"
#: A cell's start tag (group 2 holds its attributes) or end tag (group 1 is "/").
_CELL_TAG = re.compile(rb"<(/?)" + _OPTIONAL_PREFIX + rb"c(?=[\s/>])(" + _TAG_REST + rb")>")
_ROW_TAG = re.compile(rb"<" + _OPTIONAL_PREFIX + rb"row(?=[\s/>])(" + _TAG_REST + rb")>")
#: A value's start tag, which an error text such as "#N/A" directly follows.
_VALUE_TAG = re.compile(rb"<" + _OPTIONAL_PREFIX + rb"v(?:\s" + _TAG_REST + rb")?>")
_ATTRIBUTE = re.compile(rb"\s([^\s<>/=\"']+)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
#: A cell reference as python-calamine reads one: letters, then the row's digits.
_REFERENCE = re.compile(rb"([A-Za-z]+)([0-9]+)")
#: A row number written the usual way, after 'r="'.
_USUAL_NUMBER = re.compile(rb'[1-9][0-9]{0,14}(?=")')
#: A prefixed row, formula or cell tag's name, after the ":".
_PREFIXED_NAME = re.compile(rb":(?:row|f|c)(?=[\s/>])")
#: The columns of the cells written the usual way, surveyed where a sheet's cells start.
_USUAL_COLUMNS = re.compile(rb'<c r="([A-Z]{1,3})[1-9]')
_SURVEY_BYTES = 2**18
#: The longest error text kept ("#GETTING_DATA" is the longest Excel writes).
_MAX_ERROR_TEXT = 32
#: How many chunks of a sheet are searched at once: each search costs a little to set up.
_SEARCH_CHUNKS = 2
#: Bytes of already searched text kept before new text, to find a formula's cell.
_CONTEXT_BYTES = 4096
#: The longest unfinished tag held back for the next chunk.
_MAX_CARRY_BYTES = 4096
#: Row numbers and columns past every limit, for references too long to read.
_HUGE = 10**30


class SheetScanner:
    """Counts a sheet's rows, finds how far it reaches and its formula and error cells.

    It is fed the sheet's XML in chunks. Searches run on a buffer: the last
    ``_CONTEXT_BYTES`` already searched (so a formula's cell start tag can be
    found behind it), then new bytes. A tag still open at the end of a chunk
    is held back until the next one, so a name split across two chunks is
    still found, and found once.

    Speed comes from looking closely only at what is unusual. One search per
    buffer finds the row tags (with their numbers), the formula tags, and the
    cells *not* written the usual way, ``<c r="B12"``, within the rows and
    columns the sheet is already known to reach: the columns where its cells
    start are surveyed, and each buffer's last row and cell read, before the
    search. So a sheet's ordinary cells cost a few steps of the regular
    expression engine, and every cell that could reach further, or has no
    reference, is read in full. Prefixed names (``<x:c``) are found by a
    second search, for ":". Error values all start with "#", found with a
    byte search; the cell around each is then read.

    ``max_rows`` and ``max_columns`` are the most a sheet may reach: a cell
    past them is always read, never passed over as usual. ``chunk_bytes`` is
    the most bytes a chunk fed holds; the buffer is searched once
    ``_SEARCH_CHUNKS`` chunks' worth has come.
    """

    def __init__(self, *, max_rows: int, max_columns: int, chunk_bytes: int) -> None:
        self.max_rows = max_rows
        self.max_columns = max_columns
        self.chunk_bytes = chunk_bytes
        self.rows = 0
        self.last_row = 0
        self.last_column = 0
        self.formula_cells: list[str] = []
        self.error_cells: list[tuple[str, str]] = []
        self._buffer = b""
        self._done = 0
        self._waiting: list[bytes] = []  # chunks fed since the last search
        self._waiting_bytes = 0
        self._offset = 0  # where the buffer starts in the sheet's XML
        self._row = 0  # the number of the row being read
        self._column = 0  # the column of the last cell read in that row
        self._floor = 0  # where the last row or cell read starts, in the sheet's XML
        self._references: dict[int, tuple[int, int]] = {}  # of cells without r, by place
        self._unread: list[tuple[int, int]] = []  # error cells and where their text starts

    def feed(self, chunk: bytes) -> None:
        """Take in ``chunk``; search it, with what was held back, once enough has come."""
        self._waiting.append(chunk)
        self._waiting_bytes += len(chunk)
        if self._waiting_bytes < _SEARCH_CHUNKS * self.chunk_bytes:
            return
        buffer = b"".join([self._buffer, *self._waiting])
        self._waiting.clear()
        self._waiting_bytes = 0
        cut = len(buffer)
        opened = buffer.rfind(b"<", self._done)
        if opened >= 0 and buffer.find(b">", opened) < 0 and cut - opened <= _MAX_CARRY_BYTES:
            cut = opened
        self._search(buffer, self._done, cut, final=False)
        keep = max(0, cut - _CONTEXT_BYTES)
        self._buffer = buffer[keep:]
        self._done = cut - keep
        self._offset += keep
        if self._references:
            self._references = {at: ref for at, ref in self._references.items()
                                if at >= self._offset}

    def finish(self) -> None:
        """Search what is left once the sheet has ended."""
        buffer = b"".join([self._buffer, *self._waiting])
        self._search(buffer, self._done, len(buffer), final=True)
        self._buffer = b""
        self._waiting.clear()
        self._done = 0

    def _search(self, buffer: bytes, start: int, end: int, *, final: bool) -> None:
        self._read_error_texts(buffer, final=False)
        columns, rows = self._reach(buffer, start, end)
        search = _search_for(columns, rows)
        found = search.findall(buffer, start, end)
        prefixed = self._prefixed_tags(buffer, start, end, columns, rows)
        if prefixed or b"" in found:  # something other than rows with numbers
            self._read_tags(buffer, start, end, search, prefixed)
        elif found:
            numbers = [*map(int, found)]
            self.rows += len(numbers)
            self.last_row = max(self.last_row, max(numbers))
            self._row = numbers[-1]
            at = buffer.rfind(b"<row", start, end)
            while at >= 0 and buffer[at + 4:at + 5] not in _AFTER_NAME:  # not "<rowBreaks"
                at = buffer.rfind(b"<row", start, at)
            self._column = 0
            self._floor = self._offset + max(at, start)
        self._settle(buffer, end)
        at = buffer.find(b"#", start, end)
        while at >= 0:
            self._error(buffer, at)
            at = buffer.find(b"#", at + 1, end)
        self._read_error_texts(buffer, final=final)

    def _reach(self, buffer: bytes, start: int, end: int) -> tuple[int, int]:
        """How far (columns, rows) the chunk's usual cells may reach without being read.

        That is as far as the sheet is already known to reach, taking in the
        chunk's last row and last usual cell: a real sheet's cells lie within
        its rows. Never past the limits, so a cell past them is always read.
        """
        if self.last_column == 0:  # the first cells: survey their columns
            names = set(_USUAL_COLUMNS.findall(buffer, start, min(end, start + _SURVEY_BYTES)))
            self.last_column = max((_column_number(name) for name in names), default=0)
        cell = _usual(buffer, b'c r="', start, end, last=True)
        if cell >= 0:
            position = _REFERENCE.match(buffer, cell + 5)
            if position is not None:  # read here, as the search will pass this cell by
                self.last_column = max(self.last_column, _column_number(position.group(1)))
        row = _usual(buffer, b'row r="', start, end, last=True)
        number = _USUAL_NUMBER.match(buffer, row + 7) if row >= 0 else None
        last = int(number.group()) if number else 0  # the search will count this row
        return (min(self.last_column, self.max_columns),
                min(max(self.last_row, last), self.max_rows))

    def _prefixed_tags(self, buffer: bytes, start: int, end: int, columns: int,
                       rows: int) -> list[tuple[int, int]]:
        """Where the prefixed row, formula and unusual cell tags start, and their names.

        They are found by the ":" in their name. Once one is found, its prefix
        is searched for, with usual cells skipped, and any other prefix too.
        """
        for match in _PREFIXED_NAME.finditer(buffer, start, end):
            if _prefixed(buffer, match.start()):
                opened = buffer.rfind(b"<", 0, match.start())
                break
        else:
            return []
        prefix = buffer[opened + 1:match.start()]
        if not any(_prefixed(buffer, other.start()) for other in
                   _other_prefixes(prefix).finditer(buffer, opened, end)):
            tags = _prefixed_search_for(prefix, columns, rows).finditer(buffer, opened, end)
            return [(tag.start(), tag.start() + len(prefix) + 2) for tag in tags]
        search = _prefixed_search_for(b"", columns, rows)  # more than one prefix: each tag
        return [(buffer.rfind(b"<", 0, tag.start()), tag.start() + 1)
                for tag in _PREFIXED_NAME.finditer(buffer, opened, end)
                if _prefixed(buffer, tag.start()) and search.match(buffer, tag.start())]

    def _read_tags(self, buffer: bytes, start: int, end: int, search: re.Pattern[bytes],
                   prefixed: list[tuple[int, int]]) -> None:
        """Read each row, formula and unusual cell tag of the chunk, in order."""
        tags = [(match.start(), match.start() + 1, match.group(1))
                for match in search.finditer(buffer, start, end)]
        if prefixed:
            tags += [(at, name, b"") for at, name in prefixed]
            tags.sort()
        for at, name, number in tags:
            kind = buffer[name]
            if kind == ord("r"):
                self._read_row(buffer, at, number)
            elif kind == ord("f"):
                self._formula(buffer, at)
            else:
                self._read_cell(buffer, at)

    def _read_row(self, buffer: bytes, at: int, number: bytes) -> None:
        if not number:
            tag = _ROW_TAG.match(buffer, at)
            number = _attributes(tag.group(1)).get(b"r", b"") if tag else b""
        value = _row_number(number) or self._row + 1
        self.rows += 1
        self.last_row = max(self.last_row, value)
        self._row = value
        self._column = 0
        self._floor = self._offset + at

    def _read_cell(self, buffer: bytes, at: int) -> None:
        tag = _CELL_TAG.match(buffer, at)
        if tag is None or tag.group(1):  # "<col", "<cfRule": not a cell
            return
        reference = _attributes(tag.group(2)).get(b"r")
        if reference is None:
            self._settle(buffer, at)
            column, row = self._column + 1, self._row or 1
            self._references[self._offset + at] = (column, row)
        else:
            position = _position(reference)
            if position is None:
                return  # python-calamine refuses the sheet rather than read this
            column, row = position
        if row > self.last_row:
            self.last_row = row
        if column > self.last_column:
            self.last_column = column
        self._column = column
        self._floor = self._offset + at

    def _settle(self, buffer: bytes, end: int) -> None:
        """Take in the last usual cell before ``end`` since the last row or cell read."""
        floor = max(self._floor - self._offset, 0)
        at = _usual(buffer, b'c r="', floor, end, last=True)
        position = _REFERENCE.match(buffer, at + 5) if at > floor else None
        if position is not None:
            self._column = _column_number(position.group(1))
            self._floor = self._offset + at

    def _formula(self, buffer: bytes, at: int) -> None:
        """Record the cell whose start tag is the last cell tag before the formula at ``at``."""
        tag = _cell_before(buffer, at)
        if tag is not None:  # not a formula in extLst, say, for a data validation
            self.formula_cells.append(self._reference_of(tag))

    def _error(self, buffer: bytes, at: int) -> None:
        """Record an error cell if the "#" at ``at`` starts the value of a cell of type e."""
        opened = buffer.rfind(b"<", 0, at)
        if opened < 0 or _VALUE_TAG.fullmatch(buffer, opened, at) is None:
            return
        tag = _cell_before(buffer, opened)
        if tag is not None and _attributes(tag.group(2)).get(b"t") == b"e":
            self._unread.append((len(self.error_cells), self._offset + at))
            self.error_cells.append((self._reference_of(tag), ""))

    def _read_error_texts(self, buffer: bytes, *, final: bool) -> None:
        """Read the error texts now in the buffer; the rest wait for the next chunk."""
        unread = []
        for index, where in self._unread:
            at = where - self._offset
            close = buffer.find(b"<", at, at + _MAX_ERROR_TEXT) if at >= 0 else -1
            if close < 0 and at >= 0 and not final and len(buffer) - at < _MAX_ERROR_TEXT:
                unread.append((index, where))
                continue
            text = buffer[at:close if close >= 0 else at + _MAX_ERROR_TEXT] if at >= 0 else b""
            reference, _ = self.error_cells[index]
            self.error_cells[index] = (reference, text.decode("ascii", "replace") or "an error")
        self._unread = unread

    def _reference_of(self, tag: re.Match[bytes]) -> str:
        """The reference of the cell whose start tag is ``tag``, written the usual way."""
        reference = _attributes(tag.group(2)).get(b"r")
        if reference is None:  # placed when read; "?" is never expected
            place = self._references.get(self._offset + tag.start())
            return cell_reference(*place) if place else "?"
        position = _position(reference)
        return cell_reference(*position) if position else reference.decode("ascii", "replace")


_AFTER_NAME = (b" ", b"\t", b"\r", b"\n", b"/", b">")


@functools.lru_cache(maxsize=1024)
def _search_for(columns: int, rows: int) -> re.Pattern[bytes]:
    """The search for row tags, formula tags, and cells not written the usual way.

    A usual cell is written ``<c r="B12"``, within ``columns`` columns and
    ``rows`` rows. The search gives each row's number if written the usual
    way, and ``b""`` for everything else it finds.
    """
    return re.compile(rb'<(?:row(?:\sr="([1-9][0-9]{0,14})"|(?=[\s/>]))|f[\s/>]|c(?! ' +
                      _usual_reference(columns, rows) + rb")(?![A-Za-z]))")  # not "<col"


@functools.lru_cache(maxsize=1024)
def _prefixed_search_for(prefix: bytes, columns: int, rows: int) -> re.Pattern[bytes]:
    """As :func:`_search_for`, for start tags with ``prefix``; no row numbers.

    Without a prefix, it matches from the ":" on, to see whether a name
    found there is one the search would find.
    """
    opening = b"<" + re.escape(prefix) + b":" if prefix else b":"
    return re.compile(opening + rb"(?:row(?=[\s/>])|f[\s/>]|c(?! " +
                      _usual_reference(columns, rows) + rb")(?=[\s/>]))")


@functools.lru_cache(maxsize=64)
def _other_prefixes(prefix: bytes) -> re.Pattern[bytes]:
    """A row, formula or cell name with a prefix other than ``prefix``, by its ":"."""
    known = re.escape(prefix)
    return re.compile(rb":(?<!<" + known + rb":)(?<!</" + known + rb":)(?:row|f|c)(?=[\s/>])")


def _usual_reference(columns: int, rows: int) -> bytes:
    return (rb'r="' + _up_to_column(columns).encode() + _up_to_row(rows).encode())


def _up_to_row(last: int) -> str:
    """A regular expression for the row numbers 1 to ``last``, then the closing quote."""
    if last < 1:
        return "(?!)"
    digits = str(last)
    alternatives = [*_up_to_digits(digits, leading=True)]
    if len(digits) > 1:  # fewer digits
        alternatives.append("[1-9]" + ("" if len(digits) == 2 else
                                       f"[0-9]{{0,{len(digits) - 2}}}"))
    return _any_of([alternative + '"' for alternative in alternatives])


def _up_to_digits(digits: str, *, leading: bool) -> list[str]:
    """Alternatives for the strings of as many digits as ``digits``, up to it."""
    alternatives = []
    for at, digit in enumerate(digits):
        low = "1" if leading and at == 0 else "0"
        if digit > low:
            alternatives.append(digits[:at] + _span(low, chr(ord(digit) - 1))
                                + _repeat("[0-9]", len(digits) - at - 1))
    return [*alternatives, digits]


def _up_to_column(last: int) -> str:
    """A regular expression for the column names of columns 1 (A) to ``last``."""
    if last < 1:
        return "(?!)"
    name = _column_name(last)
    if len(name) == 1:
        return _span("A", name)
    alternatives = ["[A-Z]" + ("" if len(name) == 2 else f"{{1,{len(name) - 1}}}")]
    for at, letter in enumerate(name):
        if letter > "A":
            alternatives.append(name[:at] + _span("A", chr(ord(letter) - 1))
                                + _repeat("[A-Z]", len(name) - at - 1))
    return _any_of([*alternatives, name])


def _span(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _repeat(unit: str, count: int) -> str:
    return "" if count <= 0 else unit if count == 1 else f"{unit}{{{count}}}"


def _any_of(alternatives: list[str]) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _usual(buffer: bytes, needle: bytes, start: int, end: int, *, last: bool) -> int:
    """Where in ``buffer[start:end]`` a tag's name starts with ``needle``: the last or first.

    ``needle`` is ``b'c r="'`` or ``b'row r="'``: a cell or row written the
    usual way, its name after "<" or after a namespace prefix.
    """
    at = buffer.rfind(needle, start, end) if last else buffer.find(needle, start, end)
    while at >= 0:
        before = buffer[at - 1:at]
        if before == b"<" or (before == b":" and _prefixed(buffer, at - 1)):
            return at
        at = buffer.rfind(needle, start, at) if last else buffer.find(needle, at + 1, end)
    return -1


def _cell_before(buffer: bytes, at: int) -> re.Match[bytes] | None:
    """The start tag of the cell that ``at`` is in, if the last cell tag before it is one."""
    tag = _CELL_TAG.match(buffer, max(0, buffer.rfind(b"<", 0, at)), at)
    if tag is None or buffer[tag.end():at].strip():  # not right after a cell's tag
        tag = None
        for span in (256, 4096, at):
            for tag in _CELL_TAG.finditer(buffer, max(0, at - span), at):  # noqa: B007
                pass
            if tag is not None:
                break
    if tag is None or tag.group(1) or tag.group(2).rstrip().endswith(b"/"):
        return None  # not inside a cell
    return tag


def _attributes(text: bytes) -> dict[bytes, bytes]:
    """A tag's attributes, from what follows its name, by their names as written.

    Of an attribute written twice, the last is kept, as python-calamine does.
    """
    return {name: double + single for name, double, single in _ATTRIBUTE.findall(text)}


def _position(reference: bytes) -> tuple[int, int] | None:
    """The (column, row) a cell reference names, or None if python-calamine refuses it."""
    match = _REFERENCE.fullmatch(reference)
    row = _row_number(match.group(2)) if match else None
    if match is None or row is None:
        return None
    return _column_number(match.group(1)), row


def _row_number(digits: bytes) -> int | None:
    """The row number written as ``digits``, or None if it is not one."""
    digits = digits.strip().lstrip(b"0")
    if not digits.isdigit():
        return None
    return int(digits) if len(digits) <= 30 else _HUGE


def _column_number(name: bytes) -> int:
    """The number of the column named ``name``: A is 1, Z 26, AA 27."""
    if len(name) > 20:
        return _HUGE
    number = 0
    for letter in name.upper():
        number = number * 26 + letter - 64
    return number


def _column_name(number: int) -> str:
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell_reference(column: int, row: int) -> str:
    """A cell reference written the usual way: ``cell_reference(2, 12) == "B12"``."""
    return f"{_column_name(column)}{row}"


def _prefixed(buffer: bytes, colon: int) -> bool:
    """Whether the ``:`` at ``colon`` ends a namespace prefix of a tag: ``<prefix:``."""
    opened = buffer.rfind(b"<", max(0, colon - 64), colon)
    return opened >= 0 and _PREFIX.fullmatch(buffer, opened + 1, colon) is not None
