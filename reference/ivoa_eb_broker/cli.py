"""The ``ivoa-eb-broker`` command: ``serve`` runs the broker with uvicorn.

With no options at all it runs on its embedded defaults: port 8080 on 127.0.0.1, a SQLite
file in the user data directory, the simulated platform. Each option overrides the same
setting of the config file, which overrides the defaults.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import config as configuration


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ivoa-eb-broker")
def main() -> None:
    """The reference IVOA ExecutionBroker.

    Run `ivoa-eb-broker serve` to start a broker on http://127.0.0.1:8080/ with the
    simulated platform; `ivoa-eb-broker defaults` prints every setting and its default.
    """


@main.command()
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="TOML config file; its keys override the embedded "
              "defaults (see `ivoa-eb-broker defaults`).")
@click.option("--host", help="Address to listen on. [default: 127.0.0.1]")
@click.option("--port", type=click.IntRange(0, 65535), help="TCP port. [default: 8080]")
@click.option("--database", "database_url", metavar="URL",
              help="SQLAlchemy URL, e.g. sqlite:///var/broker.sqlite or "
                   "postgresql+psycopg://user@host/db. [default: a SQLite file in the user "
                   "data directory]")
@click.option("--public-url", metavar="URL",
              help="Base of the URLs in answers, when the broker is behind a proxy. "
                   "[default: each request's own base URL]")
@click.option("--offers", "offer_count", type=click.IntRange(1), help="Most offers per "
              "request. [default: 3]")
@click.option("--offer-lifetime", type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="How long an offer stays OFFERED. [default: 300]")
@click.option("--body-limit", type=click.IntRange(1), metavar="BYTES",
              help="Largest request body accepted (413 beyond). [default: 1048576]")
@click.option("--platform", metavar="NAME",
              help="Execution platform: the one [[platforms]] table of that name, or else "
                   "the engine of [platform] name (simulated, docker, slurm). A config file "
                   "fronts several platforms with [[platforms]] tables. [default: simulated]")
@click.option("--log-format", type=click.Choice(["console", "json"]),
              help="Log lines as key=value text or as JSON. [default: console]")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              help="Least severe log level written. [default: info]")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Broker processes serving the one port (uvicorn workers). More than one "
                   "needs a database they share: PostgreSQL (or one SQLite file).")
def serve(config_file: Path | None, workers: int = 1, **options: object) -> None:
    """Serve the ExecutionBroker interface over HTTP until interrupted."""
    import uvicorn

    from .http import create_app

    try:
        settings = configuration.load(config_file, **options)
    except configuration.ConfigError as problem:
        raise click.UsageError(str(problem)) from None
    configuration.configure_logging(settings.log_format, settings.log_level)
    if workers > 1:
        _unauthenticated_warning(settings)
        from . import workers as multi

        try:
            multi.prepare(settings)
        except (ValueError, OSError) as problem:
            raise click.ClickException(str(problem)) from None
        multi.run(config_file, options, settings, workers)
        return
    from .platforms import PlatformError

    try:
        app = create_app(settings)
    except (ValueError, PlatformError, OSError) as problem:  # bad platform table, no engine
        raise click.ClickException(str(problem)) from None
    _unauthenticated_warning(settings)
    from .http.limits import uvicorn_options

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="on",
        **uvicorn_options(settings),
    )


def _unauthenticated_warning(settings: configuration.Config) -> None:
    if not settings.auth.enabled and not _loopback(settings.host):
        click.secho(
            f"WARNING: listening on {settings.host} WITHOUT AUTHENTICATION: anyone who reaches "
            "this address can read, accept and cancel every offer and session. Enable [auth] "
            "(docs/howto/authentication.md) or listen on 127.0.0.1.", fg="red", bold=True,
            err=True)


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@main.command()
@click.argument("password_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("name")
@click.password_option(help="The password (asked twice when not given).")
def passwd(password_file: Path, name: str, password: str) -> None:
    """Add NAME to PASSWORD_FILE with an argon2id hash of the password (or replace it).

    The file is the one [auth.basic] password_file names; the broker reads it again when it
    changes, so no restart is needed.
    """
    from .auth.passwords import add_user

    try:
        add_user(password_file, name, password)
    except (ValueError, OSError) as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"{name} set in {password_file}")


@main.command()
def defaults() -> None:
    """Print the embedded default configuration (a valid config file)."""
    from importlib import resources

    click.echo(resources.files("ivoa_eb_broker").joinpath("defaults.toml").read_text("utf-8"))


@main.command("registry-record")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="TOML config file with a [registry] table.")
@click.option("--public-url", metavar="URL",
              help="Base URL the broker is reached at. [default: [server] public_url]")
def registry_record(config_file: Path | None, public_url: str | None) -> None:
    """Print the broker's VOResource record for the IVOA Registry (XML).

    Built from the config: [registry] identifier, publisher, contact_name and reference_url
    are required, and the public URL; the capability lists the kinds of the configured
    platforms. The record is valid against VOResource 1.2 and the broker's extension.
    """
    from .http.app import fleet_of
    from .service import vosi

    try:
        settings = configuration.load(config_file, public_url=public_url)
        fleet = fleet_of(settings)
        text = vosi.record(fleet, settings.public_url, settings.registry)
    except (configuration.ConfigError, ValueError) as problem:
        raise click.UsageError(str(problem)) from None
    click.echo(text.decode("utf-8"), nl=False)
