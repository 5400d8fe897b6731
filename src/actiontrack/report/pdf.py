"""The committee paper as PDF: the Word paper converted by LibreOffice, headless.

LibreOffice is a program on the machine, not a Python package:
``soffice --headless --convert-to pdf`` runs in a temporary folder with a
user profile of its own (so a LibreOffice the user has open, or another
conversion running, does not get in the way), and is stopped after
:data:`TIMEOUT_SECONDS`. Where it is not installed, :class:`PdfError` says
so in one line and nothing is written.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from actiontrack.errors import ActiontrackError

__all__ = ["TIMEOUT_SECONDS", "PdfError", "convert_to_pdf", "find_soffice"]

#: How long one conversion may take before it is stopped.
TIMEOUT_SECONDS = 300


class PdfError(ActiontrackError, RuntimeError):
    """The paper could not be made into PDF: LibreOffice is missing, failed or took too long."""


def find_soffice() -> str | None:
    """LibreOffice's ``soffice`` on ``PATH`` (or ``libreoffice``), or ``None``."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(docx: bytes, pdf: Path, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Write ``docx`` (the bytes of a Word file) as PDF to ``pdf``, replacing any file there.

    Raises :class:`PdfError` where LibreOffice is not installed, fails or
    runs past ``timeout`` seconds; ``pdf`` is then left as it was.
    """
    soffice = find_soffice()
    if soffice is None:
        raise PdfError(
            "cannot write a PDF: LibreOffice (soffice) is not installed or not on PATH."
            " Install it (on Debian or Ubuntu: apt-get install libreoffice-writer-nogui),"
            " or write the paper as .docx and save it as PDF from Word.")
    with tempfile.TemporaryDirectory(prefix="actiontrack-pdf-") as folder:
        work = Path(folder)
        source = work / "paper.docx"
        source.write_bytes(docx)
        profile = work / "profile"
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export",
                   "--outdir", str(work / "out"), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PdfError(f"cannot write a PDF: LibreOffice did not finish within"
                           f" {timeout:g} seconds") from None
        except OSError as exc:
            raise PdfError(f"cannot write a PDF: LibreOffice would not start ({exc})") from None
        made = work / "out" / "paper.pdf"
        # soffice can exit 0 without converting: the file is the proof.
        if done.returncode != 0 or not made.is_file():
            said = (done.stderr or done.stdout).strip().splitlines()
            raise PdfError("cannot write a PDF: LibreOffice did not convert the paper"
                           f" (exit code {done.returncode}"
                           + (f": {said[-1]}" if said else "") + ")")
        shutil.move(made, pdf)
