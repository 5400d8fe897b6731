"""What a measure's figures say: the latest, progress from baseline to target, met or not.

A :class:`Reading` is a measure with its measurements (oldest first), and
everything derived from them in one place, for the gate into ``embedded``,
the audit rules, the reports and ``show``:

- ``latest``: the last measurement (by date, then id), or none yet;
- ``progress``: how far the latest figure has come from the baseline
  towards the target, as a fraction (0 at the baseline, 1 at the target;
  below 0 when it went the wrong way, above 1 past the target);
- ``met``: the latest figure is at the target or better, which way is
  better being the measure's ``want``;
- ``worsened``: the latest figure is worse than the one before it (the
  baseline, for the first measurement).

A measure met on its latest figure is evidence of impact for the gate into
``embedded`` (:mod:`actiontrack.domain.lifecycle`), as an impact-tier
evidence item is; after a reopen, only a figure taken since counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from actiontrack.domain.models import Measure, Measurement, Want
from actiontrack.domain.plan import Plan

__all__ = ["Reading", "better", "read", "readings"]


def better(want: Want, value: float, than: float) -> bool:
    """Whether ``value`` is strictly better than ``than`` for a measure wanting ``want``."""
    return value > than if want == Want.HIGHER else value < than


@attrs.frozen
class Reading:
    """A measure and its figures, oldest first, with what they say."""

    measure: Measure
    figures: tuple[Measurement, ...]

    @property
    def latest(self) -> Measurement | None:
        return self.figures[-1] if self.figures else None

    @property
    def value(self) -> float:
        """The latest figure, or the baseline before any measurement."""
        return self.figures[-1].value if self.figures else self.measure.baseline

    @property
    def last_measured_on(self) -> date:
        """When the figure was last taken: the latest measurement's day, or the baseline's."""
        return self.figures[-1].on if self.figures else self.measure.baseline_on

    @property
    def progress(self) -> float | None:
        """From baseline (0) towards target (1); ``None`` before any measurement."""
        if not self.figures:
            return None
        span = self.measure.target - self.measure.baseline
        if span == 0:
            return 1.0 if self.met else 0.0
        return (self.value - self.measure.baseline) / span

    @property
    def met(self) -> bool:
        """Whether the latest figure is at the target or better."""
        return bool(self.figures) and not better(self.measure.want, self.measure.target,
                                                 self.value)

    def met_since(self, day: date) -> bool:
        """Met, on a figure taken on or after ``day`` (a reopen's day)."""
        latest = self.latest
        return self.met and latest is not None and latest.on >= day

    @property
    def previous(self) -> float:
        """The figure before the latest: the one before it, or the baseline."""
        return self.figures[-2].value if len(self.figures) > 1 else self.measure.baseline

    @property
    def worsened(self) -> bool:
        """Whether the latest figure is worse than the one before it."""
        return bool(self.figures) and better(self.measure.want, self.previous, self.value)


def read(measure: Measure, measurements: Iterable[Measurement]) -> Reading:
    """The measure's reading from its measurements (others are ignored)."""
    own = sorted((m for m in measurements if m.measure_id == measure.id),
                 key=lambda m: (m.on, m.id))
    return Reading(measure, tuple(own))


def readings(plan: Plan, action_id: str) -> list[Reading]:
    """The readings of an action's measures, in id order."""
    return [Reading(measure, tuple(plan.measurements_for(measure.id)))
            for measure in plan.measures_for(action_id)]
