"""Draw docs/images/adopt-tracker.png and adopt-plan.png, the pictures in docs/adopt.md.

- ``adopt-tracker.png``: the example tracker (lcspr-tracker.xlsx) as a person
  sees it, drawn by LibreOffice itself (``soffice --headless --convert-to png``)
  from a copy whose page is made big enough to print every column at full size.
- ``adopt-plan.png``: the terminal after the page's own commands (the plan set
  up, ``actiontrack adopt ... --map lcspr-map.toml``, then ``actiontrack list
  --review NSCP/CSPR-SAM``), run for real with the docs' clock, recorded by rich
  as SVG and drawn with cairosvg. The RAG words are coloured as ``list``
  colours them in a terminal.

Needs LibreOffice (``soffice``) and, besides the project, ``pip install pillow
cairosvg`` (neither is a dependency of actiontrack)::

    python docs/examples/make_pictures.py
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import cairosvg
import openpyxl
from click.testing import CliRunner
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
        soffice = shutil.which("soffice")
        assert soffice is not None, "LibreOffice (soffice) is needed"
        subprocess.run(
            [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
             "--norestore", "--convert-to", "png", "--outdir", str(work),
             str(work / "lcspr-tracker.xlsx")],
            check=True, capture_output=True, timeout=180)
        shutil.copy(work / "lcspr-tracker.png", target)
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


if __name__ == "__main__":
    IMAGES.mkdir(exist_ok=True)
    tracker_picture(IMAGES / "adopt-tracker.png")
    plan_picture(IMAGES / "adopt-plan.png")
    print(f"Wrote {IMAGES / 'adopt-tracker.png'} and {IMAGES / 'adopt-plan.png'}")
