"""Requirement LIFE-32: a commit the broker acknowledges survives power loss.

A power loss cannot be staged in a test; what can be checked is the setting that decides it:
SQLite's ``synchronous`` (FULL by default, on every connection of the broker's engine) and
PostgreSQL's ``fsync`` and ``synchronous_commit``. Acknowledged accepts surviving kill -9 and
restart are checked in ``tests/broker/test_restart.py`` and ``test_kill.py`` here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from broker.conftest import make_config
from ivoa_eb_broker.config import ConfigError, load
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.store import durability_warnings, open_engine

FULL, NORMAL = 2, 1  # SQLite's numbers for them


def synchronous(engine: object) -> int:
    with engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.exec_driver_sql("PRAGMA synchronous").scalar())


def test_the_broker_commits_durably_on_sqlite_by_default(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert config.sqlite_synchronous == "FULL"
    engine = create_app(config, run_scheduler=False).state.engine
    assert synchronous(engine) == FULL
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert durability_warnings(engine) == []


def test_normal_is_a_choice_and_is_named_as_not_durable(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'b.sqlite'}", synchronous="NORMAL")
    assert synchronous(engine) == NORMAL
    assert ["below FULL" in w for w in durability_warnings(engine)] == [True]


def test_the_setting_is_checked(tmp_path: Path) -> None:
    config_file = tmp_path / "broker.toml"
    config_file.write_text('[database]\nsqlite_synchronous = "OFF"\n')
    with pytest.raises(ConfigError, match="sqlite_synchronous"):
        load(config_file)
    with pytest.raises(ValueError, match="synchronous"):
        open_engine(f"sqlite:///{tmp_path / 'c.sqlite'}", synchronous="OFF")
    config_file.write_text('[database]\nsqlite_synchronous = "NORMAL"\n')
    assert load(config_file).sqlite_synchronous == "NORMAL"


@pytest.mark.skipif(not os.environ.get("EB_TEST_POSTGRES_URL"),
                    reason="EB_TEST_POSTGRES_URL is not set")
def test_postgresql_runs_with_its_durable_defaults() -> None:
    engine = open_engine(os.environ["EB_TEST_POSTGRES_URL"])
    try:
        assert durability_warnings(engine) == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW fsync").scalar() == "on"
            assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() != "off"
    finally:
        engine.dispose()


def test_only_new_offers_skip_the_wait_for_the_disk(tmp_path: Path) -> None:
    """Offers are not covered by LIFE-32: their transaction commits at NORMAL; every other
    transaction on the same connection is back at FULL (the level is set at each BEGIN)."""
    from ivoa_eb_broker.store import transaction

    engine = open_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    levels = []
    for durable in (False, True, False, True):
        with transaction(engine, exclusive=True, durable=durable) as connection:
            levels.append(int(connection.exec_driver_sql("PRAGMA synchronous").scalar()))
    assert levels == [NORMAL, FULL, NORMAL, FULL]
    assert synchronous(engine) == FULL
    lazy = open_engine(f"sqlite:///{tmp_path / 'e.sqlite'}", synchronous="NORMAL")
    with transaction(lazy) as connection:  # a broker set to NORMAL stays NORMAL throughout
        assert int(connection.exec_driver_sql("PRAGMA synchronous").scalar()) == NORMAL
