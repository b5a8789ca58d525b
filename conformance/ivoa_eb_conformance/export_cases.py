"""The scenario cases as one JSON file, for interpreters in languages without a YAML reader.

``python -m ivoa_eb_conformance.export_cases [FILE]`` writes the named documents and every
case of ``cases/*.yaml``, with the format version (the suite's major.minor, see
``cases/README.md``), to FILE (default: ``conformance/node-runner/cases.json`` in a source
tree, else standard output). The file is generated, checked in, and a test fails when it is
stale; the YAML files stay the source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .probe import CASES
from .versions import suite_version

__all__ = ["FORMAT_VERSION", "export", "format_version"]

DEFAULT = Path(__file__).resolve().parent.parent / "node-runner" / "cases.json"


def format_version() -> str:
    """The version of the scenario format: the suite's major.minor (one source: pyproject)."""
    return ".".join(suite_version().split(".")[:2])


FORMAT_VERSION = format_version()


def export() -> dict[str, Any]:
    """The documents and cases, in file order, as JSON data."""
    documents = yaml.safe_load((CASES / "documents.yaml").read_text(encoding="utf-8"))
    files = []
    for path in sorted(CASES.glob("*.yaml")):
        if path.name == "documents.yaml" or path.name.endswith(".schema.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        files.append({"file": path.name, "cases": data["cases"]})
    return {
        "format": FORMAT_VERSION,
        "generated_from": "conformance/ivoa_eb_conformance/cases/*.yaml",
        "documents": documents["documents"],
        "files": files,
    }


def render() -> str:
    return json.dumps(export(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else (DEFAULT if DEFAULT.parent.is_dir() else None)
    if target is None:
        sys.stdout.write(render())
    else:
        target.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
