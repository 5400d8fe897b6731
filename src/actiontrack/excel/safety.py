"""Refuse unsafe or unreadable workbook files before anything parses them.

A workbook that comes back from a partner is a zip of XML parts. Before
python-calamine or openpyxl opens it, :func:`check_workbook_file` looks at
the raw bytes and refuses, with a one-line message that starts with the
file's name and says what to do:

- something that is not a file, an empty file, or a file too large to import;
- an old ``.xls`` workbook, or a workbook encrypted with a password to open
  (both are OLE2 compound files, not zips);
- anything else that is not a zip, and a zip that is damaged or is not an
  Excel workbook;
- a macro-enabled workbook (``.xlsm``);
- a zip bomb: too many parts, too many bytes once unpacked, or a part
  squeezed far harder than real workbook data ever is;
- part names that point outside the workbook (``../``, ``/etc/...``);
- XML entity declarations (``<!DOCTYPE``, ``<!ENTITY``): the "billion
  laughs" and external-entity attacks;
- a sheet with more rows than import reads, or with a row or cell further
  down or to the right than it reads: the cell reader builds the whole
  rectangle out to the furthest cell, so one stray cell at XFD1048576 would
  make it ask for hundreds of gigabytes and abort.

Sizes are checked twice: first as the zip's directory declares them, which
costs nothing, then while every part is really unpacked, a chunk at a time,
so a file whose declared sizes lie is stopped as soon as it passes the limit.
That one streaming pass also scans each sheet
(:mod:`actiontrack.excel.sheet_scan`): it counts the sheet's rows, finds how
far its rows and cells reach, and finds the cells that hold formulas and the
cells that show errors, with byte searches rather than an XML parser, so a
national export (a 113 MB sheet, 250 MB in all) is checked in about a second.
Only the small index parts (``xl/workbook.xml`` and its relationships) are
parsed, with ``defusedxml``, to learn which part holds which sheet.
"""

from __future__ import annotations

import importlib
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, BinaryIO, TypeVar, cast
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import attrs

from actiontrack.errors import UnsafeWorkbookError, WorkbookError
from actiontrack.excel.sheet_scan import SheetScanner, cell_reference

__all__ = ["FileScan", "Limits", "check_opendocument_file", "check_workbook_file", "checked_size"]

#: How many bytes of a part are unpacked and searched at a time.
_CHUNK_BYTES = 2**20

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
#: The small parts read whole and parsed; no real workbook has them this large.
_MAX_INDEX_PART_BYTES = 32 * 2**20
#: A zip directory entry is 46 bytes plus its name; a workbook's names are short.
_DIRECTORY_BYTES_PER_MEMBER = 1024

_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ENTITY_OVERLAP = len(b"<!DOCTYPE") - 1
#: How much of an XML part is read before its encoding is checked.
_HEAD_BYTES = 256
_ASCII_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")

#: The most formula cells, and the most error cells, listed for one sheet; a
#: workbook with more is refused.
_MAX_FORMULA_CELLS = 100_000

# defusedxml ships no type hints (types-defusedxml has them); typed here once.
_defused_module = importlib.import_module("defusedxml")
_defused_fromstring = cast(
    Callable[[bytes], Element], importlib.import_module("defusedxml.ElementTree").fromstring
)
_DefusedXmlError = cast(type[Exception], _defused_module.DefusedXmlException)
_defused_iterparse = cast(
    Callable[..., Iterator[tuple[str, Element]]],
    importlib.import_module("defusedxml.ElementTree").iterparse,
)

_T = TypeVar("_T")

_AGAIN = "open it in Excel and save it again as .xlsx (Excel Workbook)"


@attrs.frozen(kw_only=True)
class Limits:
    """How large a workbook import accepts.

    ``max_uncompressed_bytes`` counts all the parts together, as they are
    really unpacked. ``max_ratio`` (unpacked size to packed size) applies to
    each part over ``ratio_floor_bytes`` unpacked: real workbook XML packs
    about 10 to 1, while a zip bomb packs a thousand to one or more.
    ``max_rows`` and ``max_columns`` apply to each sheet: to how many rows it
    has, and to how far down and to the right its rows and cells reach (the
    cell reader builds the whole rectangle out to its furthest cell, so one
    stray cell at XFD1048576 would ask for hundreds of gigabytes).
    """

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 2 * 2**30
    max_members: int = 1_000
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 2**20
    max_rows: int = 300_000
    max_columns: int = 200


@attrs.frozen(kw_only=True)
class FileScan:
    """What the check learned of a workbook that passed it, each sheet by its name.

    ``sheet_parts`` gives the zip part that holds each sheet; ``rows`` the
    number of row elements in it.

    ``extent`` gives ``(rows, columns)``: the largest row number and the
    largest column number (A is 1) that the sheet's rows and cells reach. A
    row's number is its ``r``, or one more than the row before it when it
    has none; a cell's place is its reference (``r``), or, when it has none,
    its row's number and the column after the cell before it in that row.

    ``formula_cells`` lists the references (``"F14"``) of the cells that hold
    a formula, and ``error_cells`` the reference and text (``("N2", "#N/A")``)
    of the cells that show an Excel error, each in the order they appear.
    An error cell is one of type ``t="e"`` whose value is an error text
    (they all start with "#"), which the cell reader gives as an empty cell;
    its text is ``"an error"`` in the rare case the text could not be read.
    References are written the usual way (``"a05"`` becomes ``"A5"``); a cell
    written without one is listed at the place ``extent`` counts it at.
    """

    sheet_parts: Mapping[str, str]
    rows: Mapping[str, int]
    extent: Mapping[str, tuple[int, int]]
    formula_cells: Mapping[str, tuple[str, ...]]
    error_cells: Mapping[str, tuple[tuple[str, str], ...]]


def check_workbook_file(path: Path, limits: Limits = Limits()) -> FileScan:
    """Check that ``path`` is a workbook import may safely open, and scan its sheets.

    Raises :class:`~actiontrack.errors.UnsafeWorkbookError` for a file that
    could be unsafe to open, and :class:`~actiontrack.errors.WorkbookError`
    for one that cannot be read at all. The file is only read, never changed.
    """
    name = path.name or str(path)
    size = checked_size(path, name, limits)
    try:
        with path.open("rb") as file:
            head = file.read(8)
            if head.startswith(_OLE2_MAGIC):
                _refuse_compound_file(file, name)
            if not head.startswith(_ZIP_MAGICS):
                raise WorkbookError(
                    f"{name} is not an Excel .xlsx workbook{_looks_like(head)}: {_AGAIN}"
                )
            _check_zip_directory_size(file, size, name, limits)
            return _check_zip(file, name, limits)
    except OSError as error:
        raise WorkbookError(f"{name} cannot be read ({error.strerror or error}): check that"
                            " it is not open in another program, then try again") from error


def check_opendocument_file(path: Path, limits: Limits = Limits()) -> None:
    """The same checks for an OpenDocument spreadsheet (``.ods``), whose parts differ.

    Its size, its zip's directory and parts (names, packing, declared and
    real sizes, packing ratios) and, in every XML part, entity declarations.
    """
    name = path.name or str(path)
    size = checked_size(path, name, limits)
    again = "open it in LibreOffice and save it again as .ods"
    try:
        with path.open("rb") as file:
            if not file.read(8).startswith(_ZIP_MAGICS):
                raise WorkbookError(f"{name} is not an OpenDocument spreadsheet: {again}")
            _check_zip_directory_size(file, size, name, limits)
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                members = archive.infolist()
            _check_parts(members, name, limits)
            if "content.xml" not in {member.filename for member in members}:
                raise WorkbookError(f"{name} is not an OpenDocument spreadsheet (it has no"
                                    f" content.xml): {again}")
            budget = _Budget(name, limits)
            for member in members:
                for _ in _unpack(file, member, budget):
                    pass
            with zipfile.ZipFile(file) as archive, archive.open("content.xml") as content:
                _check_opendocument_extent(name, content, limits)
    except WorkbookError:
        raise
    except OSError as error:
        raise WorkbookError(f"{name} cannot be read ({error.strerror or error})") from error
    except (zipfile.BadZipFile, EOFError, zlib.error, struct.error, ValueError, OverflowError,
            NotImplementedError, RuntimeError) as error:
        raise WorkbookError(_damaged(name, str(error) or type(error).__name__)) from error


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _check_opendocument_extent(name: str, content: IO[bytes], limits: Limits) -> None:
    """Refuse a sheet whose cells with values reach past ``limits``, counting repeats.

    An OpenDocument row or cell may stand for many (``number-rows-repeated``):
    a few bytes can ask a reader for millions of cells. Repeated empty rows
    and cells (every saved sheet ends with them) cost a reader nothing.
    """
    row = width = 0
    for event, element in _defused_iterparse(content, events=("start", "end")):
        if event == "start":
            if element.tag == f"{_TABLE}table":
                row = 0
            continue
        if element.tag != f"{_TABLE}table-row":
            continue
        rows = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
        column = last = 0
        for cell in element:
            column += int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
            if cell.get(f"{_OFFICE}value-type") or len(cell):
                last = column
        row += rows
        element.clear()
        if last:
            width = max(width, last)
            if row > limits.max_rows or width > limits.max_columns:
                raise UnsafeWorkbookError(
                    f"{name} has values as far as row {row:,}, column {width:,}, past the"
                    f" {limits.max_rows:,} rows and {limits.max_columns:,} columns adopt reads;"
                    " it may be built to exhaust memory and was not opened")


def checked_size(path: Path, name: str, limits: Limits) -> int:
    """The size of a file to open: not empty, not larger than ``limits`` allow."""
    size = _file_size(path, name)
    if size == 0:
        raise WorkbookError(f"{name} is empty (0 bytes): export the workbook again, or ask the"
                            " sender for a new copy")
    if size > limits.max_file_bytes:
        raise UnsafeWorkbookError(
            f"{name} is {_size(size)}, larger than the {_size(limits.max_file_bytes)} import"
            " accepts: delete unused sheets, rows and pictures, or split it into smaller"
            " workbooks"
        )
    return size


def _file_size(path: Path, name: str) -> int:
    """The size of the file at ``path``, or a WorkbookError saying why it is not a file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise WorkbookError(f"{name} does not exist: check the file's name and folder") from None
    except OSError as error:
        raise WorkbookError(f"{name} cannot be read ({error.strerror or error})") from error
    if path.is_dir():
        raise WorkbookError(f"{name} is a folder, not a file: choose the .xlsx workbook to"
                            " import")
    if not path.is_file():
        raise WorkbookError(f"{name} is not a file: choose the .xlsx workbook to import")
    return stat.st_size


def _refuse_compound_file(file: BinaryIO, name: str) -> None:
    """Refuse an OLE2 compound file: a password-protected workbook, or an old .xls."""
    file.seek(0)
    tail = b""
    while chunk := file.read(_CHUNK_BYTES):
        if _ENCRYPTION_INFO in tail + chunk:
            raise UnsafeWorkbookError(
                f"{name} is encrypted (password-protected to open): remove the password in"
                " Excel (File > Info > Protect Workbook) and save as .xlsx"
            )
        tail = chunk[-(len(_ENCRYPTION_INFO) - 1):]
    raise UnsafeWorkbookError(f"{name} is an old .xls workbook: save it as .xlsx (Excel"
                              " Workbook)")


def _looks_like(head: bytes) -> str:
    """A hint of what a file that is not a zip seems to be, for the message."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return " (it looks like a web page or XML file)"
    if head.startswith(b"%PDF"):
        return " (it looks like a PDF)"
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if all(ch.isprintable() or ch in "\t\r\n" for ch in decoded):
        return " (it looks like text, such as a CSV file)"
    return ""


def _check_zip_directory_size(file: BinaryIO, size: int, name: str, limits: Limits) -> None:
    """Refuse a zip whose directory is too big for ``limits``, before zipfile reads it all.

    zipfile builds an object for every entry of the directory when it opens a
    zip, so a directory of millions of entries is refused here, from the size
    its end record gives.
    """
    tail_size = min(size, 22 + 0xFFFF + 20)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise WorkbookError(_damaged(name, "the end of the zip is missing; the file may have"
                                     " been cut short while copying or downloading"))
    entries, directory_bytes = struct.unpack_from("<10xHI", tail, at)
    locator = at - 20
    if (entries == 0xFFFF or directory_bytes == 0xFFFFFFFF) and locator >= 0 and (
        tail[locator:locator + 4] == b"PK\x06\x07"
    ):
        (zip64_end,) = struct.unpack_from("<8xQ", tail, locator)
        file.seek(min(zip64_end, size))
        record = file.read(56)
        if len(record) == 56 and record.startswith(b"PK\x06\x06"):
            entries, directory_bytes = struct.unpack_from("<32xQQ", record)
    if directory_bytes > size or entries * 46 > directory_bytes:
        raise WorkbookError(_damaged(name, "the zip's directory does not add up"))
    if entries > limits.max_members:
        raise _too_many(name, entries, limits)
    if directory_bytes > limits.max_members * _DIRECTORY_BYTES_PER_MEMBER:
        raise UnsafeWorkbookError(
            f"{name} has a zip directory of {_size(directory_bytes)}, far more than a workbook"
            f" of at most {limits.max_members:,} parts needs; it may be a 'zip bomb' and was"
            " not opened"
        )


def _check_zip(file: BinaryIO, name: str, limits: Limits) -> FileScan:
    """Check the members of a zip and scan its sheets (see the module's docstring)."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
        _check_members(members, name, limits)
        return _scan_members(file, members, name, limits)
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error, struct.error, ValueError, OverflowError,
            NotImplementedError, RuntimeError) as error:  # every byte of the file may be wrong
        raise WorkbookError(_damaged(name, str(error) or type(error).__name__)) from error


def _check_members(members: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    """The checks that need only the zip's directory: names, methods and declared sizes."""
    _check_parts(members, name, limits)
    seen = {member.filename for member in members}
    if _WORKBOOK not in seen:
        if "xl/workbook.bin" in seen:
            kind = "it is a binary workbook (.xlsb)"
        elif "mimetype" in seen and "content.xml" in seen:
            kind = "it is an OpenDocument file, such as .ods"
        else:
            kind = f"it is a zip file without {_WORKBOOK}"
        raise WorkbookError(f"{name} is not an Excel workbook ({kind}): {_AGAIN}")


def _check_parts(members: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    """Any zip's parts: how many, their names, how they are packed, and their declared sizes."""
    if len(members) > limits.max_members:
        raise _too_many(name, len(members), limits)
    seen: set[str] = set()
    for member in members:
        parts = member.filename.replace("\\", "/").split("/")
        if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnsafeWorkbookError(
                f"{name} holds a part named {member.filename!r}, which points outside the"
                " workbook; it was not opened"
            )
        if member.filename in seen:
            raise UnsafeWorkbookError(
                f"{name} holds two parts named {member.filename!r}, so programs could read"
                f" different ones; it was not opened: {_AGAIN}"
            )
        seen.add(member.filename)
        if member.filename.lower().endswith("vbaproject.bin"):
            raise _macro_enabled(name)
    for member in members:
        if member.flag_bits & 0x1:
            raise UnsafeWorkbookError(
                f"{name} has encrypted parts ({member.filename}), which Excel never writes;"
                f" it was not opened: {_AGAIN}"
            )
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeWorkbookError(
                f"{name} has a part ({member.filename}) packed with zip method"
                f" {member.compress_type}, which Excel never uses; it was not opened: {_AGAIN}"
            )
    declared = sum(member.file_size for member in members)
    if declared > limits.max_uncompressed_bytes:
        raise _too_big(name, declared, limits)
    for member in members:
        _check_ratio(name, member, member.file_size, member.compress_size, limits)


def _check_ratio(name: str, member: zipfile.ZipInfo, unpacked: int, packed: int,
                 limits: Limits) -> None:
    """Refuse a part packed far harder than workbook data is: the mark of a zip bomb."""
    if unpacked <= limits.ratio_floor_bytes:
        return
    ratio = unpacked / max(packed, 1)
    if ratio > limits.max_ratio:
        raise UnsafeWorkbookError(
            f"{name} has a part ({member.filename}) that unpacks {ratio:,.0f} times larger,"
            f" more than the {limits.max_ratio:,.0f} times a real workbook reaches; it may be a"
            " 'zip bomb' and was not opened"
        )


def _scan_members(file: BinaryIO, members: list[zipfile.ZipInfo], name: str,
                  limits: Limits) -> FileScan:
    """Unpack every part once, checking it; parse the index parts, scan the sheets."""
    budget = _Budget(name, limits)
    by_name = {member.filename: member for member in members}
    if _CONTENT_TYPES not in by_name:
        raise WorkbookError(_damaged(name, f"it has no {_CONTENT_TYPES}"))
    if _WORKBOOK_RELS not in by_name:
        raise WorkbookError(_damaged(name, f"it has no {_WORKBOOK_RELS}"))
    index = {part: _read_index_part(file, by_name[part], budget)
             for part in (_CONTENT_TYPES, _WORKBOOK, _WORKBOOK_RELS)}
    if b"macroenabled" in index[_CONTENT_TYPES].lower():
        raise _macro_enabled(name)
    sheet_parts = _sheet_parts(name, index[_WORKBOOK], index[_WORKBOOK_RELS], set(by_name))
    scans = {part: SheetScanner(max_rows=limits.max_rows, max_columns=limits.max_columns,
                                chunk_bytes=_CHUNK_BYTES)
             for part in sheet_parts.values()}
    for member in members:
        if member.filename in index:
            continue
        scanner = scans.get(member.filename)
        sheet = next((s for s, part in sheet_parts.items() if part == member.filename), "")
        for _ in _unpack(file, member, budget, scanner=scanner):
            if scanner is not None:
                _check_sheet(name, sheet, scanner, limits, finished=False)
        if scanner is not None:
            _check_sheet(name, sheet, scanner, limits, finished=True)

    def each(read: Callable[[SheetScanner], _T]) -> Mapping[str, _T]:
        return MappingProxyType({sheet: read(scans[part]) for sheet, part in sheet_parts.items()})

    return FileScan(
        sheet_parts=MappingProxyType(dict(sheet_parts)),
        rows=each(lambda scan: scan.rows),
        extent=each(lambda scan: (scan.last_row, scan.last_column)),
        formula_cells=each(lambda scan: tuple(scan.formula_cells)),
        error_cells=each(lambda scan: tuple(scan.error_cells)),
    )


def _check_sheet(name: str, sheet: str, scanner: SheetScanner, limits: Limits, *,
                 finished: bool) -> None:
    """Refuse a sheet with too many formulas, error cells or rows, or reaching too far.

    While the sheet is still being read (not ``finished``), a sheet that
    reaches too far is refused at once only if its rows are not yet too
    many, so a sheet that is simply too long is told its number of rows.
    """
    if len(scanner.formula_cells) > _MAX_FORMULA_CELLS:
        raise UnsafeWorkbookError(
            f"{name}: sheet {sheet!r} has more than {_MAX_FORMULA_CELLS:,} formulas;"
            " import takes values, never formulas: copy the cells, paste them back as"
            " values only, and save it again"
        )
    if len(scanner.error_cells) > _MAX_FORMULA_CELLS:
        raise UnsafeWorkbookError(
            f"{name}: sheet {sheet!r} has more than {_MAX_FORMULA_CELLS:,} cells showing an"
            " error (such as #N/A): clear them or type the values, and save it again"
        )
    if finished and scanner.rows > limits.max_rows:
        raise UnsafeWorkbookError(
            f"{name}: sheet {sheet!r} has {scanner.rows:,} rows; the most import reads is"
            f" {limits.max_rows:,}: delete the unused rows below the table and save it"
            " again"
        )
    too_far = scanner.last_row > limits.max_rows or scanner.last_column > limits.max_columns
    if too_far and (finished or scanner.rows <= limits.max_rows):
        corner = cell_reference(max(scanner.last_column, 1), scanner.last_row)
        raise UnsafeWorkbookError(
            f"{name}: sheet {sheet!r} has a cell as far as {corner}; the most import reads is"
            f" {limits.max_rows:,} rows and {limits.max_columns:,} columns: delete what is"
            " below or to the right of the table (select the rows, Delete) and save it again"
        )


class _Budget:
    """Counts the bytes really unpacked, for all parts together and for each part."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.total = 0

    def spend(self, member: zipfile.ZipInfo, unpacked: int, packed: int, count: int) -> None:
        """Add ``count`` bytes just unpacked; refuse once a limit is passed.

        ``unpacked`` and ``packed`` count the part's bytes so far, as they
        really are: the packed size its directory declares may be a lie.
        """
        self.total += count
        if self.total > self.limits.max_uncompressed_bytes:
            raise _too_big(self.name, None, self.limits)
        _check_ratio(self.name, member, unpacked, packed, self.limits)


def _unpack(file: BinaryIO, member: zipfile.ZipInfo, budget: _Budget, *,
            scanner: SheetScanner | None = None) -> Iterator[bytes]:
    """Yield a part's bytes a chunk at a time, counted, checked and scanned as they come."""
    is_xml = scanner is not None or member.filename.lower().endswith(_XML_SUFFIXES)
    unpacked = 0
    crc = 0
    head = b""  # the start of an XML part, until it is long enough to show its encoding
    seam = b""  # the end of the last chunk, to find a marker split between two chunks
    for chunk, packed in _inflate(file, member, budget.name):
        unpacked += len(chunk)
        if unpacked > member.file_size:
            raise UnsafeWorkbookError(
                f"{budget.name} has a part ({member.filename}) that unpacks larger than its zip"
                " directory says; it may be a 'zip bomb' and was not opened"
            )
        budget.spend(member, unpacked, packed, len(chunk))
        crc = zlib.crc32(chunk, crc)
        if is_xml:
            if len(head) < _HEAD_BYTES:
                head += chunk[:_HEAD_BYTES]
                if len(head) >= _HEAD_BYTES:
                    _check_encoding(budget.name, member.filename, head)
            if _ENTITY.search(seam + chunk[:_ENTITY_OVERLAP]) or (
                b"!" in chunk and _ENTITY.search(chunk)  # the "in" is far quicker
            ):
                raise _xml_bomb(budget.name, member.filename)
            seam = (seam + chunk[-_ENTITY_OVERLAP:])[-_ENTITY_OVERLAP:]
        if scanner is not None:
            scanner.feed(chunk)
        yield chunk
    if unpacked != member.file_size or crc != member.CRC:
        raise WorkbookError(_damaged(budget.name, f"part {member.filename} fails its checksum"))
    if is_xml and len(head) < _HEAD_BYTES:
        _check_encoding(budget.name, member.filename, head)
    if scanner is not None:
        scanner.finish()


def _inflate(file: BinaryIO, member: zipfile.ZipInfo,
             name: str) -> Iterator[tuple[bytes, int]]:
    """Yield a part's unpacked bytes in chunks, each with the packed bytes used so far.

    Chunks hold at most ``_CHUNK_BYTES``. The packed bytes are read and
    unpacked here rather than by zipfile, which stops at the size the
    directory declares: this way every byte the packed data really holds is
    seen and counted, as other readers would.
    """
    file.seek(max(0, member.header_offset))
    header = file.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise WorkbookError(_damaged(name, f"part {member.filename} has no header"))
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    encoding = "utf-8" if member.flag_bits & 0x800 else "cp437"
    if file.read(name_length).decode(encoding, "replace") != member.orig_filename:
        raise WorkbookError(_damaged(name, f"part {member.filename} is listed under two names"))
    file.seek(extra_length, 1)
    left = member.compress_size
    if member.compress_type == zipfile.ZIP_STORED:
        while left:
            chunk = file.read(min(_CHUNK_BYTES, left))
            if not chunk:
                raise WorkbookError(_damaged(name, f"part {member.filename} is cut short"))
            left -= len(chunk)
            yield chunk, member.compress_size - left
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    packed = b""
    while not inflater.eof:
        if not packed and left:
            packed = file.read(min(_CHUNK_BYTES, left))
            left -= len(packed)
            if not packed:
                break
        chunk = inflater.decompress(packed, _CHUNK_BYTES)
        packed = inflater.unconsumed_tail
        if chunk:
            yield chunk, member.compress_size - left - len(packed)
        elif not packed and not left:
            break
    if not inflater.eof:
        raise WorkbookError(_damaged(name, f"part {member.filename} is cut short"))


def _check_encoding(name: str, part: str, head: bytes) -> None:
    """Refuse an XML part not stored as UTF-8, where byte searches could miss markup."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    match = _XML_DECLARATION.match(text)
    declared = match.group(1).decode("ascii", "replace").lower() if match else "utf-8"
    unusual = text.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or (
        len(text) > 1 and text[1] == 0
    )
    if unusual or declared not in _ASCII_ENCODINGS:
        raise UnsafeWorkbookError(
            f"{name} has a part ({part}) not stored as UTF-8 text, which Excel never writes;"
            f" it was not opened: {_AGAIN}"
        )


def _read_index_part(file: BinaryIO, member: zipfile.ZipInfo, budget: _Budget) -> bytes:
    """The whole of a small index part, unpacked and checked like every other part."""
    if member.file_size > _MAX_INDEX_PART_BYTES:
        raise UnsafeWorkbookError(
            f"{budget.name} has an index part ({member.filename}) of {_size(member.file_size)},"
            f" far larger than a workbook's ever is; it was not opened: {_AGAIN}"
        )
    return b"".join(_unpack(file, member, budget))


def _sheet_parts(name: str, workbook: bytes, relationships: bytes,
                 present: set[str]) -> dict[str, str]:
    """Each sheet's name and the part that holds it, from the workbook and its relationships."""
    targets: dict[str, str] = {}
    for element in _parse(name, _WORKBOOK_RELS, relationships):
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            targets[element.get("Id", "")] = element.get("Target", "")
    sheet_parts: dict[str, str] = {}
    sheets = [element for group in _parse(name, _WORKBOOK, workbook)
              if _local(group.tag) == "sheets" for element in group]
    for element in sheets:
        if _local(element.tag) != "sheet":
            continue
        sheet = element.get("name", "")
        relationship = next((value for key, value in element.attrib.items()
                             if key.startswith("{") and _local(key) == "id"), "")
        target = targets.get(relationship)
        if target is None:
            raise WorkbookError(_damaged(name, f"sheet {sheet!r} has no part"))
        part = _resolve(target)
        if part not in present and unquote(part) in present:
            part = unquote(part)
        if part not in present:
            raise WorkbookError(_damaged(name, f"the part of sheet {sheet!r}, {part}, is"
                                         " missing"))
        sheet_parts[sheet] = part
    return sheet_parts


def _parse(name: str, part: str, data: bytes) -> Element:
    """Parse a small index part with defusedxml, which refuses entities on its own too."""
    try:
        return _defused_fromstring(data)
    except _DefusedXmlError as error:
        raise _xml_bomb(name, part) from error
    except ParseError as error:
        raise WorkbookError(_damaged(name, f"{part} is not readable XML: {error}")) from error


def _local(tag: str) -> str:
    """An XML name without its namespace: ``{ns}sheet`` -> ``sheet``."""
    return tag.rpartition("}")[2]


def _resolve(target: str) -> str:
    """A relationship target of xl/workbook.xml as a zip member name."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


def _macro_enabled(name: str) -> UnsafeWorkbookError:
    return UnsafeWorkbookError(f"{name} is macro-enabled (.xlsm): save it as .xlsx (Excel"
                               " Workbook) without macros")


def _too_many(name: str, count: int, limits: Limits) -> UnsafeWorkbookError:
    return UnsafeWorkbookError(
        f"{name} holds {count:,} parts, more than the {limits.max_members:,} a workbook for"
        " import may have; it may be a 'zip bomb' and was not opened"
    )


def _too_big(name: str, declared: int | None, limits: Limits) -> UnsafeWorkbookError:
    limit = _size(limits.max_uncompressed_bytes)
    what = (f"would unpack to {_size(declared)}, more than the {limit} import accepts"
            if declared is not None else f"unpacks to more than the {limit} import accepts")
    return UnsafeWorkbookError(f"{name} {what}; it may be a 'zip bomb' and was not opened")


def _xml_bomb(name: str, part: str) -> UnsafeWorkbookError:
    return UnsafeWorkbookError(
        f"{name} contains XML entity declarations, which can be used to attack the program"
        f" reading it (an 'XML bomb'); it was not opened (found in {part})"
    )


def _damaged(name: str, detail: str) -> str:
    return (f"{name} is damaged ({detail}): ask the sender for a new copy, or {_AGAIN}")


def _size(count: int) -> str:
    """A byte count as people read it: ``"512 bytes"``, ``"1.5 MB"``, ``"2 GB"``."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= scale:
            return f"{count / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{count:,} bytes"
