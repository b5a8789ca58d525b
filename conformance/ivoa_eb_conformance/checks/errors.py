"""Error behaviour not expressed as scenario data: oversized bodies, malformed uuids."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context, failed, judge, passed, skipped
from ..model import Outcome
from . import check

#: Large enough for any sensible limit, small enough for a 2-core CI machine.
OVERSIZED = 40 * 1024 * 1024


@check("err.oversized-body", ["ERR-09"], "A body of tens of MiB gets 413", cost=5.0)
def oversized(ctx: Context) -> Iterator[Outcome]:
    body = b"executable:\n  kind: x\n# " + b"x" * OVERSIZED + b"\n"
    answer = ctx.client.request(
        "POST", "requests", content=body, content_type="application/yaml", accept="application/json"
    )
    if answer.status == 413:
        yield passed("a 40 MiB body answered 413")
    elif answer.status >= 500:
        yield failed(f"a 40 MiB body answered {answer.status}", answer.evidence)
    else:
        yield skipped(
            f"a 40 MiB body answered {answer.status}: the broker's limit is higher (inconclusive)"
        )


@check("err.malformed-uuid", ["ERR-01"], "A path segment that is not a UUID gets 404")
def malformed_uuid(ctx: Context) -> Iterator[Outcome]:
    for method, target in (
        ("GET", "offersets/not-a-uuid"),
        ("GET", "sessions/not-a-uuid"),
        ("POST", "sessions/not-a-uuid"),
    ):
        if method == "GET":
            answer = ctx.client.get(target)
        else:
            answer = ctx.client.post(
                target, {"kind": "uri:enum-value-update", "path": "/phase", "value": "REJECTED"}
            )
        problems = [] if answer.status == 404 else [f"{method} /{target} answered {answer.status}"]
        yield judge(problems, f"{method} /{target} answered 404", answer.evidence)
