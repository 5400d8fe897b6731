"""Re-save workbooks through a real LibreOffice, as a partner lead would.

The import must accept what LibreOffice writes back, not only what openpyxl
wrote, so the round-trip tests convert an export with ``soffice --headless``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

requires_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)

RESAVE_TIMEOUT_SECONDS = 180
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"


def resave(source: Path, out_dir: Path) -> Path:
    """Open ``source`` in headless LibreOffice, save it as xlsx into ``out_dir``.

    Returns the re-saved file, ``out_dir / source.name``. ``out_dir`` must not be
    ``source``'s own directory (LibreOffice would overwrite the original). A
    private user profile under ``out_dir`` keeps parallel runs (and a desktop
    LibreOffice that may be open) from clashing over the profile lock.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    source = source.resolve()
    out_dir = out_dir.resolve()
    if out_dir == source.parent:
        raise ValueError(f"out_dir must differ from the source's directory: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / ".libreoffice-profile"
    target = out_dir / source.name
    target.unlink(missing_ok=True)
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        XLSX_FILTER,
        "--outdir",
        str(out_dir),
        str(source),
    ]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RESAVE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(
            f"LibreOffice did not re-save {source} within {RESAVE_TIMEOUT_SECONDS} s\n"
            f"stdout: {error.stdout!r}\nstderr: {error.stderr!r}"
        ) from error
    # soffice exits 0 even when the conversion fails, so check for the file too.
    if completed.returncode != 0 or not target.is_file():
        raise RuntimeError(
            f"LibreOffice failed to re-save {source} as {target} "
            f"(exit code {completed.returncode})\n"
            f"command: {shlex.join(command)}\n"
            f"stdout: {completed.stdout}\nstderr: {completed.stderr}"
        )
    return target


def set_cells(path: Path, sheet: str, values: dict[str, object]) -> None:
    """Set cells by reference (``{"K5": "completed"}``) and save ``path`` in place."""
    workbook = openpyxl.load_workbook(path)
    try:
        worksheet = workbook[sheet]
        for reference, value in values.items():
            worksheet[reference] = value  # type: ignore[assignment]
        workbook.save(path)
    finally:
        workbook.close()
