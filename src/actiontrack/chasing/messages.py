"""One agency's reminder as an email: plain text and HTML, with its own workbook attached.

The words for each reason live here, beside the message; which actions
are listed and why is the domain's (:mod:`actiontrack.domain.chasing`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from actiontrack.domain.chasing import AgencyChase, ChaseItem, ChaseReason
from actiontrack.domain.models import Agency
from actiontrack.domain.plan import Plan
from actiontrack.formatting import long_date, plural

__all__ = ["POLICY", "WORKBOOK_TYPE", "asks", "attach", "compose", "file_stem", "message_text",
           "reasons_text", "workbook_name"]

#: Lines end in CRLF, as on the wire; headers are folded only past RFC 5322's hard limit
#: (the default 78 made Python fold a long subject before its first word).
POLICY = SMTP.clone(max_line_length=998)
WORKBOOK_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

#: What the owner is asked for, for each reason.
_ASKS = {
    ChaseReason.DUE_SOON: "an update on progress before the target date",
    ChaseReason.OVERDUE: "a new target date and the reason it moved (or, if it is done, the"
                         " evidence that it was)",
    ChaseReason.NO_RECENT_UPDATE: "a progress update",
    ChaseReason.NO_COMPLETION_EVIDENCE: "the evidence that it was done (a policy, a training"
                                        " record, an audit)",
    ChaseReason.HOLD_REVIEW_PASSED: "whether it resumes, or a new review date and the reason",
}


def _why(item: ChaseItem, reason: ChaseReason, today: date) -> str:
    action = item.action
    if reason == ChaseReason.DUE_SOON:
        days = (action.target_date - today).days
        return f"due on {long_date(action.target_date)} ({plural(days, 'day')} left)"
    if reason == ChaseReason.OVERDUE:
        days = (today - action.target_date).days
        return f"overdue: its target date was {long_date(action.target_date)}" \
               f" ({plural(days, 'day')} ago)"
    if reason == ChaseReason.NO_RECENT_UPDATE:
        if item.last_update_on is not None:
            return f"no update since {long_date(item.last_update_on)}"
        assert item.added_on is not None  # the domain lists it only when it knows a day
        return f"no update since it was added on {long_date(item.added_on)}"
    if reason == ChaseReason.NO_COMPLETION_EVIDENCE:
        return "marked completed with no completion evidence"
    assert action.hold_review_date is not None
    return f"on hold; its review date, {long_date(action.hold_review_date)}, has passed"


def reasons_text(item: ChaseItem, today: date) -> str:
    """Why an action is listed, in words (``"overdue: ...; no update since ..."``)."""
    return "; ".join(_why(item, reason, today) for reason in item.reasons)


def asks(item: ChaseItem) -> str:
    """What the owner is asked for about one action, each thing once."""
    return "; ".join(dict.fromkeys(_ASKS[reason] for reason in item.reasons))


def file_stem(agency: Agency) -> str:
    """The agency's id made safe as part of a file name on every file system."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", agency.id).strip("-.") or "agency"


def workbook_name(agency: Agency, today: date) -> str:
    """The attachment's file name."""
    return f"{file_stem(agency)} actions {today.isoformat()}.xlsx"


def _partnership_names(plan: Plan, chase: AgencyChase) -> str:
    ids = sorted({item.action.partnership_id for item in chase.items})
    return " and ".join(plan.partnerships[p].name if p in plan.partnerships else p for p in ids)


def _text(plan: Plan, chase: AgencyChase, today: date, attachment: str | None) -> str:
    lines = [
        f"Dear {chase.agency.name} lead,",
        "",
        f"As of {long_date(today)}, {plural(len(chase.items), 'action')} your agency leads"
        f" for {_partnership_names(plan, chase)} need something from you:",
        "",
    ]
    for item in chase.items:
        action = item.action
        lines += [
            f"{action.id}: {action.title}",
            f"    Target date: {long_date(action.target_date)}; status: {action.status.value}",
            f"    Why it is listed: {reasons_text(item, today)}",
            f"    Please send: {asks(item)}",
            "",
        ]
    if attachment:
        lines += [f"The attached workbook ({attachment}) holds every action your agency leads."
                  " Please fill in its white columns and send it back by replying to this"
                  " message.", ""]
    lines += ["Thank you.", ""]
    return "\n".join(lines)


def _html(plan: Plan, chase: AgencyChase, today: date, attachment: str | None) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(item.action.id)}</td><td>{e(item.action.title)}</td>"
        f"<td>{e(long_date(item.action.target_date))}</td>"
        f"<td>{e(reasons_text(item, today))}</td><td>{e(asks(item))}</td></tr>"
        for item in chase.items
    )
    returned = (f"<p>The attached workbook ({e(attachment)}) holds every action your agency"
                " leads. Please fill in its white columns and send it back by replying to this"
                " message.</p>") if attachment else ""
    return (
        "<!DOCTYPE html><html><body>"
        f"<p>Dear {e(chase.agency.name)} lead,</p>"
        f"<p>As of {e(long_date(today))}, {e(plural(len(chase.items), 'action'))} your agency"
        f" leads for {e(_partnership_names(plan, chase))} need something from you:</p>"
        '<table border="1" cellpadding="4" cellspacing="0">'
        "<thead><tr><th>Action</th><th>Title</th><th>Target date</th>"
        "<th>Why it is listed</th><th>Please send</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{returned}<p>Thank you.</p></body></html>"
    )


def compose(
    plan: Plan,
    chase: AgencyChase,
    *,
    today: date,
    at: datetime,
    sender: str | None,
    reply_to: str | None,
    attachment: str | None,
    draft: bool,
) -> EmailMessage:
    """The reminder to ``chase.agency``'s lead, telling of the workbook named ``attachment``.

    The workbook itself is added by :func:`attach`, once the message's text
    has passed the personal-data guard. A ``draft`` (for an outbox) is marked
    ``X-Unsent: 1``: Outlook opens it ready to send from the user's own mailbox.
    """
    assert chase.agency.email is not None
    message = EmailMessage(policy=POLICY)
    need = "needs" if len(chase.items) == 1 else "need"
    message["Subject"] = (f"Safeguarding actions: {plural(len(chase.items), 'action')} {need}"
                          f" your reply ({long_date(today)})")
    # An Address quotes a name with commas or brackets, so it stays one recipient.
    message["To"] = Address(display_name=" ".join(chase.agency.name.split()),
                            addr_spec=chase.agency.email)
    if sender:
        message["From"] = sender
    if reply_to or sender:
        message["Reply-To"] = reply_to or sender
    message["Date"] = format_datetime(at)
    domain = parseaddr(sender)[1].rpartition("@")[2] if sender else ""
    message["Message-ID"] = make_msgid(domain=domain or "actiontrack.invalid")
    if draft:
        message["X-Unsent"] = "1"
    message.set_content(_text(plan, chase, today, attachment))
    message.add_alternative(_html(plan, chase, today, attachment), subtype="html")
    return message


def attach(message: EmailMessage, name: str, workbook: bytes) -> None:
    """Add the agency's workbook to its message."""
    message.add_attachment(workbook, *WORKBOOK_TYPE, filename=name)


def message_text(message: EmailMessage) -> Sequence[str]:
    """Every text a message carries in words: its subject and its plain-text body."""
    body = message.get_body(("plain",))
    return [str(message["Subject"]), body.get_content() if body is not None else ""]
