"""Where the SQL tests find their databases.

SQLite needs nothing. PostgreSQL is named by ``$ACTIONTRACK_TEST_POSTGRES``
(a URL such as ``postgresql://actiontrack:actiontrack@localhost/actiontrack_test``;
``.ci/run`` starts a server and sets it). Without it, or when the server does
not answer, the PostgreSQL tests skip and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_ENV = "ACTIONTRACK_TEST_POSTGRES"


def postgres_url() -> str:
    """The test server's URL, or skip the calling test with the reason."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: set ${POSTGRES_ENV} (.ci/run does)")
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(_driver(url))
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"the PostgreSQL server at ${POSTGRES_ENV} does not answer: {exc}")
    return url


def _driver(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@contextmanager
def postgres_schemas(url: str) -> Iterator[object]:
    """Give out URLs of new, empty PostgreSQL schemas; drop them all afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(_driver(url), isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new_schema_url() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        made.append(name)
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}options=-csearch_path%3D{name}"

    try:
        yield new_schema_url
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


@contextmanager
def new_store_url(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty store: a SQLite file in ``folder``, or a PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'plan.db'}"
        return
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        yield new_schema_url()
