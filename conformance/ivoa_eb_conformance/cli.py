"""Command line: ``ivoa-eb-conformance run --url URL`` judges a broker, requirement by
requirement."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import spec
from .checks import all_checks
from .context import Options
from .model import Check, Outcome, Status
from .reports import render_html, render_json, render_junit, render_markdown
from .runner import RunResult, run, select

STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.SKIPPED: "yellow",
    Status.NOT_APPLICABLE: "dim",
    Status.NOT_TESTABLE: "dim cyan",
}


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not 'Name: value'", param_hint="--header")
        headers[name.strip()] = content.strip()
    return headers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ivoa-eb-conformance")
def main() -> None:
    """Conformance suite for IVOA ExecutionBroker services.

    Point it at a broker's base URL and learn, requirement by requirement of the standard's
    catalogue (spec/requirements/requirements.yaml), whether the broker conforms.
    """


@main.command("run")
@click.option(
    "--url",
    required=True,
    help="Base URL of the broker, e.g. http://localhost:8080/. Every request "
    "goes to this origin only: redirects and links elsewhere are refused.",
)
@click.option(
    "--level",
    type=click.Choice(["must", "should", "may"], case_sensitive=False),
    default="must",
    show_default=True,
    help="Exit non-zero when a requirement of this level or stronger fails.",
)
@click.option(
    "--select",
    "chosen",
    multiple=True,
    metavar="ID",
    help="Run only checks whose id, layer or requirement id matches this glob (e.g. 'LIFE-*', "
    "'case.*', 'content'); a retired requirement id selects its successors'. Repeatable.",
)
@click.option(
    "--deselect",
    "dropped",
    multiple=True,
    metavar="ID",
    help="Leave out matching checks. Repeatable.",
)
@click.option(
    "--time-budget",
    type=float,
    default=100.0,
    show_default=True,
    metavar="SECONDS",
    help="Wall-clock budget of the run. Waits that do not fit (e.g. for an offer to expire) are "
    "skipped with a reason; the schemathesis layer gets a fifth of it (at most 60 s), less if "
    "less remains.",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'Name: value'",
    help="Extra header on every request (e.g. authorisation). Repeatable.",
)
@click.option(
    "--second-header",
    "second_headers",
    multiple=True,
    metavar="'Name: value'",
    help="Header of a second identity (e.g. another user's Authorization), for the ownership "
    "checks (SEC-07); without it they are not applicable. Repeatable.",
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a JUnit XML report (one testcase per requirement).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a JSON report (one entry per requirement, with evidence).",
)
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report.",
)
@click.option(
    "--markdown", type=click.Path(dir_okay=False, path_type=Path), help="Write a Markdown report."
)
@click.option(
    "--no-schemathesis", is_flag=True, help="Leave out the schemathesis layer (generated requests)."
)
@click.option(
    "--serial",
    is_flag=True,
    help="Run every check one after another. By default the checks that mostly wait (for an "
    "offer to expire, a session to complete) run alongside the others, on offers of their own; "
    "this turns that off, for debugging (a slower run, the same verdicts).",
)
@click.option("--quiet", "-q", is_flag=True, help="No live progress, only the summary.")
@click.option(
    "--ignore-version",
    is_flag=True,
    help="Judge the broker even when it claims another major version of the standard.",
)
def run_command(
    url: str,
    level: str,
    chosen: tuple[str, ...],
    dropped: tuple[str, ...],
    time_budget: float,
    headers: tuple[str, ...],
    second_headers: tuple[str, ...],
    junit_xml: Path | None,
    json_path: Path | None,
    html: Path | None,
    markdown: Path | None,
    no_schemathesis: bool,
    serial: bool,
    quiet: bool,
    ignore_version: bool,
) -> None:
    """Run the suite against the broker at URL.

    Verdicts per requirement: pass, fail (with evidence: the request and response), skipped
    (with the reason), not applicable (an optional profile the broker does not claim) and not
    testable (black-box tests cannot see it; the reason is given). A requirement fails when any
    check finds it violated; it passes when at least one check saw it kept and none saw it broken.

    Offers the run leaves OFFERED are rejected at its end, so that they hold no resources.
    `ivoa-eb-conformance list` shows every check and the requirements it verifies.

    The report names the suite's version, the version of the standard it judges against and
    what the broker claims (from its VOSI capabilities or its OpenAPI document). A broker that
    claims another major version is not judged: one message says so.

    Exit status: 0 when no requirement at or above --level fails, 1 otherwise, 2 on usage
    errors, 3 when the broker claims another major version of the standard.
    """
    options = Options(
        url=url,
        level=level.lower(),
        select=chosen,
        deselect=dropped,
        time_budget=time_budget,
        headers=_headers(headers),
        second_headers=_headers(second_headers),
        schemathesis=not no_schemathesis,
        ignore_version=ignore_version,
        serial=serial,
    )
    checks = select(all_checks(), chosen, dropped)
    if no_schemathesis:
        checks = [c for c in checks if c.layer != "schemathesis"]
    console = Console(stderr=True)
    result = _run_with_progress(options, checks, console, quiet)
    for path, render in (
        (junit_xml, render_junit),
        (json_path, render_json),
        (html, render_html),
        (markdown, render_markdown),
    ):
        if path is not None:
            path.write_text(render(result), encoding="utf-8")
    _summary(result, Console())
    sys.exit(result.exit_code)


def _run_with_progress(
    options: Options, checks: list[Check], console: Console, quiet: bool
) -> RunResult:
    requirements = spec.requirements()
    if quiet:
        return run(options, checks, requirements)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("checks", total=len(checks))

        def report(item: Check, outcomes: list[Outcome]) -> None:
            worst = next(
                (
                    s
                    for s in (Status.FAIL, Status.PASS, Status.SKIPPED)
                    if any(o.status is s for o in outcomes)
                ),
                Status.NOT_APPLICABLE,
            )
            progress.console.print(
                f"[{STYLE[worst]}]{worst:>14}[/] {item.id}  [dim]{item.title}[/]",
                no_wrap=True,
                overflow="ellipsis",
            )
            progress.advance(task)

        return run(options, checks, requirements, progress=report)


def _summary(result: RunResult, console: Console) -> None:
    versions = result.versions.line() if result.versions else ""
    if result.refused:
        console.print(f"[dim]{versions}[/]\n[bold red]Not judged.[/] {result.refused}")
        return
    table = Table(title=f"ExecutionBroker conformance: {result.url}", show_lines=False)
    for name in ("Requirement", "Level", "Verdict", "Title / reason"):
        table.add_column(name, overflow="fold")
    for verdict in result.verdicts:
        r = verdict.requirement
        table.add_row(
            r.id,
            r.level,
            f"[{STYLE[verdict.status]}]{verdict.status}[/]",
            f"{r.title}\n[dim]{verdict.reason}[/]",
        )
    console.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in result.counts().items() if n)
    failures = result.failures()
    overall = (
        "[green]conforms[/]"
        if not failures
        else f"[bold red]does not conform[/] ({len(failures)} failing)"
    )
    console.print(
        f"At level {result.options.level.upper()}: the broker {overall}. Verdicts: {counts}."
    )
    if versions:
        console.print(f"[dim]Versions: {versions}.[/]")
    for error in result.suite_errors:
        console.print(f"[magenta]suite error[/] {error}")


@main.command("list")
@click.option(
    "--requirements",
    "by_requirement",
    is_flag=True,
    help="One row per requirement of the catalogue: the checks that verify it, or why none can.",
)
def list_command(by_requirement: bool) -> None:
    """List every check and the requirement ids it verifies."""
    console = Console()
    table = Table()
    checks = all_checks()
    if by_requirement:
        for name in ("Requirement", "Level", "Checks, or why it is not testable"):
            table.add_column(name, overflow="fold")
        for requirement in spec.requirements():
            names = [c.id for c in checks if requirement.id in c.requirements]
            table.add_row(
                requirement.id,
                requirement.level,
                " ".join(names) or f"[dim]{requirement.reason}[/]",
            )
    else:
        for name in ("Check", "Layer", "Requirements", "Title"):
            table.add_column(name, overflow="fold")
        for item in checks:
            table.add_row(item.id, item.layer, " ".join(item.requirements), item.title)
    console.print(table)


if __name__ == "__main__":  # pragma: no cover
    main()
