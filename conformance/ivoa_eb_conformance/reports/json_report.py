"""The JSON report: one entry per requirement, with verdict, reason, checks and evidence."""

from __future__ import annotations

import json
from typing import Any

from ..runner import RunResult


def as_dict(result: RunResult) -> dict[str, Any]:
    return {
        "suite": "ivoa-eb-conformance",
        "versions": result.versions.as_dict() if result.versions else None,
        "refused": result.refused,
        "url": result.url,
        "level": result.options.level,
        "started": result.started.isoformat(),
        "finished": result.finished.isoformat(),
        "counts": result.counts(),
        "exit_code": result.exit_code,
        "checks_run": [c.id for c in result.checks],
        "check_seconds": result.seconds,
        "suite_errors": result.suite_errors,
        "requirements": [verdict.to_dict() for verdict in result.verdicts],
    }


def render_json(result: RunResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False)
