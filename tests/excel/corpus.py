"""Bad files for the workbook safety check: each function writes one into a folder.

Every builder takes the folder and returns the path of the file it wrote.
Most start from :func:`valid_workbook`, a small real workbook saved by
openpyxl, and change one thing in its zip.
"""

from __future__ import annotations

import random
import re
import struct
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
CONTENT_TYPES = "[Content_Types].xml"
MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def valid_workbook(folder: Path, name: str = "valid.xlsx", *, rows: int = 3) -> Path:
    """A real workbook: a few cells, the formula ``=1+1`` in B3, formula-like text in C3."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Actions"
    sheet["A1"] = "Action id"
    sheet["B1"] = "Status"
    sheet["A2"] = "P1/A001"
    sheet["B2"] = "agreed"
    sheet["B3"] = "=1+1"
    sheet["C3"] = "=not a formula"
    sheet["C3"].data_type = "s"  # text, though it starts like a formula
    for row in range(4, rows + 1):
        sheet.cell(row=row, column=1, value=f"P1/A{row:03d}")
    workbook.create_sheet("Evidence")["A1"] = "Evidence id"
    path = folder / name
    workbook.save(path)
    return path


def rewrite(source: Path, target: Path, *, replace: Mapping[str, bytes | None] | None = None,
            add: Iterable[tuple[str, bytes]] = (), method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Copy a zip, replacing members (``None`` drops one) and adding others at the end."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", method) as new:
        for info in old.infolist():
            data = replace.get(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names
            for member, data in add:
                new.writestr(member, data)
    return target


def _member(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member)


def random_bytes(folder: Path) -> Path:
    """Four KB of noise named .xlsx."""
    path = folder / "noise.xlsx"
    path.write_bytes(b"\x00\x01" + random.Random(7).randbytes(4094))
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def csv_renamed(folder: Path) -> Path:
    """A CSV export given the .xlsx extension."""
    path = folder / "actions.xlsx"
    path.write_text("Action id,Status\nP1/A001,agreed\nP1/A002,completed\n", encoding="utf-8")
    return path


def html_renamed(folder: Path) -> Path:
    """An HTML table given the .xlsx extension, as some systems 'export to Excel'."""
    path = folder / "report.xlsx"
    path.write_text("<html><body><table><tr><td>P1/A001</td></tr></table></body></html>",
                    encoding="utf-8")
    return path


def truncated_zip(folder: Path) -> Path:
    """A real workbook cut short half way, as by an interrupted download."""
    data = valid_workbook(folder, "whole.xlsx").read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_checksum(folder: Path) -> Path:
    """A real workbook stored without compression, with one byte of a sheet changed."""
    path = rewrite(valid_workbook(folder, "whole.xlsx"), folder / "bad-crc.xlsx",
                   method=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"Action id")
    data[at] = ord("a")
    path.write_bytes(bytes(data))
    return path


def zip_bomb(folder: Path, megabytes: int = 300) -> Path:
    """A workbook whose sheet starts like XML, then is ``megabytes`` MB of zeros.

    300 MB of zeros pack into about 300 KB. They are streamed into the zip a
    megabyte at a time, so building it takes little memory.
    """
    path = rewrite(valid_workbook(folder, "whole.xlsx"), folder / "bomb.xlsx",
                   replace={SHEET: None})
    block = bytes(2**20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open(SHEET, "w") as sheet:
        sheet.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        for _ in range(megabytes):
            sheet.write(block)
    return path


def _patch_sizes(path: Path, member: str, *, unpacked: int | None = None,
                 packed: int | None = None) -> None:
    """Make the zip's directory and local header lie about a member's sizes."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    central = data.index(b"PK\x01\x02")  # the zip's directory: one entry per member
    while data[central + 46: central + 46 + len(encoded)] != encoded:
        central = data.index(b"PK\x01\x02", central + 4)
    (local,) = struct.unpack_from("<I", data, central + 42)
    if packed is not None:
        struct.pack_into("<I", data, central + 20, packed)
        struct.pack_into("<I", data, local + 18, packed)
    if unpacked is not None:
        struct.pack_into("<I", data, central + 24, unpacked)
        struct.pack_into("<I", data, local + 22, unpacked)
    path.write_bytes(bytes(data))


def lying_small_sizes(folder: Path) -> Path:
    """A sheet of 10 MB of zeros that the zip says unpacks to 100 KB."""
    path = zip_bomb(folder, megabytes=10)
    _patch_sizes(path, SHEET, unpacked=100 * 2**10)
    return path


def lying_large_sizes(folder: Path) -> Path:
    """A small workbook whose zip says its sheet unpacks to 3 GB."""
    path = rewrite(valid_workbook(folder, "whole.xlsx"), folder / "huge.xlsx")
    _patch_sizes(path, SHEET, unpacked=3 * 2**30)
    return path


def lying_packed_size(folder: Path) -> Path:
    """A 30 MB zip bomb whose directory says its sheet is packed in 1 MB: 30 to 1 on paper."""
    path = zip_bomb(folder, megabytes=30)
    _patch_sizes(path, SHEET, packed=2**20)
    return path


def too_many_members(folder: Path, count: int = 1_001) -> Path:
    """A real workbook plus enough tiny extra parts to pass ``count`` members."""
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "many.xlsx",
                   add=[(f"xl/media/pad{n}.txt", b"x") for n in range(count)])


def long_directory(folder: Path) -> Path:
    """A real workbook plus parts with 10,000-character names: a huge zip directory."""
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "long-names.xlsx",
                   add=[(f"xl/media/{n}{'x' * 10_000}.txt", b"x") for n in range(4)])


def billion_laughs_in_sheet(folder: Path) -> Path:
    path = valid_workbook(folder, "whole.xlsx")
    body = _member(path, SHEET).split(b"?>", 1)[-1]
    return rewrite(path, folder / "laughs-sheet.xlsx",
                   replace={SHEET: BILLION_LAUGHS + body.replace(b"Action id", b"&lol9;")})


def billion_laughs_in_shared_strings(folder: Path) -> Path:
    strings = BILLION_LAUGHS + (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
        b' uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "laughs-strings.xlsx",
                   add=[("xl/sharedStrings.xml", strings)])


def external_entity(folder: Path) -> Path:
    """XXE: the workbook part defines an entity read from a file on the reader's machine."""
    path = valid_workbook(folder, "whole.xlsx")
    body = _member(path, WORKBOOK).split(b"?>", 1)[-1]
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return rewrite(path, folder / "xxe.xlsx",
                   replace={WORKBOOK: doctype + body.replace(b'name="Actions"', b'name="&xxe;"')})


def _compound_file(streams: list[str]) -> bytes:
    """Something shaped like an OLE2 compound file: its magic, then directory entry names."""
    header = OLE2_MAGIC + bytes(16) + struct.pack("<HHH", 0x3E, 3, 0xFFFE) + bytes(482)
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + bytes(64)
                         for name in ["Root Entry", *streams])
    return header + directory.ljust(4096, b"\x00")


def old_xls(folder: Path) -> Path:
    path = folder / "old.xlsx"
    path.write_bytes(_compound_file(["Workbook", "\x05SummaryInformation"]))
    return path


def encrypted(folder: Path) -> Path:
    """What Excel writes when a workbook has a password to open: an OLE2 file."""
    path = folder / "locked.xlsx"
    path.write_bytes(_compound_file(["EncryptionInfo", "EncryptedPackage"]))
    return path


def macro_enabled(folder: Path) -> Path:
    """An .xlsm renamed .xlsx: a VBA project and the macro-enabled content type."""
    path = valid_workbook(folder, "whole.xlsx")
    types = _member(path, CONTENT_TYPES).replace(XLSX_CONTENT_TYPE, MACRO_CONTENT_TYPE)
    return rewrite(path, folder / "macros.xlsx", replace={CONTENT_TYPES: types},
                   add=[("xl/vbaProject.bin", OLE2_MAGIC + bytes(504))])


def macro_content_type_only(folder: Path) -> Path:
    """The macro-enabled content type without the VBA part."""
    path = valid_workbook(folder, "whole.xlsx")
    types = _member(path, CONTENT_TYPES).replace(XLSX_CONTENT_TYPE, MACRO_CONTENT_TYPE)
    return rewrite(path, folder / "macro-type.xlsx", replace={CONTENT_TYPES: types})


def too_many_rows(folder: Path) -> Path:
    """A real workbook of 50 rows; the test lowers the limit rather than write 300,001."""
    return valid_workbook(folder, "rows.xlsx", rows=50)


def path_traversal(folder: Path) -> Path:
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "traversal.xlsx",
                   add=[("xl/../../evil.xml", b"<x/>")])


def absolute_name(folder: Path) -> Path:
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "absolute.xlsx",
                   add=[("/etc/evil.xml", b"<x/>")])


def duplicate_name(folder: Path) -> Path:
    """Two members named like the sheet: readers may take either one."""
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "twice.xlsx",
                   add=[(SHEET, b"<worksheet/>")])


def plain_zip(folder: Path) -> Path:
    """A zip that holds no workbook."""
    path = folder / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "holiday photos")
    return path


def utf16_sheet(folder: Path) -> Path:
    """A sheet stored as UTF-16, where byte searches for markup would miss it."""
    path = valid_workbook(folder, "whole.xlsx")
    text = _member(path, SHEET).decode("utf-8").replace("utf-8", "utf-16").replace(
        "UTF-8", "UTF-16")
    return rewrite(path, folder / "utf16.xlsx", replace={SHEET: text.encode("utf-16")})


def bzip2_members(folder: Path) -> Path:
    """A workbook packed with bzip2, which Excel never uses and zipfile unpacks unbounded."""
    return rewrite(valid_workbook(folder, "whole.xlsx"), folder / "bzip2.xlsx",
                   method=zipfile.ZIP_BZIP2)


# --- sheets written by hand: error cells, far cells, cells without references -------------

MAIN_NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml(rows: bytes, *, prefix: bytes = b"", after: bytes = b"") -> bytes:
    """A worksheet part: ``rows`` is what goes in sheetData, ``after`` what follows it.

    With ``prefix`` (``b"x"``) every element of ``rows`` and of the sheet
    takes that namespace prefix, as some programs write it.
    """
    xml = b"<worksheet><sheetData>" + rows + b"</sheetData>" + after + b"</worksheet>"
    if prefix:
        xml = re.sub(rb"<(/?)([A-Za-z])", rb"<\1" + prefix + rb":\2", xml)
        declaration = b" xmlns:" + prefix + b'="' + MAIN_NAMESPACE + b'"'
    else:
        declaration = b' xmlns="' + MAIN_NAMESPACE + b'"'
    opening = xml.index(b"worksheet") + len(b"worksheet")
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            + xml[:opening] + declaration + xml[opening:])


def with_sheet(folder: Path, name: str, sheet: bytes) -> Path:
    """The real workbook of :func:`valid_workbook` with its Actions sheet replaced."""
    return rewrite(valid_workbook(folder, f"whole-{name}"), folder / name,
                   replace={SHEET: sheet})


#: Cells showing Excel errors, written in the ways programs write them, among
#: cells that only look like them. ERROR_CELLS and ERROR_FORMULAS are what the
#: check finds in ERROR_ROWS.
ERROR_ROWS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Action id</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Status</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>P1/A001</t></is></c>'
    b'<c r="B2" t="e"><v>#N/A</v></c>'  # as Excel writes it
    b'<c r="F2" t="str"><v>#N/A</v></c>'  # text, not an error
    b'<c r="G2" t="inlineStr"><is><t>t="e" &lt;v&gt;#REF!</t></is></c>'  # text
    b'<c r="H2" xt="e"><v>#NAME?</v></c></row>'  # no t attribute
    b'<row r="3"><c t="e" s="0" r="C3"><v>#REF!</v></c></row>'  # attributes in another order
    b"<row r='4'><c r='D4' t='e'><v>#VALUE!</v></c>"  # single quotes
    b'<c s="0"\n t = "e" r = "E4"><f>1/0</f><v>#DIV/0!</v></c></row>'  # spaces, a formula
)
ERROR_CELLS = (("B2", "#N/A"), ("C3", "#REF!"), ("D4", "#VALUE!"), ("E4", "#DIV/0!"))
ERROR_FORMULAS = ("E4",)


def error_cells(folder: Path, *, prefix: bytes = b"") -> Path:
    """A workbook whose Actions sheet has ERROR_ROWS, its names prefixed if asked."""
    name = f"errors-{prefix.decode() or 'plain'}.xlsx"
    return with_sheet(folder, name, sheet_xml(ERROR_ROWS, prefix=prefix))


def far_cell(folder: Path, reference: str = "XFD1048576", *, in_row: int | None = None) -> Path:
    """A real workbook plus one cell at ``reference``: a stray cell far from the table.

    The cell gets a row of its own, as Excel writes it, or with ``in_row``
    is put at the end of that row of the table, as no program writes it.
    """
    row = int(reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    cell = f'<c r="{reference}"><v>1</v></c>'.encode()
    path = valid_workbook(folder, f"whole-{reference}-{in_row}.xlsx")
    sheet = _member(path, SHEET)
    if in_row is None:
        sheet = sheet.replace(b"</sheetData>", f'<row r="{row}">'.encode() + cell
                              + b"</row></sheetData>")
    else:
        opening = sheet.index(f'<row r="{in_row}"'.encode())
        closing = sheet.index(b"</row>", opening)
        sheet = sheet[:closing] + cell + sheet[closing:]
    return rewrite(path, folder / f"far-{reference}-{in_row}.xlsx", replace={SHEET: sheet})


def cells_at(folder: Path, references: Iterable[str]) -> Path:
    """A small workbook with one cell at each of ``references``, a row for each."""
    rows = b"".join(
        f'<row r="{int(reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))}">'
        f'<c r="{reference}"><v>1</v></c></row>'.encode()
        for reference in references
    )
    return with_sheet(folder, "cells-at.xlsx", sheet_xml(rows))


#: Rows and cells written without r, which a cell's place then follows from.
#: UNNUMBERED_* are what the check finds in them.
UNNUMBERED_ROWS = (
    b'<row><c t="inlineStr"><is><t>Action id</t></is></c>'
    b'<c t="inlineStr"><is><t>Status</t></is></c></row>'  # row 1: A1, B1
    b'<row><c t="inlineStr"><is><t>P1/A001</t></is></c><c><f>1+1</f><v>2</v></c></row>'  # B2
    b'<row r="5"><c r="C5"><v>1</v></c><c><f>2+2</f><v>4</v></c>'  # D5
    b'<c t="e"><v>#N/A</v></c></row>'  # E5
    b'<row><c r="B6" s="1"/><c><f>3</f><v>3</v></c></row>'  # row 6: C6
)
UNNUMBERED_FORMULAS = ("B2", "D5", "C6")
UNNUMBERED_ERRORS = (("E5", "#N/A"),)
UNNUMBERED_EXTENT = (6, 5)


def unnumbered_cells(folder: Path) -> Path:
    return with_sheet(folder, "unnumbered.xlsx", sheet_xml(UNNUMBERED_ROWS))


def random_sheet(rng: random.Random) -> bytes:
    """A small sheet of rows and cells written every way programs write them, and worse.

    Rows and cells with and without r, numbered out of order or past their
    row, attributes in any order and either quotes, prefixed names, formula
    and error cells, and text that looks like markup.
    """
    prefixed = rng.choice([0.0, 0.0, 0.5, 1.0])
    prefixes = rng.choice(["x", "x", "xy"])

    def name(local: str) -> str:
        return f"{rng.choice(prefixes)}:{local}" if rng.random() < prefixed else local

    def attributes(pairs: list[tuple[str, str]]) -> str:
        rng.shuffle(pairs)
        text = ""
        for key, value in pairs:
            quote = rng.choice("\"\"\"'")
            text += rng.choice([" ", " ", " ", "\n  "]) + f"{key}={quote}{value}{quote}"
        return text

    rows = []
    number = 0
    for _ in range(rng.randrange(1, 25)):
        pairs = []
        roll = rng.random()
        if roll < 0.85:
            if roll < 0.78:
                number += rng.randrange(1, 4)
            else:  # a jump down the sheet, or back up it
                number = (number + rng.randrange(1, 5000) if roll < 0.82
                          else rng.randrange(1, number + 2))
            pairs.append(("r", f"{number}" if rng.random() < 0.95 else f"00{number}"))
        else:
            number += 1
        if rng.random() < 0.3:
            pairs.append(("spans", "1:5"))
        row_name = name("row")
        cells = []
        column = 0
        for _ in range(rng.randrange(0, 8)):
            roll = rng.random()
            column = (column + rng.randrange(1, 3) if roll < 0.9 else rng.randrange(1, 200))
            cell_row = number if rng.random() < 0.95 else number + rng.randrange(1, 60)
            cell_pairs = []
            if rng.random() < 0.85:
                letters = ""
                rest = column
                while rest:
                    rest, digit = divmod(rest - 1, 26)
                    letters = chr(65 + digit) + letters
                if rng.random() < 0.05:
                    letters = letters.lower()
                zeros = "0" if rng.random() < 0.05 else ""
                cell_pairs.append(("r", f"{letters}{zeros}{cell_row}"))
            if rng.random() < 0.3:
                cell_pairs.append(("s", "1"))
            kind = rng.choice(["value", "value", "text", "formula", "error", "empty", "str"])
            c, v, f = name("c"), name("v"), name("f")
            if kind == "empty":
                cells.append(f"<{c}{attributes(cell_pairs)}/>")
                continue
            if kind == "text":
                cell_pairs.append(("t", "inlineStr"))
                text = rng.choice(['&lt;c r="XFD9"&gt;', "#REF!", 't="e"', "Note:c r", "a :row"])
                inline, t = name("is"), name("t")
                body = f"<{inline}><{t}>{text}</{t}></{inline}>"
            elif kind == "formula":
                body = f"<{f}>1+1</{f}><{v}>2</{v}>"
            elif kind == "error":
                cell_pairs.append(("t", "e"))
                body = (f"<{f}>1/0</{f}>" if rng.random() < 0.3 else "") + f"<{v}>#N/A</{v}>"
            elif kind == "str":
                cell_pairs.append(("t", "str"))
                body = f"<{v}>#N/A</{v}>"
            else:
                body = f"<{v}>{rng.randrange(100)}</{v}>"
            cells.append(f"<{c}{attributes(cell_pairs)}>{body}</{c}>")
        rows.append(f"<{row_name}{attributes(pairs)}>{''.join(cells)}</{row_name}>")
    xml = ("<worksheet><sheetData>" + "".join(rows) + "</sheetData></worksheet>").encode()
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + xml.replace(b"<worksheet>", b'<worksheet xmlns="' + MAIN_NAMESPACE + b'" xmlns:x="'
                          + MAIN_NAMESPACE + b'" xmlns:y="' + MAIN_NAMESPACE + b'">', 1))
