"""Agency scope enforced by PostgreSQL itself: row-level security for agency roles.

A partnership that shares one server gives each partner agency a login role
of its own. :func:`agency_scope_sql` is the SQL its DBA runs once, as the
owner of the store's tables, to turn on row-level security;
:func:`grant_agency_role_sql` links one role to one agency and grants what
it needs. An agency role can then read the whole plan but insert, change or
delete only the actions its agency leads and the progress updates, evidence
and assurance decisions (and their list rows) of those actions, whatever
program it connects with. Other entity tables stay read-only for it.

Roles not in ``agency_roles`` (the owner, the business unit's role) are
unscoped. The owner bypasses row-level security anyway, so FORCE ROW LEVEL
SECURITY is not used. Needs PostgreSQL 14 or later (a function body in
SQL-standard form, bound when it is created, so no search path can redirect it).

:func:`apply_agency_scope` and :func:`grant_agency_role` run the same SQL
through SQLAlchemy, for tests and the command line. See docs/agency-scope.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.compiler import IdentifierPreparer

from actiontrack.errors import StoreError, StoreNotAvailableError
from actiontrack.store.sql import _META, _TOMBSTONES, METADATA, _engine, _reason, _safe

__all__ = ["agency_scope_sql", "apply_agency_scope", "grant_agency_role", "grant_agency_role_sql"]

#: Tables whose rows belong to one action, and the SQL test that a row's action is led
#: by the current agency (``{t}`` is the row's table, ``{actions}`` and
#: ``{decisions}`` the tables of actions and of assurance decisions).
_BY_ACTION = "EXISTS (SELECT 1 FROM {actions} a WHERE a.id = {t}.action_id" \
    " AND a.lead_agency_id = {agency})"
_BY_DECISION = (
    "EXISTS (SELECT 1 FROM {decisions} d JOIN {actions} a ON a.id = d.action_id"
    " WHERE d.id = {t}.assurance_decision_id AND a.lead_agency_id = {agency})"
)
_SCOPED_TABLES = {
    "actions": "{t}.lead_agency_id = {agency}",
    "progress_updates": _BY_ACTION,
    "evidence": _BY_ACTION,
    "assurance_decisions": _BY_ACTION,
    "actions_recommendation_ids": _BY_ACTION,
    "target_revisions": _BY_ACTION,
    "assurance_decisions_evidence_ids": _BY_DECISION,
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
            decisions=_name(schema, "assurance_decisions"))
        statements.append(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        for command, clauses in (
            ("SELECT", "USING (true)"),
            ("INSERT", f"WITH CHECK ({allowed})"),
            ("UPDATE", f"USING ({allowed})\n    WITH CHECK ({allowed})"),
            ("DELETE", f"USING ({allowed})"),
        ):
            policy = _ident(f"agency_{command.lower()}")
            statements.append(f"DROP POLICY IF EXISTS {policy} ON {name}")
            statements.append(f"CREATE POLICY {policy} ON {name} FOR {command}\n    {clauses}")
    return statements


def agency_scope_sql(schema: str | None) -> str:
    """The SQL that turns on agency row-level security, run once by the tables' owner.

    ``schema`` is the store's schema (``None``: the tables are named without
    one and found on the owner's search path). Running it again does no harm.
    """
    return ";\n\n".join(_scope_statements(schema)) + ";\n"


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
        grants = ["SELECT"]
        if table.name in scoped:
            grants += ["INSERT", "UPDATE", "DELETE"]
        elif table.name == "history":
            grants.append("INSERT")
        elif table.name == _META.name:
            grants.append("UPDATE")  # the commit counters, and the write lock (FOR UPDATE)
        statements.append(f"GRANT {', '.join(grants)} ON {_name(schema, table.name)} TO {who}")
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
    exist, grants it SELECT on every table of the store, INSERT, UPDATE and
    DELETE on actions and their child tables and on tombstones, INSERT on
    history, UPDATE on store_meta, and links it to the agency in
    ``agency_roles``. Run :func:`agency_scope_sql` first.
    """
    return ";\n\n".join(_grant_statements(role, agency_id, schema)) + ";\n"


def _postgres(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        raise StoreNotAvailableError(
            f"{_safe(url)}: agency row-level security needs a PostgreSQL store")


def _run(url: str, statements: list[str]) -> None:
    _postgres(url)
    engine = _engine(url, 30.0)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
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
