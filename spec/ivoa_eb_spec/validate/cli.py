"""The ``ivoa-eb-validate`` command: files, folders and globs in; findings and a verdict out.

Exit status by severity: 0 when nothing reaches ``--fail-on`` (by default: no error),
1 when the worst finding that reaches it is a warning, 2 when it is an error, 64 for a
usage error (a path that does not exist, a bad option).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from .codes import CODES, Level
from .core import Result, validate_body
from .documents import DocumentType, Syntax

__all__ = ["main"]

USAGE_ERROR = 64
_SUFFIXES = {".yaml", ".yml", ".json", ".xml"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ivoa-eb-validate",
        description=(
            "Validate IVOA ExecutionBroker documents (requests, offer sets, sessions, updates, "
            "errors) in YAML, JSON or XML against the JSON Schema and the XML Schema, plus the "
            "checks schemas cannot express. Folders are searched for *.yaml, *.yml, *.json and "
            "*.xml; '-' reads standard input."
        ),
    )
    parser.add_argument("paths", nargs="*", help="files, folders or glob patterns ('-': stdin)")
    parser.add_argument(
        "--as",
        dest="as_",
        action="append",
        default=[],
        metavar="WHAT",
        choices=[*(t.value for t in DocumentType), *(s.value for s in Syntax)],
        help="read every file as this document (request, offer-set, session, update, error) "
        "and/or in this syntax (yaml, json, xml); may be given twice. Default: by content, "
        "then by extension",
    )
    parser.add_argument(
        "--format", choices=["text", "json"], default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "never"],
        default="error",
        help="lowest level that makes the exit status non-zero (default: error)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="text output: print only findings, no summary"
    )
    parser.add_argument(
        "--list-codes", action="store_true", help="print every finding code and exit"
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def _expand(paths: Sequence[str]) -> Iterator[tuple[Path | None, bool]]:
    """Each file to validate (None for stdin), and whether it was met in a folder walk."""
    for item in paths:
        if item == "-":
            yield None, False
            continue
        matches = sorted(glob.glob(item, recursive=True)) if glob.has_magic(item) else [item]
        if not matches:
            raise FileNotFoundError(f"no file matches {item!r}")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for found in sorted(path.rglob("*")):
                    if found.is_file() and found.suffix.lower() in _SUFFIXES:
                        yield found, True
            elif path.is_file():
                yield path, False
            else:
                raise FileNotFoundError(f"no such file or folder: {match}")


def _text(results: list[Result], quiet: bool) -> str:
    lines = []
    for result in results:
        for f in result.findings:
            lines.append(f"{result.source}: {f.code} {f.path or '/'} [{f.requirement}] {f.message}")
    if not quiet:
        counts = {level: 0 for level in Level}
        for result in results:
            for f in result.findings:
                counts[f.level] += 1
        checked = sum(1 for r in results if r.document is not None)
        lines.append(
            f"{len(results)} file(s), {checked} document(s) checked: {counts[Level.ERROR]} "
            f"error(s), {counts[Level.WARNING]} warning(s), {counts[Level.INFO]} note(s)"
        )
    return "\n".join(lines)


def _status(results: list[Result], fail_on: str) -> int:
    worst = max((r.worst for r in results if r.worst is not None), default=None)
    threshold = {"error": Level.ERROR, "warning": Level.WARNING, "never": None}[fail_on]
    if worst is None or threshold is None or worst < threshold:
        return 0
    return 2 if worst is Level.ERROR else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    from ivoa_eb_spec.versions import SPEC_VERSION, package_version

    args = _parser().parse_args(argv)
    if args.version:
        print(f"ivoa-eb-validate {package_version()} (ExecutionBroker {SPEC_VERSION})")
        return 0
    if args.list_codes:
        for item in CODES.values():
            print(f"{item.code:20} {item.requirement:8} {item.summary}")
        return 0
    if not args.paths:
        _parser().error("give at least one file, folder or glob ('-' for standard input)")
    syntax = next((Syntax(v) for v in args.as_ if v in Syntax.__members__.values()), None)
    as_type = next(
        (DocumentType(v) for v in args.as_ if v in DocumentType.__members__.values()), None
    )
    results = []
    try:
        for path, in_folder in _expand(args.paths):
            body = sys.stdin.buffer.read() if path is None else path.read_bytes()
            source = "-" if path is None else path.as_posix()
            result = validate_body(
                body, source, syntax=syntax, as_type=as_type, found_in_folder=in_folder
            )
            results.append(result)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as problem:
        print(f"ivoa-eb-validate: {problem}", file=sys.stderr)
        return USAGE_ERROR
    status = _status(results, args.fail_on)
    if args.format == "json":
        document = {
            "validator": package_version(),
            "spec": SPEC_VERSION,
            "status": status,
            "files": [r.as_json() for r in results],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(_text(results, args.quiet))
    return status


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())
