"""The committee paper against python-docx and matplotlib driven by hand.

Target (issue 12): the paper <= 1.5x a hand-written loop that builds a
python-docx Document holding the same tables and the same charts.

- subject: what ``actiontrack report FILE.docx`` pays once it has the plan:
  :func:`build_report` over a fresh :class:`Plan` (so it also builds the
  plan's look-up index), a chart per impact measure, the paper laid out
  and saved (:func:`paper_bytes`, which also re-dates the zip's entries).
- baseline: handed every table's rows as ready-made text and every
  measure's series (days and values), it adds a heading and a table per
  part with ``add_table``/``add_row``/``cell.text``, draws each chart with
  matplotlib (a :class:`~matplotlib.figure.Figure` on the Agg canvas, the
  same size and resolution, default layout, baseline, figures and target) and adds it with
  ``add_picture``, then saves. No styles, header rows, fields, captions or
  sentences.

The plan's measures are whatever the generator gives it (about three
actions in ten have one); the benchmark uses them as they are.

Not collected by default (the file name does not start with ``test_``)::

    python -m pytest benchmarks/bench_paper.py -p no:cacheprovider
    ACTIONTRACK_PAPER_SIZE=partnership python -m pytest benchmarks/bench_paper.py

At national size (100,000 actions, some 30,000 charts) one round takes many
minutes, so few rounds are run; ``--benchmark-disable`` (the smoke run) and
``ACTIONTRACK_PAPER_SIZE=partnership`` use the partnership plan.
"""

from __future__ import annotations

import io
import os
from datetime import date
from typing import Any

import pytest
from docx import Document
from docx.shared import Cm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from actiontrack.domain.plan import Plan
from actiontrack.formatting import long_date
from actiontrack.report import PaperDetails, Report, build_report
from actiontrack.report.charts import CHART_DPI, CHART_SIZE_INCHES
from actiontrack.report.content import describe
from actiontrack.report.paper import paper_bytes
from test_audit import cached_plan, fresh

ROUNDS = 2
TARGET = 1.5
AS_OF = date(2026, 11, 26)
DETAILS = PaperDetails(meeting="Benchmark committee", author="Business unit")


@pytest.fixture(scope="module")
def plan(request: pytest.FixtureRequest) -> Plan:
    disabled = request.config.getoption("benchmark_disable", default=False)
    size = "partnership" if disabled else os.environ.get("ACTIONTRACK_PAPER_SIZE", "national")
    return cached_plan(size)


@pytest.fixture(scope="module")
def report(plan: Plan) -> Report:
    return build_report(fresh(plan), as_of=AS_OF, trend=())


def _subject(plan: Plan) -> bytes:
    return paper_bytes(build_report(fresh(plan), as_of=AS_OF, trend=()), DETAILS)


def _tables(report: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """The paper's tables as plain text rows: (heading, header, rows)."""
    tables = []
    for section in report.reviews:
        tables.append((section.title, ["No.", "Recommendation", "Response", "Status"],
                       [[r.number, r.text, describe(r.response), describe(r.status)]
                        for r in section.recommendations]))
        tables.append(("Actions", ["Action", "Title", "Lead agency", "Status", "RAG", "Target"],
                       [[a.id, a.title, a.lead_agency, describe(a.status), describe(a.rag),
                         long_date(a.target_date)] for a in section.actions]))
    tables.append(("Themes", ["Theme", "Reviews", "Recommendations", "Where"],
                   [[t.theme, str(t.review_count), str(t.recommendation_count), ""]
                    for t in report.themes]))
    tables.append(("Appendix", ["Action", "Title", "Reviews", "Lead agency", "Status", "RAG",
                                "Original target", "Current target", "Days overdue"],
                   [[a.id, a.title, ", ".join(a.review_references), a.lead_agency,
                     describe(a.status), describe(a.rag), long_date(a.original_target_date),
                     long_date(a.target_date), str(a.days_overdue or "")]
                    for a in report.actions]))
    return tables


def _series(report: Report) -> list[tuple[str, list[date], list[float], float]]:
    return [(m.name, [m.baseline_on, *(p.on for p in m.figures)],
             [m.baseline, *(p.value for p in m.figures)], m.target) for m in report.measures]


def _by_hand(tables: list[tuple[str, list[str], list[list[str]]]],
             series: list[tuple[str, list[date], list[float], float]]) -> bytes:
    document = Document()
    for heading, header, rows in tables:
        document.add_heading(heading, 2)
        grid = document.add_table(rows=1, cols=len(header))
        for cell, title in zip(grid.rows[0].cells, header, strict=True):
            cell.text = title
        for values in rows:
            for cell, value in zip(grid.add_row().cells, values, strict=True):
                cell.text = value
    for name, days, values, target in series:
        chart = Figure(figsize=CHART_SIZE_INCHES, dpi=CHART_DPI)
        FigureCanvasAgg(chart)
        axes = chart.add_subplot()
        axes.plot(days, values, marker="o")  # type: ignore[arg-type]
        axes.axhline(target, linestyle="--")
        axes.set_title(name)
        png = io.BytesIO()
        chart.savefig(png, format="png")
        document.add_heading(name, 2)
        document.add_picture(io.BytesIO(png.getvalue()), width=Cm(15.5))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.benchmark(group="paper")
def test_paper(benchmark: Any, plan: Plan, report: Report) -> None:
    """Subject: the committee paper of the whole plan."""
    benchmark.extra_info.update(role="subject", target=TARGET, measures=len(report.measures),
                                actions=len(report.actions))
    data = benchmark.pedantic(_subject, args=(plan,), rounds=ROUNDS, iterations=1)
    assert data[:2] == b"PK"


@pytest.mark.benchmark(group="paper")
def test_paper_by_hand(benchmark: Any, report: Report) -> None:
    """Baseline: the same tables and charts written with python-docx and matplotlib by hand."""
    benchmark.extra_info.update(role="baseline")
    tables, series = _tables(report), _series(report)
    data = benchmark.pedantic(_by_hand, args=(tables, series), rounds=ROUNDS, iterations=1)
    assert data[:2] == b"PK"
