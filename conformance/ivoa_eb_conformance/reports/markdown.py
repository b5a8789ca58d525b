"""A Markdown report: summary, a table of every requirement, then details of each failure."""

from __future__ import annotations

from ..model import Status
from ..runner import RunResult
from .text import evidence_text

ICON = {
    Status.PASS: "✅ pass",
    Status.FAIL: "❌ fail",
    Status.SKIPPED: "⏭ skipped",
    Status.NOT_APPLICABLE: "➖ not applicable",
    Status.NOT_TESTABLE: "🔍 not testable",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: RunResult) -> str:
    counts = result.counts()
    failures = result.failures()
    lines = [
        "# ExecutionBroker conformance report",
        "",
        f"- Broker: `{result.url}`",
        *([f"- Versions: {result.versions.line()}"] if result.versions else []),
        *([f"- **Not judged**: {result.refused}"] if result.refused else []),
        f"- Run: {result.started:%Y-%m-%d %H:%M:%S} UTC, "
        f"{(result.finished - result.started).total_seconds():.0f} s",
        f"- Level: {result.options.level.upper()} — "
        + (
            "**conforms**"
            if not failures
            else f"**does not conform** ({len(failures)} failing requirement(s))"
        ),
        "- Verdicts: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n),
        "",
        "| Requirement | Level | Title | Verdict | Reason |",
        "|---|---|---|---|---|",
    ]
    for verdict in result.verdicts:
        r = verdict.requirement
        lines.append(
            f"| {r.id} | {r.level} | {_cell(r.title)} | {ICON[verdict.status]} "
            f"| {_cell(verdict.reason)} |"
        )
    failed = [v for v in result.verdicts if v.status is Status.FAIL]
    if failed:
        lines += ["", "## Failures", ""]
        for verdict in failed:
            lines += [
                f"### {verdict.requirement.id} — {verdict.requirement.title}",
                "",
                verdict.reason,
                "",
            ]
            for evidence in verdict.evidence[:3]:
                lines += ["```http", evidence_text(evidence), "```", ""]
    if result.suite_errors:
        lines += ["", "## Suite errors (defects of the suite, not of the broker)", ""]
        lines += [f"- `{_cell(e.splitlines()[0])}`" for e in result.suite_errors]
    return "\n".join(lines) + "\n"
