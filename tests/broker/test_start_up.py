"""A broker builds its schemas at start-up, not during its first requests.

Built lazily, the validators, the unknown-property walker and the XML quick check made a
fresh broker's first request take 1.5 s of CPU; eight clients starting together (the fault
harness, on a loaded CI machine) each waited for their own copy and timed out after 20 s.
Each check runs in a fresh interpreter: the caches are per process, and another test may
already have filled them in this one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from ivoa_eb_spec import xmlschema_gen

BUILT = """
from ivoa_eb_broker.service import quick_schema
from ivoa_eb_spec import registry, xmlquick, xmlschema_gen
print(quick_schema._validator.cache_info().currsize, registry.validator.cache_info().currsize,
      xmlschema_gen.root_node.cache_info().currsize, xmlquick._validator.cache_info().currsize)
"""


def _built(before: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(before) + BUILT],
                          capture_output=True, text=True, timeout=120, check=True)
    return [int(n) for n in done.stdout.split()[-4:]]


def test_a_fresh_process_has_built_nothing() -> None:
    """The control: without an app, nothing is built (so the next test can fail)."""
    assert _built("") == [0, 0, 0, 0]


def test_creating_the_app_builds_every_schema_the_request_path_uses(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'broker.sqlite'}"
    quick, thorough, walkers, xml = _built(f"""
        from ivoa_eb_broker import config
        from ivoa_eb_broker.http.app import create_app
        create_app(config.load(None, database_url={database!r}), run_scheduler=False)
    """)
    assert quick == 2  # the request's and the update's
    assert thorough == 2
    assert walkers == 2  # offers-request and update
    assert xml == 1


def test_threads_asking_for_the_xsd_together_share_one_load() -> None:
    """Loading the XSD 1.1 takes a second: concurrent first askers wait for one load."""
    xmlschema_gen._load_xml_schema.cache_clear()
    start = threading.Barrier(4)
    found: list[object] = []

    def ask() -> None:
        start.wait()
        found.append(xmlschema_gen.xml_schema())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4
    assert all(schema is found[0] for schema in found)
