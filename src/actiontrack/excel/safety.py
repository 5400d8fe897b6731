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
That one streaming pass also counts each sheet's rows, finds how far its rows
and cells reach, and finds the cells that hold formulas and the cells that
show errors, with byte searches rather than an XML parser, so a national
export (a 113 MB sheet, 250 MB in all) is checked in about a second. Only the
small index parts (``xl/workbook.xml`` and its relationships) are parsed,
with ``defusedxml``, to learn which part holds which sheet.
"""

from __future__ import annotations

import functools
import importlib
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, TypeVar, cast
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

import attrs

from actiontrack.errors import UnsafeWorkbookError, WorkbookError

__all__ = ["FileScan", "Limits", "check_workbook_file"]

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
#: The most formula cells, and the most error cells, listed for one sheet; a
#: workbook with more is refused.
_MAX_FORMULA_CELLS = 100_000
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

# defusedxml ships no type hints (types-defusedxml has them); typed here once.
_defused_module = importlib.import_module("defusedxml")
_defused_fromstring = cast(
    Callable[[bytes], Element], importlib.import_module("defusedxml.ElementTree").fromstring
)
_DefusedXmlError = cast(type[Exception], _defused_module.DefusedXmlException)

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
    if _WORKBOOK not in seen:
        if "xl/workbook.bin" in seen:
            kind = "it is a binary workbook (.xlsb)"
        elif "mimetype" in seen and "content.xml" in seen:
            kind = "it is an OpenDocument file, such as .ods"
        else:
            kind = f"it is a zip file without {_WORKBOOK}"
        raise WorkbookError(f"{name} is not an Excel workbook ({kind}): {_AGAIN}")
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
    scans = {part: _SheetScanner(limits) for part in sheet_parts.values()}
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

    def each(read: Callable[[_SheetScanner], _T]) -> Mapping[str, _T]:
        return MappingProxyType({sheet: read(scans[part]) for sheet, part in sheet_parts.items()})

    return FileScan(
        sheet_parts=MappingProxyType(dict(sheet_parts)),
        rows=each(lambda scan: scan.rows),
        extent=each(lambda scan: (scan.last_row, scan.last_column)),
        formula_cells=each(lambda scan: tuple(scan.formula_cells)),
        error_cells=each(lambda scan: tuple(scan.error_cells)),
    )


def _check_sheet(name: str, sheet: str, scanner: _SheetScanner, limits: Limits, *,
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
        corner = _reference(max(scanner.last_column, 1), scanner.last_row)
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
            scanner: _SheetScanner | None = None) -> Iterator[bytes]:
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


class _SheetScanner:
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

    One way of writing a cell is not looked for: a second ``r`` attribute
    later in a usual cell's tag, ``<c r="B1" s="1" r="XFD9">``, which
    python-calamine takes over the first. No program writes that, and
    checking the whole of every cell's tag for it would slow the check by a
    quarter or more (the regular expression engine pays for every byte).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
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
        if self._waiting_bytes < _SEARCH_CHUNKS * _CHUNK_BYTES:
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
        return (min(self.last_column, self.limits.max_columns),
                min(max(self.last_row, last), self.limits.max_rows))

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
            return _reference(*place) if place else "?"
        position = _position(reference)
        return _reference(*position) if position else reference.decode("ascii", "replace")


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


def _reference(column: int, row: int) -> str:
    """A cell reference written the usual way: ``_reference(2, 12) == "B12"``."""
    return f"{_column_name(column)}{row}"


def _prefixed(buffer: bytes, colon: int) -> bool:
    """Whether the ``:`` at ``colon`` ends a namespace prefix of a tag: ``<prefix:``."""
    opened = buffer.rfind(b"<", max(0, colon - 64), colon)
    return opened >= 0 and _PREFIX.fullmatch(buffer, opened + 1, colon) is not None


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
