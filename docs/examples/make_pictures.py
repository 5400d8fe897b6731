"""Draw the pictures of docs/adopt.md and docs/partner-workbook.md.

- ``adopt-tracker.png``: the example tracker (lcspr-tracker.xlsx) as a person
  sees it, drawn by LibreOffice itself (``soffice --headless --convert-to png``)
  from a copy whose page is made big enough to print every column at full size.
- ``adopt-plan.png``: the terminal after the page's own commands (the plan set
  up, ``actiontrack adopt ... --map lcspr-map.toml``, then ``actiontrack list
  --review NSCP/CSPR-SAM``), run for real with the docs' clock, recorded by rich
  as SVG and drawn with cairosvg. The RAG words are coloured as ``list``
  colours them in a terminal.
- ``partner-workbook.png``: the Actions sheet of the partner workbook, as
  ``actiontrack demo`` then ``actiontrack export`` (the whole plan) write it
  with the docs' clock, drawn by LibreOffice like the tracker. The columns
  about the review, the recommendation, the lead agency, the deliverable and
  the success measure are hidden to fit the page, as the page says; the rows
  are sized for the columns shown, and the cell grid is printed as a
  spreadsheet program shows it on screen.

Needs LibreOffice (``soffice``) and, besides the project, ``pip install pillow
cairosvg`` (neither is a dependency of actiontrack)::

    python docs/examples/make_pictures.py

or, for some of them, their file names::

    python docs/examples/make_pictures.py partner-workbook.png
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cairosvg
import openpyxl
from click.testing import CliRunner
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image, ImageChops
from rich.console import Console
from rich.text import Text

from actiontrack.cli import cli

EXAMPLES = Path(__file__).resolve().parent
IMAGES = EXAMPLES.parent / "images"
NOW = "2026-11-26T09:00:00+00:00"  # the docs' clock (tests/test_docs.py)
MANAGER = "Sam Patel, business unit"

#: The set-up docs/adopt.md does before adopting: run, not shown.
SET_UP = [
    'init --partnership NSCP --name "Northshire Safeguarding Children Partnership"'
    " --kind children",
    "add-agency NCC --name \"Northshire County Council (children's services)\" --alias CSC"
    " --alias \"Children's Social Care\"",
    'add-agency NPOL --name "Northshire Police" --alias Police',
    'add-agency NICB --name "Northshire Integrated Care Board" --alias ICB --alias Health',
    'add-agency NEDU --name "Northshire Education Safeguarding Team" --alias Education',
    'add-review --partnership NSCP --reference CSPR-SAM --kind lcspr --title "Child Sam"'
    ' --subject "Child Sam" --decided-on 2025-11-20',
]
#: What the picture shows.
SHOWN = [
    "adopt lcspr-tracker.xlsx --map lcspr-map.toml",
    "list --review NSCP/CSPR-SAM",
]
#: As ``actiontrack list`` colours RAG in a terminal.
RAG_STYLES = {"red": "red", "amber": "yellow", "green": "green", "blue": "blue"}
_LIST_ROW = re.compile(r"^(NSCP/A\d+\s+)(red|amber|green|blue)\b")


def _cropped(path: Path, margin: int = 14) -> None:
    """Cut the white page around what is drawn, leaving ``margin`` pixels."""
    image = Image.open(path).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    assert box is not None, f"{path} is blank"
    left, top, right, bottom = box
    image.crop((max(left - margin, 0), max(top - margin, 0), min(right + margin, image.width),
                min(bottom + margin, image.height))).save(path, optimize=True)
    _few_colours(path)


def _soffice_png(work: Path, name: str) -> None:
    """LibreOffice draws the first page of ``work/name`` as a PNG beside it."""
    soffice = shutil.which("soffice")
    assert soffice is not None, "LibreOffice (soffice) is needed"
    subprocess.run(
        [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
         "--norestore", "--convert-to", "png", "--outdir", str(work), str(work / name)],
        check=True, capture_output=True, timeout=180)


def tracker_picture(target: Path) -> None:
    """The tracker drawn by LibreOffice, on an A2 page so no column is shrunk or cut."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        book = openpyxl.load_workbook(EXAMPLES / "lcspr-tracker.xlsx")
        sheet = book.active
        assert sheet is not None
        sheet.page_setup.paperSize = 66  # A2, landscape: the whole table at 90%
        sheet.page_setup.scale = 90
        sheet.sheet_properties.pageSetUpPr.fitToPage = False
        book.save(work / "lcspr-tracker.xlsx")
        _soffice_png(work, "lcspr-tracker.xlsx")
        shutil.copy(work / "lcspr-tracker.png", target)
    _cropped(target)


#: The Actions sheet's columns partner-workbook.md says the picture leaves out.
WORKBOOK_HIDDEN = ("Review", "Recommendations", "Recommendation", "Lead agency", "Deliverable",
                   "Success measure")
#: Empty rows for new actions left in the picture below the plan's actions.
WORKBOOK_EMPTY_ROWS = 3
#: The height of a line of text in a row, in points, as the export sets it.
WORKBOOK_LINE_POINTS = 15


def _lines(sheet: Worksheet, row: int, shown: list[tuple[int, float]]) -> int:
    """Lines the tallest wrapped cell of ``row`` needs, as the export counts them."""
    most = 1
    for column, width in shown:
        cell = sheet.cell(row, column)
        if isinstance(cell.value, str) and cell.alignment.wrap_text:
            most = max(most, sum(len(line) // int(width) + 1 for line in cell.value.split("\n")))
    return most


def workbook_picture(target: Path) -> None:
    """The Actions sheet of the demo plan's partner workbook, drawn by LibreOffice."""
    runner = CliRunner()
    start = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.chdir(work)
        try:
            _run(runner, "demo")
            _run(runner, "export partner.xlsx")
        finally:
            os.chdir(start)
        book = openpyxl.load_workbook(work / "partner.xlsx")
        sheet = book["Actions"]
        for other in book.worksheets:
            if other is not sheet and other.sheet_state == "visible":
                other.sheet_state = "hidden"
        book.active = sheet
        headings = [cell.value for cell in sheet[1]]
        shown = []
        for column, heading in enumerate(headings, start=1):
            letter = get_column_letter(column)
            if heading in WORKBOOK_HIDDEN:
                sheet.column_dimensions[letter].hidden = True
            else:
                shown.append((column, sheet.column_dimensions[letter].width))
        actions = sum(1 for (value,) in sheet.iter_rows(min_row=2, max_col=1, values_only=True)
                      if value)
        # The export sizes each row for its tallest wrapped cell in any column; sized
        # by the same rule for the columns shown, the rows are not left half empty.
        for row in range(1, 2 + actions):
            sheet.row_dimensions[row].height = WORKBOOK_LINE_POINTS * _lines(sheet, row, shown)
        last = get_column_letter(len(headings))
        sheet.print_area = f"A1:{last}{1 + actions + WORKBOOK_EMPTY_ROWS}"
        sheet.print_options.gridLines = True  # the cell grid a spreadsheet program shows
        sheet.page_margins.left = sheet.page_margins.right = 0.25
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = 66  # A2, like the tracker
        sheet.page_setup.scale = 80  # the export does not fit to page; 80% fits every column
        book.save(work / "partner.xlsx")
        _soffice_png(work, "partner.xlsx")
        shutil.copy(work / "partner.png", target)
    _cropped(target)


def _run(runner: CliRunner, command: str) -> str:
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": MANAGER, "ACTIONTRACK_STORE": None}
    result = runner.invoke(cli, shlex.split(command), env=env)
    assert result.exit_code == 0, (command, result.output)
    return result.output


def plan_picture(target: Path) -> None:
    """The terminal after adopting the example tracker and listing the review's actions."""
    console = Console(record=True, width=140, file=open(os.devnull, "w"))  # noqa: SIM115
    runner = CliRunner()
    start = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            for name in ("lcspr-tracker.xlsx", "lcspr-map.toml"):
                shutil.copy(EXAMPLES / name, folder)
            for command in SET_UP:
                _run(runner, command)
            for command in SHOWN:
                console.print(Text("$ actiontrack " + command, style="bold"))
                for line in _run(runner, command).splitlines():
                    text = Text(line)
                    if match := _LIST_ROW.match(line):
                        text.stylize(RAG_STYLES[match.group(2)], match.end(1), match.end(2))
                    console.print(text, overflow="ignore", crop=False)
                console.print()
        finally:
            os.chdir(start)
    svg = console.export_svg(title="actiontrack adopt")
    # rich asks for Fira Code, which is rarely installed; DejaVu Sans Mono is everywhere.
    svg = svg.replace("font-family: Fira Code, monospace", "font-family: DejaVu Sans Mono")
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(target), scale=1.25)
    _few_colours(target)


def _few_colours(path: Path) -> None:
    """The same picture in at most 64 colours: a third of the size, no visible change."""
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


#: Each picture by its file name in docs/images.
PICTURES = {
    "adopt-tracker.png": tracker_picture,
    "adopt-plan.png": plan_picture,
    "partner-workbook.png": workbook_picture,
}


if __name__ == "__main__":
    names = sys.argv[1:] or list(PICTURES)
    unknown = [name for name in names if name not in PICTURES]
    if unknown:
        sys.exit(f"No picture {', '.join(unknown)}; the pictures: {', '.join(PICTURES)}")
    IMAGES.mkdir(exist_ok=True)
    for name in names:
        PICTURES[name](IMAGES / name)
        print(f"Wrote {IMAGES / name}")
