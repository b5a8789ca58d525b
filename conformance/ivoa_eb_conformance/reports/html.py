"""A self-contained HTML report (no scripts or styles fetched from anywhere)."""

from __future__ import annotations

from html import escape

from ..model import Status
from ..runner import RunResult
from .text import evidence_text

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:75rem;padding:0 1rem;color:#222}
h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}th,td{padding:.35rem .5rem;
text-align:left;vertical-align:top;border-bottom:1px solid #ddd}
th{background:#f4f4f4;position:sticky;top:0}
.pass{color:#146c2e}.fail{color:#b00020;font-weight:600}.skipped{color:#8a6d00}
.not-applicable,.not-testable{color:#666}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.6rem;background:#eee;
margin-right:.4rem}
pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:12px;max-height:24rem}
details{margin:.2rem 0}summary{cursor:pointer}.verdict{font-size:1.2rem;font-weight:600}
"""


def render_html(result: RunResult) -> str:
    counts = result.counts()
    failures = result.failures()
    verdict = (
        "conforms" if not failures else f"does not conform: {len(failures)} failing requirement(s)"
    )
    rows = []
    for item in result.verdicts:
        r = item.requirement
        details = ""
        if item.status is Status.FAIL and item.evidence:
            details = "".join(
                f"<details><summary>{escape(e.summary())}</summary><pre>{escape(evidence_text(e))}</pre></details>"
                for e in item.evidence[:3]
            )
        checks = escape(", ".join(item.checks))
        rows.append(
            f"<tr id='{escape(r.id)}'><td>{escape(r.id)}</td><td>{escape(r.level)}</td>"
            f"<td>{escape(r.title)}</td>"
            f"<td class='{item.status}'>{escape(str(item.status))}</td>"
            f"<td>{escape(item.reason)}{details}<br><small>{checks}</small></td></tr>"
        )
    badges = "".join(
        f"<span class='badge {s}'>{n} {escape(s)}</span>" for s, n in counts.items() if n
    )
    versions = (
        f"<p class='versions'>{escape(result.versions.line())}.</p>" if result.versions else ""
    )
    if result.refused:
        versions += f"<p class='verdict fail'>Not judged: {escape(result.refused)}</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ExecutionBroker conformance: {escape(result.url)}</title>
<style>{STYLE}</style></head><body>
<h1>ExecutionBroker conformance report</h1>
<p>Broker <code>{escape(result.url)}</code>, run {result.started:%Y-%m-%d %H:%M:%S} UTC,
{(result.finished - result.started).total_seconds():.0f} s,
level {escape(result.options.level.upper())}.</p>
{versions}
<p class="verdict {"pass" if not failures else "fail"}">The broker {escape(verdict)}.</p>
<p>{badges}</p>
<table><thead><tr><th>Requirement</th><th>Level</th><th>Title</th><th>Verdict</th>
<th>Reason, evidence, checks</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
</body></html>
"""
