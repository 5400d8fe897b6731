"""Upgrading an SQL store written by an older release, one layout version at a time.

Each step takes a connection inside the opening transaction and brings the
schema from its version to the next; the store's ``schema_version`` is
raised with it, so a crash mid-upgrade leaves the old layout whole. A store
newer than this release is refused (:class:`~actiontrack.errors.StoreVersionError`).

Each step spells out its own SQL rather than using today's table
definitions, which later layouts may change.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from actiontrack.errors import StoreVersionError
from actiontrack.store.core import first_out_of_order

__all__ = ["STEPS", "upgrade"]

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


#: STEPS[n] upgrades a store from layout n to layout n + 1.
STEPS: dict[int, Callable[[Connection], None]] = {1: _layout_2, 2: _layout_3, 3: _layout_4}


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
