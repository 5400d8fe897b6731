"""Upgrading an SQL store written by an older release, one layout version at a time.

Each step takes a connection inside the opening transaction and brings the
schema from its version to the next; the store's ``schema_version`` is
raised with it, so a crash mid-upgrade leaves the old layout whole. A store
newer than this release is refused (:class:`~actiontrack.errors.StoreVersionError`).

Each step spells out its own SQL rather than using today's table
definitions, which later layouts may change. The one exception is the log
of changes made outside actiontrack (:func:`log_outside_edits`): its
triggers must cover every table of the layout in place, and be the same in
a new store as in an upgraded one, so a new store and the step that brings
a store to layout 5 both create them with that one function, each naming
its own tables; the step to layout 6 calls it for the two tables it adds
(measures, measurements), as any later layout that adds a table must.
Likewise :func:`keep_secret`, which both run once ``store_secret`` exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from actiontrack.domain.chain import GENESIS, link
from actiontrack.errors import StoreError, StoreVersionError
from actiontrack.store.core import first_out_of_order

__all__ = ["OUTSIDE_EDIT_FUNCTION", "STEPS", "WRITING_FLAG", "keep_secret", "log_outside_edits",
           "new_secret", "upgrade"]

#: The PostgreSQL trigger function that logs a change made outside actiontrack.
OUTSIDE_EDIT_FUNCTION = "actiontrack_outside_edit"
#: The setting (PostgreSQL) a transaction of actiontrack's own turns on: its writes are not
#: logged. SQLite has no such settings: a one-row table, ``store_writing``, stands in.
WRITING_FLAG = "actiontrack.writing"

def _layout_2(connection: Connection) -> None:
    """Layout 2: agency contacts, indexes for the reads features make, history's order."""
    # An agency's lead's email address, and the other names it goes by.
    connection.exec_driver_sql("ALTER TABLE agencies ADD COLUMN email TEXT")
    connection.exec_driver_sql(
        "CREATE TABLE agencies_aliases ("
        " agency_id TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,"
        " position INTEGER NOT NULL,"
        " alias TEXT NOT NULL,"
        " PRIMARY KEY (agency_id, position))"
    )
    # An action's children, a review's recommendations, what answers a recommendation.
    for table, column, name in (
        ("progress_updates", "action_id", "progress_updates_action_id"),
        ("evidence", "action_id", "evidence_action_id"),
        ("assurance_decisions", "action_id", "assurance_decisions_action_id"),
        ("recommendations", "review_id", "recommendations_review_id"),
        ("actions_recommendation_ids", "recommendation_id", "actions_recommendation_ids_item"),
        ("learning_activities_recommendation_ids", "recommendation_id",
         "learning_activities_recommendation_ids_item"),
    ):
        connection.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({column})")
    # Whether the history is in time order, so that views of the past can be rewound.
    dates = connection.execute(sa.text("SELECT seq, at FROM history ORDER BY seq"))
    ordered = first_out_of_order({"seq": seq, "at": at} for seq, at in dates)
    connection.execute(
        sa.text("INSERT INTO store_meta (key, value) VALUES ('ordered_before', :value)"),
        {"value": "" if ordered is None else str(ordered)})


def _layout_3(connection: Connection) -> None:
    """Layout 3: chases, the reminders sent to agency leads and the actions each listed."""
    connection.exec_driver_sql(
        "CREATE TABLE chases ("
        " id TEXT NOT NULL PRIMARY KEY,"
        " agency_id TEXT NOT NULL,"
        " sent_on DATE NOT NULL,"
        " sent_by TEXT NOT NULL,"
        " sent_to TEXT NOT NULL,"
        " message_id TEXT NOT NULL,"
        " version INTEGER NOT NULL)"
    )
    connection.exec_driver_sql(
        "CREATE TABLE chases_action_ids ("
        " chase_id TEXT NOT NULL REFERENCES chases (id) ON DELETE CASCADE,"
        " position INTEGER NOT NULL,"
        " action_id TEXT NOT NULL,"
        " PRIMARY KEY (chase_id, position))"
    )
    connection.exec_driver_sql(
        "CREATE INDEX chases_action_ids_item ON chases_action_ids (action_id)")


def _layout_4(connection: Connection) -> None:
    """Layout 4: an action's reference in the tracker it was adopted from."""
    connection.exec_driver_sql("ALTER TABLE actions ADD COLUMN reference TEXT")


#: The tables of layout 5 whose rows are logged when changed outside actiontrack, each
#: with the columns that name a row in the log (a record's id, a list row's owner and
#: position, a history entry's seq and record). Not the store's own bookkeeping:
#: store_meta (the head guards it), store_secret, outside_edits itself.
_LAYOUT_5_LOGGED: dict[str, tuple[str, ...]] = {
    **dict.fromkeys((
        "partnerships", "agencies", "reviews", "recommendations", "actions",
        "progress_updates", "evidence", "assurance_decisions", "learning_activities", "chases"),
        ("id",)),
    "agencies_former_names": ("agency_id", "position"),
    "agencies_aliases": ("agency_id", "position"),
    "recommendations_themes": ("recommendation_id", "position"),
    "recommendations_repeats": ("recommendation_id", "position"),
    "actions_recommendation_ids": ("action_id", "position"),
    "target_revisions": ("action_id", "position"),
    "assurance_decisions_evidence_ids": ("assurance_decision_id", "position"),
    "learning_activities_recommendation_ids": ("learning_activity_id", "position"),
    "chases_action_ids": ("chase_id", "position"),
    "history": ("seq", "kind", "record_id"),
    "tombstones": ("kind", "record_id"),
}


def _layout_5(connection: Connection) -> None:
    """Layout 5: the hash chain's head and hashes, the store's secret, the outside-edit log."""
    postgres = connection.dialect.name == "postgresql"
    # Each entry's hash (mod:`actiontrack.domain.chain`). Rows written before stay NULL:
    # they are linked into the chain as they are read, and the head covers them.
    connection.exec_driver_sql("ALTER TABLE history ADD COLUMN hash TEXT")
    rows = connection.execute(
        sa.text('SELECT seq, "commit", "at", "by", reason, kind, record_id, version, change,'
                " field, old, new FROM history ORDER BY seq").columns(old=sa.JSON, new=sa.JSON),
        execution_options={"yield_per": 5000})
    head = link((dict(row._mapping) for row in rows), GENESIS)
    connection.execute(sa.text("INSERT INTO store_meta (key, value) VALUES ('head', :head)"),
                       {"head": head})
    # The store's own secret (signed workbooks), with its HMAC pads for PostgreSQL's sha256.
    binary = "BYTEA" if postgres else "BLOB"
    connection.exec_driver_sql(
        "CREATE TABLE store_secret ("
        " id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),"
        f" secret {binary} NOT NULL,"
        f" inner_pad {binary} NOT NULL,"
        f" outer_pad {binary} NOT NULL)"
    )
    connection.execute(sa.text("INSERT INTO store_secret (id, secret, inner_pad, outer_pad)"
                               " VALUES (1, :secret, :inner_pad, :outer_pad)"), new_secret())
    keep_secret(connection)
    # Rows written other than by actiontrack, as the triggers find them.
    connection.exec_driver_sql(
        "CREATE TABLE outside_edits ("
        f" id {'SERIAL' if postgres else 'INTEGER'} NOT NULL PRIMARY KEY,"
        " table_name TEXT NOT NULL,"
        " row_key TEXT NOT NULL,"
        " change TEXT NOT NULL,"
        " noticed_at TEXT NOT NULL,"
        " database_user TEXT)"
    )
    log_outside_edits(connection, _LAYOUT_5_LOGGED)


def _layout_6(connection: Connection) -> None:
    """Layout 6: an action's measures (baseline, target, which way) and their measurements."""
    # FLOAT is double precision on PostgreSQL and a REAL column in SQLite.
    connection.exec_driver_sql(
        "CREATE TABLE measures ("
        " id TEXT NOT NULL PRIMARY KEY,"
        " action_id TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " unit TEXT NOT NULL,"
        " baseline FLOAT NOT NULL,"
        " baseline_on DATE NOT NULL,"
        " target FLOAT NOT NULL,"
        " target_on DATE NOT NULL,"
        " want TEXT NOT NULL,"
        " source TEXT,"
        " version INTEGER NOT NULL)"
    )
    connection.exec_driver_sql(
        "CREATE TABLE measurements ("
        " id TEXT NOT NULL PRIMARY KEY,"
        " action_id TEXT NOT NULL,"
        " measure_id TEXT NOT NULL,"
        ' "on" DATE NOT NULL,'
        " value FLOAT NOT NULL,"
        ' "by" TEXT NOT NULL,'
        " note TEXT,"
        " version INTEGER NOT NULL)"
    )
    # An action's children, as for its updates and evidence; a measure's figures.
    for table, column in (("measures", "action_id"), ("measurements", "action_id"),
                          ("measurements", "measure_id")):
        connection.exec_driver_sql(f"CREATE INDEX {table}_{column} ON {table} ({column})")
    log_outside_edits(connection, {"measures": ("id",), "measurements": ("id",)})


def _layout_7(connection: Connection) -> None:
    """Layout 7: when each record was created, answered by an index rather than the history.

    The audit asks when every action was created; the index holds all it
    reads, in the order it reads it, so the rows of history are not visited.
    """
    connection.exec_driver_sql(
        'CREATE INDEX history_created ON history (kind, change, seq, record_id, "at")')


#: STEPS[n] upgrades a store from layout n to layout n + 1.
STEPS: dict[int, Callable[[Connection], None]] = {
    1: _layout_2, 2: _layout_3, 3: _layout_4, 4: _layout_5, 5: _layout_6, 6: _layout_7}


def new_secret() -> dict[str, bytes]:
    """A store's new HMAC-SHA256 secret (32 random bytes) and its inner and outer pads.

    HMAC(key, m) = sha256(outer_pad || sha256(inner_pad || m)) for a key of
    at most 64 bytes (RFC 2104), so PostgreSQL's built-in ``sha256(bytea)``
    signs with the pads alone, and gives what ``hmac.new(secret, ...)`` gives.
    """
    secret = secrets.token_bytes(32)
    padded = secret.ljust(64, b"\0")
    return {"secret": secret, "inner_pad": bytes(b ^ 0x36 for b in padded),
            "outer_pad": bytes(b ^ 0x5C for b in padded)}


def keep_secret(connection: Connection) -> None:
    """On PostgreSQL, take back every privilege on ``store_secret`` from all but its owner.

    A reader role set up with ``ALTER DEFAULT PRIVILEGES ... GRANT SELECT ON
    TABLES`` (docs/postgres.md) would otherwise be given the new table, and
    with it the key that signs workbooks. Agency roles sign through a function.
    """
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    granted = connection.exec_driver_sql(
        "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
        " ELSE pg_get_userbyid(a.grantee) END"
        " FROM pg_class c, aclexplode(c.relacl) a"
        " WHERE c.oid = 'store_secret'::regclass AND a.grantee <> c.relowner").scalars().all()
    for role in sorted(granted):
        connection.exec_driver_sql(
            f"REVOKE ALL ON store_secret FROM {'PUBLIC' if role == 'PUBLIC' else quote(role)}")


def log_outside_edits(connection: Connection, tables: Mapping[str, Sequence[str]]) -> None:
    """Log every row of ``tables`` inserted, changed or removed other than by actiontrack.

    ``tables`` maps a table to the columns that name one of its rows. An
    AFTER trigger on each adds a row to ``outside_edits`` (the table, those
    columns' values as a JSON array, INSERT, UPDATE, DELETE or TRUNCATE, when,
    and on PostgreSQL the session's role), unless the transaction is
    actiontrack's own: on PostgreSQL one that set :data:`WRITING_FLAG` on,
    on SQLite one that set ``store_writing.writing`` to 1 (and back to 0
    before it commits). Replaces the triggers already there.
    """
    if connection.dialect.name == "postgresql":
        _postgres_log(connection, tables)
    else:
        _sqlite_log(connection, tables)


def _sqlite_log(connection: Connection, tables: Mapping[str, Sequence[str]]) -> None:
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS store_writing ("
        " id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), writing INTEGER NOT NULL)")
    connection.exec_driver_sql("INSERT OR IGNORE INTO store_writing (id, writing) VALUES (1, 0)")
    # IS NOT 1: with the flag row gone, everything is logged rather than nothing.
    when = "WHEN (SELECT writing FROM store_writing WHERE id = 1) IS NOT 1"
    noticed = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"
    for table, columns in tables.items():
        name = quote(table)

        def key(row: str, columns: Sequence[str] = columns) -> str:
            return "json_array(" + ", ".join(f"{row}.{quote(c)}" for c in columns) + ")"

        def log(row: str, change: str, table: str = table) -> str:
            return (f"INSERT INTO outside_edits (table_name, row_key, change, noticed_at)"
                    f" VALUES ({_sql_text(table)}, {key(row)}, '{change}', {noticed});")

        for change, body in (
            ("INSERT", log("NEW", "INSERT")),
            ("UPDATE", log("OLD", "UPDATE") + f" INSERT INTO outside_edits (table_name,"
                       f" row_key, change, noticed_at) SELECT {_sql_text(table)}, {key('NEW')},"
                       f" 'UPDATE', {noticed} WHERE {key('NEW')} IS NOT {key('OLD')};"),
            ("DELETE", log("OLD", "DELETE")),
        ):
            trigger = quote(f"{table}_outside_{change.lower()}")
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {trigger} AFTER {change} ON {name} FOR EACH ROW {when}"
                f" BEGIN {body} END")


def _postgres_log(connection: Connection, tables: Mapping[str, Sequence[str]]) -> None:
    quote = connection.dialect.identifier_preparer.quote
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    if not isinstance(schema, str):
        raise StoreError("no schema is on the search path: cannot create the store's"
                         " outside-edit log")
    function = f"{quote(schema)}.{quote(OUTSIDE_EDIT_FUNCTION)}"
    # SECURITY DEFINER: the roles that write rows (an agency's) may not write the log.
    # A fixed search path, and the log named in the schema of the table whose trigger
    # fired, so nothing a caller makes stands in for it and a renamed schema keeps working.
    connection.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger\n"
        "    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\n"
        "AS $actiontrack$\n"
        "DECLARE\n"
        "    noticed text := to_char(clock_timestamp() AT TIME ZONE 'UTC',\n"
        "                            'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"');\n"
        "    log text := format('INSERT INTO %I.outside_edits (table_name, row_key, change,'\n"
        "                       ' noticed_at, database_user) VALUES ($1, $2, $3, $4, $5)',\n"
        "                       TG_TABLE_SCHEMA);\n"
        "    old_key text;\n"
        "    new_key text;\n"
        "BEGIN\n"
        "    IF TG_OP = 'TRUNCATE' THEN\n"
        "        EXECUTE log USING TG_TABLE_NAME, '[]', TG_OP, noticed, session_user;\n"
        "        RETURN NULL;\n"
        "    END IF;\n"
        "    IF TG_OP <> 'INSERT' THEN\n"
        "        old_key := (SELECT jsonb_agg(to_jsonb(OLD)->k.name ORDER BY k.n)\n"
        "                    FROM unnest(TG_ARGV) WITH ORDINALITY k (name, n))::text;\n"
        "        EXECUTE log USING TG_TABLE_NAME, old_key, TG_OP, noticed, session_user;\n"
        "    END IF;\n"
        "    IF TG_OP <> 'DELETE' THEN\n"
        "        new_key := (SELECT jsonb_agg(to_jsonb(NEW)->k.name ORDER BY k.n)\n"
        "                    FROM unnest(TG_ARGV) WITH ORDINALITY k (name, n))::text;\n"
        "        IF new_key IS DISTINCT FROM old_key THEN\n"
        "            EXECUTE log USING TG_TABLE_NAME, new_key, TG_OP, noticed, session_user;\n"
        "        END IF;\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n"
        "$actiontrack$",
        execution_options={"no_parameters": True})
    connection.exec_driver_sql(f"REVOKE ALL ON FUNCTION {function}() FROM PUBLIC")
    # The condition is checked before the function is called: actiontrack's own writes
    # cost one setting lookup per row.
    when = f"WHEN (current_setting('{WRITING_FLAG}', true) IS DISTINCT FROM 'on')"
    for table, columns in tables.items():
        name = f"{quote(schema)}.{quote(table)}"
        arguments = ", ".join(_sql_text(column) for column in columns)
        for trigger, event in (("actiontrack_outside_edit", "INSERT OR UPDATE OR DELETE"),
                               ("actiontrack_outside_truncate", "TRUNCATE")):
            level = "STATEMENT" if event == "TRUNCATE" else "ROW"
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {name}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {name} FOR EACH {level} {when}"
                f" EXECUTE FUNCTION {function}({arguments})",
                execution_options={"no_parameters": True})


def _sql_text(text: str) -> str:
    """A SQL string literal (only for names this module spells out)."""
    return "'" + text.replace("'", "''") + "'"


def upgrade(connection: Connection, meta: sa.Table, found: int, latest: int, where: str) -> int:
    """Run the steps from layout ``found`` to ``latest``; return the layout now in place."""
    if found > latest:
        raise StoreVersionError(
            f"{where} was written by a newer actiontrack (store layout {found}; this release"
            f" reads up to {latest}): upgrade actiontrack to open it"
        )
    version = found
    while version < latest:
        step = STEPS.get(version)
        if step is None:
            raise StoreVersionError(
                f"{where}: no upgrade from store layout {version}; this release cannot open it"
            )
        step(connection)
        version += 1
        connection.execute(
            sa.update(meta).where(meta.c.key == "schema_version").values(value=str(version))
        )
    return version
