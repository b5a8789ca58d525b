"""Config loading, the CLI's help, and the migrations matching the tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from ivoa_eb_broker import config as configuration
from ivoa_eb_broker.cli import main
from ivoa_eb_broker.store import migrate, open_engine
from ivoa_eb_broker.store.schema import metadata
from sqlalchemy import inspect


def test_defaults_are_complete_and_documented() -> None:
    config = configuration.load()
    assert config.port == 8080
    assert config.host == "127.0.0.1"
    assert config.platform == "simulated"
    assert config.platform_settings["cores"] == 16
    assert config.platform_settings["memory"] == 64
    assert config.platform_settings["storage"] == 1000
    assert config.database().startswith("sqlite:///")


def test_file_overrides_defaults_and_options_override_file(tmp_path: Path) -> None:
    path = tmp_path / "broker.toml"
    path.write_text('[server]\nport = 9000\n[offers]\ncount = 2\n'
                    '[platform.simulated]\ncores = 4\n')
    config = configuration.load(path, port=9100)
    assert config.port == 9100
    assert config.offer_count == 2
    assert config.platform_settings["cores"] == 4
    assert config.platform_settings["memory"] == 64


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[server]\nprot = 1\n", "[server] prot"),
        ("[server]\nport = 'eighty'\n", "[server] port"),
        ("[offers]\ncount = 0\n", "[offers] count"),
        ("[nonsense]\nx = 1\n", "[nonsense] x"),
        ("[server\n", "broker.toml"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(text)
    with pytest.raises(configuration.ConfigError, match=named.replace("[", r"\[")):
        configuration.load(path)


def test_cli_help_explains_every_option() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0 and "serve" in top.output
    serve = runner.invoke(main, ["serve", "--help"])
    assert serve.exit_code == 0
    for option in ("--config", "--host", "--port", "--database", "--public-url", "--offers",
                   "--offer-lifetime", "--body-limit", "--platform", "--log-format"):
        assert option in serve.output, option
    printed = runner.invoke(main, ["defaults"])
    assert printed.exit_code == 0 and "[platform.simulated]" in printed.output


def test_cli_refuses_a_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "broker.toml"
    path.write_text("[server]\nport = 'x'\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(path)])
    assert result.exit_code == 2
    assert "[server] port" in result.output


def test_migrations_build_exactly_the_tables(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    migrate(engine)  # a second start changes nothing
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert set(inspect(engine).get_table_names()) >= {
        "offersets", "sessions", "bookings", "messages", "ledger_locks", "alembic_version"
    }


def test_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import structlog

    try:
        configuration.configure_logging("json", "info")
        structlog.get_logger("test").info("hello", session="abc")
        line = capsys.readouterr().out.strip().splitlines()[-1]
        record = json.loads(line)
        assert record["event"] == "hello" and record["session"] == "abc"
        assert record["level"] == "info" and "timestamp" in record
    finally:
        structlog.reset_defaults()


def test_unknown_platform_is_a_clear_cli_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--platform", "mainframe", "--database", f"sqlite:///{tmp_path}/x.db"]
    )
    assert result.exit_code != 0
    assert "unknown platform 'mainframe'" in result.output
