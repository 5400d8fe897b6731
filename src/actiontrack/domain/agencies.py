"""Which agency a person means by what they wrote: its id, name, a former name or an alias.

::

    names = AgencyNames(plan.agencies.values())
    names.match("Children's Social Care")  # the agency with that alias, or None
    names.closest("Childrens Socail Care")   # the agencies it most looks like

Names are compared ignoring case, spacing and punctuation ("C.S.C." is
"csc"). An agency is never guessed: a name that is not one of an agency's
is no match, and :meth:`AgencyNames.closest` only suggests.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from actiontrack.domain.models import Agency

__all__ = ["AgencyNames", "name_key"]

_NOT_LETTERS = re.compile(r"[\W_]+")


def name_key(text: str) -> str:
    """A name as names are compared: lower case, letters and digits only."""
    return _NOT_LETTERS.sub("", text.replace("&", "and")).casefold()


class AgencyNames:
    """Every name of every agency, to find the agency a written name means."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._by_key: dict[str, Agency] = {}
        #: Names that more than one agency has had: they say nothing on their own.
        self._shared: dict[str, list[Agency]] = {}
        for agency in agencies:
            for name in (agency.id, agency.name, *agency.former_names, *agency.aliases):
                key = name_key(name)
                found = self._by_key.setdefault(key, agency)
                if found.id != agency.id:
                    shared = self._shared.setdefault(key, [found])
                    if agency not in shared:
                        shared.append(agency)

    def match(self, text: str) -> Agency | None:
        """The agency ``text`` names, or ``None`` (also when it names several: see shared)."""
        key = name_key(text)
        return None if key in self._shared else self._by_key.get(key)

    def shared(self, text: str) -> list[Agency]:
        """The agencies that all have had the name ``text`` (none, or two or more)."""
        return list(self._shared.get(name_key(text), ()))

    def closest(self, text: str, count: int = 3) -> list[Agency]:
        """The agencies whose names look most like ``text``, best first (none alike: empty)."""
        keys = difflib.get_close_matches(name_key(text), self._by_key, n=count * 3, cutoff=0.5)
        found: list[Agency] = []
        for key in keys:
            if self._by_key[key] not in found:
                found.append(self._by_key[key])
        return found[:count]
