"""The ratio table: each subject's median over its baseline's, from the same run.

A pair is a pytest-benchmark ``group``; within it one benchmark has
``extra_info["role"] == "baseline"`` and the others are subjects, whose
``extra_info["target"]`` is the highest ratio docs/performance.md allows.

``conftest.py`` prints the table at the end of every measuring session. The
same table can be made from a saved run::

    python -m pytest benchmarks --benchmark-json=run.json
    python benchmarks/ratios.py run.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Figure", "format_table", "from_json"]


@dataclass(frozen=True)
class Figure:
    """One benchmark's result, in seconds."""

    pair: str
    role: str  # "baseline" or "subject"
    name: str
    median: float
    minimum: float
    rounds: int
    target: float | None = None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def format_table(figures: Iterable[Figure]) -> list[str]:
    """Lines of a plain-text table, one per subject, grouped by pair."""
    by_pair: dict[str, list[Figure]] = {}
    for figure in figures:
        by_pair.setdefault(figure.pair, []).append(figure)
    header = (
        f"{'pair':<16} {'subject':<42} {'median':>11} {'baseline median':>16} "
        f"{'ratio':>7} {'ratio of mins':>13} {'target':>7}  verdict"
    )
    lines = [header, "-" * len(header)]
    for pair, members in by_pair.items():
        baselines = [f for f in members if f.role == "baseline"]
        subjects = [f for f in members if f.role != "baseline"]
        if len(baselines) != 1:
            lines.append(f"{pair:<16} (needs exactly one baseline, found {len(baselines)})")
            continue
        base = baselines[0]
        for subject in subjects:
            ratio = subject.median / base.median
            ratio_of_mins = subject.minimum / base.minimum
            if subject.target is None:
                target, verdict = "-", ""
            else:
                target = f"{subject.target:g}x"
                verdict = "MET" if ratio <= subject.target else "MISSED"
            lines.append(
                f"{pair:<16} {subject.name:<42} {_ms(subject.median):>11} "
                f"{_ms(base.median):>16} {ratio:>6.2f}x {ratio_of_mins:>12.2f}x "
                f"{target:>7}  {verdict}"
            )
        lines.append(f"{'':<16} baseline: {base.name} ({base.rounds} rounds; "
                     f"subjects {', '.join(str(s.rounds) for s in subjects)} rounds)")
    return lines


def from_json(path: str) -> list[Figure]:
    """The figures of a run saved with ``--benchmark-json``."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    return [
        Figure(
            pair=bench["group"] or bench["name"],
            role=bench["extra_info"].get("role", "subject"),
            name=bench["name"],
            median=bench["stats"]["median"],
            minimum=bench["stats"]["min"],
            rounds=bench["stats"]["rounds"],
            target=bench["extra_info"].get("target"),
        )
        for bench in data["benchmarks"]
    ]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/ratios.py RUN.json")
    print("\n".join(format_table(from_json(sys.argv[1]))))
