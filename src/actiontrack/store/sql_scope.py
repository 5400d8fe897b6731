"""Agency scope enforced by PostgreSQL itself: row-level security for agency roles.

A partnership that shares one server gives each partner agency a login role
of its own. :func:`agency_scope_sql` is the SQL its DBA runs once, as the
owner of the store's tables, to turn on row-level security;
:func:`grant_agency_role_sql` links one role to one agency and grants what
it needs. An agency role can then read the whole plan but insert, change or
delete only the actions its agency leads and the progress updates, evidence,
assurance decisions, measures and measurements (and their list rows) of those
actions, whatever program it connects with. Other entity tables stay read-only for it.

An agency role cannot insert into ``history`` at all. Its commits append
their entries through ``actiontrack_append_history(entries json)``, a
SECURITY DEFINER function that :func:`grant_agency_role_sql` creates (owned
by whoever runs it: the tables' owner) and lets the role execute. The
function checks every entry against the store's counters, the record's
history so far and the rows the role's transaction has just written, and
raises, rolling the whole commit back, on the first that does not match
(docs/agency-scope.md lists the checks); then it advances the counters and
the hash chain's head in ``store_meta``, which an agency role may lock but,
by a row-level security policy the grant turns on, not change.

An agency role cannot read ``store_secret`` either: it signs (a workbook's
hidden part) through ``actiontrack_sign(payload bytea)``, another SECURITY
DEFINER function the grant creates, which gives the HMAC and never the
secret. It may read ``outside_edits`` (a commit checks it first) but never
write it: the triggers that do run with their owner's rights.

Roles not in ``agency_roles`` (the owner, the business unit's role) are
unscoped. The owner bypasses row-level security anyway, so FORCE ROW LEVEL
SECURITY is not used. Needs PostgreSQL 14 or later (a function body in
SQL-standard form, bound when it is created, so no search path can redirect it).

:func:`apply_agency_scope` and :func:`grant_agency_role` run the same SQL
through SQLAlchemy, for tests and the command line. See docs/agency-scope.md.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.compiler import IdentifierPreparer

from actiontrack.errors import StoreError, StoreNotAvailableError
from actiontrack.store.core import AHEAD
from actiontrack.store.sql import (
    _ACTION_CHILDREN,
    _HISTORY,
    _KINDS,
    _META,
    _OUTSIDE_EDITS,
    _OWNER_COLUMNS,
    _SECRET,
    _TOMBSTONES,
    HISTORY_FUNCTION,
    METADATA,
    SIGN_FUNCTION,
    _engine,
    _reason,
    _safe,
)

__all__ = ["agency_scope_sql", "apply_agency_scope", "grant_agency_role", "grant_agency_role_sql"]

#: Tables whose rows belong to one action, and the SQL test that a row's action is led
#: by the current agency (``{t}`` is the row's table, ``{actions}``, ``{decisions}`` and
#: ``{measures}`` the tables of actions, assurance decisions and measures).
_BY_ACTION = "EXISTS (SELECT 1 FROM {actions} a WHERE a.id = {t}.action_id" \
    " AND a.lead_agency_id = {agency})"
_BY_DECISION = (
    "EXISTS (SELECT 1 FROM {decisions} d JOIN {actions} a ON a.id = d.action_id"
    " WHERE d.id = {t}.assurance_decision_id AND a.lead_agency_id = {agency})"
)
#: A measurement's measure must be of the action it names, so no agency records a figure
#: of another agency's measure under an action of its own.
_BY_MEASURE = (
    "EXISTS (SELECT 1 FROM {measures} m JOIN {actions} a ON a.id = m.action_id"
    " WHERE m.id = {t}.measure_id AND m.action_id = {t}.action_id"
    " AND a.lead_agency_id = {agency})"
)
_SCOPED_TABLES = {
    "actions": "{t}.lead_agency_id = {agency}",
    "progress_updates": _BY_ACTION,
    "evidence": _BY_ACTION,
    "assurance_decisions": _BY_ACTION,
    "actions_recommendation_ids": _BY_ACTION,
    "target_revisions": _BY_ACTION,
    "assurance_decisions_evidence_ids": _BY_DECISION,
    "measures": _BY_ACTION,
    "measurements": _BY_MEASURE,
}

_PREPARER: IdentifierPreparer = postgresql.dialect().identifier_preparer  # type: ignore[no-untyped-call]


def _ident(name: str) -> str:
    """A PostgreSQL identifier, quoted when it needs to be."""
    return _PREPARER.quote(name)


def _literal(text: str) -> str:
    """A PostgreSQL string literal (standard_conforming_strings is on since 9.1)."""
    if "\x00" in text:
        raise ValueError("text for SQL cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def _name(schema: str | None, name: str) -> str:
    return f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)


def _scope_statements(schema: str | None) -> list[str]:
    roles = _name(schema, "agency_roles")
    function = _name(schema, "actiontrack_agency")
    agency = f"{function}()"
    statements = [
        f"CREATE TABLE IF NOT EXISTS {roles} (\n"
        "    role_name text PRIMARY KEY,\n"
        "    agency_id text NOT NULL\n"
        ")",
        # SECURITY DEFINER: agency roles need no grant on agency_roles. Inside it
        # current_user is the owner, so the caller's role comes in as the default of
        # the argument, which is evaluated where the function is called.
        f"CREATE OR REPLACE FUNCTION {function}(role_name name DEFAULT current_user)\n"
        "    RETURNS text LANGUAGE sql STABLE SECURITY DEFINER\n"
        "    SET search_path = pg_catalog, pg_temp\n"
        f"    RETURN (SELECT r.agency_id FROM {roles} r WHERE r.role_name = $1)",
        f"REVOKE ALL ON {roles} FROM PUBLIC",
    ]
    for table, test in _SCOPED_TABLES.items():
        name = _name(schema, table)
        allowed = f"{agency} IS NULL OR " + test.format(
            t=name, agency=agency, actions=_name(schema, "actions"),
            decisions=_name(schema, "assurance_decisions"), measures=_name(schema, "measures"))
        statements += _policies(name, (
            ("SELECT", "USING (true)"),
            ("INSERT", f"WITH CHECK ({allowed})"),
            ("UPDATE", f"USING ({allowed})\n    WITH CHECK ({allowed})"),
            ("DELETE", f"USING ({allowed})"),
        ))
    return statements


def _policies(table: str, clauses: Iterable[tuple[str, str]]) -> list[str]:
    """Row-level security on ``table`` with one policy per command, replacing any before."""
    statements = [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"]
    for command, clause in clauses:
        policy = _ident(f"agency_{command.lower()}")
        statements.append(f"DROP POLICY IF EXISTS {policy} ON {table}")
        statements.append(f"CREATE POLICY {policy} ON {table} FOR {command}\n    {clause}")
    return statements


def agency_scope_sql(schema: str | None) -> str:
    """The SQL that turns on agency row-level security, run once by the tables' owner.

    ``schema`` is the store's schema (``None``: the tables are named without
    one and found on the owner's search path). Running it again does no harm.
    """
    return ";\n\n".join(_scope_statements(schema)) + ";\n"


#: The kinds an agency role may change: actions (led by an agency), then their children.
_AGENCY_KINDS = ("actions", *_ACTION_CHILDREN)
#: Stands for the store's schema in the history function when the SQL is written without
#: one; the DO block that creates the function puts the owner's current schema in its place.
_SCHEMA_MARK = "actiontrack_schema_of_this_store"

#: The history function's body. ``{name}`` marks a table (or the agency kinds, or the
#: reads of a stored record) that :func:`_history_function_sql` puts in; nothing else
#: in it is a placeholder. Every message starts "actiontrack history guard:".
_HISTORY_GUARD_BODY = """
DECLARE
    agency text;
    counter_seq bigint;
    counter_commit bigint;
    counter_at timestamptz;
    latest_at text;
    first_at text;
    first_by text;
    entry json;
    entry_number bigint := 0;
    what text;
    rec_kind text;
    rec_id text;
    past record;
    claimed jsonb;
    claimed_version bigint;
    last_live jsonb;
    open_fields text[];
    new_fields text[];
    stored jsonb;
    mismatch text;
    lead text;
    last_hash text;
BEGIN
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'actiontrack history guard: % may not append history as %',
            session_user, caller USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT r.agency_id INTO agency FROM {agency_roles} r WHERE r.role_name = caller;
    IF agency IS NULL THEN
        RAISE EXCEPTION 'actiontrack history guard: % is not an agency role', caller
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF json_typeof(entries) IS DISTINCT FROM 'array' OR json_array_length(entries) = 0 THEN
        RAISE EXCEPTION 'actiontrack history guard: entries must be a JSON array of entries'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The store's write lock (a commit holds it already), so the counters stay put.
    PERFORM 1 FROM {store_meta} m FOR UPDATE;
    SELECT m.value::bigint INTO counter_seq FROM {store_meta} m WHERE m.key = 'last_seq';
    SELECT m.value::bigint INTO counter_commit FROM {store_meta} m WHERE m.key = 'last_commit';
    SELECT nullif(m.value, '')::timestamptz INTO counter_at
        FROM {store_meta} m WHERE m.key = 'last_at';
    IF counter_seq IS DISTINCT FROM (SELECT coalesce(max(h.seq), 0) FROM {history} h)
            OR counter_commit IS DISTINCT FROM (
                SELECT coalesce(max(h."commit"), 0) FROM {history} h) THEN
        RAISE EXCEPTION 'actiontrack history guard: the store''s counters (last_seq %,'
            ' last_commit %) do not match its history', counter_seq, counter_commit
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The moment of the latest entry, from history itself (which no agency role writes).
    SELECT h."at" INTO latest_at FROM {history} h ORDER BY h.seq DESC LIMIT 1;

    -- Each entry on its own: it continues the counters, in one commit, by someone.
    FOR entry IN SELECT x.value FROM json_array_elements(entries) WITH ORDINALITY x (value, n)
            ORDER BY x.n LOOP
        entry_number := entry_number + 1;
        what := format('history entry %s (%s %s)', coalesce(entry->>'seq', '?'),
                       entry->>'kind', entry->>'record_id');
        IF json_typeof(entry) IS DISTINCT FROM 'object'
                OR (entry->>'seq')::bigint IS DISTINCT FROM counter_seq + entry_number THEN
            RAISE EXCEPTION 'actiontrack history guard: %: seq must be %, the next of the'
                ' store''s', what, counter_seq + entry_number
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (entry->>'commit')::bigint IS DISTINCT FROM counter_commit + 1 THEN
            RAISE EXCEPTION 'actiontrack history guard: %: commit must be %, the next of the'
                ' store''s', what, counter_commit + 1 USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF coalesce(btrim(entry->>'by'), '') = '' THEN
            RAISE EXCEPTION 'actiontrack history guard: %: names nobody as its author (by)',
                what USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF entry_number = 1 THEN
            first_at := entry->>'at';
            first_by := entry->>'by';
            -- Exactly what the library writes (datetime.isoformat() of an aware moment),
            -- so every reader can parse it again.
            IF first_at IS NULL OR first_at !~ '{at_pattern}' THEN
                RAISE EXCEPTION 'actiontrack history guard: %: its moment (at) % is not an'
                    ' ISO 8601 date and time with a UTC offset', what, coalesce(first_at, 'null')
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF first_at::timestamptz < least(latest_at::timestamptz, now())
                    OR first_at::timestamptz > clock_timestamp() + interval '{ahead}' THEN
                RAISE EXCEPTION 'actiontrack history guard: %: dated %, before the latest'
                    ' commit or ahead of the store''s clock', what, first_at
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        ELSIF entry->>'at' IS DISTINCT FROM first_at OR entry->>'by' IS DISTINCT FROM first_by THEN
            RAISE EXCEPTION 'actiontrack history guard: %: the entries of one commit share'
                ' their moment (at) and author (by)', what USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF entry->>'kind' IS NULL OR entry->>'kind' NOT IN ({agency_kinds}) THEN
            RAISE EXCEPTION 'actiontrack history guard: %: an agency role may not change %',
                what, coalesce(entry->>'kind', 'records of no kind')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF entry->>'record_id' IS NULL OR entry->>'version' IS NULL OR entry->>'change' IS NULL
                OR entry->>'change' NOT IN ('create', 'update', 'delete') THEN
            RAISE EXCEPTION 'actiontrack history guard: %: needs a record id, a version and a'
                ' change (create, update or delete)', what USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- Its link in the chain; whether it is the right one is verify's to check.
        IF entry->>'hash' IS NULL OR entry->>'hash' !~ '^[0-9a-f]{64}$' THEN
            RAISE EXCEPTION 'actiontrack history guard: %: needs its hash in the chain (64'
                ' hexadecimal digits)', what USING ERRCODE = 'insufficient_privilege';
        END IF;
        last_hash := entry->>'hash';
    END LOOP;
    INSERT INTO {history} (seq, "commit", "at", "by", reason, kind, record_id, version, change,
                           field, old, new, hash)
        SELECT (x.value->>'seq')::integer, (x.value->>'commit')::integer, x.value->>'at',
               x.value->>'by', x.value->>'reason', x.value->>'kind', x.value->>'record_id',
               (x.value->>'version')::integer, x.value->>'change', x.value->>'field',
               x.value->'old', x.value->'new', x.value->>'hash'
        FROM json_array_elements(entries) x;

    -- Each record: its new entries continue its history, and its row is what they say.
    FOR rec_kind, rec_id IN SELECT DISTINCT h.kind, h.record_id FROM {history} h
            WHERE h.seq > counter_seq ORDER BY 1, 2 LOOP
        claimed := 'null';
        claimed_version := 0;
        last_live := NULL;
        open_fields := NULL;
        FOR past IN SELECT h.seq, h.change, h.field, h.version,
                           coalesce(h.old::jsonb, 'null') AS old_value,
                           coalesce(h.new::jsonb, 'null') AS new_value
                FROM {history} h WHERE h.kind = rec_kind AND h.record_id = rec_id
                ORDER BY h.seq LOOP
            what := format('history entry %s (%s %s, version %s)', past.seq, rec_kind, rec_id,
                           past.version);
            -- Someone accepting a change made outside actiontrack: the record is as it was.
            CONTINUE WHEN past.change = 'accept';
            IF past.seq <= counter_seq THEN
                NULL;  -- already in the history: only rebuilds the record as it stood
            ELSIF past.change = 'create' THEN
                IF jsonb_typeof(claimed) = 'object' THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: creates a record that exists',
                        what USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF past.version IS DISTINCT FROM claimed_version + 1 OR past.field IS NOT NULL
                        OR past.old_value <> 'null' OR jsonb_typeof(past.new_value) <> 'object'
                        OR past.new_value->>'id' IS DISTINCT FROM rec_id
                        OR past.new_value->'version' IS DISTINCT FROM to_jsonb(past.version) THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: a creation is version %, with'
                        ' no field, no old value and the new record', what, claimed_version + 1
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                new_fields := ARRAY(SELECT jsonb_object_keys(past.new_value));
                IF NOT (new_fields @> {record_fields} AND {record_fields} @> new_fields) THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: a creation holds every field'
                        ' of the record and no other (it holds %)', what, new_fields
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF past.change = 'update' THEN
                IF jsonb_typeof(claimed) IS DISTINCT FROM 'object' THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: updates a record that does'
                        ' not exist', what USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF past.field IS NULL OR past.field IN ('id', 'version') THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: an update names the field'
                        ' it changes', what USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NOT (past.version = claimed_version + 1 OR (past.version = claimed_version
                        AND open_fields IS NOT NULL AND NOT past.field = ANY (open_fields))) THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: version must be %', what,
                        claimed_version + 1 USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF claimed ? past.field AND claimed->past.field IS DISTINCT FROM past.old_value THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: old % is %, history holds %',
                        what, past.field, past.old_value, claimed->past.field
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSE  -- delete
                IF jsonb_typeof(claimed) IS DISTINCT FROM 'object'
                        OR past.version IS DISTINCT FROM claimed_version + 1
                        OR past.field IS NOT NULL OR past.new_value <> 'null' THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: a removal is of a record that'
                        ' exists, version %, with no field and no new value', what,
                        claimed_version + 1 USING ERRCODE = 'insufficient_privilege';
                END IF;
                mismatch := (SELECT c.key FROM jsonb_each(claimed) c
                             WHERE past.old_value->c.key IS DISTINCT FROM c.value
                             ORDER BY c.key LIMIT 1);
                IF mismatch IS NOT NULL THEN
                    RAISE EXCEPTION 'actiontrack history guard: %: the removed record''s % is'
                        ' %, history holds %', what, mismatch, past.old_value->mismatch,
                        claimed->mismatch USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            -- The record as history now has it.
            IF past.change = 'create' THEN
                claimed := past.new_value;
            ELSIF past.change IN ('update', 'redact') AND jsonb_typeof(claimed) = 'object' THEN
                -- A redaction, like an update, gives the field its new value (the marker).
                claimed := jsonb_set(claimed, ARRAY[past.field], past.new_value)
                    || jsonb_build_object('version', past.version);
            ELSIF past.change = 'delete' THEN
                last_live := claimed;
                claimed := 'null';
            END IF;
            IF past.seq > counter_seq AND past.change = 'update' THEN
                open_fields := CASE WHEN past.version = claimed_version
                                    THEN open_fields || past.field ELSE ARRAY[past.field] END;
            ELSE
                open_fields := NULL;
            END IF;
            claimed_version := past.version;
        END LOOP;

        what := format('%s %s', rec_kind, rec_id);
        stored := NULL;
{stored_reads}
        IF jsonb_typeof(claimed) = 'object' THEN
            IF stored IS NULL THEN
                RAISE EXCEPTION 'actiontrack history guard: %: history says it exists, but it'
                    ' has no row', what USING ERRCODE = 'insufficient_privilege';
            END IF;
            mismatch := (SELECT c.key FROM jsonb_each(claimed) c
                         WHERE stored->c.key IS DISTINCT FROM c.value ORDER BY c.key LIMIT 1);
            IF mismatch IS NOT NULL THEN
                RAISE EXCEPTION 'actiontrack history guard: %: its row holds % = %, its history'
                    ' says %', what, mismatch, stored->mismatch, claimed->mismatch
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            last_live := stored;
        ELSE
            IF stored IS NOT NULL THEN
                RAISE EXCEPTION 'actiontrack history guard: %: history says it was removed,'
                    ' but its row is there', what USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM {tombstones} t WHERE t.kind = rec_kind
                           AND t.record_id = rec_id AND t.version = claimed_version) THEN
                RAISE EXCEPTION 'actiontrack history guard: %: removed without a tombstone at'
                    ' version %', what, claimed_version USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        -- Whose record it is: an action's lead, or the lead of a child's action (as
        -- stored, or as history last recorded it when the action is gone too).
        IF rec_kind = 'actions' THEN
            lead := last_live->>'lead_agency_id';
        ELSE
            SELECT a.lead_agency_id INTO lead FROM {actions} a
                WHERE a.id = last_live->>'action_id';
            IF lead IS NULL THEN
                SELECT CASE WHEN h.change = 'create' THEN h.new::jsonb->>'lead_agency_id'
                            ELSE h.new::jsonb#>>'{}' END INTO lead
                    FROM {history} h
                    WHERE h.kind = 'actions' AND h.record_id = last_live->>'action_id'
                      AND (h.change = 'create' OR h.field = 'lead_agency_id')
                    ORDER BY h.seq DESC LIMIT 1;
            END IF;
        END IF;
        IF lead IS DISTINCT FROM agency THEN
            RAISE EXCEPTION 'actiontrack history guard: %: not a record of %, the agency of %',
                what, agency, caller USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;

    -- The counters and the chain's head, advanced as the library advances them (agency
    -- roles may not).
    UPDATE {store_meta} SET value = (counter_seq + entry_number)::text WHERE key = 'last_seq';
    UPDATE {store_meta} SET value = last_hash WHERE key = 'head';
    UPDATE {store_meta} SET value = (counter_commit + 1)::text WHERE key = 'last_commit';
    IF counter_at IS NULL OR first_at::timestamptz > counter_at THEN
        UPDATE {store_meta} SET value = first_at WHERE key = 'last_at';
    ELSIF first_at::timestamptz < counter_at THEN  -- history is out of time order from here
        UPDATE {store_meta} SET value = (counter_seq + 1)::text
            WHERE key = 'ordered_before' AND value = '';
    END IF;
    RETURN entry_number;
END
"""


def _stored_reads(schema: str) -> str:
    """plpgsql that reads the record ``rec_kind``/``rec_id`` into ``stored`` as plain data.

    The row as ``to_jsonb`` gives it (dates as ISO text, enumerations by their
    value, as history holds them) with each list field as an array in order.
    """
    reads = []
    for number, kind in enumerate(_AGENCY_KINDS):
        tables = _KINDS[kind]
        owner = _ident(_OWNER_COLUMNS[kind])
        lists = []
        for listed in tables.lists:
            if listed.structured:
                item = "jsonb_build_object(" + ", ".join(
                    f"{_literal(column)}, l.{_ident(column)}" for column in listed.item_columns
                ) + ")"
            else:
                item = f"l.{_ident(listed.item_columns[0])}"
            lists.append(
                f"{_literal(listed.field)}, coalesce((SELECT jsonb_agg({item} ORDER BY"
                f" l.position) FROM {_name(schema, listed.table.name)} l WHERE l.{owner} = r.id),"
                " '[]'::jsonb)")
        listed_fields = f" || jsonb_build_object({', '.join(lists)})" if lists else ""
        reads.append(
            f"        {'IF' if number == 0 else 'ELSIF'} rec_kind = {_literal(kind)} THEN\n"
            f"            SELECT to_jsonb(r){listed_fields} INTO stored\n"
            f"                FROM {_name(schema, kind)} r WHERE r.id = rec_id;")
    return "\n".join(reads) + "\n        END IF;"


#: ``datetime.isoformat()`` of a timezone-aware moment: date, time (microseconds when
#: there are any) and the UTC offset (seconds in it when there are any).
_AT_PATTERN = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{6})?"
    "[+-][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{6})?)?$"
)


def _record_fields() -> str:
    """SQL for the fields (scalars and lists) of a record of kind ``rec_kind``, as text[]."""
    cases = []
    for kind in _AGENCY_KINDS:
        tables = _KINDS[kind]
        fields = (*tables.scalars, *(listed.field for listed in tables.lists))
        cases.append(f"WHEN {_literal(kind)} THEN ARRAY["
                     + ", ".join(_literal(field) for field in fields) + "]")
    return "(CASE rec_kind " + " ".join(cases) + " END)::text[]"


def _history_function_sql(schema: str) -> str:
    """CREATE OR REPLACE of the history function for the store in ``schema``."""
    if "$actiontrack$" in schema:
        raise ValueError(f"cannot use {schema!r} as a schema name")
    names = {
        "agency_roles": _name(schema, "agency_roles"),
        "store_meta": _name(schema, _META.name),
        "history": _name(schema, _HISTORY.name),
        "tombstones": _name(schema, _TOMBSTONES.name),
        "actions": _name(schema, "actions"),
        "agency_kinds": ", ".join(_literal(kind) for kind in _AGENCY_KINDS),
        "ahead": f"{int(AHEAD.total_seconds())} seconds",
        "stored_reads": _stored_reads(schema),
        "record_fields": _record_fields(),
        "at_pattern": _AT_PATTERN,
    }
    body = _HISTORY_GUARD_BODY
    for token, value in names.items():
        body = body.replace("{" + token + "}", value)
    # SECURITY DEFINER: the owner's rights, and a fixed search path (pg_temp last) so
    # nothing a caller creates can stand in for what the body names. The caller's role
    # comes in as the default of ``caller``, evaluated where the function is called;
    # the body checks that the session may act as the role it names. A figure (double
    # precision) goes into to_jsonb as its shortest exact text whatever the session's
    # extra_float_digits, so a row compares equal with the number its history holds.
    return (
        f"CREATE OR REPLACE FUNCTION {_name(schema, HISTORY_FUNCTION)}(\n"
        "    entries json, caller name DEFAULT current_user)\n"
        "    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER\n"
        "    SET search_path = pg_catalog, pg_temp SET extra_float_digits = 1\n"
        f"AS $actiontrack${body}$actiontrack$"
    )


def _history_function_statements(schema: str | None) -> list[str]:
    """Create (or replace) the history function; only roles granted it may call it."""
    function = _name(schema, HISTORY_FUNCTION)
    if schema:
        create = _history_function_sql(schema)
    else:  # put the owner's current schema in the SQL where the tables are named
        # A '$' in the name could end the function's dollar-quoted body: refused.
        create = (
            "DO $create$ BEGIN\n"
            "    IF current_schema() IS NULL OR strpos(current_schema(), '$') > 0 THEN\n"
            "        RAISE EXCEPTION 'actiontrack: cannot create the history function in"
            " schema %: no schema, or a ''$'' in its name', current_schema();\n"
            "    END IF;\n    EXECUTE replace("
            f"{_literal(_history_function_sql(_SCHEMA_MARK))}, {_literal(_SCHEMA_MARK)},"
            " quote_ident(current_schema()));\nEND $create$")
    return [create, f"REVOKE ALL ON FUNCTION {function}(json, name) FROM PUBLIC"]


def _sign_function_statements(schema: str | None) -> list[str]:
    """Create (or replace) the function an agency role signs with; only granted roles may call it.

    HMAC-SHA256 (RFC 2104) from the pads ``store_secret`` keeps, with
    PostgreSQL's own ``sha256``: the role gets the signature, never the secret.
    A body in SQL-standard form is bound when it is created, so no search path
    can redirect it (and ``store_secret`` cannot be dropped while it exists).
    """
    function = _name(schema, SIGN_FUNCTION)
    secret = _name(schema, _SECRET.name)
    return [
        f"CREATE OR REPLACE FUNCTION {function}(payload bytea)\n"
        "    RETURNS text LANGUAGE sql STABLE SECURITY DEFINER\n"
        "    SET search_path = pg_catalog, pg_temp\n"
        "    RETURN (SELECT encode(sha256(s.outer_pad || sha256(s.inner_pad || payload)),"
        f" 'hex') FROM {secret} s WHERE s.id = 1)",
        f"REVOKE ALL ON FUNCTION {function}(bytea) FROM PUBLIC",
    ]


def _meta_statements(schema: str | None) -> list[str]:
    """Row-level security on store_meta: an agency role may lock its rows, not change them.

    ``SELECT ... FOR UPDATE`` (the store's write lock) needs UPDATE on the table and
    passes an UPDATE policy's USING clause only; an UPDATE must also pass its WITH
    CHECK, which refuses agency roles. The history function (the owner's rights,
    which row-level security does not bind) advances the counters for them.
    """
    meta = _name(schema, _META.name)
    unscoped = f"{_name(schema, 'actiontrack_agency')}() IS NULL"
    return _policies(meta, (
        ("SELECT", "USING (true)"),
        ("INSERT", f"WITH CHECK ({unscoped})"),
        ("UPDATE", f"USING (true)\n    WITH CHECK ({unscoped})"),
        ("DELETE", f"USING ({unscoped})"),
    ))


def _grant_statements(role: str, agency_id: str, schema: str | None) -> list[str]:
    if not role or not agency_id.strip():
        raise ValueError("a role needs a name and an agency id")
    if "$actiontrack$" in role:
        raise ValueError(f"cannot use {role!r} as a role name")
    who = _ident(role)
    scoped = {*_SCOPED_TABLES, _TOMBSTONES.name}
    statements = [
        "DO $actiontrack$ BEGIN\n"
        f"    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {_literal(role)})"
        f" THEN\n        CREATE ROLE {who} LOGIN;\n    END IF;\nEND $actiontrack$",
    ]
    if schema:
        statements.append(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {who}")
    for table in METADATA.sorted_tables:
        if table.name == _SECRET.name:
            # Not even SELECT: the role signs through the function, below.
            statements.append(f"REVOKE ALL ON {_name(schema, table.name)} FROM {who}")
            continue
        grants = ["SELECT"]  # outside_edits: read (a commit's check), written by triggers
        if table.name in scoped:
            grants += ["INSERT", "UPDATE", "DELETE"]
        elif table.name == _META.name:
            grants.append("UPDATE")  # the write lock (FOR UPDATE needs it); no writes, below
        statements.append(f"GRANT {', '.join(grants)} ON {_name(schema, table.name)} TO {who}")
    statements += _meta_statements(schema)
    # History only through the function; an earlier release granted INSERT, so take it back.
    statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON"
                      f" {_name(schema, _HISTORY.name)} FROM {who}")
    statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON"
                      f" {_name(schema, _OUTSIDE_EDITS.name)} FROM {who}")
    statements += _history_function_statements(schema)
    statements.append(
        f"GRANT EXECUTE ON FUNCTION {_name(schema, HISTORY_FUNCTION)}(json, name) TO {who}")
    statements += _sign_function_statements(schema)
    statements.append(
        f"GRANT EXECUTE ON FUNCTION {_name(schema, SIGN_FUNCTION)}(bytea) TO {who}")
    roles = _name(schema, "agency_roles")
    statements.append(
        f"INSERT INTO {roles} (role_name, agency_id) VALUES ({_literal(role)},"
        f" {_literal(agency_id)})\n    ON CONFLICT (role_name) DO UPDATE"
        " SET agency_id = EXCLUDED.agency_id"
    )
    return statements


def grant_agency_role_sql(role: str, agency_id: str, schema: str | None = None) -> str:
    """The SQL that makes ``role`` an agency role for ``agency_id``, run by the owner.

    It creates ``role`` as a login role (without a password) if it does not
    exist, grants it SELECT on every table of the store but ``store_secret``
    (nothing at all there), INSERT, UPDATE and
    DELETE on actions and their child tables and on tombstones, UPDATE on
    store_meta (for the write lock: row-level security refuses an agency
    role's changes there), takes back any INSERT, UPDATE or DELETE on history, creates
    (or replaces) the history function ``actiontrack_append_history`` and
    the signing function ``actiontrack_sign`` and lets the role execute
    them, and links it to the agency in ``agency_roles``. Run
    :func:`agency_scope_sql` first, and this again after every upgrade of the
    store's layout. ``schema`` ``None``: the tables are on the owner's search
    path, and the functions are created in
    the owner's current schema.
    """
    return ";\n\n".join(_grant_statements(role, agency_id, schema)) + ";\n"


def _postgres(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        raise StoreNotAvailableError(
            f"{_safe(url)}: agency row-level security needs a PostgreSQL store")


def _run(url: str, statements: list[str]) -> None:
    """Run ``statements`` in one transaction; a '%' in them is SQL (no parameters are passed)."""
    _postgres(url)
    engine = _engine(url, 30.0)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement, execution_options={"no_parameters": True})
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"{_safe(url)}: cannot set up agency scope ({_reason(exc)});"
                         " nothing was changed") from None
    finally:
        engine.dispose()


def _current_schema(url: str) -> str:
    _postgres(url)
    engine = _engine(url, 30.0)
    try:
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"{_safe(url)}: cannot reach the store ({_reason(exc)})") from None
    finally:
        engine.dispose()
    if not isinstance(schema, str):
        raise StoreError(f"{_safe(url)}: no schema is on the search path")
    return schema


def apply_agency_scope(url: str, *, schema: str | None = None) -> None:
    """Run :func:`agency_scope_sql` on the store at ``url`` (connect as the tables' owner).

    ``schema`` defaults to the connection's current schema (the first on its
    search path that exists).
    """
    _postgres(url)
    _run(url, _scope_statements(schema or _current_schema(url)))


def grant_agency_role(
    url: str, role: str, agency_id: str, password: str, *, schema: str | None = None
) -> None:
    """Create or update the login ``role`` with ``password`` and make it ``agency_id``'s role.

    Runs :func:`grant_agency_role_sql` in the same transaction, connected to
    ``url`` as the tables' owner (who must be allowed to create roles).
    """
    _postgres(url)
    statements = _grant_statements(role, agency_id, schema or _current_schema(url))
    statements.insert(1, f"ALTER ROLE {_ident(role)} LOGIN PASSWORD {_literal(password)}")
    _run(url, statements)
