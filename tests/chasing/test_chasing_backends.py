"""Chases exist on every backend, are found by the actions they list, and travel with copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actiontrack.chasing import ChaseSettings, Outbox, chase_owners
from actiontrack.demo import load_demo
from actiontrack.domain.models import Chase
from actiontrack.domain.rag import RagPolicy
from actiontrack.store import open_store
from actiontrack.store.copy import contents_of, copy_store
from chasing.mail import BY, EXPECTED, NOW
from store.sql_servers import new_store_url  # tests/store/sql_servers.py


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty store on each SQL backend."""
    with new_store_url(request.param, tmp_path) as new:
        yield new


def test_a_chase_on_a_sql_store_is_kept_found_and_copied(url: str, tmp_path: Path) -> None:
    store = open_store(url, create=True)
    load_demo(store, now=NOW)
    result = chase_owners(store, Outbox(tmp_path / "outbox"), settings=ChaseSettings(),
                          rag=RagPolicy(), today=NOW.date(), by=BY, at=NOW)
    assert result.exit_code == 0
    kept = {chase.agency_id: set(chase.action_ids) for chase in store.find(Chase)}
    assert kept == EXPECTED
    assert [c.id for c in store.find(Chase, action_ids="DEMO-SCP/A006")] == ["DEMO-POL/C1"]
    assert store.find(Chase, action_ids="DEMO-SCP/A001") == []
    store.close()
    json_copy = str(tmp_path / "copy.json")
    copy_store(url, json_copy)
    source, copied = open_store(url), open_store(json_copy)
    assert contents_of(copied) == contents_of(source)
    assert copied.snapshot().chases_for("DEMO-SCP/A002") == source.snapshot().chases_for(
        "DEMO-SCP/A002")


def test_a_store_that_cannot_keep_a_chase_stops_the_chase_and_says_so(tmp_path: Path) -> None:
    """An agency-scoped store refuses a chase record: the one message handed over is named."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = open_store(url, create=True)
    load_demo(store, now=NOW)
    store.close()
    scoped = open_store(url, agency="DEMO-POL")
    result = chase_owners(scoped, Outbox(tmp_path / "outbox"), settings=ChaseSettings(),
                          rag=RagPolicy(), today=NOW.date(), by=BY, at=NOW)
    assert result.exit_code == 1
    assert result.failure is not None
    assert result.failure.startswith("the reminder to DEMO-CC went to")
    assert "could not be kept in the store" in result.failure
    assert [(o.agency_id, o.outcome.value, o.detail) for o in result.outcomes] == [
        ("DEMO-CC", "written", "not kept"), ("DEMO-CCG", "not sent", ""),
        ("DEMO-POL", "not sent", "")]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert scoped.find(Chase) == []
