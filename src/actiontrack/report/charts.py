"""The charts of the committee paper: each impact measure's figures over time, as PNG.

Drawn by matplotlib's Agg canvas on a :class:`~matplotlib.figure.Figure`
made here (never pyplot), so no display is needed and no global state is
touched. The same measure always gives the same bytes: the PNG carries no
software version or time, and the fonts are matplotlib's own.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any, cast

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from actiontrack.formatting import figure as figure_text
from actiontrack.formatting import long_date
from actiontrack.report.content import MeasureLine

__all__ = ["CHART_DPI", "CHART_SIZE_INCHES", "measure_chart", "measure_chart_caption"]

#: The chart's size on the page (width, height) and its resolution.
CHART_SIZE_INCHES = (6.0, 2.4)
CHART_DPI = 110
#: No "Software" text in the PNG: the bytes must not change with matplotlib's version.
_PNG_METADATA: dict[str, str | None] = {"Software": None}
_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "font.size": 8.0,
    "svg.hashsalt": "actiontrack",
    "path.simplify": True,
    "date.epoch": "1970-01-01T00:00:00",  # what _day_number counts from
}
_EPOCH = date(1970, 1, 1).toordinal()
_FIGURES_COLOUR = "#2F5597"
_TARGET_COLOUR = "#548235"
_BASELINE_COLOUR = "#7F7F7F"


def measure_chart(measure: MeasureLine) -> bytes:
    """A PNG line chart of ``measure``: the baseline, each figure since, and the target.

    The baseline and the figures are joined by a line (the path actually
    taken); the target is a dashed line across the chart, ending in a
    marker on the day it should be met.
    """
    with rc_context(cast(Any, _RC)):  # for this chart alone; the caller's rc is kept
        # Fixed margins: a layout engine would draw every chart twice to place them.
        chart = Figure(figsize=CHART_SIZE_INCHES, dpi=CHART_DPI)
        chart.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.13)
        FigureCanvasAgg(chart)
        axes = chart.add_subplot()
        days = [_day_number(measure.baseline_on),
                *(_day_number(point.on) for point in measure.figures)]
        values = [measure.baseline, *(point.value for point in measure.figures)]
        axes.plot(days, values, marker="o", markersize=4, color=_FIGURES_COLOUR,
                  linewidth=1.8, label="Measured (first point: baseline)")
        axes.plot([days[0]], [measure.baseline], marker="s", markersize=6, linestyle="none",
                  color=_BASELINE_COLOUR, label="Baseline")
        axes.axhline(measure.target, color=_TARGET_COLOUR, linestyle="--", linewidth=1.2,
                     label=f"Target {figure_text(measure.target, measure.unit)}")
        axes.plot([_day_number(measure.target_on)], [measure.target], marker="*", markersize=9,
                  linestyle="none", color=_TARGET_COLOUR)
        locator = AutoDateLocator(minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(
            ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        axes.set_ylabel(measure.unit)
        axes.set_title(measure.name, loc="left", fontsize=9)
        axes.grid(axis="y", color="#D9D9D9", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.legend(loc="upper left", fontsize=7, frameon=False)  # "best" costs a search per chart
        buffer = io.BytesIO()
        chart.savefig(buffer, format="png", metadata=_PNG_METADATA)
    return buffer.getvalue()


def _day_number(day: date) -> float:
    """A day as matplotlib's date axis counts it (days since its epoch, set in ``_RC``)."""
    return float(day.toordinal() - _EPOCH)


def measure_chart_caption(measure: MeasureLine) -> str:
    """The words under a measure's chart, for a reader who cannot see it."""
    return (f"{measure.name}: baseline {figure_text(measure.baseline, measure.unit)} on"
            f" {long_date(measure.baseline_on)}, target"
            f" {figure_text(measure.target, measure.unit)} by {long_date(measure.target_on)}"
            f" ({measure.want.value} is better), "
            + (f"{len(measure.figures)} figure{'s' if len(measure.figures) != 1 else ''}"
               " since." if measure.figures else "no figures since."))
