"""The [auth] table, the passwd command, the loopback warning, and secrets kept out of logs."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import ivoa_eb_broker.auth.authenticator as authenticator_module
import pytest
import structlog
from click.testing import CliRunner
from ivoa_eb_broker import cli
from ivoa_eb_broker.auth import Authenticator, BearerSettings, parse_auth
from ivoa_eb_broker.auth.bearer import TokenError, TokenVerifier
from ivoa_eb_broker.auth.passwords import PasswordFile
from ivoa_eb_broker.auth.settings import AuthConfigError
from ivoa_eb_broker.config import ConfigError, load

from .conftest import PASSWORDS
from .issuer import AUDIENCE, Issuer, rsa_key


@pytest.mark.parametrize("table,named", [
    ({"methods": ["kerberos"]}, "[auth] methods: unknown method 'kerberos'"),
    ({"methods": [], "colour": 1}, "[auth] colour: unknown setting"),
    ({"methods": ["basic"]}, "[auth.basic] password_file: required"),
    ({"methods": ["bearer"], "bearer": {"issuer": "https://i", "audience": "a",
                                        "algorithms": ["HS256"]}},
     "[auth.bearer] algorithms: 'HS256' is not allowed"),
    ({"methods": ["bearer"], "bearer": {"issuer": "https://i", "audience": "a",
                                        "algorithms": ["none"]}},
     "[auth.bearer] algorithms: 'none' is not allowed"),
    ({"methods": ["bearer"], "bearer": {"issuer": "https://i"}}, "[auth.bearer] audience"),
    ({"methods": ["proxy"], "proxy": {"trusted": ["not-a-net"]}}, "[auth.proxy] trusted"),
    ({"max_live_offers": -1}, "[auth] max_live_offers"),
    ({"required": "yes"}, "[auth] required: expected true or false"),
])
def test_a_bad_auth_table_names_its_key(table, named):
    with pytest.raises(AuthConfigError) as found:
        parse_auth(table)
    assert named in str(found.value)


def test_the_config_file_reads_the_auth_table(tmp_path: Path):
    config_file = tmp_path / "broker.toml"
    config_file.write_text('[auth]\nmethods = ["proxy"]\noperators = ["CN=Olga"]\n'
                           '[auth.proxy]\nheader = "X-SSL-Client-DN"\n')
    config = load(config_file)
    assert config.auth.methods == ("proxy",)
    assert config.auth.operators == frozenset({"CN=Olga"})
    assert config.auth.proxy is not None and config.auth.proxy.header == "X-SSL-Client-DN"
    config_file.write_text('[auth]\nmethods = ["basic"]\n')
    with pytest.raises(ConfigError, match="password_file"):
        load(config_file)


def test_the_embedded_default_is_no_authentication():
    assert not load().auth.enabled


def test_passwd_adds_and_replaces_users(tmp_path: Path):
    path = tmp_path / "users"
    runner = CliRunner()
    first = runner.invoke(cli.main, ["passwd", str(path), "carol"], input="one-pw\none-pw\n")
    assert first.exit_code == 0, first.output
    assert PasswordFile(path).verify("carol", "one-pw")
    again = runner.invoke(cli.main, ["passwd", str(path), "carol", "--password", "two-pw"])
    assert again.exit_code == 0, again.output
    users = PasswordFile(path)
    assert users.verify("carol", "two-pw") and not users.verify("carol", "one-pw")
    assert path.read_text().count("carol:") == 1
    assert "two-pw" not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0


def test_bcrypt_hashes_from_htpasswd_are_accepted(tmp_path: Path):
    import bcrypt

    path = tmp_path / "htpasswd"
    path.write_text("dave:" + bcrypt.hashpw(b"dave-pw", bcrypt.gensalt(4)).decode() + "\n")
    assert PasswordFile(path).verify("dave", "dave-pw")
    assert not PasswordFile(path).verify("dave", "nope")


def test_serve_warns_loudly_beyond_loopback_without_authentication(monkeypatch, tmp_path):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    database = f"sqlite:///{tmp_path / 'b.sqlite'}"
    runner = CliRunner()
    loud = runner.invoke(cli.main, ["serve", "--host", "0.0.0.0", "--database", database])
    assert loud.exit_code == 0, loud.output
    assert "WITHOUT AUTHENTICATION" in loud.output
    quiet = runner.invoke(cli.main, ["serve", "--host", "127.0.0.1", "--database", database])
    assert "WITHOUT AUTHENTICATION" not in quiet.output


def test_forced_key_refreshes_are_rate_limited_by_the_clock(issuer: Issuer):
    now = [1000.0]
    settings = BearerSettings(issuer=issuer.url, audience=AUDIENCE, refresh_interval=30)

    async def run() -> None:
        verifier = TokenVerifier(settings, clock=lambda: now[0])
        try:
            await verifier.verify(issuer.token())
            assert issuer.jwks_fetches == 1
            for _ in range(3):
                with pytest.raises(TokenError, match="not among"):
                    await verifier.verify(issuer.token(rsa_key("gone")))
            assert issuer.jwks_fetches == 2
            now[0] += 31
            with pytest.raises(TokenError, match="not among"):
                await verifier.verify(issuer.token(rsa_key("gone")))
            assert issuer.jwks_fetches == 3
        finally:
            await verifier.close()

    asyncio.run(run())


def test_no_secret_reaches_the_logs(auth_table, issuer: Issuer, monkeypatch: pytest.MonkeyPatch):
    """Failed and successful logins of every method log nothing of the credentials."""
    # The broker's logging caches each logger on first use, and a cached logger escapes
    # capture_logs: a fresh one, first used under the capture, is captured whatever ran before.
    monkeypatch.setattr(authenticator_module, "log", structlog.get_logger("ivoa_eb_broker.auth"))
    token = issuer.token()
    bad_token = issuer.token(aud="elsewhere")
    secrets = [PASSWORDS["alice"], "wrong-password-xyz", token, bad_token,
               token.split(".")[2], bad_token.split(".")[2]]

    async def run() -> None:
        auth = Authenticator(parse_auth(auth_table))
        try:
            for header in (
                "Basic " + base64.b64encode(f"alice:{PASSWORDS['alice']}".encode()).decode(),
                "Basic " + base64.b64encode(b"alice:wrong-password-xyz").decode(),
                f"Bearer {token}", f"Bearer {bad_token}",
            ):
                try:
                    await auth.identify({"authorization": header}, "10.9.9.9")
                except Exception as failure:  # noqa: BLE001 - the message is checked below
                    for secret in secrets:
                        assert secret not in str(failure)
            await auth.identify({"x-client-dn": "CN=Eve"}, "10.9.9.9")
        finally:
            await auth.close()

    with structlog.testing.capture_logs() as logs:
        asyncio.run(run())
    text = repr(logs)
    assert logs, "the untrusted proxy header is logged, so logging was captured"
    for secret in secrets:
        assert secret not in text
