"""A chase from start to end: who to remind, the checks, the messages, and what is kept."""

from __future__ import annotations

import enum
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import attrs

from actiontrack import service
from actiontrack.chasing.config import ChaseSettings
from actiontrack.chasing.delivery import DeliveryError, Postbox, RecipientRefused
from actiontrack.chasing.messages import (
    attach,
    compose,
    file_stem,
    message_text,
    workbook_name,
)
from actiontrack.domain.chasing import AgencyChase, ChaseItem, chase_list, chased_already
from actiontrack.domain.clocks import local_date
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import ActiontrackError, NotFoundError
from actiontrack.personal_data import find_personal_data
from actiontrack.store.protocol import Store

__all__ = ["AgencyOutcome", "ChaseResult", "Outcome", "chase_owners"]

#: Called after each agency with (what is being done, how many done, out of how many).
Progress = Callable[[str, int, int], None]


class Outcome(enum.StrEnum):
    """What became of one agency's reminder."""

    SENT = "sent"  # handed to the mail server, and kept
    WRITTEN = "written"  # written to the outbox for someone to send, and kept
    WOULD_SEND = "would send"  # a dry run: nothing sent, nothing kept
    CHASED_TODAY = "chased today"  # today's reminder already listed all of it (--again)
    NO_CONTACT = "no contact"  # the agency has no email address: a problem
    HELD = "held"  # its text would carry personal data: a problem
    NOT_SENT = "not sent"  # the postbox failed before its turn: a problem
    REFUSED = "refused"  # the mail server would not take its address: a problem


#: The outcomes that make a chase end with exit code 1.
PROBLEMS = frozenset({Outcome.NO_CONTACT, Outcome.HELD, Outcome.NOT_SENT, Outcome.REFUSED})


@attrs.frozen(kw_only=True)
class AgencyOutcome:
    """One agency: to whom, about what, what became of it, and why (or the chase's id)."""

    agency_id: str
    agency_name: str
    to: str | None
    items: tuple[ChaseItem, ...]
    outcome: Outcome
    detail: str = ""

    @property
    def action_ids(self) -> tuple[str, ...]:
        return tuple(item.action.id for item in self.items)


@attrs.frozen(kw_only=True)
class ChaseResult:
    """Every agency with something to chase, and what stopped the postbox, if anything."""

    today: date
    where: str | None
    outcomes: tuple[AgencyOutcome, ...]
    failure: str | None = None

    @property
    def problems(self) -> tuple[AgencyOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome in PROBLEMS)

    @property
    def exit_code(self) -> int:
        return 1 if self.problems or self.failure else 0


def _guard(message_texts: list[str]) -> str:
    """What personal data a message would carry, masked; empty when none."""
    found = [f"{kind} ({hint})" for text in message_texts
             for kind, hint in find_personal_data(text)]
    return ", ".join(dict.fromkeys(found))


def _workbook(store: Store, chase: AgencyChase, *, settings: ChaseSettings, rag: RagPolicy,
              by: str, at: datetime) -> bytes:
    """The agency's own workbook, as ``export --agency`` writes it."""
    from actiontrack.excel import export_workbook  # openpyxl only when a message is made

    with tempfile.TemporaryDirectory(prefix="actiontrack-chase-") as folder:
        path = Path(folder) / "workbook.xlsx"
        export_workbook(store, path, by=by, at=at, agency=chase.agency.id,
                        return_to=settings.reply_to or settings.sender, policy=rag)
        return path.read_bytes()


def chase_owners(
    store: Store,
    postbox: Postbox | None,
    *,
    settings: ChaseSettings,
    rag: RagPolicy,
    today: date,
    by: str,
    at: datetime,
    agency: str | None = None,
    again: bool = False,
    progress: Progress | None = None,
) -> ChaseResult:
    """Remind each agency lead, through ``postbox``, of the actions that need them.

    ``today`` is the day the reasons are judged on; ``at`` when the messages
    go (a chase is kept as sent on its day). ``postbox`` ``None`` is a dry
    run: every check is made, nothing is sent or kept. Each message sent is
    kept at once, so a postbox failing part way keeps what went and nothing
    else; the agencies not reached are ``NOT_SENT`` and ``failure`` says why.
    An agency chased today for every action it would be chased for now is
    left alone unless ``again``.
    """
    plan = store.snapshot()
    if agency is not None and agency not in plan.agencies:
        raise NotFoundError("agency", agency)
    created_on = {key: local_date(moment) for key, moment in store.created("actions").items()}
    chases = chase_list(plan, today=today, policy=settings, created_on=created_on,
                        agency_id=agency)
    sent_on = local_date(at)
    draft = postbox.drafts if postbox is not None else False
    outcomes: dict[str, AgencyOutcome] = {}
    ready: list[tuple[AgencyChase, EmailMessage]] = []
    for chase in chases:
        def outcome(kind: Outcome, detail: str = "", chase: AgencyChase = chase) -> None:
            outcomes[chase.agency.id] = AgencyOutcome(
                agency_id=chase.agency.id, agency_name=chase.agency.name, to=chase.agency.email,
                items=chase.items, outcome=kind, detail=detail)

        if not chase.agency.email:
            outcome(Outcome.NO_CONTACT, f"add its lead's address: actiontrack edit"
                    f" {chase.agency.id} --set email=ADDRESS --reason TEXT")
            continue
        if not again and chased_already(plan, chase.agency.id, sent_on, chase.action_ids):
            outcome(Outcome.CHASED_TODAY, "--again sends it once more")
            continue
        message = compose(plan, chase, today=today, at=at, sender=settings.sender,
                          reply_to=settings.reply_to,
                          attachment=workbook_name(chase.agency, today), draft=draft)
        found = _guard(list(message_text(message)))
        if found:
            outcome(Outcome.HELD, f"its text would carry {found}: correct the action's"
                    " record (actiontrack edit ID --set FIELD=VALUE --reason TEXT)")
            continue
        outcome(Outcome.WOULD_SEND)
        ready.append((chase, message))
    failure = None
    if postbox is not None and ready:
        failure = _deliver(store, postbox, ready, outcomes, settings=settings, rag=rag,
                           today=today, by=by, at=at, progress=progress)
    return ChaseResult(today=today, where=postbox.where if postbox is not None else None,
                       outcomes=tuple(outcomes[key] for key in sorted(outcomes)),
                       failure=failure)


def _deliver(store: Store, postbox: Postbox,
             ready: list[tuple[AgencyChase, EmailMessage]], outcomes: dict[str, AgencyOutcome], *,
             settings: ChaseSettings, rag: RagPolicy, today: date, by: str, at: datetime,
             progress: Progress | None) -> str | None:
    """Hand each ready message over and keep it; return what stopped the postbox, if it did."""
    done_as = Outcome.WRITTEN if postbox.drafts else Outcome.SENT
    for chase, _ in ready:
        outcomes[chase.agency.id] = attrs.evolve(outcomes[chase.agency.id],
                                                 outcome=Outcome.NOT_SENT)
    try:
        with postbox:
            for number, (chase, message) in enumerate(ready, start=1):
                assert chase.agency.email
                attach(message, workbook_name(chase.agency, today), _workbook(
                    store, chase, settings=settings, rag=rag, by=by, at=at))
                try:
                    postbox.send(message, chase.agency.email,
                                 f"{local_date(at).isoformat()} {file_stem(chase.agency)}")
                except RecipientRefused as exc:  # this agency's address: the others still go
                    outcomes[chase.agency.id] = attrs.evolve(
                        outcomes[chase.agency.id], outcome=Outcome.REFUSED,
                        detail=f"{exc}; check the agency's email address")
                    continue
                try:
                    record = service.record_chase(
                        store, chase.agency.id, chase.action_ids, sent_to=chase.agency.email,
                        message_id=str(message["Message-ID"]), by=by, at=at)
                except ActiontrackError as exc:  # a store that cannot take it: say so, stop
                    outcomes[chase.agency.id] = attrs.evolve(
                        outcomes[chase.agency.id], outcome=done_as, detail="not kept")
                    return (f"the reminder to {chase.agency.id} went to {postbox.where} but"
                            f" could not be kept in the store: {exc}")
                outcomes[chase.agency.id] = attrs.evolve(
                    outcomes[chase.agency.id], outcome=done_as, detail=record.id)
                if progress is not None:
                    progress("Chasing", number, len(ready))
    except (DeliveryError, OSError) as exc:  # OSError: the workbook's temporary folder
        return str(exc)
    return None
