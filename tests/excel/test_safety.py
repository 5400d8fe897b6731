"""The safety check refuses unsafe and unreadable files, and scans good ones' rows and formulas."""

from __future__ import annotations

import hashlib
import random
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from actiontrack.errors import UnsafeWorkbookError, WorkbookError
from actiontrack.excel import safety, sheet_scan
from actiontrack.excel.safety import FileScan, Limits, check_workbook_file

from . import corpus
from .libreoffice import requires_libreoffice, resave

Builder = Callable[[Path], Path]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(path: Path, error: type[WorkbookError], phrase: str,
             limits: Limits | None = None) -> str:
    """Check that ``path`` is refused with ``error`` saying ``phrase``, and left unchanged."""
    before = _digest(path)
    with pytest.raises(WorkbookError) as caught:
        check_workbook_file(path, limits or Limits())
    assert type(caught.value) is error
    message = str(caught.value)
    assert message.startswith(path.name), message
    assert phrase in message, message
    assert "\n" not in message
    assert _digest(path) == before
    return message


# --- good workbooks ---------------------------------------------------------------------------


def test_a_real_workbook_passes_and_its_formula_cell_is_found(tmp_path: Path) -> None:
    """A real workbook passes, unchanged, with its rows, extent and one formula cell found."""
    path = corpus.valid_workbook(tmp_path)
    before = _digest(path)
    scan = check_workbook_file(path)
    assert scan == FileScan(
        sheet_parts={"Actions": "xl/worksheets/sheet1.xml", "Evidence": "xl/worksheets/sheet2.xml"},
        rows={"Actions": 3, "Evidence": 1},
        extent={"Actions": (3, 3), "Evidence": (1, 1)},
        formula_cells={"Actions": ("B3",), "Evidence": ()},  # not C3: text that looks like one
        error_cells={"Actions": (), "Evidence": ()},
    )
    assert _digest(path) == before


def test_the_scan_is_read_only(tmp_path: Path) -> None:
    """The scan's findings cannot be changed by whoever reads them."""
    scan = check_workbook_file(corpus.valid_workbook(tmp_path))
    with pytest.raises(TypeError):
        scan.rows["Actions"] = 0  # type: ignore[index]


#: A sheet as other programs write it: prefixed names, row breaks, validations,
#: conditional formats, a shared formula, and a formula outside the cells (extLst).
_PREFIXED_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<x:sheetData>'
    b'<x:row r="1" spans="1:3"><x:c r="A1" t="s"><x:v>0</x:v></x:c>'
    b'<x:c r="B1"><x:f>SUM(A1:A9)</x:f><x:v>3</x:v></x:c></x:row>\n'
    b'<x:row r="2"><x:c r="A2" s="1"/><x:c r="B2" t="str"><x:f t="shared" ref="B2:B3" si="0">'
    b'A2&amp;"x"</x:f><x:v>x</x:v></x:c></x:row>'
    b'<x:row r="3"><x:c r="B3"><x:f t="shared" si="0"/><x:v>x</x:v></x:c>'
    b'<x:c r="C3" t="inlineStr"><x:is><x:t>a &lt;f&gt; and Note:f and &lt;row&gt;</x:t>'
    b'</x:is></x:c>'
    b'</x:row><x:row r="4"/>'
    b'<row r="5"><c r="D5"><f>1+1</f></c><c r="E5" t="str">\n  <f aca="false">NOW()</f></c></row>'
    b'</x:sheetData>'
    b'<x:autoFilter ref="A1:C3"><x:filterColumn colId="0"/></x:autoFilter>'
    b'<x:conditionalFormatting sqref="A1"><x:cfRule type="expression" priority="1">'
    b'<x:formula>A1&gt;0</x:formula></x:cfRule></x:conditionalFormatting>'
    b'<x:dataValidations count="1"><x:dataValidation sqref="A2"><x:formula1>"a,b"</x:formula1>'
    b'</x:dataValidation></x:dataValidations>'
    b'<x:rowBreaks count="1" manualBreakCount="1"><x:brk id="2" max="16383" man="1"/>'
    b'</x:rowBreaks>'
    b'<x:extLst><x:ext><x14:dataValidations xmlns:x14="urn:x14"><x14:dataValidation>'
    b'<x14:formula1><xm:f>Lists!$A$1:$A$5</xm:f></x14:formula1><xm:sqref>A3</xm:sqref>'
    b'</x14:dataValidation></x14:dataValidations></x:ext></x:extLst>'
    b'</x:worksheet>'
)


@pytest.fixture(scope="module")
def prefixed_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prefixed")
    return corpus.rewrite(corpus.valid_workbook(folder), folder / "prefixed.xlsx",
                          replace={corpus.SHEET: _PREFIXED_SHEET})


_PREFIXED_FORMULAS = ("B1", "B2", "B3", "D5", "E5")


def test_rows_and_formulas_are_found_in_prefixed_markup(prefixed_workbook: Path) -> None:
    """Rows and formulas are found in prefixed markup, and nothing that only looks like them."""
    scan = check_workbook_file(prefixed_workbook)
    assert scan.rows["Actions"] == 5  # not rowBreaks, not the "<row>" in text
    assert scan.formula_cells["Actions"] == _PREFIXED_FORMULAS  # not formula1, filterColumn, xm:f


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 11, 13, 64, 97, 1000])
def test_markup_split_between_chunks_is_found_once(
    prefixed_workbook: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Markup cut between chunks of any size is found exactly once."""
    monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
    scan = check_workbook_file(prefixed_workbook)
    assert scan.rows["Actions"] == 5
    assert scan.formula_cells["Actions"] == _PREFIXED_FORMULAS


def test_every_split_of_a_formula_cell_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk sizes that put each boundary at each byte of '<c r="B3"><f>1+1</f>'."""
    path = corpus.valid_workbook(tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(corpus.SHEET)
    at = sheet.index(b'<c r="B3"')
    for chunk in range(at // 3, at + 16):  # one boundary falls in the cell for most sizes
        monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
        assert check_workbook_file(path).formula_cells["Actions"] == ("B3",), chunk


def test_an_entity_declaration_split_between_chunks_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entity declaration cut between two chunks is still found and refused."""
    path = corpus.billion_laughs_in_sheet(tmp_path)
    at = corpus.BILLION_LAUGHS.index(b"<!DOCTYPE")
    for chunk in range(at + 1, at + 9):  # every boundary inside "<!DOCTYPE"
        monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
        _refused(path, UnsafeWorkbookError, "contains XML entity declarations")


def test_a_limit_of_rows_at_the_count_passes(tmp_path: Path) -> None:
    """A sheet with exactly as many rows as the limit passes."""
    path = corpus.too_many_rows(tmp_path)
    assert check_workbook_file(path, Limits(max_rows=50)).rows["Actions"] == 50


@pytest.mark.slow
@requires_libreoffice
def test_a_workbook_saved_again_by_libreoffice_passes(tmp_path: Path) -> None:
    """LibreOffice writes shared strings, relative part names and its own attributes."""
    saved = resave(corpus.valid_workbook(tmp_path), tmp_path / "resaved")
    scan = check_workbook_file(saved)
    assert scan.formula_cells == {"Actions": ("B3",), "Evidence": ()}
    assert scan.rows["Actions"] == 3


# --- unreadable files -------------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    """A file that does not exist is refused, naming it."""
    with pytest.raises(WorkbookError, match=r"^missing\.xlsx does not exist: "):
        check_workbook_file(tmp_path / "missing.xlsx")


def test_a_folder(tmp_path: Path) -> None:
    """A folder named like a workbook is refused as a folder, not a file."""
    folder = tmp_path / "returns.xlsx"
    folder.mkdir()
    with pytest.raises(WorkbookError, match=r"^returns\.xlsx is a folder, not a file: "):
        check_workbook_file(folder)


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        (corpus.empty_file, "is empty"),
        (corpus.random_bytes, "is not an Excel .xlsx workbook"),
        (corpus.csv_renamed, "is not an Excel .xlsx workbook (it looks like text"),
        (corpus.html_renamed, "is not an Excel .xlsx workbook (it looks like a web page"),
        (corpus.truncated_zip, "is damaged (the end of the zip is missing"),
        (corpus.bad_checksum, "is damaged (part xl/worksheets/sheet1.xml fails its checksum"),
        (corpus.plain_zip, "is not an Excel workbook (it is a zip file without"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_unreadable_files_are_refused(tmp_path: Path, build: Builder, phrase: str) -> None:
    """Unreadable files are refused, saying why and what to do, and are left unchanged."""
    message = _refused(build(tmp_path), WorkbookError, phrase)
    assert ": " in message.partition(phrase)[2]  # and it says what to do


# --- unsafe files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        (corpus.old_xls, "is an old .xls workbook: save it as .xlsx (Excel Workbook)"),
        (corpus.encrypted, "is encrypted (password-protected to open): remove the password in"
                           " Excel (File > Info > Protect Workbook) and save as .xlsx"),
        (corpus.macro_enabled, "is macro-enabled (.xlsm): save it as .xlsx (Excel Workbook)"
                               " without macros"),
        (corpus.macro_content_type_only, "is macro-enabled (.xlsm)"),
        (corpus.lying_small_sizes, "unpacks larger than its zip directory says"),
        (corpus.lying_large_sizes, "would unpack to 3 GB, more than the 2 GB import accepts"),
        (corpus.too_many_members, "parts, more than the 1,000 a workbook for import may have"),
        (corpus.billion_laughs_in_sheet, "contains XML entity declarations, which can be used to"
                                         " attack the program reading it (an 'XML bomb'); it was"
                                         " not opened (found in xl/worksheets/sheet1.xml)"),
        (corpus.billion_laughs_in_shared_strings, "(found in xl/sharedStrings.xml)"),
        (corpus.external_entity, "contains XML entity declarations"),
        (corpus.path_traversal, "named 'xl/../../evil.xml', which points outside"),
        (corpus.absolute_name, "named '/etc/evil.xml', which points outside"),
        (corpus.duplicate_name, "holds two parts named 'xl/worksheets/sheet1.xml'"),
        (corpus.utf16_sheet, "(xl/worksheets/sheet1.xml) not stored as UTF-8"),
        (corpus.bzip2_members, "packed with zip method 12, which Excel never uses"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_unsafe_files_are_refused(tmp_path: Path, build: Builder, phrase: str) -> None:
    """Unsafe files are refused as unsafe, saying why, and are left unchanged."""
    _refused(build(tmp_path), UnsafeWorkbookError, phrase)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.zip_bomb(tmp_path_factory.mktemp("bomb"))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(zip_bomb: Path) -> None:
    """A zip bomb is refused within half a second, before it is unpacked."""
    assert zip_bomb.stat().st_size < 2**20  # 300 MB of zeros
    started = time.perf_counter()
    message = _refused(zip_bomb, UnsafeWorkbookError, "may be a 'zip bomb'")
    assert time.perf_counter() - started < 0.5
    assert "(xl/worksheets/sheet1.xml) that unpacks 1,0" in message  # about 1,000 times


def test_the_ratio_is_checked_while_unpacking_too(tmp_path: Path) -> None:
    """A zip that lies about the packed size is stopped by the bytes it really unpacks."""
    path = corpus.lying_packed_size(tmp_path)
    started = time.perf_counter()
    _refused(path, UnsafeWorkbookError, "times larger, more than the 100 times")
    assert time.perf_counter() - started < 0.5  # long before 30 MB were unpacked


def test_the_total_is_counted_while_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the declared sizes believed, the bytes really unpacked still stop the check."""
    monkeypatch.setattr(safety, "_check_members", lambda *args: None)
    path = corpus.too_many_rows(tmp_path)
    _refused(path, UnsafeWorkbookError, "unpacks to more than the 8 KB import accepts",
             Limits(max_uncompressed_bytes=8 * 2**10))


def test_a_huge_zip_directory_is_refused_before_zipfile_reads_it(tmp_path: Path) -> None:
    """A zip directory too large for the limits is refused before zipfile reads it."""
    _refused(corpus.long_directory(tmp_path), UnsafeWorkbookError, "has a zip directory of",
             Limits(max_members=20))


def test_a_file_larger_than_the_limit(tmp_path: Path) -> None:
    """A file larger than the size limit is refused."""
    path = corpus.valid_workbook(tmp_path)
    _refused(path, UnsafeWorkbookError, "larger than the 1 KB import accepts",
             Limits(max_file_bytes=2**10))


def test_a_sheet_with_too_many_formulas(
    prefixed_workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet with more formulas than the limit is refused: import takes values only."""
    monkeypatch.setattr(safety, "_MAX_FORMULA_CELLS", 4)
    _refused(prefixed_workbook, UnsafeWorkbookError,
             ": sheet 'Actions' has more than 4 formulas; import takes values, never formulas")


def test_any_damage_is_refused_as_a_workbook_error_or_passes(tmp_path: Path) -> None:
    """Bytes changed, cut or added anywhere never raise anything but a WorkbookError."""
    original = corpus.valid_workbook(tmp_path).read_bytes()
    stored = corpus.rewrite(corpus.valid_workbook(tmp_path, "again.xlsx"), tmp_path / "s.xlsx",
                            method=zipfile.ZIP_STORED).read_bytes()
    rng = random.Random(2026)
    path = tmp_path / "damaged.xlsx"
    messages: list[str] = []
    for _ in range(400):
        data = bytearray(rng.choice([original, stored]))
        for _ in range(rng.choice([1, 1, 2, 8])):
            at = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[at] = rng.randrange(256)
            else:
                del data[at:at + rng.randrange(1, 32)]
        path.write_bytes(bytes(data))
        try:
            check_workbook_file(path)
        except WorkbookError as error:  # anything else fails the test
            messages.append(str(error))
    assert len(messages) > 300
    assert all(message.startswith("damaged.xlsx ") for message in messages)


def test_a_sheet_with_too_many_rows(tmp_path: Path) -> None:
    """A sheet with more rows than the limit is refused, naming the count and the limit."""
    _refused(corpus.too_many_rows(tmp_path), UnsafeWorkbookError,
             ": sheet 'Actions' has 50 rows; the most import reads is 20", Limits(max_rows=20))


def _search_every_chunk(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Unpack ``chunk`` bytes at a time, and search each chunk as it comes."""
    monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(sheet_scan, "_SEARCH_CHUNKS", 1)


# --- cells showing errors ---------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [b"", b"x"], ids=["plain", "prefixed"])
def test_error_cells_are_found_with_their_text(tmp_path: Path, prefix: bytes) -> None:
    """Not text that looks like an error, nor an attribute that only ends in t."""
    scan = check_workbook_file(corpus.error_cells(tmp_path, prefix=prefix))
    assert scan.error_cells == {"Actions": corpus.ERROR_CELLS, "Evidence": ()}
    assert scan.formula_cells["Actions"] == corpus.ERROR_FORMULAS
    assert scan.extent["Actions"] == (4, 8)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 11, 13, 64, 97, 1000])
@pytest.mark.parametrize("prefix", [b"", b"x"], ids=["plain", "prefixed"])
def test_error_cells_split_between_chunks_are_found_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, prefix: bytes
) -> None:
    """Error cells cut between chunks of any size are found once, with their text."""
    path = corpus.error_cells(tmp_path, prefix=prefix)
    _search_every_chunk(monkeypatch, chunk)
    scan = check_workbook_file(path)
    assert scan.error_cells["Actions"] == corpus.ERROR_CELLS
    assert scan.formula_cells["Actions"] == corpus.ERROR_FORMULAS


def test_every_split_of_an_error_cell_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk sizes that put a boundary at each byte of '<c r="B2" t="e"><v>#N/A</v></c>'."""
    path = corpus.error_cells(tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(corpus.SHEET)
    at = sheet.index(b'<c r="B2" t="e">')
    for chunk in range(at // 3, at + 32):
        _search_every_chunk(monkeypatch, chunk)
        assert check_workbook_file(path).error_cells["Actions"] == corpus.ERROR_CELLS, chunk


def test_an_error_text_no_longer_at_hand_is_called_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing kept behind a chunk, a text cut by the chunk's end is lost."""
    path = corpus.error_cells(tmp_path)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(corpus.SHEET)
    monkeypatch.setattr(sheet_scan, "_CONTEXT_BYTES", 0)
    _search_every_chunk(monkeypatch, sheet.index(b"#N/A") + 2)
    assert check_workbook_file(path).error_cells["Actions"][0] == ("B2", "an error")


def test_a_sheet_with_too_many_error_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet with more cells showing an error than the limit is refused."""
    monkeypatch.setattr(safety, "_MAX_FORMULA_CELLS", 3)
    _refused(corpus.error_cells(tmp_path), UnsafeWorkbookError,
             ": sheet 'Actions' has more than 3 cells showing an error (such as #N/A)")


# --- how far a sheet reaches ------------------------------------------------------------------


def test_a_stray_cell_at_the_last_cell_excel_has_is_refused_quickly_in_little_memory(
    tmp_path: Path,
) -> None:
    """python-calamine would ask for the whole rectangle to it: 512 GB, and abort."""
    path = corpus.far_cell(tmp_path, "XFD1048576")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = _refused(path, UnsafeWorkbookError, "has a cell as far as XFD1048576")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 0.5
    assert peak < 16 * 2**20
    assert message == (
        f"{path.name}: sheet 'Actions' has a cell as far as XFD1048576; the most import reads"
        " is 300,000 rows and 200 columns: delete what is below or to the right of the table"
        " (select the rows, Delete) and save it again"
    )


@pytest.mark.parametrize(
    ("reference", "in_row", "corner"),
    [
        ("S1048576", None, "S1048576"),  # a value typed at the bottom of the sheet
        ("A300001", None, "C300001"),
        ("GS1", None, "GS3"),
        ("XFD3", 3, "XFD3"),  # in a row of the table: no program writes that, but one could
        ("A1048576", 3, "C1048576"),  # a cell past its own row
        ("A99999999999999999999", 2, "C99999999999999999999"),  # overflows the reader
        ("ZZZZZZZZZZZZ2", 2, "ZZZZZZZZZZZZ3"),  # so does this column
    ],
)
def test_a_cell_past_the_limits_is_refused(
    tmp_path: Path, reference: str, in_row: int | None, corner: str
) -> None:
    """A cell past 300,000 rows or 200 columns is refused, naming how far the sheet reaches."""
    path = corpus.far_cell(tmp_path, reference, in_row=in_row)
    _refused(path, UnsafeWorkbookError, f": sheet 'Actions' has a cell as far as {corner}; the"
             " most import reads is 300,000 rows and 200 columns: delete what is below or to"
             " the right of the table (select the rows, Delete) and save it again")


def test_a_sheet_at_exactly_the_limits_passes(tmp_path: Path) -> None:
    """A sheet reaching exactly the row and column limits passes; one less is refused."""
    path = corpus.cells_at(tmp_path, ["A1", "GR2", "B300000"])
    scan = check_workbook_file(path)
    assert scan.extent["Actions"] == (300_000, 200)
    assert scan.rows["Actions"] == 3
    for limits in (Limits(max_rows=299_999), Limits(max_columns=199)):
        _refused(path, UnsafeWorkbookError, "has a cell as far as GR300000", limits)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 11, 13, 64, 97, 1000])
def test_a_far_cell_split_between_chunks_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A far cell cut between chunks of any size is still found and refused."""
    far = corpus.far_cell(tmp_path, "XFD3", in_row=3)
    _search_every_chunk(monkeypatch, chunk)
    _refused(far, UnsafeWorkbookError, "has a cell as far as XFD3;")
    assert check_workbook_file(corpus.valid_workbook(tmp_path)).extent["Actions"] == (3, 3)


def test_rows_and_cells_without_references_are_placed_by_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows and cells written without references are placed by their position."""
    path = corpus.unnumbered_cells(tmp_path)
    for chunk in (1, 7, 13, 2**20):
        _search_every_chunk(monkeypatch, chunk)
        scan = check_workbook_file(path)
        assert scan.rows["Actions"] == 4
        assert scan.extent["Actions"] == corpus.UNNUMBERED_EXTENT, chunk
        assert scan.formula_cells["Actions"] == corpus.UNNUMBERED_FORMULAS, chunk
        assert scan.error_cells["Actions"] == corpus.UNNUMBERED_ERRORS, chunk


def test_the_extent_of_a_prefixed_sheet(prefixed_workbook: Path) -> None:
    """The extent of a sheet in prefixed markup is its last row and column."""
    assert check_workbook_file(prefixed_workbook).extent["Actions"] == (5, 5)

