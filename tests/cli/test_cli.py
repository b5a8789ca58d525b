"""``ivoa-eb``: a request file to a finished session from a terminal, against a real broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ivoa_eb_cli.main import main
from ivoa_eb_cli.offers import Summary, best
from ivoa_eb_cli.settings import SettingsError, resolve

ROOT = Path(__file__).resolve().parents[2]
SQRT = ROOT / "examples" / "01-sqrt-docker.yaml"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"IVOA_EB_CONFIG": "/nonexistent",
                                                     **(env or {})})


def test_run_accepts_the_best_offer_and_follows_it_to_completed(broker_url: str) -> None:
    done = invoke("--url", broker_url, "run", "--yes", "--poll", "0.1", str(SQRT))
    assert done.exit_code == 0, done.output
    assert "Offers" in done.output and "*1" in done.output
    assert "the best by 'earliest'" in done.output
    assert "COMPLETED" in done.output
    assert "The offer was accepted" in done.output  # the session's messages


def test_json_for_scripts_and_the_url_from_the_environment(broker_url: str) -> None:
    done = invoke("run", "--json", "--pick", "2", "--poll", "0.1", str(SQRT),
                  env={"IVOA_EB_URL": broker_url})
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["phase"] == "COMPLETED" and answer["chosen"] == 2
    assert answer["session"]["meta"]["uuid"] == answer["offers"][1]["uuid"]


def test_a_no_answer_exits_3_with_the_reasons(broker_url: str, tmp_path: Path) -> None:
    request = tmp_path / "unknown.yaml"
    request.write_text(f"executable:\n  kind: {K}executable/no-such-kind.yaml\n")
    done = invoke("--url", broker_url, "run", "--yes", str(request))
    assert done.exit_code == 3, done.output
    assert "result NO" in done.output and "no-such-kind" in done.output


def test_a_refused_request_names_the_path(broker_url: str, tmp_path: Path) -> None:
    request = tmp_path / "bad.yaml"
    request.write_text(f"executable:\n  kind: {K}executable/docker-container.yaml\n"
                       "compute:\n  kind: 42\n")
    done = invoke("--url", broker_url, "run", "--yes", str(request))
    assert done.exit_code == 4, done.output
    assert "/compute" in done.output


def test_status_and_cancel_of_a_session(broker_url: str) -> None:
    done = invoke("--url", broker_url, "run", "--json", "--yes", "--poll", "0.1", str(SQRT))
    url = json.loads(done.output)["session"]["meta"]["url"]
    shown = invoke("--url", broker_url, "status", url)
    assert shown.exit_code == 0 and "COMPLETED" in shown.output
    refused = invoke("--url", broker_url, "cancel", url)  # a finished session cannot be
    assert refused.exit_code == 4 and "409" in refused.output


def test_settings_come_from_options_then_environment_then_the_config_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[default]\nurl = "http://file/"\ntoken = "t-file"\n'
                      '[site]\nurl = "http://site/"\n')
    monkeypatch.delenv("IVOA_EB_URL", raising=False)
    monkeypatch.delenv("IVOA_EB_TOKEN", raising=False)
    assert resolve(None, config).url == "http://file/"
    assert resolve(None, config).token == "t-file"
    assert resolve(None, config, "site").url == "http://site/"
    monkeypatch.setenv("IVOA_EB_URL", "http://env/")
    monkeypatch.setenv("IVOA_EB_TOKEN", "t-env")
    assert resolve(None, config).url == "http://env/"
    assert resolve(None, config).token == "t-env"
    assert resolve("http://option/", config).url == "http://option/"
    config.write_text('[default]\npassword = "x"\n')
    with pytest.raises(SettingsError, match="password"):
        resolve(None, config)
    monkeypatch.delenv("IVOA_EB_URL")
    monkeypatch.setenv("IVOA_EB_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match="no broker URL"):
        resolve(None, None)
    with pytest.raises(SettingsError, match="does not exist"):
        resolve(None, tmp_path / "missing.toml")


def _row(start: str, cores: int, cost: float | None) -> Summary:
    return Summary("u", start, "PT1H", cores, 1, cost, "", "")


def test_rules_choose_the_best_offer() -> None:
    rows = [_row("2026-01-01T10:00:00Z", 1, 5.0), _row("2026-01-01T09:00:00Z", 4, None),
            _row("2026-01-01T09:00:00Z", 2, 1.0)]
    assert best(rows, "earliest") == 1  # ties keep the broker's order
    assert best(rows, "most-cores") == 1
    assert best(rows, "cheapest") == 2
    assert best(rows, "first") == 0
