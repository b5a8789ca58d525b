"""Plain-text renderings shared by the reports."""

from __future__ import annotations

from ..model import Evidence


def evidence_text(evidence: Evidence, limit: int = 1500) -> str:
    """A request/response pair as an HTTP-like transcript, bodies cut to ``limit`` characters."""
    lines = [f"> {evidence.method} {evidence.url}"]
    lines += [f"> {k}: {v}" for k, v in evidence.request_headers.items()]
    if evidence.request_body:
        lines += [">", *("> " + line for line in evidence.request_body[:limit].splitlines())]
    if evidence.status is None:
        lines.append(f"< (no answer) {evidence.note}")
    else:
        lines.append(f"< {evidence.status}")
        lines += [
            f"< {k}: {v}"
            for k, v in evidence.response_headers.items()
            if k.lower() in ("content-type", "location", "content-length")
        ]
        if evidence.response_body:
            lines += ["<", *("< " + line for line in evidence.response_body[:limit].splitlines())]
    return "\n".join(lines)
