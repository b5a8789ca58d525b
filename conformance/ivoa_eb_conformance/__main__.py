"""``python -m ivoa_eb_conformance`` is the command line."""

from .cli import main

main(prog_name="ivoa-eb-conformance")
