"""The ``actiontrack`` command.

``actiontrack [--store URL] COMMAND``; the store defaults to
``$ACTIONTRACK_STORE``, else ``./actiontrack.json``. Changes take
``--by NAME`` (default ``$ACTIONTRACK_USER``, else the login name).

Exit codes: 0 done; 1 refused by a rule or a conflict, or the store stayed
locked by another process (nothing written: try again); 2 bad usage or
unreadable input (unknown id, bad date, unreadable store).
Errors are one-line messages on standard error, never tracebacks; an
unexpected one also exits 2 (``$ACTIONTRACK_DEBUG=1`` shows its traceback).

``$ACTIONTRACK_NOW`` (an ISO 8601 moment with offset) stands in for the
clock, for scripted back-fills and reproducible examples.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import getpass
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import attrs
import click

from actiontrack import convert, service
from actiontrack.domain import impact
from actiontrack.domain.clocks import ENGLAND, end_of_day, local_date
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    AssuranceOutcome,
    Chase,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    LearningActivityKind,
    Measure,
    Measurement,
    PartnershipKind,
    ProgressUpdate,
    RecommendationScope,
    Response,
    ReviewKind,
    Want,
)
from actiontrack.domain.plan import RECORD_KINDS, RECORD_NOUNS, ChangeKind, Plan, Record, kind_of
from actiontrack.domain.rag import Rag, RagPolicy, rag
from actiontrack.errors import (
    ActiontrackError,
    AmbiguousIdError,
    ConfigError,
    ConflictError,
    ConversionError,
    OutsideEditError,
    RuleViolation,
    ScopeError,
    StoreLockedError,
    StoreMissingError,
)
from actiontrack.formatting import long_date, plural, reading_summary, safe_url
from actiontrack.settings import Settings, find_settings, load_settings
from actiontrack.store import Store, open_store

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from actiontrack.adopt import AdoptResult
    from actiontrack.chasing import ChaseResult
    from actiontrack.excel import Progress

__all__ = ["cli", "main"]

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_STORE = "actiontrack.json"
#: What ``audit --format`` writes (auditing/output.py's FORMATS; a test keeps them equal).
AUDIT_FORMATS = ["text", "json", "junit", "xlsx"]
#: The audit's severities, least serious first (auditing.Severity; a test keeps them equal).
SEVERITIES = ["info", "warning", "error"]
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

_RAG_STYLE = {Rag.RED: "red", Rag.AMBER: "yellow", Rag.GREEN: "green", Rag.BLUE: "blue",
              Rag.GREY: "bright_black"}


class _Date(click.ParamType[date]):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        try:
            return convert.structure(value, date)
        except ConversionError:
            self.fail(convert.impossible_day(value) or f"{value!r} is not a date as YYYY-MM-DD",
                      param, ctx)


DATE = _Date()


def _choice(enum_cls: type[Any]) -> click.Choice[str]:
    return click.Choice([member.value for member in enum_cls])


class _Context:
    """What every command shares: the store URL, opened on first use, and the clock."""

    def __init__(self, store_url: str, lock_timeout: float, agency: str | None) -> None:
        self.store_url = store_url
        self.lock_timeout = lock_timeout
        self.agency = agency
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, which must exist: only ``init`` and ``demo`` create one."""
        if self._store is None:
            try:
                self._store = open_store(self.store_url, lock_timeout=self.lock_timeout,
                                         agency=self.agency)
            except StoreMissingError as exc:
                _fail(f"{exc}; create one with `actiontrack init` (or try `actiontrack demo`),"
                      " or check --store and $ACTIONTRACK_STORE")
        return self._store

    def new_or_existing_store(self) -> Store:
        """The store, created if it does not exist yet (``demo``)."""
        if self._store is None:
            self._store = open_store(self.store_url, lock_timeout=self.lock_timeout,
                                     agency=self.agency, create=True)
        return self._store

    @staticmethod
    def now() -> datetime:
        override = os.environ.get("ACTIONTRACK_NOW")
        if not override:
            return datetime.now(UTC)
        try:
            return convert.structure(override, datetime, path="ACTIONTRACK_NOW")
        except ConversionError as exc:
            _fail(exc.problems[0] + ", e.g. 2026-03-31T09:00:00+00:00")

    def today(self) -> date:
        """Today in England, where partnerships keep their days."""
        return local_date(self.now())


def _console() -> Console:
    # A terminal gets its own width; a pipe or file gets lines long enough not
    # to break ids and titles mid-word.
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _table(title: str, *columns: str) -> Table:
    """A rich table with these columns, each folding long text rather than cutting it."""
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"actiontrack: {_without_passwords(message)}", err=True)
    sys.exit(code)


def _without_passwords(message: str) -> str:
    """``message`` with each URL given to this command shown without its password.

    A store's error messages may quote its URL as it was given; every error
    message passes through here on its way to the screen.
    """
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        for value in ctx.params.values():
            if isinstance(value, str) and (shown := safe_url(value)) != value:
                message = message.replace(value, shown)
        ctx = ctx.parent
    return message


def _reports_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn actiontrack's errors into a message and the documented exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except (RuleViolation, ConflictError, ScopeError, OutsideEditError) as exc:
            _fail(f"refused: {exc}", EXIT_REFUSED)
        except StoreLockedError as exc:
            _fail(f"nothing written: {exc}", EXIT_REFUSED)
        except AmbiguousIdError as exc:
            _fail(f"{exc.record_id!r} is the id of a "
                  + " and a ".join(RECORD_NOUNS[kind] for kind in exc.kinds)
                  + ": say which with --kind")
        except ActiontrackError as exc:
            _fail(str(exc))

    return run


pass_context = click.make_pass_decorator(_Context)


def _who(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value or not value.strip():
        raise click.BadParameter("say who is making the change (a name or a role)")
    return value.strip()


def _default_by() -> str:
    try:
        return os.environ.get("ACTIONTRACK_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name, as in some containers
        return ""  # _who then asks for --by


kind_option = click.option(
    "--kind", type=click.Choice(list(RECORD_KINDS)),
    help="Which kind of record, when two kinds share the id.")
expect_version_option = click.option(
    "--expect-version", "expected_version", type=click.IntRange(min=1),
    help="Refuse if the record is no longer at this version (someone else changed it).")

by_option = click.option(
    "--by", default=_default_by,
    callback=_who, show_default="$ACTIONTRACK_USER or your login name",
    help="Who is making the change.",
)

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, exists=True),
    help="The configuration file (default: actiontrack.toml, else pyproject.toml here).",
)


def _settings(config_path: str | None) -> Settings:
    """The settings in ``--config FILE``, else in the file found in the current folder."""
    return load_settings(Path(config_path) if config_path else find_settings(Path.cwd()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store", "store_url", envvar="ACTIONTRACK_STORE", default=DEFAULT_STORE,
    show_default=True, metavar="URL",
    help="The store: a .json file (TinyDB), sqlite:///FILE.db, postgresql://... or memory:."
    " Also $ACTIONTRACK_STORE.",
)
@click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
    envvar="ACTIONTRACK_LOCK_TIMEOUT", metavar="SECONDS",
    help="How long a change waits for another process's change to finish.",
)
@click.option(
    "--agency", envvar="ACTIONTRACK_AGENCY", metavar="ID",
    help="Work as this agency: read the whole plan, change only its actions (SQL stores).",
)
@click.version_option(package_name="actiontrack")
@click.pass_context
def cli(ctx: click.Context, store_url: str, lock_timeout: float, agency: str | None) -> None:
    """Track the learning from safeguarding case reviews until it changes practice."""
    ctx.obj = _Context(store_url, lock_timeout, agency)


#: The cycle collector's thresholds for a command (Python's defaults: 700, 10, 10).
_COLLECT_EVERY = (50_000, 20, 100)


def main() -> None:
    """Run the command; an unexpected error is one line, with the traceback on request.

    The process is the command's alone, so the cycle collector is tuned for
    it: a command builds a plan of many small records that all live until
    it ends, and the default thresholds walked them all again and again
    (about a third of loading a national plan). Collections still run,
    only less often.
    """
    gc.set_threshold(*_COLLECT_EVERY)
    try:
        cli(prog_name="actiontrack")
    except Exception as exc:
        if os.environ.get("ACTIONTRACK_DEBUG"):
            raise
        _fail(f"unexpected error ({type(exc).__name__}: {exc}); nothing more was done."
              " Set ACTIONTRACK_DEBUG=1 to see the traceback, and please report it")


# -- reading ---------------------------------------------------------------


@cli.command()
@pass_context
@_reports_errors
def demo(ctx: _Context) -> None:
    """Load the illustrative demo plan.

    Loading it again changes nothing. Prints a summary of the plan.
    """
    policy = _settings(None).rag  # a bad configuration is refused before anything is loaded
    from actiontrack.demo import load_demo

    result = load_demo(ctx.new_or_existing_store(), now=ctx.now())
    plan = result.plan
    today = ctx.today()
    if result.added:
        click.echo(f"Loaded {result.added} illustrative demo records into"
                   f" {safe_url(ctx.store_url)}.")
    else:
        click.echo(f"The demo is already in {safe_url(ctx.store_url)}; nothing changed.")
    _print_summary(plan, today, policy)


def _print_summary(plan: Plan, today: date, policy: RagPolicy) -> None:
    console = _console()
    counts = dict.fromkeys(Rag, 0)
    for action in plan.actions.values():
        counts[rag(action, today, policy)] += 1
    console.print(
        f"{len(plan.reviews)} reviews, {len(plan.recommendations)} recommendations,"
        f" {len(plan.actions)} actions, {len(plan.evidence)} evidence items,"
        f" {len(plan.measures)} impact measures, {len(plan.learning_activities)} learning"
        " activities."
    )
    console.print(
        "Actions by RAG on " + today.isoformat() + ": "
        + ", ".join(f"[{_RAG_STYLE[colour]}]{colour.value} {count}[/]"
                    for colour, count in counts.items() if count)
    )
    console.print("Try: actiontrack list --overdue")


@cli.command("list")
@click.option("--agency", help="Only actions led by this agency id.")
@click.option("--review", help="Only actions answering this review's recommendations.")
@click.option("--status", type=_choice(ActionStatus), help="Only actions in this status.")
@click.option("--overdue", is_flag=True, help="Only actions past their target date (red).")
@click.option("--as-of", "as_of", type=DATE,
              help="Show the plan as it stood at the end of this day (UK time).")
@click.option("--due-soon-days", type=int, metavar="N",
              show_default="the configuration's [rag] due_soon_days, else 28",
              help="Amber when the target is this many days away or fewer.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@config_option
@pass_context
@_reports_errors
def list_actions(ctx: _Context, agency: str | None, review: str | None, status: str | None,
                 overdue: bool, as_of: date | None, due_soon_days: int | None, output: str,
                 config_path: str | None) -> None:
    """List actions with their derived RAG."""
    policy = _settings(config_path).rag
    if due_soon_days is not None:
        try:  # checked by the policy itself, in the words a bad [rag] value gets
            policy = attrs.evolve(policy, due_soon_days=due_soon_days)
        except ConfigError as exc:
            _fail(f"--due-soon-days: {exc.problem}")
    listed = service.list_actions(
        ctx.store, today=ctx.today(), as_of=as_of, policy=policy, agency=agency, review=review,
        status=ActionStatus(status) if status else None, overdue=overdue)
    if output == "json":
        data = [dict(convert.unstructure(a), rag=c.value) for a, c in listed.rows]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    colour = sys.stdout.isatty()
    lines = _columns(
        ["id", "RAG", "status", "target", "agency", "title"],
        [[action.id, click.style(rag_colour.value, fg=_RAG_STYLE[rag_colour])
          if colour else rag_colour.value, action.status.value, action.target_date.isoformat(),
          action.lead_agency_id, action.title] for action, rag_colour in listed.rows])
    text = "\n".join([f"Actions on {listed.day.isoformat()}", *lines,
                      f"{len(listed.rows)} of {listed.of} actions"]) + "\n"
    if colour and len(lines) > shutil.get_terminal_size().lines:
        click.echo_via_pager(text, color=True)
    else:
        click.echo(text, nl=False, color=colour)


def _columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """Rows as lines of left-aligned columns under an underlined header; the last column
    (a title) is not padded, so long text runs on rather than being cut."""
    widths = [max([len(click.unstyle(row[i])) for row in rows] + [len(name)])
              for i, name in enumerate(header[:-1])]

    def line(cells: list[str]) -> str:
        padded = [cell + " " * (width - len(click.unstyle(cell)))
                  for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[-1]])

    return [line(header), line(["-" * width for width in widths] + ["-" * len(header[-1])]),
            *(line(row) for row in rows)]


@contextlib.contextmanager
def _writing(path: str) -> Iterator[None]:
    """A file that cannot be written is a one-line error (exit 2), not a traceback."""
    try:
        yield
    except ActiontrackError:
        raise  # a store error (an OSError too) keeps its own message and exit code
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror or exc}")


@cli.command()
@click.argument("record_id")
@kind_option
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@config_option
@pass_context
@_reports_errors
def show(ctx: _Context, record_id: str, kind: str | None, output: str,
         config_path: str | None) -> None:
    """Show one record and its history; an action with its RAG today."""
    policy = _settings(config_path).rag
    record = service.find_record(ctx.store, record_id, kind=kind)
    kind = kind_of(record)
    history = ctx.store.history(kind=kind, record_id=record_id)
    if output == "json":
        shown = convert.unstructure(record)
        data = {"kind": kind, "record": shown, "history": convert.unstructure(history)}
        if isinstance(record, Action):
            shown["rag"] = rag(record, ctx.today(), policy).value
            data["chases"] = convert.unstructure(ctx.store.find(Chase, action_ids=record_id))
            figures = ctx.store.find(Measurement, action_id=record_id)
            data["measures"] = [_reading_data(impact.read(measure, figures))
                                for measure in ctx.store.find(Measure, action_id=record_id)]
        if isinstance(record, Measure):
            data["reading"] = _reading_data(impact.read(
                record, ctx.store.find(Measurement, measure_id=record_id)))
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from rich.markup import escape  # text a person typed may hold [brackets]

    console = _console()
    console.print(f"[bold]{RECORD_NOUNS[kind]} {escape(record_id)}[/] (version {record.version})")
    for field, value in convert.unstructure(record).items():
        if field not in ("id", "version") and value not in (None, [], ""):
            console.print(f"  {field}: {escape(_plain(value))}", highlight=False)
    if isinstance(record, Action):
        console.print(f"  rag: {rag(record, ctx.today(), policy).value}")
        for label, kind_of_child in (("evidence", Evidence),
                                     ("progress updates", ProgressUpdate),
                                     ("assurance decisions", AssuranceDecision)):
            children = ctx.store.find(kind_of_child, action_id=record_id)
            if children:
                console.print(f"  {label}: " + ", ".join(c.id for c in children))
        figures = ctx.store.find(Measurement, action_id=record_id)
        for measure in ctx.store.find(Measure, action_id=record_id):
            console.print(escape(f"  measure {measure.id}, {measure.name}: "
                                 + reading_summary(impact.read(measure, figures))),
                          highlight=False)
        for chase in sorted(ctx.store.find(Chase, action_ids=record_id),
                            key=lambda c: (c.sent_on, c.id)):
            console.print(escape(f"  chased: {chase.sent_on.isoformat()} to {chase.sent_to} by"
                                 f" {chase.sent_by} ({chase.id})"), highlight=False)
    if isinstance(record, Measure):
        reading = impact.read(record, ctx.store.find(Measurement, measure_id=record_id))
        console.print(escape(f"  reading: {reading_summary(reading)}"), highlight=False)
        for figure in reading.figures:
            console.print(escape(f"  measured: {figure.value:g} on {figure.on.isoformat()} by"
                                 f" {figure.by}" + (f" ({figure.note})" if figure.note else "")
                                 + f" ({figure.id})"), highlight=False)
    table = _table("History (UK time)", "at", "by", "change", "field", "old", "new", "reason")
    for entry in history:
        old, new = entry.old, entry.new
        if entry.field == "target_revisions":  # the list grows by one: show the new one
            old, new = None, (new or [None])[-1]
        elif entry.change == ChangeKind.REDACT:
            old = plural(len(old.get("removed", [])), "value") + " taken out of history"
        elif entry.change == ChangeKind.ACCEPT:
            old = f"changed outside actiontrack: {old.get('found')}"
        table.add_row(*(escape(cell) for cell in (
            entry.at.astimezone(ENGLAND).strftime("%Y-%m-%d %H:%M"), entry.by,
            entry.change.value, entry.field or "", _plain(old), _plain(new), entry.reason or "")))
    console.print(table)


def _reading_data(reading: impact.Reading) -> dict[str, Any]:
    """What a measure's figures say, for ``show --format json``."""
    latest = reading.latest
    return {"measure_id": reading.measure.id, "name": reading.measure.name,
            "latest": None if latest is None else {"on": latest.on.isoformat(),
                                                   "value": latest.value},
            "progress": reading.progress, "met": reading.met, "worsened": reading.worsened}


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "from_date" in value:  # a target revision
        return f"{value['from_date']} -> {value['to_date']}: {value['reason']}"
    if isinstance(value, dict):
        return "(whole record)"
    if isinstance(value, list):
        return "; ".join(_plain(item) for item in value)
    return str(value)


# -- changes ---------------------------------------------------------------


def _done(record: Record, verb: str) -> None:
    click.echo(f"{verb} {record.id} (version {record.version})")


@cli.command("init")
@click.option("--partnership", "partnership_id", required=True,
              help="The partnership's id, e.g. NSCP: every record's id starts with it.")
@click.option("--name", required=True, help="The partnership's name.")
@click.option("--kind", type=_choice(PartnershipKind), required=True,
              help="children (SCP), adults (SAB) or community_safety (CSP).")
@by_option
@pass_context
@_reports_errors
def init(ctx: _Context, partnership_id: str, name: str, kind: str, by: str) -> None:
    """Create a new store and begin its plan with the partnership.

    Every other command needs a store that exists (demo makes its own).
    A store that already holds a plan is refused and left as it was.
    """
    store, record = service.init_store(
        ctx.store_url, partnership_id=partnership_id, name=name, kind=PartnershipKind(kind),
        by=by, at=ctx.now(), lock_timeout=ctx.lock_timeout)
    store.close()
    click.echo(f"Created the store {safe_url(ctx.store_url)} for {record.name} ({record.id}).")
    click.echo("Next: actiontrack add-agency, add-review, add-recommendation, add-action.")


@cli.command("add-partnership")
@click.argument("partnership_id")
@click.option("--name", required=True)
@click.option("--kind", type=_choice(PartnershipKind), default="children", show_default=True)
@by_option
@pass_context
@_reports_errors
def add_partnership(ctx: _Context, partnership_id: str, name: str, kind: str, by: str) -> None:
    """Add a safeguarding partnership."""
    record = service.add_partnership(ctx.store, id=partnership_id, name=name,
                                     kind=PartnershipKind(kind), by=by, at=ctx.now())
    _done(record, "added partnership")


@cli.command("add-agency")
@click.argument("agency_id")
@click.option("--name", required=True)
@click.option("--email", help="The agency lead's email address, where reminders go.")
@click.option("--alias", "aliases", multiple=True,
              help="Another name trackers and people use for it (CSC, Police); repeat for more.")
@by_option
@pass_context
@_reports_errors
def add_agency(ctx: _Context, agency_id: str, name: str, email: str | None,
               aliases: tuple[str, ...], by: str) -> None:
    """Add a partner agency.

    Its id stays the same when its name changes (see rename-agency).
    """
    record = service.add_agency(ctx.store, id=agency_id, name=name, email=email,
                                aliases=aliases, by=by, at=ctx.now())
    _done(record, "added agency")


@cli.command("rename-agency")
@click.argument("agency_id")
@click.option("--name", required=True, help="The new name.")
@click.option("--reason", required=True)
@by_option
@pass_context
@_reports_errors
def rename_agency(ctx: _Context, agency_id: str, name: str, reason: str, by: str) -> None:
    """Rename an agency, keeping its id and its former names."""
    record = service.rename_agency(ctx.store, agency_id, name, reason=reason, by=by,
                                   at=ctx.now())
    _done(record, "renamed agency")


@cli.command("add-review")
@click.option("--partnership", "partnership_id", required=True)
@click.option("--reference", required=True, help="The partnership's reference, e.g. CSPR-ALEX.")
@click.option("--kind", type=_choice(ReviewKind), required=True)
@click.option("--title", required=True)
@click.option("--subject", help="The pseudonym, e.g. 'Child Alex'. Never a real name.")
@click.option("--became-aware-on", type=DATE, help="Starts the 5-working-day notification clock.")
@click.option("--notified-on", type=DATE, help="Starts the 15-working-day rapid review clock.")
@click.option("--rapid-review-sent-on", type=DATE)
@click.option("--decided-on", type=DATE, help="Starts the 6-month publication clock.")
@click.option("--published-on", type=DATE)
@by_option
@pass_context
@_reports_errors
def add_review(ctx: _Context, partnership_id: str, reference: str, kind: str, title: str,
               subject: str | None, became_aware_on: date | None, notified_on: date | None,
               rapid_review_sent_on: date | None, decided_on: date | None,
               published_on: date | None, by: str) -> None:
    """Add a case review."""
    record = service.add_review(
        ctx.store, partnership_id=partnership_id, reference=reference, kind=ReviewKind(kind),
        title=title, subject=subject, became_aware_on=became_aware_on, notified_on=notified_on,
        rapid_review_sent_on=rapid_review_sent_on, decided_on=decided_on,
        published_on=published_on, by=by, at=ctx.now(),
    )
    _done(record, "added review")


@cli.command("add-recommendation")
@click.option("--review", "review_id", required=True)
@click.option("--text", required=True)
@click.option("--theme", "themes", multiple=True, help="A theme tag; repeat for more.")
@click.option("--scope", type=_choice(RecommendationScope), default="partnership",
              show_default=True)
@click.option("--response", type=_choice(Response), default="pending", show_default=True)
@click.option("--response-reason", help="Needed when the response is not_accepted.")
@click.option("--repeats", multiple=True, help="An earlier recommendation this one repeats.")
@click.option("--number", help="Its number in the review (default: the next one).")
@by_option
@pass_context
@_reports_errors
def add_recommendation(ctx: _Context, review_id: str, text: str, themes: tuple[str, ...],
                       scope: str, response: str, response_reason: str | None,
                       repeats: tuple[str, ...], number: str | None, by: str) -> None:
    """Add a recommendation to a review."""
    record = service.add_recommendation(
        ctx.store, review_id=review_id, text=text, themes=themes,
        scope=RecommendationScope(scope), response=Response(response),
        response_reason=response_reason, repeats=repeats, number=number, by=by, at=ctx.now(),
    )
    _done(record, "added recommendation")


@cli.command("respond")
@click.argument("recommendation_id")
@click.option("--response", type=_choice(Response), required=True)
@click.option("--reason", help="Needed when the response is not_accepted.")
@by_option
@pass_context
@_reports_errors
def respond(ctx: _Context, recommendation_id: str, response: str, reason: str | None,
            by: str) -> None:
    """Record the partnership's response to a recommendation."""
    record = service.respond_to_recommendation(ctx.store, recommendation_id, Response(response),
                                               reason=reason, by=by, at=ctx.now())
    _done(record, "recorded the response to")


@cli.command("add-action")
@click.option("--recommendation", "recommendation_ids", multiple=True, required=True,
              help="A recommendation this action answers; repeat for more.")
@click.option("--agency", "lead_agency_id", required=True, help="The lead agency's id.")
@click.option("--title", required=True)
@click.option("--target", "target_date", type=DATE, required=True, help="Target date.")
@click.option("--lead-officer")
@click.option("--deliverable")
@click.option("--success-measure")
@click.option("--id", "action_id", help="An id of your own (default: <partnership>/A<nnn>).")
@by_option
@pass_context
@_reports_errors
def add_action(ctx: _Context, recommendation_ids: tuple[str, ...], lead_agency_id: str,
               title: str, target_date: date, lead_officer: str | None,
               deliverable: str | None, success_measure: str | None,
               action_id: str | None, by: str) -> None:
    """Add an action answering one or more recommendations."""
    record = service.add_action(
        ctx.store, recommendation_ids=recommendation_ids, lead_agency_id=lead_agency_id,
        title=title, target_date=target_date, lead_officer=lead_officer,
        deliverable=deliverable, success_measure=success_measure, id=action_id, by=by,
        at=ctx.now(),
    )
    _done(record, "added action")


@cli.command("set-status")
@click.argument("action_id")
@click.argument("status", type=_choice(ActionStatus), metavar="STATUS")
@click.option("--hold-reason", help="Needed for on_hold.")
@click.option("--review-date", "hold_review_date", type=DATE, help="Needed for on_hold.")
@click.option("--successor", "successor_id", help="Needed for superseded.")
@click.option("--reason")
@expect_version_option
@by_option
@pass_context
@_reports_errors
def set_status(ctx: _Context, action_id: str, status: str, hold_reason: str | None,
               hold_review_date: date | None, successor_id: str | None, reason: str | None,
               expected_version: int | None, by: str) -> None:
    """Move an action to a new status.

    STATUS is one of proposed, agreed, in_progress, completed, assured,
    embedded, on_hold, superseded, reopened; the lifecycle's gates apply,
    and a move passes through agreed and in_progress where it must. On an
    action already on hold, on_hold with --hold-reason or --review-date
    revises the hold; on a superseded one, superseded --successor corrects
    the successor.
    """
    record = service.set_status(
        ctx.store, action_id, ActionStatus(status), hold_reason=hold_reason,
        hold_review_date=hold_review_date, successor_id=successor_id, reason=reason,
        expected_version=expected_version, by=by, at=ctx.now(),
    )
    _done(record, f"{status}:")


@cli.command("revise-target")
@click.argument("action_id")
@click.argument("new_date", type=DATE)
@click.option("--reason", required=True, help="Why the date moves (kept in the history).")
@expect_version_option
@by_option
@pass_context
@_reports_errors
def revise_target(ctx: _Context, action_id: str, new_date: date, reason: str,
                  expected_version: int | None, by: str) -> None:
    """Move an action's target date.

    The original date is kept, and the reason goes into the history.
    """
    record = service.revise_target_date(ctx.store, action_id, new_date, reason=reason,
                                        expected_version=expected_version, by=by, at=ctx.now())
    _done(record, f"new target {new_date.isoformat()} for")
    if new_date < ctx.today():
        click.echo(f"warning: {long_date(new_date)} has already passed, so {record.id} is"
                   " overdue at once; the audit's target-moved-to-past rule flags it", err=True)


@cli.command("add-update")
@click.argument("action_id")
@click.argument("text")
@click.option("--on", "on_date", type=DATE, help="The date of the update (default today).")
@by_option
@pass_context
@_reports_errors
def add_update(ctx: _Context, action_id: str, text: str, on_date: date | None, by: str) -> None:
    """Add a progress update to an action."""
    record = service.add_progress_update(ctx.store, action_id, text, on=on_date, by=by,
                                         at=ctx.now())
    _done(record, "added update")


@cli.command("add-evidence")
@click.argument("action_id")
@click.option("--tier", type=_choice(EvidenceTier), required=True,
              help="completion: it was done; impact: it made a difference.")
@click.option("--kind", type=_choice(EvidenceKind), required=True)
@click.option("--title", required=True)
@click.option("--about", "about_date", type=DATE, required=True,
              help="The date the evidence is about.")
@click.option("--link", help="Where the evidence is kept.")
@by_option
@pass_context
@_reports_errors
def add_evidence(ctx: _Context, action_id: str, tier: str, kind: str, title: str,
                 about_date: date, link: str | None, by: str) -> None:
    """Record evidence against an action."""
    record = service.add_evidence(ctx.store, action_id, tier=EvidenceTier(tier),
                                  kind=EvidenceKind(kind), title=title, about_date=about_date,
                                  link=link, by=by, at=ctx.now())
    _done(record, "added evidence")


@cli.command("add-measure")
@click.argument("action_id")
@click.option("--name", required=True, help="What is counted, e.g. 'Referrals with a"
              " chronology'.")
@click.option("--unit", required=True, help="%, days, referrals, ...")
@click.option("--baseline", type=float, required=True, help="The figure before the action.")
@click.option("--baseline-on", type=DATE, required=True, help="When the baseline was taken.")
@click.option("--target", type=float, required=True, help="The figure the action aims for.")
@click.option("--target-on", type=DATE, required=True, help="When the target should be met.")
@click.option("--want", type=_choice(Want), required=True,
              help="higher: a higher figure is better; lower: a lower one is.")
@click.option("--source", help="Where the figure comes from, e.g. 'Quarterly case-file audit'.")
@by_option
@pass_context
@_reports_errors
def add_measure(ctx: _Context, action_id: str, name: str, unit: str, baseline: float,
                baseline_on: date, target: float, target_on: date, want: str,
                source: str | None, by: str) -> None:
    """Say how an action's impact will be shown in figures."""
    record = service.add_measure(ctx.store, action_id, name=name, unit=unit, baseline=baseline,
                                 baseline_on=baseline_on, target=target, target_on=target_on,
                                 want=Want(want), source=source, by=by, at=ctx.now())
    _done(record, "added measure")


@cli.command("record-measurement")
@click.argument("measure_id")
@click.argument("value", type=float)
@click.option("--on", "on_date", type=DATE, help="When the figure was taken (default today).")
@click.option("--note", help="What the figure covers, e.g. '20 cases sampled'.")
@by_option
@pass_context
@_reports_errors
def record_measurement(ctx: _Context, measure_id: str, value: float, on_date: date | None,
                       note: str | None, by: str) -> None:
    """Record a measure's figure; earlier figures are kept."""
    record = service.record_measurement(ctx.store, measure_id, value, on=on_date, note=note,
                                        by=by, at=ctx.now())
    _done(record, "recorded measurement")
    measure = ctx.store.get(Measure, measure_id)
    reading = impact.read(measure, ctx.store.find(Measurement, measure_id=measure_id))
    click.echo(f"{measure.name}: {reading_summary(reading)}")


@cli.command("assure")
@click.argument("action_id")
@click.option("--outcome", type=_choice(AssuranceOutcome), required=True)
@click.option("--decided-by", required=True, help="Who decided (not the lead officer).")
@click.option("--body", required=True, help="The assurance body, e.g. 'Case review subgroup'.")
@click.option("--seen", required=True, help="What the body looked at.")
@click.option("--evidence", "evidence_ids", multiple=True, help="An evidence id it relied on.")
@click.option("--on", "decided_on", type=DATE, help="The date of the decision (default today).")
@by_option
@pass_context
@_reports_errors
def assure(ctx: _Context, action_id: str, outcome: str, decided_by: str, body: str, seen: str,
           evidence_ids: tuple[str, ...], decided_on: date | None, by: str) -> None:
    """Record an assurance decision.

    On a completed action: accepted makes it assured, returned sends it back
    to in_progress.
    """
    decision, action = service.record_assurance_decision(
        ctx.store, action_id, outcome=AssuranceOutcome(outcome), decided_by=decided_by,
        body=body, seen=seen, evidence_ids=evidence_ids, decided_on=decided_on, by=by,
        at=ctx.now(),
    )
    _done(decision, "recorded decision")
    click.echo(f"{action.id} is now {action.status.value}")


@cli.command("add-activity")
@click.option("--partnership", "partnership_id", required=True)
@click.option("--kind", type=_choice(LearningActivityKind), required=True)
@click.option("--title", required=True)
@click.option("--held-on", type=DATE, required=True, help="The day it was held or sent out.")
@click.option("--reach", type=click.IntRange(min=0),
              help="How many people attended or received it.")
@click.option("--recommendation", "recommendation_ids", multiple=True,
              help="A recommendation whose learning it spreads; repeat for more.")
@click.option("--id", "activity_id", help="An id of your own (default: <partnership>/L<n>).")
@by_option
@pass_context
@_reports_errors
def add_activity(ctx: _Context, partnership_id: str, kind: str, title: str, held_on: date,
                 reach: int | None, recommendation_ids: tuple[str, ...],
                 activity_id: str | None, by: str) -> None:
    """Record a learning activity: a briefing, learning event or forum week."""
    record = service.add_learning_activity(
        ctx.store, partnership_id=partnership_id, kind=LearningActivityKind(kind), title=title,
        held_on=held_on, reach=reach, recommendation_ids=recommendation_ids, id=activity_id,
        by=by, at=ctx.now())
    _done(record, "added learning activity")


def _assignments(ctx: click.Context, param: click.Parameter,
                 values: tuple[str, ...]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for value in values:
        field, equals, text = value.partition("=")
        if not equals or not field.strip():
            raise click.BadParameter(f"{value!r}: write FIELD=VALUE, such as"
                                     " title='Brief every team'")
        if field.strip() in changes:
            raise click.BadParameter(f"{field.strip()} is set twice")
        changes[field.strip()] = text
    return changes


@cli.command("edit")
@click.argument("record_id")
@click.option("--set", "changes", multiple=True, required=True, metavar="FIELD=VALUE",
              callback=_assignments,
              help="A field and its new value: dates as YYYY-MM-DD, lists separated by commas,"
              " nothing after = to clear. Repeat for more.")
@click.option("--reason", required=True, help="Why it is corrected (kept in the history).")
@kind_option
@expect_version_option
@by_option
@pass_context
@_reports_errors
def edit(ctx: _Context, record_id: str, changes: dict[str, str], reason: str, kind: str | None,
         expected_version: int | None, by: str) -> None:
    """Correct fields of any record, such as a title or a review's missing date.

    Fields the lifecycle owns (an action's status, target dates, hold,
    successor) are refused with the command that changes them; see
    docs/lifecycle.md for what each kind lets edit change.
    """
    record = service.edit(ctx.store, record_id, changes, kind=kind, reason=reason,
                          expected_version=expected_version, by=by, at=ctx.now())
    _done(record, "edited")


@cli.command("withdraw")
@click.argument("record_id")
@click.option("--reason", required=True, help="Why it is withdrawn (kept in the history).")
@kind_option
@expect_version_option
@by_option
@pass_context
@_reports_errors
def withdraw(ctx: _Context, record_id: str, reason: str, kind: str | None,
             expected_version: int | None, by: str) -> None:
    """Take a record added by mistake off the plan; its history is kept.

    A progress update, evidence item, assurance decision or learning
    activity; an action not completed (with its updates, evidence and
    decisions); a recommendation with no actions; a review with no
    recommendations; an agency that leads no actions.
    """
    done = service.withdraw(ctx.store, record_id, kind=kind, reason=reason,
                            expected_version=expected_version, by=by, at=ctx.now())
    record, *with_it = done.gone
    click.echo(f"withdrew {RECORD_NOUNS[kind_of(record)]} {record.id}"
               + (f" and with it {', '.join(item.id for item in with_it)}" if with_it else ""))
    for moved in done.moved:
        assert isinstance(moved, Action)
        click.echo(f"{moved.id} is {moved.status.value} again (version {moved.version})")


@cli.command("redact")
@click.argument("record_id")
@click.argument("field")
@click.option("--reason", required=True,
              help="Why it is taken out (kept in the marker and in the history).")
@kind_option
@expect_version_option
@by_option
@pass_context
@_reports_errors
def redact(ctx: _Context, record_id: str, field: str, reason: str, kind: str | None,
           expected_version: int | None, by: str) -> None:
    """Take a text field's values out of a record and its history (personal data typed by mistake).

    Every value FIELD has held is replaced, in the record and in each history
    entry, by a marker naming who redacted it, when and why. The redaction is
    in history too, and `verify` still passes. To put correct text back, edit
    the field afterwards.
    """
    record = service.redact(ctx.store, record_id, field, kind=kind, reason=reason,
                            expected_version=expected_version, by=by, at=ctx.now())
    click.echo(f"redacted {field} of {RECORD_NOUNS[kind_of(record)]} {record.id} (version"
               f" {record.version}): {getattr(record, field)}")


# -- trust ---------------------------------------------------------------------


@cli.command("verify")
@click.option("--as-of", "as_of", type=DATE,
              help="Check history and the records as they stood at the end of this day.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_context
@_reports_errors
def verify(ctx: _Context, as_of: date | None, output_format: str) -> None:
    """Check that history is unbroken and rebuilds exactly the records held.

    Exit code 0: intact; 1: differences found, each named; 2: the store
    cannot be read.
    """
    from actiontrack.verify import verify_store

    result = verify_store(ctx.store, None if as_of is None else end_of_day(as_of))
    if output_format == "json":
        click.echo(json.dumps({
            "intact": result.intact, "as_of": as_of and as_of.isoformat(),
            "entries": result.entries, "records": result.records, "head": result.head,
            "findings": [{"where": f.where, "kind": f.kind, "record_id": f.record_id,
                          "seq": f.seq, "what": f.what, "text": str(f)}
                         for f in result.findings],
        }, indent=2, ensure_ascii=False))
    else:
        when = f" as of {as_of.isoformat()}" if as_of else ""
        for finding in result.findings:
            click.echo(str(finding))
        if result.intact:
            entries = plural(result.entries, "history entry", "history entries")
            click.echo(f"intact{when}: {entries} form an unbroken chain and rebuild all"
                       f" {plural(result.records, 'record')}; head {result.head}")
        else:
            click.echo(f"{plural(len(result.findings), 'difference')} found{when}. Keep a"
                       " change made outside actiontrack with `actiontrack accept-edits --reason"
                       " TEXT`, or put the records back as history has them with `actiontrack"
                       " revert-edits`.")
    sys.exit(result.exit_code)


@cli.command("accept-edits")
@click.option("--reason", required=True,
              help="Why the change made outside actiontrack is kept (kept in the history).")
@by_option
@pass_context
@_reports_errors
def accept_edits(ctx: _Context, reason: str, by: str) -> None:
    """Keep changes made outside actiontrack: record them in history, in your name.

    Each record that differs from its history gets the change recorded, with
    your name and reason; each place history itself was changed gets an
    entry saying what was found and who accepted it; the chain is linked
    again over history as it now stands.
    """
    edits = ctx.store.outside_edits()
    receipt = service.settle_outside_edits(ctx.store, accept=True, reason=reason, by=by,
                                           at=ctx.now())
    if not edits:
        click.echo("nothing was changed outside actiontrack; nothing to accept")
        return
    if not receipt.changed:  # a rewrite of history cut short by a crash: finished
        for edit_found in edits:
            click.echo(f"put back as history has it: {edit_found}")
        return
    for entry in receipt.entries:
        noun = RECORD_NOUNS[entry.kind]
        if entry.change == ChangeKind.ACCEPT:
            click.echo(f"accepted: {noun} {entry.record_id}: {entry.old['found']}")
        else:
            click.echo(f"recorded: {entry.change.value} {noun} {entry.record_id}"
                       + (f" {entry.field}" if entry.field else ""))


@cli.command("revert-edits")
@by_option
@pass_context
@_reports_errors
def revert_edits(ctx: _Context, by: str) -> None:
    """Put back records changed outside actiontrack as their history has them.

    History itself cannot be put back this way: if an entry was changed or
    removed, restore the store from a backup, or keep it with accept-edits.
    """
    edits = ctx.store.outside_edits()
    service.settle_outside_edits(ctx.store, accept=False, reason="", by=by, at=ctx.now())
    if not edits:
        click.echo("nothing was changed outside actiontrack; nothing to revert")
        return
    for edit_found in edits:
        click.echo(f"reverted: {edit_found}")


# -- audits --------------------------------------------------------------------


@cli.command("rules")
@click.option("--rules", "rules_files", multiple=True, type=click.Path(dir_okay=False),
              help="A Python file of extra rules; repeat for more.")
@_reports_errors
def list_rules(rules_files: tuple[str, ...]) -> None:
    """List the audit rules: id, default severity, description."""
    from actiontrack import auditing

    for path in rules_files:
        auditing.load_rules_file(path)
    auditing.load_entry_point_rules()
    table = _table("Audit rules", "id", "severity", "description", "thresholds", "from")
    for spec in auditing.registered_rules():
        table.add_row(spec.id, spec.severity.value, spec.description,
                      ", ".join(f"{k}={v}" for k, v in sorted(spec.thresholds.items())),
                      spec.origin.removeprefix("actiontrack.auditing.rules."))
    _console().print(table)


@cli.command("audit")
@click.option("--as-of", "as_of", type=DATE,
              help="Audit the plan as it stood at the end of this day (default today).")
@click.option("--format", "output_format", type=click.Choice(AUDIT_FORMATS), default="text",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (needed for xlsx) instead of the screen.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when a finding is this serious or more (default: the"
              " configuration's fail_on, else error).")
@click.option("--rules", "rules_files", multiple=True, type=click.Path(dir_okay=False),
              help="A Python file of extra rules; repeat for more.")
@config_option
@pass_context
@_reports_errors
def audit_command(ctx: _Context, as_of: date | None, output_format: str, output: str | None,
                  fail_on: str | None, rules_files: tuple[str, ...],
                  config_path: str | None) -> None:
    """Run the assurance audit rules as of a day.

    Exit code 0: nothing at or above --fail-on; 1: findings; 2: bad usage,
    bad configuration, or a rule that failed (the others still report).
    """
    if output_format == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    from actiontrack import auditing
    from actiontrack.auditing import output as audit_output

    settings = _settings(config_path)
    result = auditing.audit(ctx.store, as_of=as_of or ctx.today(),
                            config=settings.audit, rag=settings.rag, rules_files=rules_files)
    threshold = auditing.Severity(fail_on) if fail_on else settings.audit.fail_on
    if output_format == "xlsx":
        assert output is not None
        with _writing(output):
            audit_output.write_xlsx(result, Path(output))
    else:
        if output_format == "junit":
            text = audit_output.to_junit(result, threshold)
        else:
            text = (audit_output.to_json if output_format == "json" else audit_output.to_text)(
                result)
        if output:
            with _writing(output):
                Path(output).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    for failure in result.failures:
        click.echo(f"actiontrack: rule {failure.rule} failed: {failure.error}", err=True)
    sys.exit(result.exit_code(threshold))


# -- the committee report ------------------------------------------------------------


@cli.command("report")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", type=DATE,
              help="Report the plan as it stood at the end of this day (default today).")
@click.option("--review", "review_id", help="Only this review.")
@click.option("--meeting-date", type=DATE,
              help="The paper (.docx, .pdf): the date of the meeting it goes to.")
@click.option("--template", type=click.Path(exists=True, dir_okay=False),
              help="The paper (.docx, .pdf): fill this Word template (docxtpl tags; see"
              " docs/report.md) instead of the built-in layout.")
@config_option
@pass_context
@_reports_errors
def report_command(ctx: _Context, path: str, as_of: date | None, review_id: str | None,
                   meeting_date: date | None, template: str | None,
                   config_path: str | None) -> None:
    """Write the committee report: FILE.md, FILE.xlsx (a dashboard), FILE.docx or FILE.pdf.

    .docx is a committee paper in Word (the partnership's own template with
    --template); .pdf is that paper converted by LibreOffice, which must be
    installed. Text that looks like personal data is reported on standard
    error, masked, with where it is: correct it before the report goes out.
    """
    from actiontrack import report

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in report.FORMATS:
        raise click.BadParameter(
            f"{path!r}: write the report to a .md (Markdown), .xlsx (Excel), .docx (Word"
            " paper) or .pdf (PDF paper) file",
            param_hint="PATH",
        )
    if template is not None and suffix not in (".docx", ".pdf"):
        raise click.BadParameter("a template is for the paper: write a .docx or .pdf file",
                                 param_hint="--template")
    settings = _settings(config_path)
    day = as_of or ctx.today()
    content = report.read_report(ctx.store, as_of=day, review_id=review_id, policy=settings.rag)
    details = report.PaperDetails(title=settings.paper.title, meeting=settings.paper.meeting,
                                  meeting_date=meeting_date, author=settings.paper.author)
    with _writing(path):
        report.write_report(content, target, details=details,
                            template=Path(template) if template else None)
    click.echo(f"Wrote the progress report as of {long_date(day)} to {path}"
               f" ({report.FORMATS[suffix]}).")
    found = report.personal_data_in(content)
    if found:
        click.echo(f"actiontrack: warning: the report carries what looks like personal data"
                   f" ({plural(len(found), 'place')}); correct the records (edit, or redact"
                   " for history) before it is sent:", err=True)
        for finding in found:
            click.echo(f"  {finding}", err=True)


# -- the partner workbook ----------------------------------------------------------


@contextlib.contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on a terminal (standard error); nothing when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def show(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield show


@cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--agency", help="Only the actions this agency leads (its partner lead's slice).")
@click.option("--review", "review_id", help="Only the actions of this review.")
@click.option("--return-to", metavar="TEXT",
              help="Who the partner sends it back to, as the Instructions sheet says it.")
@click.option("--by", default=_default_by, callback=_who,
              show_default="$ACTIONTRACK_USER or your login name",
              help="Who is exporting (recorded in the workbook).")
@config_option
@pass_context
@_reports_errors
def export_command(ctx: _Context, path: str, agency: str | None, review_id: str | None,
                   return_to: str | None, by: str, config_path: str | None) -> None:
    """Write the partner workbook (.xlsx) for the whole plan, one agency or one review."""
    from actiontrack import excel

    policy = _settings(config_path).rag
    with _writing(path), _progress_bar() as progress:
        result = excel.export_workbook(ctx.store, Path(path), by=by, at=ctx.now(),
                                       agency=agency, review=review_id, return_to=return_to,
                                       progress=progress, policy=policy)
    click.echo(f"Wrote {path}: {plural(result.actions, 'action')} and"
               f" {plural(result.evidence, 'evidence item')} (export {result.export_id}).")


@cli.command("chase")
@click.option("--as-of", type=DATE, help="Judge what is due and overdue on this day (default:"
              " today).")
@click.option("--agency", "agency_id", metavar="ID", help="Chase only this agency.")
@click.option("--outbox", type=click.Path(file_okay=False), metavar="DIR",
              help="Write one .eml per agency here, for you to send (the default, to ./outbox,"
              " where no SMTP server is configured).")
@click.option("--smtp", metavar="HOST:PORT", help="Send through this mail server (default:"
              " [chase] smtp in the configuration).")
@click.option("--smtp-user", metavar="USER", help="Log in to the mail server as USER; the"
              " password comes from $ACTIONTRACK_SMTP_PASSWORD.")
@click.option("--dry-run", is_flag=True, help="List who would be chased for what; send and keep"
              " nothing.")
@click.option("--again", is_flag=True, help="Chase an agency already chased today for the same"
              " actions.")
@by_option
@config_option
@pass_context
@_reports_errors
def chase_command(ctx: _Context, as_of: date | None, agency_id: str | None, outbox: str | None,
                  smtp: str | None, smtp_user: str | None, dry_run: bool, again: bool, by: str,
                  config_path: str | None) -> None:
    """Remind each agency lead of the actions that need them, with their own workbook.

    Exit 1 when an agency could not be chased (no contact address, personal
    data in its message, or the mail server failed part way); the others are
    still chased, and every message sent is kept in the store.
    """
    from actiontrack.chasing import Outbox, SmtpServer, chase_owners
    from actiontrack.chasing.config import parse_server

    if outbox and smtp:
        _fail("give --outbox DIR or --smtp HOST:PORT, not both")
    if ctx.agency:
        _fail("chasing is the business unit's work: run chase without --agency before the"
              " command (chase --agency ID chases one agency)")
    settings = _settings(config_path)
    chasing = settings.chase
    server = smtp or (None if outbox else chasing.smtp)
    postbox: Outbox | SmtpServer
    if server:
        if not chasing.sender:
            _fail(f"sending through {server} needs the business unit's address: set sender in"
                  " the [chase] table of the configuration")
        host, port = parse_server(server, what="--smtp")
        postbox = SmtpServer(host, port, user=smtp_user or chasing.smtp_user,
                             password=os.environ.get("ACTIONTRACK_SMTP_PASSWORD"),
                             cafile=chasing.cafile)
    else:
        postbox = Outbox(Path(outbox or "outbox"))
    with _progress_bar() as progress:
        result = chase_owners(
            ctx.store, None if dry_run else postbox, settings=chasing, rag=settings.rag,
            today=as_of or ctx.today(), by=by, at=ctx.now(), agency=agency_id, again=again,
            progress=progress)
    _print_chase(result, postbox.where, dry_run)
    sys.exit(result.exit_code)


def _print_chase(result: ChaseResult, where: str, dry_run: bool) -> None:
    from actiontrack.chasing import Outcome
    from actiontrack.chasing.messages import asks, reasons_text

    console = _console()
    if not result.outcomes:
        click.echo(f"Nothing to chase as of {long_date(result.today)}.")
        return
    table = _table(f"Chase as of {long_date(result.today)}", "agency", "to", "actions",
                   "outcome", "detail")
    for outcome in result.outcomes:
        table.add_row(outcome.agency_id, outcome.to or "", "\n".join(outcome.action_ids),
                      outcome.outcome.value, outcome.detail)
    console.print(table)
    if dry_run:
        for outcome in result.outcomes:
            if outcome.outcome != Outcome.WOULD_SEND:
                continue
            click.echo(f"{outcome.agency_name} <{outcome.to}>")
            for item in outcome.items:
                click.echo(f"  {item.action.id}: {reasons_text(item, result.today)}."
                           f" Asked for: {asks(item)}")
        click.echo("Dry run: nothing was sent or kept.")
        return
    sent = sum(o.outcome == Outcome.SENT for o in result.outcomes)
    written = sum(o.outcome == Outcome.WRITTEN for o in result.outcomes)
    if written:
        click.echo(f"Wrote {plural(written, 'reminder')} to {where}: open each and send it.")
    elif sent or result.failure:
        click.echo(f"Sent {plural(sent, 'reminder')} through {where}.")
    elif all(o.outcome == Outcome.CHASED_TODAY for o in result.outcomes):
        click.echo("Nothing new to send: every agency was chased today (--again chases again).")
    if result.failure:
        click.echo(f"actiontrack: stopped: {result.failure}; the agencies marked 'not sent'"
                   " were not chased: run chase again to reach them", err=True)
    for problem in result.problems:
        if problem.outcome != Outcome.NOT_SENT:
            click.echo(f"actiontrack: {problem.agency_id} not chased ({problem.outcome.value}):"
                       f" {problem.detail}", err=True)


@cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="List each change as old -> new; write nothing.")
@click.option("--errors-to", type=click.Path(dir_okay=False), metavar="OUT.xlsx",
              help="If anything is wrong, write a copy of the workbook with each problem"
              " marked on its cell.")
@click.option("--agency", help="Refuse any change to actions this agency does not lead,"
              " whatever the workbook itself says.")
@by_option
@pass_context
@_reports_errors
def import_command(ctx: _Context, path: str, dry_run: bool, errors_to: str | None,
                   agency: str | None, by: str) -> None:
    """Merge a returned partner workbook into the plan: every change, or none.

    Exit 0: applied, or nothing to apply. Exit 1: conflicts or invalid cells
    (nothing written). Exit 2: the file is unreadable, unsafe or not an
    actiontrack workbook.
    """
    # Reading the workbook never raises OSError (the safety check turns it into a
    # WorkbookError); only writing the marked copy can.
    from actiontrack import excel

    marking = _writing(errors_to) if errors_to else contextlib.nullcontext()
    with marking, _progress_bar() as progress:
        result = excel.import_workbook(
            ctx.store, Path(path), by=by, at=ctx.now(), dry_run=dry_run,
            errors_to=Path(errors_to) if errors_to else None, agency=agency,
            progress=progress)
    for notice in result.notices:
        click.echo(f"note: {notice}")
    if result.problems:
        for problem in result.problems:
            click.echo(f"{'conflict' if problem.conflict else 'error'}: {problem}", err=True)
        conflicts = len(result.merge.conflicts)
        click.echo(
            ("Dry run: " if dry_run else "Nothing was imported: ")
            + plural(len(result.problems), "problem")
            + (f", of which {plural(conflicts, 'conflict')}" if conflicts else "")
            + (f". The marked copy is {errors_to}." if errors_to else
               ". Use --errors-to OUT.xlsx for a copy with each problem marked."), err=True)
        sys.exit(result.exit_code)
    for change in result.changes:
        click.echo(str(change))
    if dry_run:
        click.echo(f"Dry run: {plural(len(result.changes), 'change')} would be made; nothing"
                   " was written.")
    elif result.applied:
        click.echo(f"Imported {plural(len(result.changes), 'change')} from {path}.")
    else:
        click.echo(f"Nothing to import from {path}: the plan already has everything in it.")


@cli.command("adopt")
@click.argument("tracker", type=click.Path(dir_okay=False))
@click.option("--review", "review_id", metavar="ID",
              help="The review the tracker's recommendations belong to (add it first with"
              " add-review); needed when the plan has more than one.")
@click.option("--sheet", metavar="NAME", help="The sheet holding the tracker (default: the"
              " first sheet with headings adopt recognises).")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), metavar="MAP.toml",
              help="The partnership's map file: what each column, agency and status means.")
@click.option("--write-map", type=click.Path(dir_okay=False), metavar="MAP.toml",
              help="Write the map adopt used, guesses included, to correct and keep.")
@click.option("--dry-run", is_flag=True, help="List what would be created; write nothing.")
@click.option("--errors-to", type=click.Path(dir_okay=False), metavar="OUT.xlsx",
              help="If anything is wrong, write a copy of the tracker with each problem"
              " marked on its cell.")
@by_option
@pass_context
@_reports_errors
def adopt(ctx: _Context, tracker: str, review_id: str | None, sheet: str | None,
          map_path: str | None, write_map: str | None, dry_run: bool, errors_to: str | None,
          by: str) -> None:
    """Bring an existing tracker (.xlsx, .ods or .csv) into the plan: every record, or none.

    Exit 0: adopted, or nothing new. Exit 1: problems, each on its cell
    (nothing written). Exit 2: the file is unreadable or unsafe, or has no
    heading row adopt recognises.
    """
    from actiontrack.adopt import adopt_tracker, read_map

    policy = _settings(None).rag  # a bad configuration is refused before anything is read
    tracker_map = read_map(Path(map_path)) if map_path else None
    marking = _writing(errors_to) if errors_to else contextlib.nullcontext()
    mapping = _writing(write_map) if write_map else contextlib.nullcontext()
    with marking, mapping, _progress_bar() as progress:
        result = adopt_tracker(
            ctx.store, Path(tracker), by=by, at=ctx.now(), review=review_id, sheet=sheet,
            tracker_map=tracker_map, map_name=Path(map_path).name if map_path else "the map",
            write_map=Path(write_map) if write_map else None, dry_run=dry_run,
            errors_to=Path(errors_to) if errors_to else None, policy=policy,
            progress=progress)
    _print_adoption(result, tracker, write_map)
    sys.exit(result.exit_code)


def _print_adoption(result: AdoptResult, tracker: str, write_map: str | None) -> None:
    from actiontrack.domain.models import Action, Evidence, ProgressUpdate, Recommendation
    from actiontrack.domain.plan import RECORD_NOUNS, kind_of

    table = _table(f"{tracker}, sheet {result.sheet!r}: headings in row {result.heading_row}",
                   "column", "heading", "target")
    for column in result.columns:
        target = column.target or "(none: map it)"
        table.add_row(column.letter, column.heading,
                      target + (" (guessed)" if column.guessed and column.target else ""))
    _console().print(table)
    if write_map:
        click.echo(f"Wrote the map to {write_map}: correct it, then adopt with --map"
                   f" {write_map}.")
    for notice in result.notices:
        click.echo(f"note: {notice}")
    if result.problems:
        for problem in result.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(
            ("Dry run: " if result.dry_run else "Nothing was adopted: ")
            + plural(len(result.problems), "problem")
            + (f". The marked copy is {result.errors_to}." if result.errors_to else
               ". Use --errors-to OUT.xlsx for a copy with each problem marked."), err=True)
        return
    adoption = result.adoption
    counts = ", ".join(plural(adoption.count(kind), noun) for kind, noun in (
        (Recommendation, "recommendation"), (Action, "action"),
        (ProgressUpdate, "progress update"), (Evidence, "evidence item")))
    if result.dry_run:
        for item in adoption.records:
            click.echo(f"row {item.row}: new {RECORD_NOUNS[kind_of(item.record)]}"
                       f" {item.record.id}")
        click.echo(f"Dry run: would adopt {counts} into {result.review_id}; nothing was"
                   " written.")
    elif result.applied:
        click.echo(f"Adopted {counts} into {result.review_id} from {tracker}.")
    else:
        click.echo(f"Nothing new to adopt from {tracker}: the plan already has every row"
                   f" ({plural(adoption.already, 'action')}).")


# -- stores ------------------------------------------------------------------------


@cli.command("migrate")
@pass_context
@_reports_errors
def migrate(ctx: _Context) -> None:
    """Upgrade the store to this release's layout (opening a store does it too)."""
    store = ctx.store  # opening runs any upgrade steps, in one transaction
    click.echo(f"{safe_url(ctx.store_url)} is at this release's store layout"
               f" (identity {store.identity}).")


@cli.command("copy")
@click.argument("source_url")
@click.argument("destination_url")
@click.option("--replace", is_flag=True,
              help="Empty a destination that already holds a plan, then copy.")
@_reports_errors
def copy(source_url: str, destination_url: str, replace: bool) -> None:
    """Copy a whole plan with its history from one store to another, then verify it.

    For example from the JSON file to a shared PostgreSQL server:
    actiontrack copy plan.json postgresql://owner@server/plans
    """
    from actiontrack.store.copy import copy_store

    copied = copy_store(source_url, destination_url, replace=replace)
    click.echo(f"Copied {copied.records} records and {copied.history_entries} history entries"
               f" to {safe_url(destination_url)} in {copied.seconds:.1f} s; verified (sha256"
               f" {copied.checksum[:12]}...).")
