"""The committee paper: Word (built-in layout and a template), PDF, measures in every form."""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from actiontrack.cli import cli
from actiontrack.report.template import EXAMPLE_TEMPLATE
from excel.libreoffice import requires_libreoffice

NOW = "2026-11-26T09:00:00+00:00"
PAST = "2026-11-26"
REVIEWS = ["Child Alex", "Child Charlie", "National review", "Local thematic review"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _run(store: Path, *args: str,
         env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args],
                                env={"ACTIONTRACK_NOW": NOW, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no configuration file from the caller's folder
    store = tmp_path / "plan.json"
    code, _, err = _run(store, "demo")
    assert code == 0, err
    return store


@pytest.fixture
def paper(demo: Path, tmp_path: Path) -> Path:
    path = tmp_path / "paper.docx"
    code, out, err = _run(demo, "report", str(path), "--as-of", PAST,
                          "--meeting-date", "2026-12-10")
    assert code == 0, err
    assert "Word committee paper" in out
    return path


def _text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_paper_has_a_heading_1_per_part_and_a_heading_2_per_review(paper: Path) -> None:
    """Parts are Heading 1 and each review a Heading 2, so a table of contents finds them."""
    document = docx.Document(str(paper))
    headings = [(p.style.name, p.text) for p in document.paragraphs
                if p.style is not None and p.style.name.startswith("Heading")]
    ones = [text for style, text in headings if style == "Heading 1"]
    assert ones[:5] == ["Summary", "Recommendations to the committee", "Purpose", "Background",
                        "Progress by review"]
    assert {"Impact measures", "Themes across reviews", "Learning activities and their reach",
            "Recommendations not accepted or not implemented",
            "Appendix A: every action"} <= set(ones)
    twos = [text for style, text in headings if style == "Heading 2"]
    for review in REVIEWS:
        assert any(review in text for text in twos), review


def test_paper_opens_with_the_title_block_and_the_headline_in_words(paper: Path) -> None:
    """The title block names the partnership and the meeting date; the summary is in words."""
    text = _text(docx.Document(str(paper)))
    assert "Demoshire Safeguarding Children Partnership (illustrative data)" in text
    assert "Date of meeting: 10 December 2026" in text
    assert "Position as of: 26 November 2026" in text
    assert ("Of the 12 recommendations, 3 are implemented and 2 have not progressed;"
            " 1 was not accepted.") in text
    assert "The committee is asked to note" in text


def test_every_table_repeats_its_header_row(paper: Path) -> None:
    """Each table's first row is a w:tblHeader row, so a long table repeats it on each page."""
    document = docx.Document(str(paper))
    assert len(document.tables) >= 10
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.find(f"{W}trPr/{W}tblHeader") is not None
        assert all(row._tr.find(f"{W}trPr/{W}tblHeader") is None for row in table.rows[1:])
    appendix = document.tables[-1]
    assert [c.text for c in appendix.rows[0].cells][:2] == ["Action", "Title"]
    assert len(appendix.rows) == 1 + 10  # every action of the demo


def test_measures_have_charts_and_their_baselines_in_the_text(paper: Path) -> None:
    """Each of the three measures is charted as a picture and its baseline is written out."""
    document = docx.Document(str(paper))
    assert len(document.inline_shapes) == 3
    text = _text(document)
    assert "baseline 62% on 18 August 2025, target 85% by 29 July 2026" in text
    assert "30 days on 30 January 2026" in text  # A008, lower is better
    assert "worse than the figure before" in text  # A006 worsened
    media = [name for name in _parts(paper) if name.startswith("word/media/")]
    assert len(media) == 3
    assert all(name.endswith(".png") for name in media)


def test_footer_numbers_the_pages_with_a_page_field(paper: Path) -> None:
    """The footer holds PAGE and NUMPAGES fields."""
    footer = docx.Document(str(paper)).sections[0].footer._element
    instructions = [node.text.strip() for node in footer.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]


def test_paper_lists_not_implemented_recommendations_with_reasons(paper: Path) -> None:
    """A recommendation not accepted and one stalled on hold each come with their reason."""
    text = _text(docx.Document(str(paper)))
    assert "the partnership will contribute when asked" in text
    assert "On hold: Waiting for the national training package" in text


def test_paper_as_of_a_past_day_is_identical_after_later_edits(demo: Path,
                                                               tmp_path: Path) -> None:
    """Later changes to the store leave the paper as of a past day byte for byte the same."""
    first, second = tmp_path / "first.docx", tmp_path / "second.docx"
    assert _run(demo, "report", str(first), "--as-of", PAST)[0] == 0
    # Later, by the real clock: an update, a figure and a changed title.
    for change in (["add-update", "DEMO-SCP/A002", "Audit finished"],
                   ["record-measurement", "DEMO-SCP/A006/M1", "90"],
                   ["edit", "DEMO-SCP/A001", "--set", "title=Relaunched threshold document",
                    "--reason", "Reworded"]):
        code, _, err = _run(demo, *change, "--by", "Lead", env={"ACTIONTRACK_NOW": None})
        assert code == 0, err
    assert _run(demo, "report", str(second), "--as-of", PAST,
                env={"ACTIONTRACK_NOW": None})[0] == 0
    assert _parts(first) == _parts(second)
    assert first.read_bytes() == second.read_bytes()
    properties = docx.Document(str(first)).core_properties
    assert properties.created is not None
    assert properties.created.date().isoformat() == PAST
    assert properties.modified == properties.created


def test_template_is_filled_with_the_shipped_example(demo: Path, tmp_path: Path) -> None:
    """The example template fills: the partnership, a table row per action and the charts."""
    path = tmp_path / "filled.docx"
    code, _, err = _run(demo, "report", str(path), "--as-of", PAST, "--template",
                        str(EXAMPLE_TEMPLATE))
    assert code == 0, err
    document = docx.Document(str(path))
    text = _text(document)
    assert "{{" not in text
    assert "{%" not in text
    assert "Demoshire Safeguarding Children Partnership (illustrative data)" in text
    assert "Baseline 62% on 18 August 2025" in text
    assert len(document.inline_shapes) == 3
    appendix = document.tables[-1]
    assert len(appendix.rows) == 1 + 10
    assert appendix.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    again = tmp_path / "again.docx"
    assert _run(demo, "report", str(again), "--as-of", PAST, "--template",
                str(EXAMPLE_TEMPLATE))[0] == 0
    assert again.read_bytes() == path.read_bytes()


def test_docs_copy_of_the_template_is_the_shipped_one() -> None:
    """docs/examples/ holds the same template as the package."""
    copy = Path(__file__).parents[2] / "docs" / "examples" / "committee-paper-template.docx"
    assert copy.read_bytes() == EXAMPLE_TEMPLATE.read_bytes()


def test_template_that_is_not_a_word_file_is_a_clear_error(demo: Path, tmp_path: Path) -> None:
    """A template that is not a .docx gives one line naming it, exit 2, and no paper."""
    bad = tmp_path / "bad.docx"
    bad.write_text("not a document")
    code, _, err = _run(demo, "report", str(tmp_path / "p.docx"), "--template", str(bad))
    assert code == 2
    assert "bad.docx" in err
    assert "Traceback" not in err
    assert not (tmp_path / "p.docx").exists()


def test_template_is_refused_for_markdown(demo: Path, tmp_path: Path) -> None:
    """--template with a .md report is a usage error; nothing is written."""
    code, _, err = _run(demo, "report", str(tmp_path / "r.md"), "--template",
                        str(EXAMPLE_TEMPLATE))
    assert code == 2
    assert "template is for the paper" in err
    assert not (tmp_path / "r.md").exists()


def test_pdf_without_libreoffice_is_a_clear_message(demo: Path, tmp_path: Path) -> None:
    """With no soffice on PATH, the PDF is refused in one line, exit 2, no traceback."""
    empty = tmp_path / "no-programs"
    empty.mkdir()
    code, out, err = _run(demo, "report", str(tmp_path / "p.pdf"), env={"PATH": str(empty)})
    assert code == 2
    assert "LibreOffice (soffice) is not installed" in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "p.pdf").exists()


def test_command_line_help_loads_no_paper_libraries() -> None:
    """--help, show and list do not import python-docx, docxtpl or matplotlib."""
    import subprocess

    code = ("import sys; from actiontrack.cli import main; sys.argv=['actiontrack','--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('docx', 'docxtpl', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=os.environ)
    assert done.stdout.strip().endswith("[]")


@pytest.mark.slow
@requires_libreoffice
def test_pdf_reads_back_with_the_papers_text(paper: Path, demo: Path, tmp_path: Path) -> None:
    """report FILE.pdf goes through LibreOffice; the PDF's text holds headings and measures."""
    path = tmp_path / "paper.pdf"
    code, out, err = _run(demo, "report", str(path), "--as-of", PAST)
    assert code == 0, err
    assert "committee paper in PDF" in out
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 5
    assert "Recommendations to the committee" in " ".join(text.split())
    assert "Page 1 of" in reader.pages[0].extract_text()
    flat = " ".join(text.split())
    assert "Child Alex" in flat
    assert "Impact measures" in flat
    assert "baseline 62% on 18 August 2025" in flat


# Measures in the Markdown and the workbook


def test_markdown_shows_each_reviews_measures(demo: Path, tmp_path: Path) -> None:
    """The Markdown gives each review an Impact measures table with baselines and targets."""
    path = tmp_path / "r.md"
    assert _run(demo, "report", str(path), "--as-of", PAST)[0] == 0
    text = path.read_text()
    assert text.count("### Impact measures") == 4
    assert "| Referrals judged appropriate | DEMO-SCP/A001 | 62% on 18 August 2025 |" in text
    assert "No impact measures set yet." in text


def test_workbook_has_a_measures_sheet(demo: Path, tmp_path: Path) -> None:
    """The workbook has a Measures sheet, one row per measure, with real numbers and dates."""
    path = tmp_path / "r.xlsx"
    assert _run(demo, "report", str(path), "--as-of", PAST)[0] == 0
    sheet = load_workbook(path)["Measures"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Measure", "Action", "Name", "Unit", "Baseline")
    assert [row[0] for row in rows[1:]] == ["DEMO-SCP/A001/M1", "DEMO-SCP/A006/M1",
                                            "DEMO-SCP/A008/M1"]
    assert rows[1][4] == 62
    assert rows[1][12] == "yes"


# Personal data


def test_personal_data_in_the_plan_is_warned_of_for_every_form(demo: Path,
                                                               tmp_path: Path) -> None:
    """An NHS number typed in an update is named on stderr (masked) for .md and .docx alike."""
    code, _, err = _run(demo, "add-update", "DEMO-SCP/A002", "Seen with NHS no 943 476 5919",
                        "--by", "Lead", env={"ACTIONTRACK_NOW": None})
    assert code == 0, err
    for name in ("r.md", "p.docx"):
        code, _, err = _run(demo, "report", str(tmp_path / name), env={"ACTIONTRACK_NOW": None})
        assert code == 0
        assert "looks like personal data" in err
        assert "943 476 5919" not in err
        assert "NHS" in err
        assert (tmp_path / name).exists()


def test_no_warning_when_the_plan_holds_no_personal_data(demo: Path, tmp_path: Path) -> None:
    """The demo plan gives no personal-data warning."""
    code, _, err = _run(demo, "report", str(tmp_path / "p.docx"))
    assert code == 0
    assert err == ""


def test_soffice_lookup_uses_path() -> None:
    """The helper the PDF uses finds LibreOffice where the tests do (or both find none)."""
    from actiontrack.report.pdf import find_soffice

    assert (find_soffice() is None) == (shutil.which("soffice") is None
                                        and shutil.which("libreoffice") is None)
