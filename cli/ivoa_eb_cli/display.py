"""What a person sees: the offers as a table, the session's progress live, its messages.

Everything goes to a :class:`rich.console.Console`; with ``--json`` none of this is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from ivoa_eb_spec.iso8601 import parse_instant
from ivoa_eb_spec.model import MessageItem
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .offers import Summary

#: The phases of an accepted session in order, for the progress bar.
STEPS = ("ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING", "RELEASING", "COMPLETED")
_STYLE = {"COMPLETED": "bold green", "FAILED": "bold red", "CANCELLED": "bold yellow"}
_LEVEL = {"ERROR": "red", "WARN": "yellow", "INFO": "cyan", "DEBUG": "dim"}


def offers_table(rows: Sequence[Summary], chosen: int | None = None,
                 now: datetime | None = None) -> Table:
    """The offers, one a row, the chosen one marked; columns nobody fills are left out."""
    now = now or datetime.now(UTC)
    columns: list[tuple[str, Callable[[Summary], str], str]] = [
        ("start (UTC)", lambda r: _when(r.start), "left"),
        ("duration", lambda r: r.duration or "-", "left"),
        ("cores", lambda r: _or_dash(r.cores), "right"),
        ("memory GiB", lambda r: _or_dash(r.memory), "right"),
        ("cost", lambda r: _or_dash(r.cost), "right"),
        ("platform", lambda r: r.platform or "-", "left"),
        ("expires", lambda r: _expires(r.expires, now), "left"),
        ("offer", lambda r: r.uuid[:8], "left"),
    ]
    used = [c for c in columns if any(c[1](row) != "-" for row in rows)]
    table = Table(title="Offers", title_justify="left")
    table.add_column("#", justify="right")
    for name, _, justify in used:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for index, row in enumerate(rows):
        mark = "*" if chosen == index else " "
        table.add_row(f"{mark}{index + 1}", *(value(row) for _, value, _ in used),
                      style="bold" if chosen == index else None)
    return table


def _when(text: str) -> str:
    """An instant (or the start of an interval) as ``YYYY-MM-DD HH:MM:SS``."""
    start = text.split("/", 1)[0]
    try:
        return parse_instant(start).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError):
        return text or "-"


def _expires(text: str, now: datetime) -> str:
    try:
        left = int((parse_instant(text) - now).total_seconds())
    except (ValueError, TypeError):
        return text or "-"
    if left <= 0:
        return "expired"
    return f"in {left // 60}m{left % 60:02d}s"


def _or_dash(value: object) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def messages(console: Console, items: Iterable[MessageItem], title: str) -> None:
    shown = [m for m in items if m.message or m.template]
    if not shown:
        return
    console.print(f"[bold]{title}[/bold]")
    for item in shown:
        level = str(item.level or "INFO")
        text = (item.message or item.template or "").split("\n", 1)[0]
        stamp = item.time[11:19] if isinstance(item.time, str) and len(item.time) > 19 else ""
        path = (item.values or {}).get("path")
        where = (f" [at {path}]", "dim") if path and level in ("ERROR", "WARN") else ("", "")
        console.print(Text.assemble((f"  {stamp} ", "dim"), (f"{level:<5} ", _LEVEL.get(level,
                      "")), text, where), soft_wrap=True)


def output_lines(items: Iterable[MessageItem]) -> list[str]:
    """The last lines of the program's output, as the broker quotes them in a message."""
    for item in reversed(list(items)):
        output = (item.values or {}).get("output")
        if output:
            return output.rstrip("\n").split("\n")
    return []


class Follow:
    """A live view of one session: a bar over the phases, the phase, the time spent."""

    def __init__(self, console: Console, url: str) -> None:
        self.console = console
        self.url = url
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), TextColumn("{task.fields[step]}"),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.task = self.progress.add_task("session", total=len(STEPS) - 1, step="")
        self.seen: list[tuple[str, datetime]] = []

    def update(self, phase: str) -> None:
        if not self.seen or self.seen[-1][0] != phase:
            self.seen.append((phase, datetime.now(UTC)))
        done = STEPS.index(phase) if phase in STEPS else len(STEPS) - 1
        style = _STYLE.get(phase, "bold")
        self.progress.update(self.task, completed=done, step=f"{done}/{len(STEPS) - 1}",
                             description=f"[{style}]{phase:<10}[/]")

    def run(self, poll: Callable[[], str], every: float, sleep: Callable[[float], None],
            ended: Callable[[str], bool]) -> str:
        """Poll until ``ended(phase)``; the last phase."""
        with Live(Group(Text(f"following {self.url}", style="dim"), self.progress),
                  console=self.console, refresh_per_second=8, transient=False):
            phase = poll()
            self.update(phase)
            while not ended(phase):
                sleep(every)
                phase = poll()
                self.update(phase)
        return phase
