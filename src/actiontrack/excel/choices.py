"""The recommendation drop-down: what each entry says, and the recommendation it stands for.

An entry is the recommendation's number, an en dash and the opening words
of its text, such as ``R3``, the dash, then ``Professionals use the
escalation policy when they disagree…``. When the list holds more than one
review's recommendations, the review's reference comes first (``CSPR-ALEX
R3``). Every entry in a list is different: where two numbers would read
alike, the recommendation's id stands in for its number. Export writes each
entry beside its id on the Lists sheet; import maps a chosen entry back to
its id with :class:`RecommendationLookup`, which also knows the number alone
(``R3``, when it is unambiguous) and the ids themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from actiontrack.domain.models import Recommendation
from actiontrack.domain.plan import Plan
from actiontrack.excel.cells import sheet_text

__all__ = ["RecommendationLookup", "offered_recommendations", "recommendation_entries"]

#: Between an entry's number and its words: an en dash, which no id holds.
DASH = " \N{EN DASH} "
#: At most this many of the text's words, and characters, are shown.
OPENING_WORDS = 8
OPENING_CHARACTERS = 60

_PARTS = re.compile(r"[,;\n]+")


def offered_recommendations(plan: Plan, review: str | None = None) -> list[Recommendation]:
    """The recommendations a workbook's drop-down offers: the review's, or the whole plan's."""
    return [plan.recommendations[key] for key in sorted(plan.recommendations)
            if review is None or plan.recommendations[key].review_id == review]


def opening(text: str) -> str:
    words = sheet_text(text).split()
    opening = " ".join(words[:OPENING_WORDS])
    if len(opening) > OPENING_CHARACTERS:
        opening = opening[:OPENING_CHARACTERS].rsplit(" ", 1)[0] or opening[:OPENING_CHARACTERS]
    return opening + ("…" if opening != " ".join(words) else "")


def _number(recommendation: Recommendation) -> str:
    number = sheet_text(recommendation.number)
    return number if number[:1].isalpha() else f"R{number}"


def recommendation_entries(plan: Plan, recommendations: Sequence[Recommendation]
                           ) -> dict[str, str]:
    """Each recommendation's drop-down entry, mapped to its id, in the order given."""
    several = len({r.review_id for r in recommendations}) > 1

    def head(recommendation: Recommendation) -> str:
        if not several:
            return _number(recommendation)
        review = plan.reviews.get(recommendation.review_id)
        reference = sheet_text(review.reference) if review else recommendation.review_id
        return f"{reference} {_number(recommendation)}"

    heads = [head(r) for r in recommendations]
    alike = Counter(_key(h) for h in heads)
    entries: dict[str, str] = {}
    for recommendation, number in zip(recommendations, heads, strict=True):
        if alike[_key(number)] > 1 or not number.strip():
            number = recommendation.id
        words = opening(recommendation.text)
        entry = f"{number}{DASH}{words}" if words else number
        if entry in entries:  # only text that cleaning made alike; the id is unique
            entry = f"{recommendation.id}{DASH}{words}"
        entries[entry] = recommendation.id
    return entries


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class RecommendationLookup:
    """The recommendation ids a Recommendations cell names, by entry, number or id."""

    def __init__(self, ids: Iterable[str], *entry_maps: Mapping[str, str]) -> None:
        """``ids``: the plan's recommendation ids; ``entry_maps``: entry to id, first wins."""
        self._ids = set(ids)
        self._entries: dict[str, str] = {}
        numbers: dict[str, set[str]] = {}
        for entries in entry_maps:
            for entry, recommendation_id in entries.items():
                self._entries.setdefault(_key(entry), recommendation_id)
                number = entry.split(DASH, 1)[0]
                numbers.setdefault(_key(number), set()).add(recommendation_id)
        self._numbers = {number: next(iter(found)) for number, found in numbers.items()
                         if len(found) == 1}

    def _one(self, text: str) -> str | None:
        if text in self._ids:
            return text
        key = _key(text)
        return self._entries.get(key) or self._numbers.get(key)

    def ids(self, text: str) -> list[str]:
        """The ids ``text`` names: one entry, or ids, numbers or entries separated by commas.

        What is not recognised is given back as typed, for the plan's checks
        to name as unknown.
        """
        whole = self._one(text.strip())
        if whole is not None:
            return [whole]
        found: list[str] = []
        for part in filter(None, (part.strip() for part in _PARTS.split(text))):
            one = self._one(part)
            if one is not None:
                found.append(one)
            elif DASH.strip() in part:  # an entry no list has: name it as it was typed
                found.append(part)
            else:
                found.extend(self._one(word) or word for word in part.split())
        return list(dict.fromkeys(found))

    def outdated(self, text: str, plan: Plan) -> list[str]:
        """The recommendations a chosen entry names whose text no longer opens as it showed.

        An entry shows a recommendation's opening words when the workbook was
        exported; a recommendation withdrawn and added again under its number,
        or reworded since, no longer says what the partner chose.
        """
        _, dash, shown = text.strip().partition(DASH.strip())
        chosen = self._one(text.strip()) if dash else None
        recommendation = plan.recommendations.get(chosen or "")
        if recommendation is None or _key(shown.strip()) == _key(opening(recommendation.text)):
            return []
        return [recommendation.id]
