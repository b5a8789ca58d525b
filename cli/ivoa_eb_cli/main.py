"""The ``ivoa-eb`` command: run work on an ExecutionBroker from a terminal.

``ivoa-eb run REQUEST.yaml`` posts the request, shows the offers as a table, accepts one
(asked for on a terminal, else the best by ``--best``), follows the session with a live
progress display until it ends, and prints its messages and the last lines of its output.
``--json`` prints one JSON document instead, for scripts. Exit status: 0 COMPLETED, 1 the
session FAILED or was CANCELLED, 2 usage errors, 3 the broker said NO, 4 the broker refused
or could not be reached, 5 the wait timed out.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from ivoa_eb_client import ENDED, BrokerError, Client, Offer, OfferSet, Session
from rich.console import Console

from . import display
from .offers import RULES, Summary, best, summary
from .settings import Settings, SettingsError, resolve

EXIT = {"COMPLETED": 0, "FAILED": 1, "CANCELLED": 1, "NO": 3, "BROKER": 4, "TIMEOUT": 5}


def _document(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _client(settings: Settings) -> Client:
    return Client(settings.url, media_type=settings.media_type, token=settings.token,
                  issue_warnings=False)


def _settings(context: click.Context) -> Settings:
    try:
        return resolve(context.obj["url"], context.obj["config"], context.obj["profile"])
    except SettingsError as problem:
        raise click.UsageError(str(problem)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", metavar="URL", help="The broker's base URL. [default: $IVOA_EB_URL, "
              "else url in the config file]")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file. [default: $IVOA_EB_CONFIG, else ~/.config/ivoa-eb/config.toml]")
@click.option("--profile", default="default", show_default=True,
              help="Table of the config file to read.")
@click.version_option(package_name="ivoa-eb-cli")
@click.pass_context
def main(context: click.Context, url: str | None, config: Path | None, profile: str) -> None:
    """Run work on an IVOA ExecutionBroker: where and when can this run? Then run it.

    Credentials: a bearer token in $IVOA_EB_TOKEN, or token in the config file.
    """
    context.obj = {"url": url, "config": config, "profile": profile}


def _fail(console: Console, as_json: bool, problem: BrokerError) -> None:
    if as_json:
        click.echo(json.dumps({"error": {"status": problem.status, "title": problem.title,
                                         "messages": [_document(m) for m in problem.messages]}},
                              indent=2))
    else:
        console.print(f"[bold red]The broker refused:[/] {problem}", highlight=False,
                      soft_wrap=True)
    sys.exit(EXIT["BROKER"])


def _ask(rows: list[Summary], default: int) -> int:
    choice = click.prompt("Accept which offer (0 for none)", type=click.IntRange(0, len(rows)),
                          default=default + 1)
    if choice == 0:
        raise click.Abort()
    return choice - 1


@main.command()
@click.argument("request_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pick", type=click.IntRange(1), metavar="N",
              help="Accept offer N of the table (1 is the first).")
@click.option("--best", "rule", type=click.Choice(sorted(RULES)), default="earliest",
              show_default=True, help="The rule that chooses an offer when none is picked.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask: accept the best offer.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document, for scripts.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=3600,
              show_default=True, metavar="SECONDS", help="Longest wait for the session to end.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              metavar="SECONDS", help="Time between two reads of the session.")
@click.pass_context
def run(context: click.Context, request_file: Path, pick: int | None, rule: str, yes: bool,
        as_json: bool, timeout: float, poll: float) -> None:
    """Post REQUEST_FILE (YAML, JSON or XML), accept an offer, follow it until it ends."""
    settings = _settings(context)
    console = Console(stderr=as_json, highlight=False)
    with _client(settings) as client:
        try:
            offer_set = client.request(request_file)
        except BrokerError as problem:
            _fail(console, as_json, problem)
        rows = [summary(_document(o.model)) for o in offer_set.offers]
        if offer_set.result != "YES" or not rows:
            _no(console, as_json, offer_set)
        if pick is not None and pick > len(rows):
            raise click.UsageError(f"--pick {pick}: there are {len(rows)} offers")
        chosen = pick - 1 if pick is not None else best(rows, rule)
        if not as_json:
            console.print(display.offers_table(rows, chosen))
            if pick is None and not yes and sys.stdin.isatty():
                chosen = _ask(rows, chosen)
            console.print(f"Accepting offer {chosen + 1} ({rows[chosen].uuid})"
                          + ("" if pick is not None else f", the best by '{rule}'"))
        offer: Offer = offer_set.offers[chosen]
        try:
            session = offer.accept()
            final = _follow(console, session, as_json, timeout, poll)
        except BrokerError as problem:
            _fail(console, as_json, problem)
        except TimeoutError as problem:
            _finish(console, as_json, session, offer_set, chosen, str(problem))
            sys.exit(EXIT["TIMEOUT"])
        _finish(console, as_json, final, offer_set, chosen)
        sys.exit(EXIT.get(str(final.phase), 1))


def _no(console: Console, as_json: bool, offer_set: OfferSet) -> None:
    if as_json:
        click.echo(json.dumps({"offerset": _document(offer_set.model), "result": "NO"}, indent=2))
    else:
        console.print("[bold red]The broker cannot run this request (result NO).[/]")
        display.messages(console, offer_set.messages, "Why")
    sys.exit(EXIT["NO"])


def _follow(console: Console, session: Session, as_json: bool, timeout: float,
            poll: float) -> Session:
    deadline = time.monotonic() + timeout

    def read() -> str:
        if time.monotonic() > deadline:
            raise TimeoutError(f"session {session.url} is still {session.phase} after "
                               f"{timeout:g} s")
        session.refresh()
        return str(session.phase)

    if as_json:
        session.wait(until=ENDED, timeout=timeout, poll=poll)
        return session
    display.Follow(console, session.url).run(
        poll=lambda: read(), every=poll, sleep=time.sleep,
        ended=lambda phase: phase in ENDED or session.ended)
    return session


def _finish(console: Console, as_json: bool, session: Session, offer_set: OfferSet,
            chosen: int, note: str = "") -> None:
    lines = display.output_lines(session.messages)
    if as_json:
        click.echo(json.dumps({
            "offerset": offer_set.uuid, "result": offer_set.result,
            "offers": [summary(_document(o.model)).__dict__ for o in offer_set.offers],
            "chosen": chosen + 1, "session": _document(session.model),
            "phase": str(session.phase), "output": lines, "note": note,
        }, indent=2))
        return
    console.print()
    if note:
        console.print(f"[bold yellow]{note}[/]")
    display.messages(console, session.messages, "Messages")
    if lines:
        console.print("[bold]Output (last lines)[/]")
        for line in lines:
            console.print(f"  {line}", markup=False, soft_wrap=True)
    style = {"COMPLETED": "green", "FAILED": "red"}.get(str(session.phase), "yellow")
    console.print(f"Session {session.url}: [bold {style}]{session.phase}[/]")


@main.command()
@click.argument("session_url")
@click.option("--json", "as_json", is_flag=True, help="Print the session as JSON.")
@click.pass_context
def status(context: click.Context, session_url: str, as_json: bool) -> None:
    """Show a session (its URL or uuid): phase, messages, output."""
    console = Console(highlight=False)
    with _client(_settings(context)) as client:
        try:
            session = client.session(session_url)
        except BrokerError as problem:
            _fail(console, as_json, problem)
        if as_json:
            click.echo(json.dumps(_document(session.model), indent=2))
            return
        display.messages(console, session.messages, "Messages")
        for line in display.output_lines(session.messages):
            console.print(f"  {line}", markup=False, soft_wrap=True)
        console.print(f"Session {session.url}: [bold]{session.phase}[/]")


@main.command()
@click.argument("session_url")
@click.pass_context
def cancel(context: click.Context, session_url: str) -> None:
    """Cancel a session (its URL or uuid)."""
    console = Console(highlight=False)
    with _client(_settings(context)) as client:
        try:
            session = client.update(session_url, "CANCELLED")
        except BrokerError as problem:
            _fail(console, False, problem)
        console.print(f"Session {session.url}: [bold]{session.phase}[/]")
