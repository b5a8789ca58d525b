"""Jupyter notebooks run headless on a batch or container platform (shared by the Docker-API
and Slurm platforms): what a ``jupyter-notebook`` executable needs staged, and the command
that runs it.

While the session prepares, the notebook at the executable's ``location`` (http or https,
size- and time-limited by :mod:`.staging`) is downloaded into the session's ``notebook``
folder, with the runner (:mod:`.notebook_runner`, stand-alone) and the parameters as JSON.
The job runs the runner there: the notebook executes top to bottom (nbclient), the
executed notebook is ``notebook/executed.ipynb`` in the session's folder (kept with the
storage when the platform keeps storage), and the output's last lines end up in the session's
messages as for any job; a failing cell fails the job with the cell's error.

Parameters: the v1.0 ``jupyter-notebook`` kind has only ``location``, so parameters travel
in the location's fragment, ``...sqrt.ipynb#number=2&label=two`` (a fragment is never sent
to the server), and, where the executable carries a ``parameters`` object, from it as well.
Each value is read as YAML (``2`` a number, ``true`` a boolean, anything else a string).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import yaml

from .base import Reason
from .staging import download, url_problem

RUNNER = Path(__file__).with_name("notebook_runner.py")
FOLDER = "notebook"
INPUT, EXECUTED, PARAMETERS = "input.ipynb", "executed.ipynb", "parameters.json"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def location(executable: Mapping[str, Any]) -> str:
    """The notebook's URL without its fragment (what is downloaded)."""
    value = executable.get("location")
    if not isinstance(value, str):
        return ""
    parts = urlsplit(value)
    return urlunsplit(parts._replace(fragment=""))


def parameters(executable: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters: the location's fragment, then a ``parameters`` object."""
    found: dict[str, Any] = {}
    value = executable.get("location")
    if isinstance(value, str):
        for name, text in parse_qsl(urlsplit(value).fragment, keep_blank_values=True):
            found[name] = _value(text)
    more = executable.get("parameters")
    if isinstance(more, Mapping):
        found.update({str(k): v for k, v in more.items()})
    return found


def _value(text: str) -> Any:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return loaded if isinstance(loaded, str | int | float | bool) or loaded is None else text


def check(executable: Mapping[str, Any], *, allow_private: bool) -> list[Reason]:
    """Why the notebook cannot be run: no usable location, a parameter name that is not a
    Python name. Resolves the host name (blocking)."""
    url = location(executable)
    if not url:
        return [Reason("/executable/location", "a notebook run headless needs its location")]
    reasons = []
    problem = url_problem(url, allow_private=allow_private)
    if problem:
        reasons.append(Reason("/executable/location", problem))
    for name in parameters(executable):
        if not _NAME.fullmatch(name):
            reasons.append(Reason("/executable/location", (
                f"the notebook parameter {name!r} is not a Python name")))
    return reasons


def stage(folder: Path, executable: Mapping[str, Any], *, limit: int, timeout: float,
          allow_private: bool) -> Path:
    """Fill ``folder/notebook`` (once): the notebook, the runner, the parameters. Blocking;
    a :class:`~.staging.StagingError` when the notebook cannot be fetched."""
    target = folder / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o777)  # the image's user may differ from the broker's
    if not (target / INPUT).exists():
        download(location(executable), target / INPUT, limit=limit, timeout=timeout,
                 allow_private=allow_private)
    shutil.copyfile(RUNNER, target / RUNNER.name)
    (target / PARAMETERS).write_text(json.dumps(parameters(executable)), "utf-8")
    return target


def command(python: str, folder: str) -> list[str]:
    """The runner's command line, with the session's notebook folder at ``folder``."""
    return [python, f"{folder}/{RUNNER.name}", f"{folder}/{INPUT}", f"{folder}/{EXECUTED}",
            f"{folder}/{PARAMETERS}"]


__all__ = ["EXECUTED", "FOLDER", "RUNNER", "check", "command", "location", "parameters",
           "stage"]
