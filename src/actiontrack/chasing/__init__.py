"""Chasing owners: a reminder to each agency lead, with their own workbook attached.

:func:`chase_owners` works out who to remind and why (the domain's
:mod:`~actiontrack.domain.chasing`), writes each message
(:mod:`.messages`), hands it to an :class:`Outbox` or an
:class:`SmtpServer` (:mod:`.delivery`) and keeps it in the store as a
:class:`~actiontrack.domain.models.Chase`. ``[chase]`` in the configuration
says what to chase for and who the messages are from (:mod:`.config`).

This package loads its parts on first use: the configuration is read by
every command, the mail and workbook code only by ``chase``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actiontrack.chasing.config import ChaseSettings
    from actiontrack.chasing.delivery import DeliveryError, Outbox, SmtpServer
    from actiontrack.chasing.run import AgencyOutcome, ChaseResult, Outcome, chase_owners

__all__ = ["AgencyOutcome", "ChaseResult", "ChaseSettings", "DeliveryError", "Outbox",
           "Outcome", "SmtpServer", "chase_owners"]

_WHERE = {
    "ChaseSettings": "config",
    "DeliveryError": "delivery", "Outbox": "delivery", "SmtpServer": "delivery",
    "AgencyOutcome": "run", "ChaseResult": "run", "Outcome": "run", "chase_owners": "run",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
