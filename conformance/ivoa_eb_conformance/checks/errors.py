"""Error behaviour not expressed as scenario data: oversized bodies."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context, failed, passed, skipped
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
